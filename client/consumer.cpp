#include "client/consumer.hpp"

#include "client/consumer_fetcher.hpp"
#include "client/consumer_shared.hpp"
#include "client/topic_metadata.hpp"

#include <caf/send.hpp>

namespace sluice::client {

consumer::consumer(std::shared_ptr<connection> conn, consumer_config config)
  : conn_(std::move(conn)), config_(config), shared_(std::make_shared<consumer_shared>()) {
  fetcher_ = conn_->system().spawn<consumer_fetcher>(shared_, node_link{conn_->node(), conn_->address()},
                                                     config_);
}

consumer::~consumer() { close(); }

void consumer::wake_fetcher() {
  if (fetcher_ && !shared_->wake_pending.exchange(true))
    caf::anon_send(fetcher_, caf::tick_atom_v);
}

void consumer::assign(const std::vector<topic_partition>& tps) {
  {
    std::lock_guard lock{shared_->mtx};
    std::map<topic_partition, consumer_shared::partition_state> next;
    for (auto& tp : tps) {
      auto old = shared_->assignment.find(tp);
      if (old != shared_->assignment.end()) {
        next.insert(*old);
      } else {
        consumer_shared::partition_state st;
        st.reset = config_.auto_offset_reset;
        next.emplace(tp, st);
      }
    }
    for (auto& [tp, st] : shared_->assignment)
      if (!next.count(tp))
        shared_->purge(tp);
    shared_->assignment = std::move(next);
  }
  wake_fetcher();
}

std::vector<topic_partition> consumer::assignment() const {
  std::lock_guard lock{shared_->mtx};
  std::vector<topic_partition> out;
  for (auto& [tp, st] : shared_->assignment)
    out.push_back(tp);
  return out;
}

result<std::vector<topic_partition>> consumer::partitions_for(const std::string& topic) {
  auto md = fetch_topic_metadata(*conn_, {topic});
  if (!md)
    return md.err();
  std::vector<topic_partition> out;
  for (auto& p : md->front().partitions)
    out.push_back({topic, p.partition});
  return out;
}

status consumer::seek(const topic_partition& tp, offset off) {
  {
    std::lock_guard lock{shared_->mtx};
    auto st = shared_->assignment.find(tp);
    if (st == shared_->assignment.end())
      return make_error(errc::invalid_argument, "seek: " + tp.to_string() + " is not assigned");
    if (off.value < 0)
      return make_error(errc::invalid_argument, "seek: negative offset for " + tp.to_string());
    ++st->second.epoch;
    st->second.fetch_position = off;
    st->second.consumed = off;
    shared_->purge(tp);
  }
  wake_fetcher();
  return {};
}

status consumer::seek_to(const std::vector<topic_partition>& tps, offset_reset where) {
  {
    std::lock_guard lock{shared_->mtx};
    auto apply = [&](const topic_partition& tp, consumer_shared::partition_state& st) {
      ++st.epoch;
      st.fetch_position.reset();
      st.consumed.reset();
      st.reset = where;
      shared_->purge(tp);
    };
    if (tps.empty()) {
      for (auto& [tp, st] : shared_->assignment)
        apply(tp, st);
    }
    for (auto& tp : tps) {
      auto st = shared_->assignment.find(tp);
      if (st == shared_->assignment.end())
        return make_error(errc::invalid_argument, "seek: " + tp.to_string() + " is not assigned");
      apply(tp, st->second);
    }
  }
  wake_fetcher();
  return {};
}

status consumer::seek_to_beginning(const std::vector<topic_partition>& tps) {
  return seek_to(tps, offset_reset::earliest);
}

status consumer::seek_to_end(const std::vector<topic_partition>& tps) {
  return seek_to(tps, offset_reset::latest);
}

std::optional<offset> consumer::position(const topic_partition& tp) const {
  std::lock_guard lock{shared_->mtx};
  auto st = shared_->assignment.find(tp);
  if (st == shared_->assignment.end())
    return std::nullopt;
  return st->second.consumed;
}

result<consumer_records> consumer::poll(std::chrono::milliseconds timeout) {
  std::vector<fetched_chunk> taken;
  {
    std::unique_lock lock{shared_->mtx};
    if (shared_->closed)
      return make_error(errc::closed, "consumer is closed");
    shared_->ready.wait_for(lock, timeout, [&] { return !shared_->buffered.empty() || shared_->failure; });
    if (shared_->failure && shared_->buffered.empty()) {
      auto e = std::move(*shared_->failure);
      shared_->failure.reset();
      return e;
    }
    for (auto& c : shared_->buffered) {
      auto st = shared_->assignment.find(c.tp);
      if (st != shared_->assignment.end())
        st->second.consumed = c.next;
      taken.push_back(std::move(c));
    }
    shared_->buffered.clear();
    shared_->buffered_bytes = 0;
  }
  wake_fetcher(); // the buffer has room again
  return consumer_records{std::move(taken)};
}

latency_histogram consumer::fetch_latency() const {
  std::lock_guard lock{shared_->mtx};
  return shared_->fetch_latency_us;
}

void consumer::close() {
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->closed)
      return;
    shared_->closed = true;
  }
  caf::anon_send_exit(fetcher_, caf::exit_reason::user_shutdown);
  fetcher_ = nullptr;
}

} // namespace sluice::client

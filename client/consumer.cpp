#include "client/consumer.hpp"

#include "client/consumer_fetcher.hpp"
#include "client/consumer_shared.hpp"
#include "client/retry_hold.hpp"
#include "client/topic_metadata.hpp"
#include "filter/filter_expr.hpp"

#include <caf/send.hpp>

namespace sluice::client {

consumer::consumer(std::shared_ptr<connection> conn, consumer_config config)
  : conn_(std::move(conn)), config_(config), shared_(std::make_shared<consumer_shared>()) {
  if (!config_.filter.empty())
    if (auto f = filter::parse_filter(config_.filter); !f) {
      config_error_ = make_error(errc::invalid_argument, f.err().message);
      return;
    }
  if (config_.retry.enabled()) {
    if (auto st = validate(config_.retry); !st) {
      config_error_ = st.err();
      return;
    }
    if (config_.group_id.empty()) {
      config_error_ = make_error(errc::invalid_argument, "a retry policy needs a group id (consumer_config::group_id)");
      return;
    }
    retries_ = std::make_unique<retry_forwarder>(conn_, config_.group_id, config_.retry);
  }
  fetcher_ = conn_->system().spawn<consumer_fetcher>(shared_, conn_->bootstrap_link(), conn_->routed(), config_);
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

// -- consumer groups ------------------------------------------------------------------------

status consumer::subscribe(const std::vector<std::string>& topics, rebalance_listener* listener) {
  if (config_error_)
    return *config_error_;
  if (config_.group_id.empty())
    return make_error(errc::invalid_argument, "subscribe needs a group id (consumer_config::group_id)");
  if (topics.empty())
    return make_error(errc::invalid_argument, "subscribe needs at least one topic");
  if (!group_) {
    group_ = std::make_unique<consumer_group>(conn_, config_);
    std::weak_ptr<consumer_shared> weak = shared_;
    group_->shared()->wake = [weak] {
      if (auto s = weak.lock()) {
        std::lock_guard lock{s->mtx};
        s->group_wakeup = true;
        s->ready.notify_all();
      }
    };
  }
  listener_ = listener;
  auto all = topics;
  if (retries_)
    for (auto& t : topics) {
      if (auto st = retries_->prepare(t); !st)
        return st;
      for (auto& r : retries_->retry_topics(t))
        all.push_back(std::move(r));
    }
  group_->subscribe(all);
  return {};
}

std::vector<std::string> consumer::subscription() const {
  return group_ ? group_->subscription() : std::vector<std::string>{};
}

std::pair<std::string, generation_id> consumer::group_membership() const {
  if (!group_)
    return {"", no_generation};
  auto g = group_->shared();
  std::lock_guard lock{g->mtx};
  return {g->member_id, g->generation};
}

offset_map consumer::consumed_positions(const std::vector<topic_partition>& only) const {
  offset_map out;
  std::lock_guard lock{shared_->mtx};
  for (auto& [tp, st] : shared_->assignment)
    if (st.consumed && (only.empty() || std::ranges::find(only, tp) != only.end()))
      out[tp] = *st.consumed;
  return out;
}

status consumer::commit_sync() { return commit_sync(consumed_positions()); }

status consumer::commit_sync(const offset_map& offsets) {
  if (!group_)
    return make_error(errc::invalid_argument, "commit needs a subscribed consumer group");
  group_->run_completions();
  if (retries_)
    (void)retries_->flush(config_.request_timeout); // nacks acknowledged by now are passed
  return group_->commit_sync(clamped(offsets));
}

offset_map consumer::clamped(offset_map offsets) const {
  if (retries_)
    retries_->clamp(offsets);
  return offsets;
}

status consumer::nack(const topic_partition& tp, const store::record_view& r, std::string_view error_text) {
  if (config_error_)
    return *config_error_;
  if (!retries_)
    return make_error(errc::invalid_argument, "nack needs a retry policy (consumer_config::retry)");
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::system_clock::now().time_since_epoch());
  return retries_->nack(tp, r, error_text, timestamp_ms{now.count()});
}

void consumer::commit_async(commit_callback cb) {
  if (!group_) {
    if (cb)
      cb({}, make_error(errc::invalid_argument, "commit needs a subscribed consumer group"));
    return;
  }
  group_->commit_async(clamped(consumed_positions()), std::move(cb));
}

result<std::optional<offset>> consumer::committed(const topic_partition& tp) {
  if (config_.group_id.empty())
    return make_error(errc::invalid_argument, "committed offsets need a group id");
  auto r = fetch_committed(*conn_, config_, {tp});
  if (!r)
    return r.err();
  return (*r)[tp];
}

void consumer::maybe_auto_commit() {
  if (!group_ || !config_.enable_auto_commit)
    return;
  auto now = std::chrono::steady_clock::now();
  if (now < next_auto_commit_)
    return;
  next_auto_commit_ = now + config_.auto_commit_interval;
  group_->commit_async(clamped(consumed_positions()), {});
}

// A pending rejoin: revoke (committing first) or drop lost partitions, join, sync, then start
// the new partitions from their committed offsets.
status consumer::rebalance() {
  auto commit_revoked = [&](const assignment_change& c) {
    if (config_.enable_auto_commit && !c.revoked.empty())
      (void)group_->commit_sync(consumed_positions(c.revoked));
    if (listener_ && !c.revoked.empty())
      listener_->on_partitions_revoked(c.revoked);
  };
  auto change = group_->ensure_active([&](const assignment_change& gone) {
    commit_revoked(gone);
    if (listener_ && !gone.lost.empty())
      listener_->on_partitions_lost(gone.lost);
    assign({}); // nothing of them is fetched or returned any more
  });
  if (!change)
    return change.err();
  commit_revoked(*change);
  apply_assignment(*change);
  return {};
}

void consumer::apply_assignment(const assignment_change& change) {
  if (change.revoked.empty() && change.lost.empty() && change.assigned.empty()
      && change.now == assignment())
    return;
  std::optional<std::map<topic_partition, std::optional<offset>>> committed;
  if (!change.assigned.empty()) {
    auto c = group_->committed(change.assigned);
    if (c) {
      committed = std::move(*c);
    } else {
      std::lock_guard lock{shared_->mtx};
      shared_->failure = c.err(); // positions fall back to auto.offset.reset
    }
  }
  assign(change.now);
  if (committed)
    for (auto& [tp, off] : *committed)
      if (off)
        (void)seek(tp, *off);
  if (listener_ && !change.assigned.empty())
    listener_->on_partitions_assigned(change.assigned);
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
    st->second.fetched = false;
    st->second.held_until.reset();
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
      st.fetched = false;
      st.held_until.reset();
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
  if (config_error_)
    return *config_error_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (group_) {
    conn_->recover(); // the heartbeat reports a home node that failed; finding another is ours
    group_->note_poll();
    group_->run_completions();
    if (group_->rejoin_pending())
      if (auto st = rebalance(); !st)
        return st.err();
    maybe_auto_commit();
  }
  if (retries_)
    if (auto f = retries_->take_failure())
      return *f;
  std::vector<fetched_chunk> taken;
  // Held-back retry records can leave nothing to return: wait on until the deadline.
  for (bool again = true; again;) {
    std::unique_lock lock{shared_->mtx};
    if (shared_->closed)
      return make_error(errc::closed, "consumer is closed");
    // Kafka's NoOffsetForPartitionException, decided here rather than by the fetcher so that
    // a seek right after assign always wins.
    for (auto& [tp, st] : shared_->assignment)
      if (!st.fetch_position && st.reset == offset_reset::none)
        return make_error(errc::invalid_argument,
                          tp.to_string() + " has no position and auto.offset.reset is none: seek first");
    shared_->group_wakeup = false;
    shared_->ready.wait_until(lock, deadline, [&] {
      return !shared_->buffered.empty() || shared_->failure || shared_->group_wakeup;
    });
    if (shared_->failure && shared_->buffered.empty()) {
      auto e = std::move(*shared_->failure);
      shared_->failure.reset();
      return e;
    }
    bool buffered = !shared_->buffered.empty();
    for (auto& c : shared_->buffered) {
      auto st = shared_->assignment.find(c.tp);
      if (st != shared_->assignment.end())
        st->second.consumed = c.next;
      taken.push_back(std::move(c));
    }
    shared_->buffered.clear();
    shared_->buffered_bytes = 0;
    if (retries_)
      hold_not_due(taken);
    again = buffered && taken.empty() && !shared_->group_wakeup
            && std::chrono::steady_clock::now() < deadline;
  }
  wake_fetcher(); // the buffer has room again
  return consumer_records{std::move(taken)};
}

// Under shared_->mtx, on what poll() just took: a retry topic partition's records from the
// first one not yet due on are dropped, and the partition goes back there and waits (no fetch)
// until that record is due.
void consumer::hold_not_due(std::vector<fetched_chunk>& taken) {
  auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  auto steady_now = std::chrono::steady_clock::now();
  std::vector<topic_partition> held;
  std::erase_if(taken, [&](fetched_chunk& c) {
    if (std::ranges::find(held, c.tp) != held.end())
      return true; // behind a held record
    if (!retries_->is_retry_topic(c.tp.topic))
      return false;
    auto hold = first_not_due(c, timestamp_ms{wall_ms});
    if (!hold)
      return false;
    cut_chunk(c, hold->at);
    held.push_back(c.tp);
    if (auto st = shared_->assignment.find(c.tp); st != shared_->assignment.end()) {
      ++st->second.epoch; // a fetch in flight from past the hold is dropped
      st->second.fetch_position = hold->at;
      st->second.fetched = false;
      st->second.consumed = hold->at;
      st->second.held_until = steady_now + std::chrono::milliseconds{hold->due.value - wall_ms};
    }
    return c.record_count == 0;
  });
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
  }
  if (retries_)
    (void)retries_->flush(config_.request_timeout);
  if (group_) {
    if (config_.enable_auto_commit)
      (void)group_->commit_sync(clamped(consumed_positions()));
    group_->run_completions();
    group_->leave();
    group_.reset();
  }
  {
    std::lock_guard lock{shared_->mtx};
    shared_->closed = true;
  }
  if (fetcher_)
    caf::anon_send_exit(fetcher_, caf::exit_reason::user_shutdown);
  fetcher_ = nullptr;
}

} // namespace sluice::client

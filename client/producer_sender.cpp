#include "client/producer_sender.hpp"

#include "client/reply.hpp"
#include "schema/produce.hpp"
#include "schema/type_ids.hpp"

#include <algorithm>

namespace sluice::client {

using namespace std::chrono;

producer_sender::producer_sender(caf::actor_config& cfg, std::shared_ptr<producer_shared> shared,
                                 node_link link, producer_config config)
  : caf::event_based_actor(cfg),
    shared_(std::move(shared)),
    link_(std::move(link)),
    config_(config) {}

caf::behavior producer_sender::make_behavior() {
  link_.watch(this);
  set_down_handler([this](caf::down_msg& dm) {
    if (link_.on_down(dm))
      on_link_lost();
  });
  return {
    [this](caf::tick_atom) {
      shared_->wake_pending = false;
      pump();
    },
    [this](caf::timeout_atom) {
      timer_at_.reset();
      pump();
    },
    [this](caf::close_atom) { abort_all(); },
  };
}

// Requests on a lost connection never get an answer (CAF does not fail them; they would
// only time out): retry their batches now, on the connection the retry makes.
void producer_sender::on_link_lost() {
  auto now = steady_clock::now();
  auto e = make_error(errc::unreachable, "lost connection to " + link_.peer());
  std::vector<finished> done;
  auto lost = std::move(in_flight_);
  in_flight_.clear();
  for (auto& [id, batches] : lost)
    for (auto& b : batches)
      retry_or_fail(std::move(b), e, now, done);
  complete(done);
  pump();
}

// close() gave up waiting: every record not yet complete fails with errc::closed. Late
// answers to requests in flight find no entry and are ignored.
void producer_sender::abort_all() {
  auto e = make_error(errc::closed, "producer closed before the record was acknowledged");
  std::vector<finished> done;
  for (auto& [id, batches] : in_flight_)
    for (auto& b : batches)
      done.push_back({std::move(b), offset{-1}, e});
  in_flight_.clear();
  for (auto& b : queue_)
    done.push_back({std::move(b), offset{-1}, e});
  queue_.clear();
  for (auto& r : backoff_)
    done.push_back({std::move(r.batch), offset{-1}, e});
  backoff_.clear();
  {
    std::lock_guard lock{shared_->mtx};
    for (auto& b : shared_->acc.drain(steady_clock::now(), SIZE_MAX, true))
      done.push_back({std::move(b), offset{-1}, e});
  }
  complete(done);
}

void producer_sender::pump() {
  auto now = steady_clock::now();
  // Retries whose backoff passed go first, in the order they became due.
  if (!backoff_.empty()) {
    std::stable_sort(backoff_.begin(), backoff_.end(),
                     [](auto& a, auto& b) { return a.due < b.due; });
    auto due_end = std::find_if(backoff_.begin(), backoff_.end(),
                                [&](auto& r) { return r.due > now; });
    std::vector<producer_batch> due;
    for (auto i = backoff_.begin(); i != due_end; ++i)
      due.push_back(std::move(i->batch));
    backoff_.erase(backoff_.begin(), due_end);
    queue_.insert(queue_.begin(), std::make_move_iterator(due.begin()),
                  std::make_move_iterator(due.end()));
  }
  if (!link_.up()) {
    std::vector<finished> done;
    when_link_down(now, done);
    complete(done);
    return;
  }
  size_t slots = config_.max_in_flight - std::min(config_.max_in_flight, in_flight_.size());
  std::optional<steady_clock::time_point> linger_deadline;
  if (slots > 0) {
    size_t per_request = std::max<size_t>(1, config_.max_request_bytes / std::max<size_t>(1, config_.batch_bytes));
    size_t want = slots * per_request;
    if (queue_.size() < want) {
      std::lock_guard lock{shared_->mtx};
      bool all = shared_->drain_all > 0;
      for (auto& b : shared_->acc.drain(now, want - queue_.size(), all))
        queue_.push_back(std::move(b));
      linger_deadline = shared_->acc.next_linger_deadline();
    }
    while (in_flight_.size() < config_.max_in_flight && !queue_.empty())
      send_request(next_request());
  }
  if (linger_deadline && in_flight_.size() < config_.max_in_flight)
    arm_timer(*linger_deadline);
  for (auto& r : backoff_)
    arm_timer(r.due);
}

// Without a connection nothing is sent: try to reconnect (when the node has an address) and
// fail what waited longer than delivery.timeout.ms meanwhile; an in-process node that went
// away fails everything at once.
void producer_sender::when_link_down(steady_clock::time_point now, std::vector<finished>& done) {
  {
    std::lock_guard lock{shared_->mtx};
    for (auto& b : shared_->acc.drain(now, SIZE_MAX, true))
      queue_.push_back(std::move(b));
  }
  if (last_error_.ok())
    last_error_ = make_error(errc::unreachable, "lost connection to " + link_.peer());
  bool give_up = !link_.can_reconnect();
  std::deque<producer_batch> keep;
  for (auto& b : queue_) {
    if (give_up || now - b.created >= config_.delivery_timeout)
      done.push_back({std::move(b), offset{-1}, last_error_});
    else
      keep.push_back(std::move(b));
  }
  queue_ = std::move(keep);
  if (give_up) {
    for (auto& r : backoff_)
      done.push_back({std::move(r.batch), offset{-1}, last_error_});
    backoff_.clear();
    return;
  }
  if (!link_.connecting())
    link_.reconnect(this, config_.request_timeout, [this](const client::error& e) {
      if (e.ok()) {
        last_error_ = {};
        pump();
      } else {
        last_error_ = e;
        arm_timer(steady_clock::now() + config_.retry_backoff);
      }
    });
  if (!queue_.empty() || !backoff_.empty())
    arm_timer(now + config_.retry_backoff);
}

// The front batch plus later ones of other partitions, up to max.request.size.
std::vector<producer_batch> producer_sender::next_request() {
  std::vector<producer_batch> picked;
  std::deque<producer_batch> rest;
  size_t bytes = 0;
  for (auto& b : queue_) {
    bool same_partition = std::any_of(picked.begin(), picked.end(), [&](auto& p) {
      return p.partition == b.partition && p.topic == b.topic;
    });
    if (picked.empty() || (!same_partition && bytes + b.bytes.size() <= config_.max_request_bytes)) {
      bytes += b.bytes.size();
      picked.push_back(std::move(b));
    } else {
      rest.push_back(std::move(b));
    }
  }
  queue_ = std::move(rest);
  return picked;
}

void producer_sender::send_request(std::vector<producer_batch> batches) {
  schema::produce_request req;
  req.acks = config_.acks;
  req.timeout_ms = static_cast<int32_t>(config_.request_timeout.count());
  req.partitions.reserve(batches.size());
  for (auto& b : batches) {
    ++b.attempts;
    req.partitions.push_back({b.topic, b.partition, std::move(b.bytes)});
  }
  auto env = schema::encode(req);
  // The bytes come back for a retry: encode copied them into the envelope.
  for (size_t i = 0; i < batches.size(); ++i)
    batches[i].bytes = std::move(req.partitions[i].records);
  auto id = next_request_id_++;
  in_flight_.emplace(id, std::move(batches));
  request(link_.node(), caf::duration{config_.request_timeout}, produce_atom_v, std::move(env))
    .then([this, id](schema::envelope& reply) { on_reply(id, reply); },
          [this, id](caf::error& e) { on_request_error(id, from_caf(e, link_.peer())); });
}

void producer_sender::on_reply(uint64_t id, const schema::envelope& reply) {
  auto node = in_flight_.extract(id);
  if (node.empty())
    return;
  auto& batches = node.mapped();
  auto now = steady_clock::now();
  std::vector<finished> done;
  auto resp = decode_reply<schema::produce_response>(reply);
  for (auto& b : batches) {
    auto where = b.topic + "/" + std::to_string(b.partition.value);
    if (!resp) {
      retry_or_fail(std::move(b), resp.err(), now, done);
      continue;
    }
    auto& parts = resp->partitions;
    auto p = std::find_if(parts.begin(), parts.end(), [&](auto& x) {
      return x.partition == b.partition && x.topic == b.topic;
    });
    if (p == parts.end())
      done.push_back({std::move(b), offset{-1},
                      make_error(errc::protocol, "produce response has no result for " + where)});
    else if (!p->error.ok())
      retry_or_fail(std::move(b), from_server(p->error, where), now, done);
    else
      done.push_back({std::move(b), p->base_offset, {}});
  }
  complete(done);
  pump();
}

void producer_sender::on_request_error(uint64_t id, const client::error& e) {
  auto node = in_flight_.extract(id);
  if (node.empty())
    return;
  auto now = steady_clock::now();
  std::vector<finished> done;
  for (auto& b : node.mapped())
    retry_or_fail(std::move(b), e, now, done);
  complete(done);
  pump();
}

void producer_sender::retry_or_fail(producer_batch b, const client::error& e,
                                    steady_clock::time_point now, std::vector<finished>& done) {
  bool expired = now - b.created >= config_.delivery_timeout;
  if (!e.retriable() || expired || b.attempts > config_.retries) {
    done.push_back({std::move(b), offset{-1}, e});
    return;
  }
  auto shift = std::min(b.attempts - 1, 16);
  auto backoff = std::min<milliseconds>(config_.retry_backoff * (int64_t{1} << shift),
                                        config_.retry_backoff_max);
  backoff_.push_back({now + backoff, std::move(b)});
}

// Callbacks run before the records stop counting as incomplete, so flush() returns only
// after every callback of the records it waited for has run.
void producer_sender::complete(std::vector<finished>& done) {
  if (done.empty())
    return;
  size_t bytes = 0;
  uint64_t records = 0;
  uint64_t failed = 0;
  const client::error* last_error = nullptr;
  for (auto& f : done) {
    if (!f.error.ok()) {
      failed += f.batch.record_count;
      last_error = &f.error;
    }
    delivery_report r{f.batch.partition, offset{-1}, f.error};
    for (auto& [index, cb] : f.batch.callbacks) {
      r.off = f.base.value >= 0 && f.error.ok() ? f.base + index : offset{-1};
      cb(r);
    }
    bytes += f.batch.reserved_bytes;
    records += f.batch.record_count;
  }
  {
    std::lock_guard lock{shared_->mtx};
    shared_->acc.release(bytes);
    shared_->incomplete_records -= records;
    shared_->acked_records += records - failed;
    shared_->failed_records += failed;
    if (last_error)
      shared_->last_error = *last_error;
  }
  done.clear();
  shared_->changed.notify_all();
}

void producer_sender::arm_timer(steady_clock::time_point at) {
  if (timer_at_ && *timer_at_ <= at)
    return;
  timer_at_ = at;
  auto delay = std::max(at - steady_clock::now(), steady_clock::duration::zero());
  delayed_send(this, duration_cast<microseconds>(delay) + microseconds{1}, caf::timeout_atom_v);
}

} // namespace sluice::client

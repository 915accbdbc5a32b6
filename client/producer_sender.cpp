#include "client/producer_sender.hpp"

#include "client/reply.hpp"
#include "client/topic_metadata.hpp"
#include "schema/produce.hpp"
#include "schema/producer_id.hpp"
#include "schema/txn.hpp"
#include "store/batch.hpp"
#include "store/producer_state.hpp"
#include "schema/type_ids.hpp"

#include <algorithm>
#include <set>

namespace sluice::client {

using namespace std::chrono;

producer_sender::producer_sender(caf::actor_config& cfg, std::shared_ptr<producer_shared> shared,
                                 node_link bootstrap, bool routed, producer_config config)
  : caf::event_based_actor(cfg),
    shared_(std::move(shared)),
    config_(config),
    router_(this, std::move(bootstrap), routed,
            cluster_router::options{config.retry_backoff, config.reconnect_backoff_max,
                                    config.metadata_max_age, config.request_timeout},
            cluster_router::hooks{[this] { pump(); },
                                  [this](const schema::metadata_response& md) { on_metadata(md); },
                                  [this](const client::error& e) { last_error_ = e; }}),
    idempotent_(config.idempotent() || config.transactional()),
    transactional_(config.transactional()) {}

caf::behavior producer_sender::make_behavior() {
  router_.start();
  set_down_handler([this](caf::down_msg& dm) {
    for (auto link : router_.on_down(dm))
      on_link_lost(link);
  });
  return {
    [this](caf::tick_atom) {
      shared_->wake_pending = false;
      pump();
    },
    [this](caf::timeout_atom, int64_t due) {
      timer_.fired(due);
      pump();
    },
    [this](caf::close_atom) { abort_all(); },
  };
}

size_t& producer_sender::in_flight_on(link_id link) {
  if (link >= in_flight_per_link_.size())
    in_flight_per_link_.resize(link + 1, 0);
  return in_flight_per_link_[link];
}

// Requests on a lost link never get an answer (CAF does not fail them; they would only time
// out): their batches go back for a retry, to whoever leads their partitions by then. Oldest
// request first, so that a partition's batches come back in their order.
void producer_sender::on_link_lost(link_id link) {
  auto now = steady_clock::now();
  auto e = make_error(errc::unreachable, "lost connection to " + router_.link(link).peer());
  if (!router_.routed())
    last_error_ = e;
  std::vector<finished> done;
  for (auto i = in_flight_.begin(); i != in_flight_.end();) {
    if (i->second.link != link) {
      ++i;
      continue;
    }
    for (auto& b : i->second.batches)
      retry_or_fail(std::move(b), e, now, done);
    i = in_flight_.erase(i);
  }
  in_flight_on(link) = 0;
  complete(done);
  pump();
}

// close() gave up waiting: every record not yet complete fails with errc::closed. Late
// answers to requests in flight find no entry and are ignored.
void producer_sender::abort_all() {
  auto e = make_error(errc::closed, "producer closed before the record was acknowledged");
  std::vector<finished> done;
  for (auto& [id, req] : in_flight_)
    for (auto& b : req.batches)
      done.push_back({std::move(b), offset{-1}, e});
  in_flight_.clear();
  std::fill(in_flight_per_link_.begin(), in_flight_per_link_.end(), 0);
  complete(done);
  fail_everything(e);
}

// Everything not in flight: queued, backing off, still in the accumulator.
void producer_sender::fail_everything(const client::error& e) {
  std::vector<finished> done;
  for (auto& b : queue_)
    done.push_back({std::move(b), offset{-1}, e});
  queue_.clear();
  parked_ = 0;
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
  take_due_retries(now);
  auto& bootstrap = router_.link(cluster_router::bootstrap_id);
  if (!router_.routed() && !bootstrap.up()) {
    // An attached in-process node that went away: nothing will ever take these.
    fail_everything(last_error_.ok() ? make_error(errc::unreachable, "lost connection to " + bootstrap.peer())
                                     : last_error_);
    return;
  }
  wake_at_.reset();
  std::optional<steady_clock::time_point> linger_deadline;
  drain_accumulator(now, linger_deadline);
  if (transactional_)
    adopt_transaction();
  else if (idempotent_ && pid_.value < 0)
    request_producer_id(now);
  std::vector<finished> done;
  send_planned(now, done);
  complete(done);
  if (linger_deadline && in_flight_.size() < router_.leader_count() * config_.max_in_flight)
    wake_at(*linger_deadline);
  for (auto& r : backoff_)
    wake_at(r.due);
  if (auto at = router_.poll(now))
    wake_at(std::max(*at, now));
  if (wake_at_)
    timer_.arm(this, *wake_at_);
}

void producer_sender::wake_at(steady_clock::time_point at) {
  if (!wake_at_ || at < *wake_at_)
    wake_at_ = at;
}

// Retries whose backoff passed go first, in the order they became due.
void producer_sender::take_due_retries(steady_clock::time_point now) {
  if (backoff_.empty())
    return;
  std::stable_sort(backoff_.begin(), backoff_.end(), [](auto& a, auto& b) { return a.due < b.due; });
  auto due_end = std::find_if(backoff_.begin(), backoff_.end(), [&](auto& r) { return r.due > now; });
  std::vector<producer_batch> due;
  for (auto i = backoff_.begin(); i != due_end; ++i)
    due.push_back(std::move(i->batch));
  backoff_.erase(backoff_.begin(), due_end);
  queue_.insert(queue_.begin(), std::make_move_iterator(due.begin()), std::make_move_iterator(due.end()));
}

// Takes from the accumulator what the free request slots can carry, so that open batches keep
// filling while requests are in flight. Batches waiting for a route do not count: they wait
// here, where delivery.timeout.ms fails them, and do not hold back other partitions'.
void producer_sender::drain_accumulator(steady_clock::time_point now,
                                        std::optional<steady_clock::time_point>& linger_deadline) {
  size_t per_request = std::max<size_t>(1, config_.max_request_bytes / std::max<size_t>(1, config_.batch_bytes));
  size_t capacity = router_.leader_count() * config_.max_in_flight;
  size_t want = (capacity - std::min(capacity, in_flight_.size())) * per_request;
  size_t sendable = queue_.size() - std::min(queue_.size(), parked_);
  if (sendable >= want)
    return;
  std::lock_guard lock{shared_->mtx};
  bool all = shared_->drain_all > 0;
  for (auto& b : shared_->acc.drain(now, want - sendable, all))
    queue_.push_back(std::move(b));
  linger_deadline = shared_->acc.next_linger_deadline();
}

// Routes every queued batch, fails those that cannot be sent ever (unknown topic) or any more
// (delivery.timeout.ms passed while waiting), and sends what the plan packs into requests.
void producer_sender::send_planned(steady_clock::time_point now, std::vector<finished>& done) {
  // Partitions with a retry backing off: their queued batches wait for it (order). With
  // max.in.flight 1, also those with a batch in flight (see producer_config::max_in_flight).
  std::set<std::pair<std::string_view, int32_t>> retrying;
  for (auto& r : backoff_)
    retrying.emplace(r.batch.topic, r.batch.partition.value);
  if (config_.max_in_flight == 1)
    for (auto& [id, req] : in_flight_)
      for (auto& b : req.batches)
        retrying.emplace(b.topic, b.partition.value);
  // Idempotence: nothing goes before the producer id, and at most
  // max_in_flight_per_partition batches of a partition are in flight (counting those this
  // round may send: a batch over the bound stays, and with it the later ones of its partition).
  bool can_send = !idempotent_ || pid_.value >= 0;
  std::map<std::pair<std::string_view, int32_t>, size_t> partition_load;
  if (idempotent_)
    for (auto& [id, req] : in_flight_)
      for (auto& b : req.batches)
        ++partition_load[{b.topic, b.partition.value}];
  std::deque<producer_batch> kept;
  std::vector<std::optional<link_id>> links;
  std::optional<steady_clock::time_point> first_expiry;
  std::set<std::pair<std::string, int32_t>> to_add; // transactions: not yet in the open one
  parked_ = 0;
  for (auto& b : queue_) {
    std::optional<link_id> link;
    cluster_router::target t;
    if (retrying.empty() || !retrying.contains({b.topic, b.partition.value})) {
      t = router_.route(b.topic, b.partition, now);
      if (t.what == cluster_router::target::kind::unknown_topic) {
        // send() checked that the topic exists, so metadata without it is more likely a
        // broker that restarted and has not caught up than a deleted topic: the batch waits
        // for fresh metadata until delivery.timeout.ms, as Kafka's producer waits.
        b.last_error = unknown_topic(b.topic);
        router_.request_refresh();
      }
      if (t.what == cluster_router::target::kind::ready && can_send)
        link = t.link;
      if (link && transactional_ && !txn_partitions_.contains({b.topic, b.partition.value})) {
        to_add.emplace(b.topic, b.partition.value);
        link.reset();
      }
      if (link && idempotent_
          && partition_load[{b.topic, b.partition.value}]++ >= config_.max_in_flight_per_partition)
        link.reset();
    }
    if (!link) {
      auto expires = b.created + config_.delivery_timeout;
      if (now >= expires) {
        auto e = expiry_error(b, t);
        done.push_back({std::move(b), offset{-1}, std::move(e)});
        continue;
      }
      ++parked_;
      first_expiry = std::min(first_expiry.value_or(expires), expires);
    }
    kept.push_back(std::move(b));
    links.push_back(link);
  }
  queue_ = std::move(kept);
  if (!to_add.empty())
    add_partitions(now, std::move(to_add));
  if (first_expiry)
    wake_at(*first_expiry);
  if (queue_.size() == parked_)
    return;
  std::vector<plan_batch> plan;
  plan.reserve(queue_.size());
  for (size_t i = 0; i < queue_.size(); ++i)
    plan.push_back({queue_[i].topic, queue_[i].partition, queue_[i].bytes.size(), links[i]});
  auto free_slots = [this](link_id l) { return config_.max_in_flight - std::min(config_.max_in_flight, in_flight_on(l)); };
  auto requests = plan_requests(plan, free_slots, config_.max_request_bytes);
  plan.clear(); // views into queue_, which changes below
  if (requests.empty())
    return;
  std::vector<bool> taken(queue_.size(), false);
  std::vector<std::vector<producer_batch>> batches(requests.size());
  for (size_t k = 0; k < requests.size(); ++k)
    for (auto i : requests[k].batches) {
      batches[k].push_back(std::move(queue_[i]));
      taken[i] = true;
    }
  std::deque<producer_batch> rest;
  for (size_t i = 0; i < queue_.size(); ++i)
    if (!taken[i])
      rest.push_back(std::move(queue_[i]));
  queue_ = std::move(rest);
  for (size_t k = 0; k < requests.size(); ++k)
    send_request(requests[k].link, std::move(batches[k]));
}

// Why a batch that waited for a route failed: the error of its last attempt, else what it
// waited for.
client::error producer_sender::expiry_error(const producer_batch& b, const cluster_router::target& t) {
  if (!b.last_error.ok())
    return b.last_error;
  auto where = b.topic + "/" + std::to_string(b.partition.value);
  if (t.what == cluster_router::target::kind::dialling)
    return make_error(errc::unreachable, where + ": its leader's " + router_.link(t.link).peer()
                                           + " stayed unreachable for delivery.timeout.ms");
  if (!last_error_.ok())
    return last_error_;
  return make_error(errc::timed_out, where + ": no leader to send to within delivery.timeout.ms");
}

void producer_sender::send_request(link_id link, std::vector<producer_batch> batches) {
  schema::produce_request req;
  req.acks = config_.acks;
  req.timeout_ms = static_cast<int32_t>(config_.request_timeout.count());
  req.partitions.reserve(batches.size());
  for (auto& b : batches) {
    if (idempotent_)
      stamp(b);
    ++b.attempts;
    req.partitions.push_back({b.topic, b.partition, std::move(b.bytes)});
  }
  auto env = schema::encode(req);
  // The bytes come back for a retry: encode copied them into the envelope.
  for (size_t i = 0; i < batches.size(); ++i)
    batches[i].bytes = std::move(req.partitions[i].records);
  auto id = next_request_id_++;
  in_flight_.emplace(id, request_in_flight{link, std::move(batches)});
  ++in_flight_on(link);
  auto& l = router_.link(link);
  request(l.node(), caf::duration{config_.request_timeout}, produce_atom_v, std::move(env))
    .then([this, id](schema::envelope& reply) { on_reply(id, reply); },
          [this, id, peer = l.peer()](caf::error& e) { on_request_error(id, from_caf(e, peer)); });
}

void producer_sender::on_reply(uint64_t id, const schema::envelope& reply) {
  auto node = in_flight_.extract(id);
  if (node.empty())
    return;
  --in_flight_on(node.mapped().link);
  auto& batches = node.mapped().batches;
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
    if (p == parts.end()) {
      done.push_back({std::move(b), offset{-1},
                      make_error(errc::protocol, "produce response has no result for " + where)});
    } else if (!p->error.ok()) {
      auto e = from_server(p->error, where);
      if (e.stale_leader() || unavailable_here(e))
        router_.invalidate(b.topic, b.partition);
      retry_or_fail(std::move(b), e, now, done);
    } else {
      done.push_back({std::move(b), p->base_offset, {}});
    }
  }
  complete(done);
  pump();
}

void producer_sender::on_request_error(uint64_t id, const client::error& e) {
  auto node = in_flight_.extract(id);
  if (node.empty())
    return;
  --in_flight_on(node.mapped().link);
  if (e.no_answer())
    router_.request_refresh();
  auto now = steady_clock::now();
  std::vector<finished> done;
  for (auto& b : node.mapped().batches)
    retry_or_fail(std::move(b), e, now, done);
  complete(done);
  pump();
}

// retry.backoff.ms doubled per earlier failure, up to retry.backoff.max.ms.
milliseconds producer_sender::backoff_after(int failures) const {
  auto shift = std::min(std::max(failures, 0), 16);
  return std::min<milliseconds>(config_.retry_backoff * (int64_t{1} << shift), config_.retry_backoff_max);
}

void producer_sender::retry_or_fail(producer_batch b, const client::error& e,
                                    steady_clock::time_point now, std::vector<finished>& done) {
  bool expired = now - b.created >= config_.delivery_timeout;
  if (!retriable(b, e) || expired || b.attempts > config_.retries) {
    done.push_back({std::move(b), offset{-1}, e});
    return;
  }
  b.last_error = e;
  auto backoff = backoff_after(b.attempts - 1);
  backoff_.push_back({now + backoff, std::move(b)});
}

// Fresh metadata: a broker answered, and partition counts that grew are taken up by the
// partitioner (as Kafka's producer does).
void producer_sender::on_metadata(const schema::metadata_response& md) {
  last_error_ = {};
  std::lock_guard lock{shared_->mtx};
  for (auto& t : md.topics) {
    if (!t.error.ok() || t.partitions.empty())
      continue;
    auto* known = shared_->acc.find_topic(t.name);
    if (!known)
      continue;
    int32_t count = 0;
    for (auto& p : t.partitions)
      count = std::max(count, p.partition.value + 1);
    if (count > shared_->acc.partitions(*known))
      shared_->acc.set_topic(t.name, count);
  }
}

// -- idempotence ------------------------------------------------------------------------

// For requests any node answers (producer ids) or forwards (to a transaction coordinator).
std::optional<link_id> producer_sender::first_link_up() {
  for (link_id i = 0; i < router_.link_count(); ++i)
    if (router_.link(i).up())
      return i;
  return std::nullopt;
}

// Any node answers (from its block of producer ids); the first link that is up asks.
void producer_sender::request_producer_id(steady_clock::time_point now) {
  if (pid_in_flight_)
    return;
  if (now < pid_retry_at_) {
    wake_at(pid_retry_at_);
    return;
  }
  auto up = first_link_up();
  if (!up)
    return; // a link coming up pumps again
  pid_in_flight_ = true;
  auto& l = router_.link(*up);
  request(l.node(), caf::duration{config_.request_timeout}, init_producer_id_atom_v,
          schema::encode(schema::init_producer_id_request{}))
    .then(
      [this, peer = l.peer()](schema::envelope& reply) {
        pid_in_flight_ = false;
        auto r = decode_reply<schema::init_producer_id_response>(reply);
        if (!r)
          return on_producer_id_failed(r.err());
        if (!r->error.ok() || r->id.value < 0 || r->epoch.value < 0)
          return on_producer_id_failed(r->error.ok()
                                         ? make_error(errc::protocol, peer + " answered no producer id")
                                         : from_server(r->error, "producer id from " + peer));
        pid_ = r->id;
        epoch_ = r->epoch;
        next_sequence_.clear();
        pid_failures_ = 0;
        pump();
      },
      [this, peer = l.peer()](caf::error& err) {
        pid_in_flight_ = false;
        on_producer_id_failed(from_caf(err, peer));
      });
}

// Batches wait for the id until delivery.timeout.ms and then fail with why it was not had.
void producer_sender::on_producer_id_failed(const client::error& e) {
  last_error_ = e;
  pid_retry_at_ = steady_clock::now() + backoff_after(pid_failures_++);
  if (e.no_answer())
    router_.request_refresh();
  pump();
}

// A batch keeps its stamp across retries; one of an older epoch (see bump_epoch) gets the
// partition's next sequence under the current one.
void producer_sender::stamp(producer_batch& b) {
  if (b.base_sequence >= 0 && b.pid == pid_ && b.epoch == epoch_)
    return;
  auto& next = next_sequence_[{b.topic, b.partition.value}];
  b.pid = pid_;
  b.epoch = epoch_;
  b.base_sequence = next;
  // The leader numbers a batch's records base_sequence .. base + last_offset_delta (our
  // batches have no offset gaps: record_count - 1).
  next = store::last_sequence(next, b.record_count);
  store::set_producer_fields(b.bytes, pid_.value, epoch_.value, b.base_sequence, transactional_);
}

// KIP-360 for a producer without transactions: a new epoch of the same id, its sequences
// starting at 0 in every partition (the leaders take a higher epoch only at sequence 0).
void producer_sender::bump_epoch() {
  next_sequence_.clear();
  if (epoch_.value == std::numeric_limits<int16_t>::max()) {
    pid_ = no_producer_id; // a new id, before anything else goes
    epoch_ = no_producer_epoch;
    return;
  }
  ++epoch_;
}

// -- transactions ----------------------------------------------------------------------

// The application thread's latest init_transactions() and begin_transaction() (the sender
// pumps after each): a new epoch numbers every partition from 0, a new transaction starts
// with no partition added.
void producer_sender::adopt_transaction() {
  std::lock_guard lock{shared_->mtx};
  if (shared_->txn_pid != pid_ || shared_->txn_epoch != epoch_) {
    pid_ = shared_->txn_pid;
    epoch_ = shared_->txn_epoch;
    next_sequence_.clear();
  }
  if (shared_->txn_generation != txn_generation_) {
    txn_generation_ = shared_->txn_generation;
    txn_partitions_.clear();
  }
}

void producer_sender::add_partitions(steady_clock::time_point now,
                                     std::set<std::pair<std::string, int32_t>> partitions) {
  if (add_in_flight_)
    return; // its answer pumps again
  if (now < add_retry_at_) {
    wake_at(add_retry_at_);
    return;
  }
  auto up = first_link_up();
  if (!up)
    return; // a link coming up pumps again
  schema::add_partitions_to_txn_request req{config_.transactional_id, pid_, epoch_, {}};
  for (auto& [topic, p] : partitions)
    req.partitions.push_back({topic, partition_id{p}});
  add_in_flight_ = true;
  auto& l = router_.link(*up);
  request(l.node(), caf::duration{config_.request_timeout}, add_partitions_to_txn_atom_v,
          schema::encode(req))
    .then(
      [this, partitions = std::move(partitions), generation = txn_generation_,
       peer = l.peer()](schema::envelope& reply) mutable {
        add_in_flight_ = false;
        auto r = decode_reply<schema::add_partitions_to_txn_response>(reply);
        if (!r)
          return on_add_partitions_failed(r.err());
        if (!r->error.ok())
          return on_add_partitions_failed(from_server(r->error, "adding partitions to the transaction"));
        add_failures_ = 0;
        if (generation == txn_generation_)
          txn_partitions_.merge(partitions);
        pump();
      },
      [this, peer = l.peer()](caf::error& err) {
        add_in_flight_ = false;
        on_add_partitions_failed(from_caf(err, peer));
      });
}

// Retriable: the batches wait (bounded by delivery.timeout.ms) and the next pump asks again.
// Anything else fails the transaction's waiting batches; fenced is fatal for the producer.
void producer_sender::on_add_partitions_failed(const client::error& e) {
  bool retry = e.retriable() || e.no_answer()
               || (e.code == errc::server && e.server == schema::errc::not_controller);
  if (retry) {
    last_error_ = e;
    // The previous transaction's markers are being written, which takes a round trip or two:
    // ask again soon (Kafka's producer retries this one after 20 ms, not retry.backoff.ms).
    auto backoff = std::min<milliseconds>(config_.retry_backoff, milliseconds{20});
    if (e.code != errc::server || e.server != schema::errc::concurrent_transactions)
      backoff = backoff_after(add_failures_++);
    add_retry_at_ = steady_clock::now() + backoff;
    pump();
    return;
  }
  if (e.fenced()) {
    std::lock_guard lock{shared_->mtx};
    shared_->txn = txn_phase::fatal;
    shared_->txn_fatal = e;
  }
  // Only batches waiting for their partition to be added fail; the rest go on.
  std::vector<finished> done;
  std::deque<producer_batch> kept;
  for (auto& b : queue_) {
    if (txn_partitions_.contains({b.topic, b.partition.value}))
      kept.push_back(std::move(b));
    else
      done.push_back({std::move(b), offset{-1}, e});
  }
  queue_ = std::move(kept);
  parked_ = 0;
  complete(done);
  pump();
}

bool producer_sender::retriable(const producer_batch& b, const client::error& e) const {
  if (e.retriable() || unavailable_here(e))
    return true;
  // Fenced because this producer moved to a newer epoch meanwhile: stamped anew, it goes again.
  return idempotent_ && e.fenced()
         && b.base_sequence >= 0 && (b.pid != pid_ || b.epoch < epoch_);
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
  bool gap = false;
  for (auto& f : done) {
    if (!f.error.ok()) {
      failed += f.batch.record_count;
      last_error = &f.error;
      // A stamped batch of the current epoch that failed for good: its sequences never
      // landed, and every later batch of its partition would be refused out of order.
      gap = gap || (idempotent_ && f.batch.base_sequence >= 0 && f.batch.pid == pid_
                    && f.batch.epoch == epoch_);
      if (transactional_) {
        std::lock_guard lock{shared_->mtx};
        if (f.error.fenced()
            && f.batch.epoch == epoch_) {
          shared_->txn = txn_phase::fatal;
          shared_->txn_fatal = f.error;
        }
        shared_->txn_abortable = f.error;
      }
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
  // A transactional producer's epoch comes from its coordinator (end_transaction re-inits).
  if (gap && !transactional_)
    bump_epoch();
  done.clear();
  shared_->changed.notify_all();
}

} // namespace sluice::client

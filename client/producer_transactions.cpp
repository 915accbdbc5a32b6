// A transactional producer's calls (producer.hpp, "Transactions"): the application thread
// talks to the transaction coordinator through the home node, which forwards to the node
// leading the transactional.id's partition of __transaction_state. The sender actor adds
// partitions to the transaction as their first batches leave (producer_sender.hpp).

#include "client/producer.hpp"

#include "client/producer_shared.hpp"
#include "schema/producer_id.hpp"

#include <thread>

namespace sluice::client {

using namespace std::chrono;

namespace {

// Not a client::error's retriable(): those concern partition requests. A coordinator that
// moved, is loading, or still completes the previous transaction answers later.
bool coordinator_retriable(const client::error& e) {
  if (e.retriable() || e.no_answer())
    return true;
  return e.code == errc::server
         && (e.server == schema::errc::not_controller || e.server == schema::errc::unknown_topic_or_partition
             || e.server == schema::errc::not_enough_replicas);
}

} // namespace

template <class Response, class Atom, class Request>
result<Response> producer::txn_call(Atom atom, const Request& req, const char* what) {
  auto deadline = steady_clock::now() + config_.max_block;
  auto backoff = config_.retry_backoff;
  for (;;) {
    auto r = conn_->call<Response>(atom, req);
    client::error e = !r ? r.err() : from_server(r->error, what);
    if (e.ok())
      return r;
    if (!coordinator_retriable(e) || steady_clock::now() + backoff >= deadline) {
      if (e.fenced()) {
        std::lock_guard lock{shared_->mtx};
        shared_->txn = txn_phase::fatal;
        shared_->txn_fatal = e;
      }
      return e;
    }
    // concurrent_transactions: the previous transaction's markers take a round trip or two.
    bool completing = e.code == errc::server && e.server == schema::errc::concurrent_transactions;
    std::this_thread::sleep_for(completing ? std::min<milliseconds>(backoff, milliseconds{20}) : backoff);
    if (!completing)
      backoff = std::min(backoff * 2, config_.retry_backoff_max);
  }
}

status producer::txn_error() const {
  std::lock_guard lock{shared_->mtx};
  if (shared_->txn == txn_phase::none)
    return make_error(errc::invalid_argument, "not a transactional producer (no transactional.id)");
  if (shared_->txn == txn_phase::fatal)
    return shared_->txn_fatal;
  return {};
}

status producer::init_transactions() {
  if (auto st = txn_error(); !st)
    return st;
  if (!config_.idempotent())
    return make_error(errc::invalid_argument, "a transactional producer needs acks=all and idempotence");
  producer_id id;
  producer_epoch epoch;
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->txn == txn_phase::in_transaction)
      return make_error(errc::invalid_argument, "init_transactions inside a transaction");
    // Again after an abort with a failed batch: the epoch is bumped (KIP-360), so the
    // partitions' sequences start afresh.
    id = shared_->txn_pid;
    epoch = shared_->txn_epoch;
  }
  schema::init_producer_id_request req{config_.transactional_id, id, epoch,
                                       static_cast<int32_t>(config_.transaction_timeout.count())};
  auto r = txn_call<schema::init_producer_id_response>(init_producer_id_atom_v, req,
                                                       "init_transactions");
  if (!r)
    return r.err();
  if (r->id.value < 0 || r->epoch.value < 0)
    return make_error(errc::protocol, "init_transactions: the coordinator answered no producer id");
  {
    std::lock_guard lock{shared_->mtx};
    shared_->txn_pid = r->id;
    shared_->txn_epoch = r->epoch;
    shared_->txn_abortable = {};
    shared_->txn = txn_phase::ready;
  }
  wake_sender();
  return {};
}

status producer::begin_transaction() {
  if (auto st = txn_error(); !st)
    return st;
  std::lock_guard lock{shared_->mtx};
  if (shared_->txn == txn_phase::uninitialized)
    return make_error(errc::invalid_argument, "begin_transaction before init_transactions");
  if (shared_->txn == txn_phase::in_transaction)
    return make_error(errc::invalid_argument, "begin_transaction inside a transaction");
  shared_->txn = txn_phase::in_transaction;
  shared_->txn_abortable = {};
  ++shared_->txn_generation;
  return {};
}

status producer::send_offsets_to_transaction(
  const std::string& group, const std::vector<schema::txn_offset_commit_request::partition_offset>& offsets) {
  if (auto st = txn_error(); !st)
    return st;
  schema::txn_offset_commit_request req{config_.transactional_id, no_producer_id, no_producer_epoch,
                                        group, offsets};
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->txn != txn_phase::in_transaction)
      return make_error(errc::invalid_argument, "send_offsets_to_transaction outside a transaction");
    req.id = shared_->txn_pid;
    req.epoch = shared_->txn_epoch;
  }
  auto r = txn_call<schema::txn_offset_commit_response>(txn_offset_commit_atom_v, req,
                                                        "send_offsets_to_transaction");
  return r ? status{} : status{r.err()};
}

status producer::commit_transaction() { return end_transaction(true); }
status producer::abort_transaction() { return end_transaction(false); }

// Every record of the transaction completes before EndTxn: a commit must not be decided
// while one of its batches may still land after the marker (it would fall outside the
// transaction), and an abort's marker must follow every batch it hides.
status producer::end_transaction(bool commit) {
  const char* what = commit ? "commit_transaction" : "abort_transaction";
  if (auto st = txn_error(); !st)
    return st;
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->txn != txn_phase::in_transaction)
      return make_error(errc::invalid_argument, std::string{what} + " outside a transaction");
  }
  if (!flush(config_.delivery_timeout + config_.request_timeout))
    return make_error(errc::timed_out, std::string{what} + ": the transaction's records did not complete");
  schema::end_txn_request req{config_.transactional_id, no_producer_id, no_producer_epoch, commit};
  bool gap = false;
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->txn == txn_phase::fatal)
      return shared_->txn_fatal;
    if (commit && !shared_->txn_abortable.ok())
      return error{shared_->txn_abortable.code, shared_->txn_abortable.server,
                   "commit_transaction: a record of the transaction failed, abort it: "
                     + shared_->txn_abortable.to_string()};
    gap = !shared_->txn_abortable.ok();
    req.id = shared_->txn_pid;
    req.epoch = shared_->txn_epoch;
  }
  auto r = txn_call<schema::end_txn_response>(end_txn_atom_v, req, what);
  if (!r && !commit && r.err().code == errc::server
      && r.err().server == schema::errc::transactional_id_not_found) {
    // The coordinator removed the id (transactional.id.expiration.ms passed while this
    // producer idled): nothing of it is open there to abort. Registering again gives a new
    // producer id, as Kafka's producer re-initialises after an abortable error (KIP-360).
    {
      std::lock_guard lock{shared_->mtx};
      shared_->txn = txn_phase::ready;
    }
    return init_transactions();
  }
  if (!r)
    return r.err();
  {
    std::lock_guard lock{shared_->mtx};
    shared_->txn = txn_phase::ready;
  }
  // A failed batch left its partition's sequences with a gap the leader will refuse: a new
  // epoch from the coordinator numbers every partition from 0 again.
  if (gap)
    return init_transactions();
  return {};
}

} // namespace sluice::client

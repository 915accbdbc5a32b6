#pragma once

// The transaction coordinator's protocol (issue 9; Kafka's KIP-98, TransactionCoordinator.scala
// and TransactionMetadata.scala) as a pure state machine: no CAF, no clock, no I/O. Every input
// carries the current time in ms; every output is a return value (txn_effects) the actor shell
// (actors/txn_manager.hpp) carries out and reports back:
//
//   writes         append the record to the id's partition of __transaction_state (acks=all),
//                  then report written() or write_failed(). At most one write per id is in
//                  flight; requests meanwhile are answered concurrent_transactions. A record
//                  without a value (a tombstone) removes an expired id.
//   replies        answer the request the shell registered under `token`.
//   markers        send a WriteTxnMarkers for these partitions; report marker_result() per
//                  partition.
//   group_commits  write these offsets to the group; report offsets_result().
//
// Per transactional id (states and transitions: actors/txn_record.hpp):
//   InitProducerId  Empty/Complete*: epoch + 1 (a new producer id when the epoch would pass
//                   max_producer_epoch), answered once durable. Ongoing: aborted first with an
//                   epoch bump (fencing the old incarnation), answered concurrent_transactions
//                   until the abort completes. Prepare*: concurrent_transactions.
//   AddPartitions,  Empty/Complete*/Ongoing -> Ongoing (start time set when it begins),
//   TxnOffsetCommit answered once durable; Prepare*: concurrent_transactions.
//   EndTxn          Ongoing -> Prepare* answered once durable (the decision point); then the
//                   markers to every partition and, on commit, the offsets to every group; then
//                   Complete*. A retry of a completed decision succeeds; anything else outside
//                   Ongoing is invalid_txn_state (Prepare*: concurrent_transactions).
//   tick            an Ongoing transaction older than its timeout is aborted with an epoch bump;
//                   markers and offsets refused retriably are sent again after a backoff; an
//                   Empty/Complete* id unchanged for id_expiration_ms is removed (a tombstone,
//                   pending as Dead): once durable it is forgotten, and its next InitProducerId
//                   gets a new producer id at epoch 0, as for an id never seen.
//   load            a transaction found in Prepare* (a new leader, a restart) is driven on:
//                   markers and offsets again, then Complete*.
// A request with another producer id, or an older or newer epoch, than the id's is fenced:
// invalid_producer_epoch.
//
// Invariants (checked by tests/sim/txn_coordinator_sim_test.cpp after every step):
//   - an id's (producer id, epoch) written to the log never decreases;
//   - a durable PrepareCommit is followed by CompleteCommit only (and PrepareAbort by
//     CompleteAbort): a decision never changes;
//   - markers and group offsets of a decision go out only while its Prepare record is durable,
//     and Complete* is written only after every one of them was acknowledged;
//   - EndTxn is answered success only once its Prepare record is durable;
//   - every request registered is answered exactly once.

#include "actors/txn_record.hpp"
#include "schema/errc.hpp"
#include "schema/producer_id.hpp"
#include "schema/txn.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

// The highest epoch handed to a producer; an abort that fences a producer at this epoch may
// still bump it once (to INT16_MAX), after which the id gets a new producer id.
inline constexpr int16_t max_producer_epoch = INT16_MAX - 1;

struct txn_limits {
  int32_t max_timeout_ms = 15 * 60 * 1000; // Kafka's transaction.max.timeout.ms
  int64_t retry_backoff_min_ms = 100;      // markers, group offsets, a failed Complete* write
  int64_t retry_backoff_max_ms = 5'000;
  // Kafka's transactional.id.expiration.ms: an id with no transaction open or ending whose
  // state has not changed for this long is removed.
  int64_t id_expiration_ms = int64_t{7} * 24 * 3600 * 1000;
};

using txn_token = uint64_t; // the shell's name for a request it holds the reply of

struct txn_reply {
  txn_token token = 0;
  schema::error error;
  producer_id id = no_producer_id; // InitProducerId's answer
  producer_epoch epoch = no_producer_epoch;
};

struct txn_markers {
  std::string transactional_id;
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  bool commit = false;
  std::vector<schema::txn_topic_partition> partitions;
};

struct txn_group_commit {
  std::string transactional_id;
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  std::string group;
  std::vector<txn_offset> offsets;
};

struct txn_effects {
  std::vector<txn_record> writes; // no value: a tombstone (the id expired)
  std::vector<txn_reply> replies;
  std::vector<txn_markers> markers;
  std::vector<txn_group_commit> group_commits;

  void append(txn_effects&& o);
  bool empty() const {
    return writes.empty() && replies.empty() && markers.empty() && group_commits.empty();
  }
};

// What a marker or a group commit's answer means for the transaction.
enum class delivery_outcome : uint8_t {
  done,  // written, or nothing left to write (the topic was deleted, a newer epoch ended it)
  retry, // try again after a backoff (not the leader, unreachable, timed out, ...)
};

// Kafka's rules for WriteTxnMarkers answers: none, unknown_topic_or_partition (a deleted
// topic) and invalid_producer_epoch (a newer epoch ended the txn already) are done.
delivery_outcome classify_marker_error(schema::errc e);
// A group commit: none is done; a refusal that retrying cannot change (a bad group id) is
// done too, so one bad group cannot wedge the transaction; the rest are retried.
delivery_outcome classify_group_commit_error(schema::errc e);

class txn_coordinator {
public:
  explicit txn_coordinator(txn_limits limits = {}) : limits_(limits) {}

  // Whether init_producer_id for `id` takes a fresh producer id (an id not known yet, or an
  // epoch that would pass max_producer_epoch): the shell gets one before calling it.
  bool needs_producer_id(std::string_view id) const;

  txn_effects init_producer_id(txn_token t, const schema::init_producer_id_request& r,
                               std::optional<producer_id> fresh, int64_t now_ms);
  txn_effects add_partitions(txn_token t, const schema::add_partitions_to_txn_request& r,
                             int64_t now_ms);
  txn_effects txn_offset_commit(txn_token t, const schema::txn_offset_commit_request& r,
                                int64_t now_ms);
  txn_effects end_txn(txn_token t, const schema::end_txn_request& r, int64_t now_ms);
  txn_effects tick(int64_t now_ms);

  // The outcome of the write of `id` the core asked for.
  txn_effects written(const std::string& id, int64_t now_ms);
  txn_effects write_failed(const std::string& id, const schema::error& why, int64_t now_ms);
  // Answers for the markers or group offsets of the decision (id, producer id, epoch); answers
  // for an older decision are ignored.
  txn_effects marker_result(const std::string& id, producer_id pid, producer_epoch epoch,
                            const schema::txn_topic_partition& tp, delivery_outcome o,
                            int64_t now_ms);
  txn_effects offsets_result(const std::string& id, producer_id pid, producer_epoch epoch,
                             const std::string& group, delivery_outcome o, int64_t now_ms);

  // The state the log holds for `id` (a partition loaded). A Prepare* is driven on.
  txn_effects load(const std::string& id, txn_metadata m, int64_t now_ms);
  // Forgets the ids `which` selects (their partition moved away); their waiting requests are
  // answered `why`.
  txn_effects unload(const std::function<bool(const std::string&)>& which, const schema::error& why);

  // The durable state of `id`, if it has one.
  const txn_metadata* find(std::string_view id) const;
  // Calls fn(id, durable state) for each id with one, in id order.
  void for_each(const std::function<void(const std::string&, const txn_metadata&)>& fn) const;
  // Markers not yet acknowledged, over every transaction being completed.
  size_t markers_pending() const;
  // Partitions / groups of `id`'s decision still waiting for their marker / offsets.
  std::vector<schema::txn_topic_partition> markers_left(std::string_view id) const;
  size_t size() const { return entries_.size(); }

private:
  struct retry_set {
    std::set<schema::txn_topic_partition> partitions;
    std::set<std::string> groups;
  };

  struct entry {
    std::optional<txn_metadata> durable; // nullopt: the id's first write is in flight
    std::optional<txn_metadata> pending; // the write in flight
    // The last write that failed: its outcome is unknown (an append that timed out may still
    // land), so what follows must be right either way. Later epochs are computed above it,
    // producers it would have fenced stay fenced, and a Prepare* in it fixes the decision:
    // the transaction can only end that way. Cleared by the next durable write.
    std::optional<txn_metadata> uncertain;
    std::optional<txn_token> waiter;     // answered when `pending` is durable (or failed)
    bool waiter_wants_id = false;        // an InitProducerId: the answer carries id and epoch
    // While durable is Prepare*: what is not yet acknowledged, and what waits for a retry.
    std::set<schema::txn_topic_partition> markers_left;
    std::set<std::string> groups_left;
    retry_set waiting;
    int64_t retry_at_ms = 0;  // when `waiting` (or a failed Complete* write) goes out again
    int64_t backoff_ms = 0;
    bool complete_due = false; // Complete* is to be written (after a failed attempt)
  };

  // The newest state of an entry: pending if a write is in flight, else durable.
  static const txn_metadata& latest(const entry& e) { return e.pending ? *e.pending : *e.durable; }

  txn_effects write(const std::string& id, entry& e, txn_metadata next,
                    std::optional<txn_token> waiter, bool wants_id);
  // Aborts e's ongoing transaction with an epoch bump (InitProducerId over it, or a timeout).
  txn_effects fence_and_abort(const std::string& id, entry& e, int64_t now_ms);
  // e's durable Prepare* record: send everything of its decision, or write Complete*.
  txn_effects drive(const std::string& id, entry& e, int64_t now_ms);
  txn_effects complete_if_done(const std::string& id, entry& e, int64_t now_ms);
  // Writes the uncertain Prepare* again (the only decision the transaction may still take).
  txn_effects redo_decision(const std::string& id, entry& e, std::optional<txn_token> waiter,
                            int64_t now_ms);
  // The epoch above every epoch e may have written.
  static producer_epoch next_epoch(const entry& e);
  void schedule_retry(entry& e, int64_t now_ms);
  bool expired(const entry& e, int64_t now_ms) const;
  // The checks every producer request makes: known id, same producer id and epoch, no write
  // in flight, not completing. Sets `err` and returns nullptr when refused.
  entry* admit(const std::string& id, producer_id pid, producer_epoch epoch, schema::error& err);
  txn_effects begin_or_extend(txn_token t, const std::string& id, producer_id pid,
                              producer_epoch epoch, int64_t now_ms,
                              const std::function<bool(txn_metadata&)>& change);

  txn_limits limits_;
  std::map<std::string, entry, std::less<>> entries_;
};

} // namespace sluice::actors

#pragma once

// sluice::producer: send records to topics, batched per partition (batch.size, linger.ms),
// up to max.in.flight produce requests outstanding, retried on retriable errors, each record
// completed once with its offset (a callback or a future). Thread safe: any number of
// threads may send; flush() and close() must not be called from a delivery callback.
//
// Transactions (producer_config::transactional_id; Kafka's KIP-98): init_transactions() once,
// then begin_transaction(), sends, optionally send_offsets_to_transaction() (the consumed
// positions of a consume-transform-produce job, committed with the output), and
// commit_transaction() or abort_transaction(). read_committed consumers see a transaction's
// records all together once it commits, and never those of an aborted one. Sends outside a
// transaction are refused. Errors:
//   - abortable: a record of the transaction failed; commit_transaction() refuses, and
//     abort_transaction() ends it (the producer goes on with the next transaction);
//   - fatal: a newer producer with the same transactional.id (or the coordinator, after the
//     transaction timed out) fenced this one; every call fails, close it.
// The transactional calls block the calling thread; use them from one thread.

#include "client/connection.hpp"
#include "client/delivery.hpp"
#include "client/producer_config.hpp"
#include "client/result.hpp"
#include "schema/txn.hpp"
#include "store/batch.hpp"

#include <caf/actor.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::client {

struct producer_shared;

// A record to send. Everything is a view: send() copies it into a batch before returning.
struct producer_record {
  std::string_view topic{};
  std::optional<std::string_view> key{};         // nullopt: a null key
  std::optional<std::string_view> value{};       // nullopt: a tombstone
  std::optional<partition_id> partition{};       // explicit, else murmur2(key), else sticky
  timestamp_ms timestamp = no_timestamp;         // no_timestamp: the time of send()
  std::span<const store::record_header> headers{};
  // Delayed delivery (README "Delayed delivery"): the record becomes visible in its partition
  // at deliver_at, or `delay_ms` after its timestamp; set at most one. The delay must be
  // within 1 s .. 30 days. The record is stored in __delayed until then: its delivery report
  // names that partition and offset. Not inside a transaction.
  std::optional<timestamp_ms> deliver_at{};
  std::optional<int64_t> delay_ms{};
};

struct producer_stats {
  uint64_t acked_records = 0;
  uint64_t failed_records = 0;
  client::error last_error; // of the latest failed record
};

class producer {
public:
  explicit producer(std::shared_ptr<connection> conn, producer_config config = {});
  ~producer(); // close()
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Appends the record to its partition's batch; `cb` (may be empty) runs once with the
  // outcome. An error here means the record was not accepted and `cb` will not run: unknown
  // topic, partition out of range, record larger than a batch may be, buffer.memory full
  // for max.block.ms (blocks meanwhile), producer closed.
  status send(const producer_record& r, delivery_callback cb);

  // As above with a future; a record that was not accepted gives a ready future holding the error.
  std::future<delivery_report> send(const producer_record& r);

  // Sends every buffered record now and waits until all records sent so far are complete,
  // or until `timeout`; returns whether they are.
  bool flush(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Waits up to `timeout` (no limit by default) for every record sent so far to complete,
  // fails the rest with errc::closed, then stops the sender. Further sends fail with
  // errc::closed.
  void close(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Records completed so far, for callers that send without callbacks.
  producer_stats stats() const;

  // The topic's partition count as this producer knows it (asks the node the first time).
  result<int32_t> partitions_for(std::string_view topic);

  // -- transactions (see above); each waits at most max.block.ms for the coordinator --

  // Registers the transactional.id with its coordinator: gets the producer id and a new
  // epoch, which fences older instances and ends (aborts, or completes a decided commit of)
  // their open transaction.
  status init_transactions();
  status begin_transaction();
  // The next positions of `group`'s consumer, committed to the group if and when this
  // transaction commits.
  status send_offsets_to_transaction(const std::string& group,
                                     const std::vector<schema::txn_offset_commit_request::partition_offset>& offsets);
  // Sends every record of the transaction, waits for them, then commits. An abortable error
  // leaves the transaction open for abort_transaction().
  status commit_transaction();
  // Waits for the records already sent (their outcome no longer matters) and aborts.
  status abort_transaction();

private:
  // send() of a record with a deliver-at time or a delay: to its __delayed partition.
  status send_delayed(const producer_record& r, delivery_callback cb);
  void wake_sender();
  // One transactional request to the coordinator (through the home node), retried while its
  // error is retriable, until max.block.ms.
  template <class Response, class Atom, class Request>
  result<Response> txn_call(Atom atom, const Request& req, const char* what);
  status end_transaction(bool commit);
  status txn_error() const; // the fatal error, if any

  std::shared_ptr<connection> conn_;
  producer_config config_;
  std::shared_ptr<producer_shared> shared_;
  caf::actor sender_;
  std::atomic<uint32_t> delayed_round_robin_{0};
};

} // namespace sluice::client

namespace sluice {
using client::producer;
using client::producer_config;
using client::producer_record;
} // namespace sluice

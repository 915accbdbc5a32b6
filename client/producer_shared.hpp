#pragma once

// The state a producer's application threads and its sender actor share, under one mutex:
// the accumulator and the counts that flush() and a full buffer wait on. Appends happen on
// application threads; draining, releasing and completing on the sender.

#include "client/record_accumulator.hpp"
#include "store/types.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace sluice::client {

// Where a transactional producer stands (producer.hpp); `none` for the others.
enum class txn_phase : uint8_t { none, uninitialized, ready, in_transaction, fatal };

struct producer_shared {
  producer_shared(record_accumulator::limits l, uint64_t seed) : acc(l, seed) {}

  std::mutex mtx;
  std::condition_variable changed; // memory released or records completed
  record_accumulator acc;
  uint64_t incomplete_records = 0; // appended, not yet acknowledged or failed
  int drain_all = 0;               // threads in flush() or waiting for memory: skip linger
  uint64_t acked_records = 0;
  uint64_t failed_records = 0;
  client::error last_error; // of the latest failed record
  bool closed = false;
  // Transactions (producer.hpp). The application thread sets the id and epoch that
  // init_transactions() got, which the sender adopts at its next pump, and counts
  // begin_transaction() calls, so the sender forgets the partitions it added to the previous
  // transaction. The sender records why the open transaction can only abort (a record of it
  // failed) and why the producer is done for (fenced by a newer instance or epoch).
  txn_phase txn = txn_phase::none;
  producer_id txn_pid = no_producer_id;
  producer_epoch txn_epoch = no_producer_epoch;
  uint64_t txn_generation = 0;
  client::error txn_abortable;
  client::error txn_fatal;
  // Set while a wake-up message is on its way to the sender, so appends send at most one.
  std::atomic<bool> wake_pending{false};
};

} // namespace sluice::client

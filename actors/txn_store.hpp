#pragma once

// The node's materialised view of `__transaction_state` (actors/txn_record.hpp), in its own
// LMDB environment DATA/transactions, so a coordinator taking over a partition finds each
// transactional id's state without reading the whole log. Two named databases:
//
//   transactions  str(transactional id)                      -> txn_metadata value
//   applied       int32(partition of __transaction_state)    -> int64 next log offset reflected
//
// Invariant (as group_store's): for each partition p, the view equals the replay of p's log up
// to applied(p); apply() moves both in one transaction, so a crash at any point leaves a view
// that replaying the log from applied(p) completes. Commits skip fsync: a power loss only
// rolls the view back to an earlier applied(p), which the same replay repairs.
//
// One writer: the txn manager actor.

#include "actors/applied_offsets.hpp"
#include "actors/txn_record.hpp"
#include "schema/result.hpp"
#include "store/kv_store.hpp"

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sluice::actors {

class txn_store {
public:
  // Errors are storage_error with the LMDB message.
  static schema::result<std::unique_ptr<txn_store>> open(const std::filesystem::path& dir);

  // The next log offset of partition `p` the view reflects; 0 for a partition never applied.
  schema::result<offset> applied(partition_id p) const;
  // Applies `records` (in log order) and sets applied(p) = next, atomically. Never moves
  // applied(p) backwards: replaying an old range again is harmless.
  schema::status apply(partition_id p, offset next, std::span<const txn_record> records);

  // Every transactional id with its state, sorted by id.
  schema::result<std::vector<std::pair<std::string, txn_metadata>>> transactions() const;

private:
  txn_store(std::unique_ptr<store::kv_store> kv, store::kv_db txns, applied_offsets applied)
    : kv_(std::move(kv)), txns_(txns), applied_(std::move(applied)) {}

  std::unique_ptr<store::kv_store> kv_;
  store::kv_db txns_;
  applied_offsets applied_;
};

} // namespace sluice::actors

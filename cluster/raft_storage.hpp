#pragma once

// Where a controller keeps its Raft state (cluster/raft.hpp): its own LMDB environment
// (DATA/raft), three named databases, encodings of store/kv_store_format.hpp:
//
//   raft_state     "hard" -> u8 version (1) | int64 term | u8 voted (0/1) | int32 voted_for
//   raft_snapshot  "snap" -> u8 version (1) | int64 index | int64 term | data bytes (the rest)
//   raft_log       int64(index) -> u8 version (1) | int64 term | command bytes (the rest)
//
// Keys of raft_log sort numerically (kv_format's sign-flipped big-endian ints), so the log is
// one ordered range: snapshot index + 1, + 2, ... (1, 2, ... without a snapshot); the entries
// a snapshot covers are deleted with it. persist() carries out step 1 of raft.hpp's durability
// rule: the ready's hard state, snapshot, truncation and entries in one LMDB write
// transaction, fsynced at commit, so a crash leaves either all of it or none.
//
// Not thread-safe: one owner (the controller's Raft actor).

#include "cluster/raft.hpp"
#include "schema/result.hpp"
#include "store/kv_store.hpp"

#include <filesystem>
#include <memory>

namespace sluice::cluster {

class raft_storage {
public:
  // Errors are storage_error with the LMDB message.
  static schema::result<std::unique_ptr<raft_storage>> open(const std::filesystem::path& dir);

  // What the node restarts from. storage_error when a record does not decode, the indexes do
  // not follow the snapshot's (or 1, 2, ... without one) without gaps, or terms decrease along
  // the snapshot and log or exceed the hard state's: a damaged log must stop the node rather
  // than let it vote or lead with a wrong history.
  schema::result<raft_persisted> load();

  // Step 1 of the durability rule for `ready` (messages, restore and committed entries are
  // ignored). Call load() first. storage_error, with nothing written, when an entry does not
  // follow the log or a snapshot does not go beyond the persisted one.
  schema::status persist(const raft_ready& ready);

private:
  raft_storage(std::unique_ptr<store::kv_store> kv, store::kv_db state, store::kv_db snapshot,
               store::kv_db log)
    : kv_(std::move(kv)), state_(state), snapshot_(snapshot), log_(log) {}

  std::unique_ptr<store::kv_store> kv_;
  store::kv_db state_;
  store::kv_db snapshot_;
  store::kv_db log_;
  // Known after load(): raft_log holds exactly (snapshot_index_, last_].
  log_index snapshot_index_{0};
  log_index last_{0};
};

} // namespace sluice::cluster

#pragma once

// The node's materialised view of `__consumer_offsets` (actors/offsets_record.hpp), in its own
// LMDB environment DATA/groups, so a coordinator finds a group's committed offsets without
// reading the log. Three named databases:
//
//   offsets  group_partition_key(group, topic, partition) -> committed_offset value
//   groups   str(group)                                   -> group_metadata_value
//   applied  int32(partition of __consumer_offsets)       -> int64 next log offset reflected
//   shares   group_partition_key(group, topic, partition) -> share_state_value (share groups)
//
// Invariant: for each partition p of the topic, the view equals the replay of p's log up to
// applied(p); apply() moves both in one transaction, so a crash at any point leaves a view
// that replaying the log from applied(p) completes. Commits skip fsync (MDB_NOSYNC): a power
// loss only rolls the view back to an earlier applied(p), which the same replay repairs.
//
// One writer: the group manager actor. Readers (coordinators loading a group) may be on other
// threads; LMDB gives each read a consistent snapshot.

#include "actors/applied_offsets.hpp"
#include "actors/offsets_record.hpp"
#include "schema/result.hpp"
#include "store/kv_store.hpp"

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

class group_store {
public:
  // Errors are storage_error with the LMDB message.
  static schema::result<std::unique_ptr<group_store>> open(const std::filesystem::path& dir);

  // The next log offset of partition `p` the view reflects; 0 for a partition never applied.
  schema::result<offset> applied(partition_id p) const;
  // Applies `records` (in log order) and sets applied(p) = next, atomically. Never moves
  // applied(p) backwards: replaying an old range again is harmless.
  schema::status apply(partition_id p, offset next, std::span<const offsets_record> records);

  // A group's committed offsets (values present) and its metadata, if it has any.
  schema::result<std::vector<offset_commit_record>> offsets(std::string_view group) const;
  schema::result<std::optional<group_metadata_value>> group(std::string_view group) const;
  // Every group with metadata, sorted.
  schema::result<std::vector<std::string>> groups() const;

  // Share groups (KIP-932): one share-partition's persisted state, a group's (sorted by topic
  // and partition), and every group that has any, sorted.
  schema::result<std::optional<share_state_value>> share_state(std::string_view group, std::string_view topic,
                                                               partition_id p) const;
  schema::result<std::vector<share_state_record>> share_states(std::string_view group) const;
  schema::result<std::vector<std::string>> share_groups() const;

private:
  group_store(std::unique_ptr<store::kv_store> kv, store::kv_db offsets, store::kv_db groups,
              store::kv_db shares, applied_offsets applied)
    : kv_(std::move(kv)), offsets_(offsets), groups_(groups), shares_(shares),
      applied_(std::move(applied)) {}

  std::unique_ptr<store::kv_store> kv_;
  store::kv_db offsets_;
  store::kv_db groups_;
  store::kv_db shares_;
  applied_offsets applied_;
};

} // namespace sluice::actors

#pragma once

// The records of the internal topic `__consumer_offsets`, where group coordinators write what
// must survive them: committed offsets and each group's generation. The log is the truth; the
// node's LMDB (actors/group_store.hpp) materialises it, and a coordinator that takes over a
// partition of the topic rebuilds from it. Keys and values use store/kv_store_format.hpp's
// encodings (big-endian ints, u16-length strings):
//
//   key    = u8 version (1) | u8 type | str(group) [ | str(topic) | int32(partition) ]
//              type 0: a committed offset (with topic and partition)
//              type 1: group metadata (group only)
//              type 2: a share group's share-partition state (with topic and partition)
//   offset value = u8 version (1) | int64 offset | int32 leader_epoch | int64 commit_time_ms |
//                  str(metadata)
//   group value  = u8 version (1) | int32 generation | str(protocol)
//   share value  = u8 version (1) | int32 leader_epoch | int64 start | int64 end | u32 n |
//                  n * (int64 first | int64 last | u8 state | int16 delivery_count)
//                  (schema::share_state: the share-partition of actors/share_partition.hpp)
//   no value (a tombstone): the offset, or the whole group, was deleted
//
// A record of the same key later in the log replaces an earlier one (the topic can be
// compacted by key). Which partition of the topic holds a group: partition_for_group.

#include "actors/internal_batch.hpp"
#include "actors/topic_spec.hpp"
#include "schema/result.hpp"
#include "schema/share.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::actors {

// FNV-1a of the group id: stable across builds and platforms (the placement must not change
// when the binary does), mod the partition count.
partition_id partition_for_group(std::string_view group, int32_t partitions);

struct committed_offset {
  offset committed{-1};
  leader_epoch epoch{-1};
  timestamp_ms commit_time = no_timestamp;
  std::string metadata;

  bool operator==(const committed_offset&) const = default;
};

struct offset_commit_record {
  std::string group;
  std::string topic;
  partition_id partition{0};
  std::optional<committed_offset> value; // nullopt: deleted

  bool operator==(const offset_commit_record&) const = default;
};

struct group_metadata_value {
  generation_id generation{0};
  std::string protocol;

  bool operator==(const group_metadata_value&) const = default;
};

struct group_metadata_record {
  std::string group;
  std::optional<group_metadata_value> value; // nullopt: the group was deleted

  bool operator==(const group_metadata_record&) const = default;
};

// What a share-partition's leader persisted (KIP-932's share coordinator state), under the
// leader epoch it wrote it in: a write from an older epoch is refused (group_manager).
struct share_state_value {
  leader_epoch epoch{0};
  schema::share_state state;

  bool operator==(const share_state_value&) const = default;
};

struct share_state_record {
  std::string group;
  std::string topic;
  partition_id partition{0};
  std::optional<share_state_value> value; // nullopt: deleted

  bool operator==(const share_state_record&) const = default;
};

using offsets_record = std::variant<offset_commit_record, group_metadata_record, share_state_record>;

encoded_record encode_record(const offsets_record& r);
// corrupt_message for a key or value that is not version 1 of the format above.
schema::result<offsets_record> decode_record(std::string_view key,
                                             std::optional<std::string_view> value);

std::string encode_committed(const committed_offset& c);
std::optional<committed_offset> decode_committed(std::string_view v);
std::string encode_group_value(const group_metadata_value& g);
std::optional<group_metadata_value> decode_group_value(std::string_view v);
std::string encode_share_value(const share_state_value& s);
std::optional<share_state_value> decode_share_value(std::string_view v);

// One record batch (store/batch_format.hpp) holding `records`, stamped with `now`.
std::vector<std::byte> build_batch(std::span<const offsets_record> records, timestamp_ms now);

// Calls fn(offset, record) for each record of the batches in `bytes` (a fetch's records), in
// log order. Stops with corrupt_message at a batch that does not validate or a record that does
// not decode: the log is our own, so that is damage, not input to skip.
// Replay runs once per partition load, so a std::function costs nothing that matters.
schema::status for_each_record(std::span<const std::byte> bytes,
                               const std::function<void(offset, offsets_record&&)>& fn);

} // namespace sluice::actors

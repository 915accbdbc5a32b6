#pragma once

// The records of the internal topic `__transaction_state`, where transaction coordinators
// write each transactional.id's state before they act on it (KIP-98): the log is the truth,
// the node's LMDB (actors/txn_store.hpp) materialises it, and a coordinator that takes over a
// partition of the topic rebuilds from it. Encodings are store/kv_store_format.hpp's
// (big-endian ints, u16-length strings):
//
//   key   = u8 version (1) | str(transactional id)
//   value = u8 version (1) | int64 producer_id | int16 producer_epoch | int32 timeout_ms |
//           u8 state | int64 start_time_ms | int64 last_update_ms |
//           u32 n | n x (str(topic) | int32 partition)                 partitions in the txn
//           u32 g | g x (str(group) | u32 m |                          pending group offsets
//                        m x (str(topic) | int32 partition | int64 offset |
//                             int32 leader_epoch | str(metadata)))
//   no value (a tombstone): the transactional id was removed
//
// A later record of the same key replaces an earlier one (the topic can be compacted by key).
// Which partition holds an id: partition_for_transactional_id.

#include "actors/internal_batch.hpp"
#include "schema/result.hpp"
#include "schema/txn.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

// The same placement as groups (partition_for_group): FNV-1a of the id mod the partitions.
partition_id partition_for_transactional_id(std::string_view id, int32_t partitions);

// Kafka's TransactionState; the wire names (DescribeTransactions) are to_string's.
//
//   Empty --AddPartitions/TxnOffsetCommit--> Ongoing --EndTxn(commit)--> PrepareCommit
//     ^                                        |                           | markers + offsets
//     |                                        +--EndTxn(abort)/timeout/   v
//     |                                        |  InitProducerId-->  PrepareAbort -> CompleteAbort
//     +-- InitProducerId (epoch + 1) ------ CompleteCommit / CompleteAbort --AddPartitions--> Ongoing
//
// Dead: the id is being removed (transactional.id.expiration.ms): its tombstone is in flight.
// Never written as a value; decoded for compatibility.
enum class txn_state : uint8_t {
  empty = 0,
  ongoing = 1,
  prepare_commit = 2,
  prepare_abort = 3,
  complete_commit = 4,
  complete_abort = 5,
  dead = 6,
};

inline constexpr txn_state last_txn_state = txn_state::dead;

const char* to_string(txn_state s) noexcept;
// Accepts the wire names, case-insensitively.
std::optional<txn_state> parse_txn_state(std::string_view name);

inline bool is_prepare(txn_state s) {
  return s == txn_state::prepare_commit || s == txn_state::prepare_abort;
}
inline bool is_complete(txn_state s) {
  return s == txn_state::complete_commit || s == txn_state::complete_abort;
}

struct txn_offset {
  std::string topic;
  partition_id partition{0};
  offset off{0};
  leader_epoch epoch{-1};
  std::string metadata;

  bool operator==(const txn_offset&) const = default;
};

// One transactional id's durable state.
struct txn_metadata {
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  int32_t timeout_ms = 0;
  txn_state state = txn_state::empty;
  timestamp_ms start_time = no_timestamp; // when the ongoing transaction began
  timestamp_ms last_update = no_timestamp;
  std::vector<schema::txn_topic_partition> partitions;        // sorted, unique
  std::map<std::string, std::vector<txn_offset>> group_offsets; // committed with the txn

  bool operator==(const txn_metadata&) const = default;
};

struct txn_record {
  std::string transactional_id;
  std::optional<txn_metadata> value; // nullopt: removed

  bool operator==(const txn_record&) const = default;
};

encoded_record encode_txn_record(const txn_record& r);
std::string encode_txn_metadata(const txn_metadata& m);
// corrupt_message for a key or value that is not version 1 of the format above.
schema::result<txn_record> decode_txn_record(std::string_view key,
                                             std::optional<std::string_view> value);
schema::result<txn_metadata> decode_txn_metadata(std::string_view value);

// One record batch holding `records`, stamped with `now`.
std::vector<std::byte> build_txn_batch(std::span<const txn_record> records, timestamp_ms now);

// Calls fn(offset, record) for each record of the batches in `bytes`, in log order; stops with
// corrupt_message at a batch or record that does not decode.
schema::status for_each_txn_record(std::span<const std::byte> bytes,
                                   const std::function<void(offset, txn_record&&)>& fn);

} // namespace sluice::actors

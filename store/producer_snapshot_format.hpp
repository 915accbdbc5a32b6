#pragma once

// <offset, 20 digits>.snapshot: a partition's producer state (producer_state.hpp: idempotence
// and transactions) as it stood with the log ending at `offset` (it reflects every batch below
// it and none at or after it), after Kafka's <offset>.snapshot. Written at each segment roll,
// at close and after recovery replayed the log; recovery then replays only the batches after
// the newest snapshot at or below the log end. Little-endian:
//
//   off  size  field
//    0    4    magic            "SLPS"
//    4    2    version          2
//    6    2    reserved         0
//    8    8    end_offset       i64, equal to the offset in the file name
//   16    4    producer_count   u32 n
//   20   ...   n producers, ascending ids:
//                producer_id i64 | epoch i16 | coordinator_epoch i32 | txn_first_offset i64 |
//                marker_timestamp i64 | batch_count u8 b (0..5) |
//                b x (first_seq i32 | last_seq i32 | first_offset i64 | last_offset i64 |
//                     max_timestamp i64)                      (oldest batch first)
//   ...   4    aborted_count    u32 a
//   ...  ...   a aborted transactions, ascending last_offset:
//                producer_id i64 | first_offset i64 | last_offset i64
//   end   4    crc32c           of every byte before it
//
// A reader accepts the file only if it parses exactly to its end, magic, version, reserved
// and CRC match, the offset matches the name, and every value keeps the state's invariants
// (ids ascending and >= 0, epoch >= 0, coordinator epoch >= -1, sequences >= 0, first <= last
// offset below end_offset, txn_first_offset -1 or in [0, end_offset), aborted entries
// ascending with first <= last below end_offset). A damaged snapshot, or one of another
// version (version 1 had no transactions: reading it as version 2 would lose open ones), is
// deleted and the state rebuilt from an older one or the log. Files are replaced whole
// (write_file_atomic), never edited.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::store::producer_snapshot_format {

inline constexpr std::string_view suffix = ".snapshot";
inline constexpr uint32_t magic = 0x53504C53; // "SLPS" read as LE u32
inline constexpr uint16_t version = 2;
inline constexpr size_t end_offset_pos = 8;
inline constexpr size_t count_pos = 16;
inline constexpr size_t producers_pos = 20;
inline constexpr size_t producer_head_size = 8 + 2 + 4 + 8 + 8 + 1;
inline constexpr size_t batch_size = 4 + 4 + 8 + 8 + 8;
inline constexpr size_t aborted_count_size = 4;
inline constexpr size_t aborted_size = 8 + 8 + 8;
inline constexpr size_t crc_size = 4;

static_assert(producer_head_size == 31);
static_assert(batch_size == 32);
static_assert(aborted_size == 24);

} // namespace sluice::store::producer_snapshot_format

#pragma once

// <offset, 20 digits>.snapshot: a partition's idempotent-producer state (producer_state.hpp)
// as it stood with the log ending at `offset` (it reflects every batch below it and none at
// or after it), after Kafka's <offset>.snapshot. Written at each segment roll, at close and
// after recovery replayed the log; recovery then replays only the batch headers after the
// newest snapshot at or below the log end. Little-endian:
//
//   off  size  field
//    0    4    magic            "SLPS"
//    4    2    version          1
//    6    2    reserved         0
//    8    8    end_offset       i64, equal to the offset in the file name
//   16    4    producer_count   u32 n
//   20   ...   n producers, ascending ids:
//                producer_id i64 | epoch i16 | batch_count u8 b (1..5) |
//                b x (first_seq i32 | last_seq i32 | first_offset i64 | last_offset i64 |
//                     max_timestamp i64)                      (oldest batch first)
//   end   4    crc32c           of every byte before it
//
// A reader accepts the file only if it parses exactly to its end, magic, version, reserved
// and CRC match, the offset matches the name, and every value keeps the state's invariants
// (ids ascending and >= 0, epoch >= 0, sequences >= 0, first <= last offset below
// end_offset). A damaged snapshot is deleted and the state rebuilt from an older one or the
// log. Files are replaced whole (write_file_atomic), never edited.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::store::producer_snapshot_format {

inline constexpr std::string_view suffix = ".snapshot";
inline constexpr uint32_t magic = 0x53504C53; // "SLPS" read as LE u32
inline constexpr uint16_t version = 1;
inline constexpr size_t end_offset_pos = 8;
inline constexpr size_t count_pos = 16;
inline constexpr size_t producers_pos = 20;
inline constexpr size_t producer_head_size = 8 + 2 + 1;
inline constexpr size_t batch_size = 4 + 4 + 8 + 8 + 8;
inline constexpr size_t crc_size = 4;

static_assert(producer_head_size == 11);
static_assert(batch_size == 32);

} // namespace sluice::store::producer_snapshot_format

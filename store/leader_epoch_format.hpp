#pragma once

// leader-epoch.checkpoint: a partition's leader-epoch history (KIP-101), the
// list of (epoch, start_offset) pairs kept by leader_epoch_cache. Little-endian:
//
//   off     size  field
//    0       4    magic          "SLLE"
//    4       2    version        1
//    6       2    reserved       0
//    8       4    entry_count    u32 n
//   12    12*n    entries, each: epoch i32 | start_offset i64
//   12+12n   4    crc32c         of bytes [0, 12 + 12n)
//
// A reader accepts the file only if its size is exactly 16 + 12n, magic,
// version, reserved and CRC match, and the entries keep the history's
// invariants: epochs >= 0 and strictly increasing, start offsets >= 0 and
// non-decreasing. The file is replaced whole (write_file_atomic), never edited.

#include <cstddef>
#include <cstdint>

namespace sluice::store::leader_epoch_format {

inline constexpr char file_name[] = "leader-epoch.checkpoint";
inline constexpr uint32_t magic = 0x454C4C53; // "SLLE" read as LE u32
inline constexpr uint16_t version = 1;
inline constexpr size_t version_pos = 4;
inline constexpr size_t reserved_pos = 6;
inline constexpr size_t count_pos = 8;
inline constexpr size_t entries_pos = 12;
inline constexpr size_t entry_size = 12;
inline constexpr size_t entry_start_offset_pos = 4; // within an entry
inline constexpr size_t crc_size = 4;

// Bytes of a file holding n entries.
constexpr size_t file_size(size_t n) { return entries_pos + n * entry_size + crc_size; }

static_assert(file_size(0) == 16);
static_assert(entry_start_offset_pos + 8 == entry_size);

} // namespace sluice::store::leader_epoch_format

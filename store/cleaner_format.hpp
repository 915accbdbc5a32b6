#pragma once

// The log cleaner's two files in a partition directory (store/log_cleaner.hpp).
//
// cleaner-offset.checkpoint: how far the log is cleaned. Written atomically after a swap.
//
//   off size field
//    0   4   magic            "SLCO"
//    4   2   version          1
//    6   2   reserved         0
//    8   8   first_dirty      i64  the cleaner's key map covered the log below this offset
//   16   8   cleaned_to       i64  segments below this offset were rewritten by the cleaner;
//                                  only they may have offset gaps between them
//   24   4   crc32c           of bytes [0, 24)
//   28
//
// cleaner.swap: the commit point of one swap of cleaned segments (the Kafka .swap step, one
// file for the whole group so the commit is a single atomic rename). Written atomically
// (temp file, fsync, rename, directory fsync) once every "<base>.*.cleaned" file is fsynced;
// removed when the swap is done. Recovery finishes a swap whose file exists and rolls back
// (deletes the .cleaned files of) one whose file does not.
//
//   off size field
//    0   4   magic            "SLSW"
//    4   2   version          1
//    6   2   reserved         0
//    8   8   replaced_from    i64  old segments with bases in [from, to) are replaced
//   16   8   replaced_to      i64
//   24   8   first_dirty      i64  the checkpoint's values after the swap
//   32   8   cleaned_to       i64
//   40   4   count            u32  number of new segments
//   44   8*count  bases       i64  each new segment's base; its files are <base>.*.cleaned
//   ..   4   crc32c           of every byte before it

#include <cstddef>
#include <cstdint>

namespace sluice::store::cleaner_format {

inline constexpr char checkpoint_name[] = "cleaner-offset.checkpoint";
inline constexpr uint32_t checkpoint_magic = 0x4F434C53; // "SLCO" read as LE u32
inline constexpr uint16_t checkpoint_version = 1;
inline constexpr size_t first_dirty_pos = 8;
inline constexpr size_t cleaned_to_pos = 16;
inline constexpr size_t checkpoint_crc_pos = 24;
inline constexpr size_t checkpoint_size = 28;

inline constexpr char swap_name[] = "cleaner.swap";
inline constexpr uint32_t swap_magic = 0x57534C53; // "SLSW"
inline constexpr uint16_t swap_version = 1;
inline constexpr size_t swap_from_pos = 8;
inline constexpr size_t swap_to_pos = 16;
inline constexpr size_t swap_first_dirty_pos = 24;
inline constexpr size_t swap_cleaned_to_pos = 32;
inline constexpr size_t swap_count_pos = 40;
inline constexpr size_t swap_bases_pos = 44;
inline constexpr size_t swap_size(size_t count) { return swap_bases_pos + 8 * count + 4; }
// A swap never holds more new segments than this (each is at least one old segment).
inline constexpr uint32_t swap_max_count = 1u << 20;

static_assert(checkpoint_crc_pos + 4 == checkpoint_size);
static_assert(swap_count_pos + 4 == swap_bases_pos);

} // namespace sluice::store::cleaner_format

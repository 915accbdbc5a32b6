#pragma once

// recovery-point.checkpoint: the offset below which every batch of the
// partition is known to be on stable storage (fsynced). Recovery verifies
// batches from the segment holding this offset onwards.
//
//   off size field
//    0   4   magic            "SLRP"
//    4   2   version          1
//    6   2   reserved         0
//    8   8   recovery_point   i64
//   16   4   crc32c           of bytes [0, 16)
//   20

#include <cstddef>
#include <cstdint>

namespace sluice::store::checkpoint_format {

inline constexpr char file_name[] = "recovery-point.checkpoint";
inline constexpr uint32_t magic = 0x50524C53; // "SLRP" read as LE u32
inline constexpr uint16_t version = 1;
inline constexpr size_t recovery_point_pos = 8;
inline constexpr size_t crc_pos = 16;
inline constexpr size_t size = 20;

} // namespace sluice::store::checkpoint_format

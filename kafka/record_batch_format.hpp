#pragma once

// Kafka's record batch v2 header ("magic" 2, KIP-98), big-endian, 61 bytes:
//
//   off size field
//    0   8   base_offset             i64
//    8   4   batch_length            i32  bytes after this field (total = 12 + batch_length)
//   12   4   partition_leader_epoch  i32
//   16   1   magic                   i8   2
//   17   4   crc                     u32  CRC-32C of bytes [21, 12 + batch_length)
//   21   2   attributes              i16  same bits as Sluice's (store/batch_format.hpp)
//   23   4   last_offset_delta       i32
//   27   8   first_timestamp         i64
//   35   8   max_timestamp           i64
//   43   8   producer_id             i64
//   51   2   producer_epoch          i16
//   53   4   base_sequence           i32
//   57   4   record_count            i32
//   61   ... records, the same bytes as in a Sluice batch
//
// Sluice's header holds the same fields little-endian without the magic byte (60 bytes), so
// translating a batch either way rewrites the header, recomputes the CRC and copies the
// records untouched.

#include <cstddef>
#include <cstdint>

namespace sluice::kafka::record_batch_format {

inline constexpr size_t base_offset_pos = 0;
inline constexpr size_t batch_length_pos = 8;
inline constexpr size_t leader_epoch_pos = 12;
inline constexpr size_t magic_pos = 16;
inline constexpr size_t crc_pos = 17;
inline constexpr size_t attributes_pos = 21;
inline constexpr size_t last_offset_delta_pos = 23;
inline constexpr size_t first_timestamp_pos = 27;
inline constexpr size_t max_timestamp_pos = 35;
inline constexpr size_t producer_id_pos = 43;
inline constexpr size_t producer_epoch_pos = 51;
inline constexpr size_t base_sequence_pos = 53;
inline constexpr size_t record_count_pos = 57;
inline constexpr size_t header_size = 61;

inline constexpr size_t length_field_end = batch_length_pos + 4;
inline constexpr size_t crc_begin = attributes_pos;
inline constexpr int8_t magic_v2 = 2;

static_assert(record_count_pos + 4 == header_size);
static_assert(crc_pos + 4 == crc_begin);

} // namespace sluice::kafka::record_batch_format

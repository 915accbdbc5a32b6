#pragma once

// The record batch: the unit of write, replication, storage and fetch. The
// same bytes travel from producer to segment file to consumer; only
// base_offset and leader_epoch are rewritten by the partition leader, and
// both lie before the CRC'd range so assigning offsets needs no new CRC.
//
// Batch header, little-endian, 60 bytes:
//
//   off size field
//    0   8   base_offset        u64  offset of the first record
//    8   4   length             u32  bytes after this field (total = 12 + length)
//   12   4   leader_epoch       u32  epoch of the leader that appended it
//   16   4   crc32c             u32  CRC-32C of bytes [20, 12 + length)
//   20   2   attributes         u16  see attr_* below
//   22   4   last_offset_delta  u32  last record's offset - base_offset
//   26   8   first_timestamp    i64  timestamp of the first record (ms)
//   34   8   max_timestamp      i64  largest record timestamp (ms)
//   42   8   producer_id        i64  -1 when not idempotent
//   50   2   producer_epoch     i16
//   52   4   base_sequence      i32  -1 when not idempotent
//   56   4   record_count       u32
//   60   ... records
//
// Record, the layout of Kafka's record v2 (varints are zigzag, as in protobuf)
// so that the Kafka protocol listener can map batches without re-encoding
// records:
//
//   length varint           bytes after this field
//   attributes i8           unused, 0
//   timestamp_delta varlong record timestamp - first_timestamp
//   offset_delta varint     record offset - base_offset
//   key_length varint       -1 for a null key
//   key bytes
//   value_length varint     -1 for a null value (a tombstone)
//   value bytes
//   header_count varint
//   headers: key_length varint, key bytes, value_length varint, value bytes

#include <bit>
#include <cstddef>
#include <cstdint>

namespace sluice::store::batch_format {

static_assert(std::endian::native == std::endian::little,
              "batch headers are read and written with memcpy on little-endian hosts");

inline constexpr size_t base_offset_pos = 0;
inline constexpr size_t length_pos = 8;
inline constexpr size_t leader_epoch_pos = 12;
inline constexpr size_t crc_pos = 16;
inline constexpr size_t attributes_pos = 20;
inline constexpr size_t last_offset_delta_pos = 22;
inline constexpr size_t first_timestamp_pos = 26;
inline constexpr size_t max_timestamp_pos = 34;
inline constexpr size_t producer_id_pos = 42;
inline constexpr size_t producer_epoch_pos = 50;
inline constexpr size_t base_sequence_pos = 52;
inline constexpr size_t record_count_pos = 56;
inline constexpr size_t header_size = 60;

// Bytes counted by `length` start here; bytes covered by the CRC start at crc_begin.
inline constexpr size_t length_field_end = length_pos + 4;
inline constexpr size_t crc_begin = attributes_pos;

static_assert(record_count_pos + 4 == header_size);
static_assert(crc_pos + 4 == crc_begin);

// A batch larger than this is corrupt whatever the topic config says; it
// bounds what a reader will trust a length field for.
inline constexpr uint32_t max_batch_bytes = 64u << 20;

// attributes bits
inline constexpr uint16_t attr_compression_mask = 0x7; // 0 = none (only value so far)
inline constexpr uint16_t attr_timestamp_log_append = 0x8;
inline constexpr uint16_t attr_transactional = 0x10;
inline constexpr uint16_t attr_control = 0x20;

// A control batch (attr_transactional | attr_control; KIP-98) ends a producer's transaction in
// the partition: only the partition leader writes one, for a transaction coordinator's
// WriteTxnMarkers (schema/txn_marker.capnp), never a client. It carries the producer id and
// epoch, base_sequence -1, and exactly one record whose key and value are Kafka's control
// record and end-transaction marker, big-endian as Kafka writes them:
//
//   key    version i16 (0) | type i16 (0 abort, 1 commit)           4 bytes
//   value  version i16 (0) | coordinator_epoch i32                   6 bytes
//
// A reader accepts a version >= 0 with at least these bytes (a later version may append
// fields), as Kafka's ControlRecordType and EndTransactionMarker do; any other type is corrupt.
inline constexpr uint16_t attr_txn_control = attr_transactional | attr_control;
inline constexpr size_t control_key_size = 4;
inline constexpr size_t control_value_size = 6;
inline constexpr int16_t control_key_version = 0;
inline constexpr int16_t control_value_version = 0;
inline constexpr int16_t control_type_abort = 0;
inline constexpr int16_t control_type_commit = 1;

} // namespace sluice::store::batch_format

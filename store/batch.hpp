#pragma once

#include "store/batch_format.hpp"
#include "store/byte_buffer.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::store {

using bytes_view = std::span<const std::byte>;

// The decoded fixed header of one batch (see batch_format.hpp).
struct batch_header {
  offset base_offset{0};
  uint32_t length = 0;
  leader_epoch epoch{0};
  uint32_t crc = 0;
  uint16_t attributes = 0;
  uint32_t last_offset_delta = 0;
  timestamp_ms first_timestamp{0};
  timestamp_ms max_timestamp{0};
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  uint32_t record_count = 0;

  size_t size_bytes() const { return batch_format::length_field_end + length; }
  bool is_transactional() const { return (attributes & batch_format::attr_transactional) != 0; }
  bool is_control() const { return (attributes & batch_format::attr_control) != 0; }
  offset last_offset() const { return base_offset + last_offset_delta; }
  offset next_offset() const { return last_offset() + 1; }
};

// Decodes the header at the start of `bytes` without checking the CRC;
// fails when fewer than header_size bytes are there or the length field is
// impossible (below the header, above max_batch_bytes).
result<batch_header> decode_header(bytes_view bytes);

// decode_header plus: the whole batch is present and its CRC matches.
result<batch_header> validate_batch(bytes_view bytes);

// Rewrites the fields the leader owns, in place. The CRC stays valid.
void set_base_offset(std::span<std::byte> batch, offset base);
void set_leader_epoch(std::span<std::byte> batch, leader_epoch epoch);
// The idempotent producer's fields lie inside the CRC'd range: rewrites them and then the CRC, in
// place (one CRC pass over the batch). The producer stamps a batch when it first sends it;
// a transactional producer's batches also get attr_transactional.
void set_producer_fields(std::span<std::byte> batch, int64_t producer_id, int16_t producer_epoch,
                         int32_t base_sequence, bool transactional = false);

// Appends to `out` a copy of the validated `batch` holding only the records whose encoded
// bytes are `kept` (record_view::raw views into `batch`, in order, at least one). The header
// stays as it is (base offset, last_offset_delta, timestamps, producer fields), so every
// record keeps its offset and the batch its offset range, with gaps where records went (as a
// Kafka batch after compaction); record_count, length and the CRC are recomputed.
void append_batch_subset(bytes_view batch, std::span<const std::string_view> kept,
                         byte_buffer& out);

// A transaction marker: what the control record of a control batch says (batch_format.hpp).
enum class control_type : int16_t {
  abort = batch_format::control_type_abort,
  commit = batch_format::control_type_commit,
};

struct control_record {
  control_type type = control_type::abort;
  int32_t coordinator_epoch = 0;

  bool operator==(const control_record&) const = default;
};

// The control batch a partition leader appends to end a producer's transaction (offsets
// relative, as batch_builder::finish makes them).
std::vector<std::byte> make_control_batch(int64_t producer_id, int16_t producer_epoch,
                                          const control_record& marker, timestamp_ms ts);

// The marker in a validated control batch; corrupt_batch when it is not one (not a control
// batch, not exactly one record, key or value too short, a negative version, an unknown type).
result<control_record> parse_control_batch(bytes_view batch);

struct record_header {
  std::string_view key;
  std::string_view value;
};

// One record of a batch, as views into the batch bytes (valid while they are).
struct record_view {
  offset off{0};
  timestamp_ms timestamp{0};
  std::optional<std::string_view> key;   // nullopt: null key
  std::optional<std::string_view> value; // nullopt: tombstone
  uint32_t header_count = 0;
  std::string_view headers_raw;          // encoded headers, see for_each_header
  // The whole encoded record, its length varint included: what a server-side filter copies
  // into a rebuilt batch (filter/batch_filter.hpp) without re-encoding it.
  std::string_view raw;
};

// The headers of `r` into `out` (cleared first), as views into the batch; false when they do
// not decode (a lying length).
bool decode_headers(const record_view& r, std::vector<record_header>& out);

// Iterates the records of a validated batch. Every length is bounds-checked:
// a lying varint ends iteration with an error, never an out-of-bounds read.
class record_reader {
public:
  explicit record_reader(bytes_view batch);
  // Returns false at the end; check error() afterwards.
  bool next(record_view& out);
  const std::optional<error>& error_state() const { return err_; }

private:
  batch_header hdr_;
  const std::byte* pos_ = nullptr;
  const std::byte* end_ = nullptr;
  uint32_t seen_ = 0;
  std::optional<error> err_;
};

// Builds one batch in a growable buffer. Offsets in it are relative
// (base_offset 0); the log assigns the real base on append.
class batch_builder {
public:
  explicit batch_builder(size_t reserve_bytes = 16 * 1024);

  void add(timestamp_ms ts, std::optional<std::string_view> key,
           std::optional<std::string_view> value,
           std::span<const record_header> headers = {});

  uint32_t record_count() const { return count_; }
  size_t size_bytes() const { return buf_.size(); }
  bool empty() const { return count_ == 0; }

  // Seals the batch (length, counts, timestamps, CRC) and hands over its bytes;
  // the builder is empty afterwards and can be reused.
  std::vector<std::byte> finish(int64_t producer_id = -1, int16_t producer_epoch = -1,
                                int32_t base_sequence = -1, uint16_t attributes = 0);

private:
  std::vector<std::byte> buf_;
  uint32_t count_ = 0;
  timestamp_ms first_ts_{0};
  timestamp_ms max_ts_{0};
  size_t reserve_bytes_;
};

} // namespace sluice::store

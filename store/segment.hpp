#pragma once

#include "store/batch.hpp"
#include "store/byte_buffer.hpp"
#include "store/file.hpp"
#include "store/index.hpp"
#include "store/types.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sluice::store {

// Bytes read from a log: whole batches, back to back, ready to send.
struct read_result {
  byte_buffer bytes;
  offset first_offset{0}; // base offset of the first batch (may be below the one asked for)
  offset next_offset{0};  // offset after the last batch returned
  size_t batch_count = 0;
};

// What recovering one segment found.
struct segment_recovery {
  uint64_t valid_bytes = 0;
  uint64_t truncated_bytes = 0;
  std::optional<error> reason; // why the tail was cut, when it was
};

// One <base>.log file with its two indexes. Owned by a log; not thread-safe.
//
// Invariants: the file holds whole, CRC-valid batches with increasing offsets in
// [base, next_offset); size() is the end of the last one; the indexes point only
// at batch starts inside it. A dense segment's batches are contiguous and the first
// starts at base; a sparse one (a compacted log, store/log_cleaner.hpp) may have gaps
// before and between its batches, and next_offset is then its last batch's end.
class segment {
public:
  // Creates empty files for a new segment starting at `base`. `extra_suffix` is appended to
  // every file name (the cleaner writes "<base>.log.cleaned" and its indexes).
  static result<segment> create(const std::filesystem::path& dir, offset base,
                                uint32_t index_interval_bytes, bool sparse = false,
                                std::string_view extra_suffix = {});

  // Opens a segment below the recovery point: batches are trusted, only the
  // indexes and the last batch's header are checked; damaged indexes are rebuilt.
  static result<segment> open_trusted(const std::filesystem::path& dir, offset base,
                                      uint32_t index_interval_bytes, bool sparse = false);

  // Opens a segment at or above the recovery point: every batch is verified,
  // the file is cut at the first bad or partial one, the indexes are rebuilt.
  static result<segment> open_recovering(const std::filesystem::path& dir, offset base,
                                         uint32_t index_interval_bytes, segment_recovery& report,
                                         bool sparse = false);

  segment(segment&&) noexcept = default;
  segment& operator=(segment&&) noexcept = default;

  // Appends whole batches whose offsets were assigned by the log, starting at
  // next_offset(). `headers` describes them in order.
  status append(bytes_view batches, std::span<const batch_header> headers);

  // Whole batches from the one holding `from`, up to max_bytes in total, but at
  // least that first batch (so a consumer always progresses, as KIP-74).
  // Empty when `from` >= next_offset().
  // `out.bytes` keeps its capacity between calls, so a reader that reuses one
  // read_result does no allocation per read.
  status read(offset from, size_t max_bytes, read_result& out) const;

  // The first offset whose record timestamp is >= ts, if this segment has one.
  result<std::optional<offset>> offset_for_timestamp(timestamp_ms ts) const;

  // Where the batch starting at `o` lies; size() for next_offset().
  // offset_out_of_range outside [base_offset(), next_offset()], invalid_argument
  // when `o` lies inside a batch.
  result<uint64_t> position_of_batch(offset o) const;

  // Removes the batches at and after `o` (a batch start, as position_of_batch
  // checks; nothing changes on an error). The cut is fdatasynced, and so are the
  // trimmed indexes: a stale entry that came back after a crash could otherwise
  // point into batches appended later. The summary fields are recomputed by
  // scanning from the batch of the last surviving time-index entry.
  status truncate_to(offset o);

  // Calls visit(header) for every batch, in order (CRCs are not checked).
  status scan_headers(const std::function<void(const batch_header&)>& visit) const;
  // The same with each whole batch's bytes (valid during the call; CRCs are not checked).
  status scan_batches(const std::function<void(const batch_header&, bytes_view)>& visit) const;
  // The header of the last batch; invalid_argument when the segment is empty.
  result<batch_header> last_batch_header() const;

  // Page-cache hints for [from, to) of the log file (store/drop_behind.hpp).
  status start_writeback(uint64_t from, uint64_t to) const { return log_.start_writeback(from, to - from); }
  status drop_cached(uint64_t from, uint64_t to) const { return log_.drop_cached(from, to - from); }

  // Writes pending index entries and fdatasyncs the log file.
  status flush();
  // flush() and fdatasyncs the index files too (a cleaned segment, before its swap).
  status sync_all();
  // Called when the segment stops being the active one: records its final
  // max timestamp in the time index and writes the indexes.
  status seal();
  // Deletes the files; the segment must not be used afterwards.
  status remove() { return remove_files(dir_, base_); }
  // Deletes the files of the segment at `base` in `dir`, whichever exist.
  static status remove_files(const std::filesystem::path& dir, offset base);
  // Renames the cleaner's "<base>.*.cleaned" files over "<base>.*" (the log file last, so a
  // .log.cleaned that is still there means the swap of `base` has not finished); each file
  // that is not there is skipped.
  static status install_cleaned(const std::filesystem::path& dir, offset base);
  static bool has_cleaned_log(const std::filesystem::path& dir, offset base);

  offset base_offset() const { return base_; }
  offset next_offset() const { return next_; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool sparse() const { return sparse_; }
  timestamp_ms max_timestamp() const { return max_ts_; }
  // Timestamp of the first batch, or no_timestamp when empty (drives segment.ms).
  timestamp_ms first_timestamp() const { return first_ts_; }
  const std::filesystem::path& path() const { return log_.path(); }
  size_t index_entries() const { return index_.entries().size(); }
  size_t time_index_entries() const { return time_index_.entries().size(); }

private:
  segment() = default;
  static result<segment> with_new_indexes(const std::filesystem::path& dir, offset base,
                                          uint32_t index_interval_bytes, file log, bool sparse,
                                          std::string_view extra);
  static std::filesystem::path path_of(const std::filesystem::path& dir, offset base,
                                       std::string_view suffix, std::string_view extra = {});
  // Where the next batch may start: next_ for a dense segment, anywhere from it for a sparse one.
  bool follows(offset batch_base, offset expected) const {
    return sparse_ ? batch_base >= expected : batch_base == expected;
  }
  void index_batch(uint64_t position, const batch_header& h);
  // Scans [0, end) rebuilding both indexes and the summary fields.
  status rebuild(bool verify_crc, segment_recovery* report);
  struct batch_location {
    uint64_t position;
    batch_header header;
  };
  // The batch holding `from`.
  result<batch_location> locate(offset from) const;
  // Recomputes what index_batch() accumulates, after truncate_to().
  status recompute_tail();

  file log_;
  offset_index index_;
  time_index time_index_;
  std::filesystem::path dir_;
  offset base_{0};
  offset next_{0};
  uint64_t size_ = 0;
  timestamp_ms max_ts_ = no_timestamp;
  timestamp_ms first_ts_ = no_timestamp;
  uint32_t index_interval_bytes_ = 4096;
  uint64_t bytes_since_index_ = 0;
  uint64_t bytes_since_time_index_ = 0;
  offset last_batch_base_{0};
  bool sparse_ = false;
  // Where the previous read ended, so a sequential reader skips the index
  // lookup and scan. Only ever points at a batch start below next_.
  mutable offset read_hint_offset_{-1};
  mutable uint64_t read_hint_position_ = 0;
};

} // namespace sluice::store

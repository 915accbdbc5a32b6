#pragma once

#include "store/log_config.hpp"
#include "store/result.hpp"
#include "store/segment.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::store {

// What opening a partition directory found and repaired.
struct recovery_report {
  offset recovery_point{0};   // from the checkpoint (0 when there was none)
  size_t segments = 0;
  size_t segments_scanned = 0; // verified batch by batch
  size_t indexes_rebuilt = 0;  // opened as trusted but their index or tail did not check out
  size_t segments_deleted = 0; // after a truncation point, or empty leftovers
  uint64_t bytes_truncated = 0;
  std::vector<std::string> notes; // one line per repair, for the node log
};

struct append_result {
  offset base_offset{0};
  offset last_offset{0};
  size_t batch_count = 0;
  uint32_t record_count = 0;
};

// A partition's log: an ordered set of segments in one directory. Owned by one
// partition actor; not thread-safe. Destroying it without close() leaves the
// directory as a crash would (unsynced data stays in the page cache, no new
// checkpoint), which is what the crash tests rely on.
//
// Offsets: [log_start_offset, log_end_offset) are readable. log_start moves up
// only by retention deleting whole segments; log_end moves up by appends (and
// down only by truncation in recovery).
class partition_log {
public:
  // Opens or creates the log in `dir`, recovering after an unclean stop:
  // batches below the recovery point are trusted, everything after it is
  // verified and the log is cut at the first bad or partial batch.
  static result<std::unique_ptr<partition_log>> open(const std::filesystem::path& dir, log_config config,
                                           clock_fn clock = system_clock_ms);

  ~partition_log();
  partition_log(const partition_log&) = delete;
  partition_log& operator=(const partition_log&) = delete;

  // Appends one or more whole batches (as sent by a producer) back to back.
  // Each is validated (length, CRC, max_batch_bytes); offsets are assigned in
  // place starting at log_end_offset, and `epoch` is stamped on each.
  // Nothing is written unless every batch checks out.
  result<append_result> append(std::span<std::byte> batches, leader_epoch epoch = leader_epoch{0});

  // Whole batches from the one holding `from`, up to max_bytes (but at least
  // one batch). Empty at log end; offset_out_of_range outside [start, end].
  // Reads stop at a segment boundary; callers loop for more.
  result<read_result> read(offset from, size_t max_bytes) const;
  // The same into a caller-owned result whose buffer is reused.
  status read(offset from, size_t max_bytes, read_result& out) const;

  // The earliest offset whose record timestamp is >= ts; log_end_offset when none.
  result<offset> offset_for_timestamp(timestamp_ms ts) const;

  // Deletes whole segments past retention.ms / retention.bytes (never the
  // active one). Returns how many were deleted.
  result<size_t> apply_retention();

  // Runs time-driven work: flush.ms and segment.ms. Call periodically.
  status tick();

  // fdatasyncs everything appended and moves the recovery point to log end.
  status flush();
  // flush() and seal the active segment's indexes: the next open scans nothing.
  status close();

  offset log_start_offset() const;
  offset log_end_offset() const { return active().next_offset(); }
  offset recovery_point() const { return recovery_point_; }
  uint64_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  const recovery_report& recovery() const { return report_; }
  const log_config& config() const { return config_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::vector<offset> segment_bases() const;

private:
  partition_log(std::filesystem::path dir, log_config config, clock_fn clock);
  status load();
  status roll();
  status maybe_flush(uint64_t appended_records);
  segment& active() { return segments_.rbegin()->second; }
  const segment& active() const { return segments_.rbegin()->second; }
  const segment* segment_for(offset o) const;
  status delete_oldest();
  status write_checkpoint();

  std::filesystem::path dir_;
  log_config config_;
  clock_fn clock_;
  std::map<offset, segment> segments_; // by base offset; never empty after open
  offset recovery_point_{0};
  offset checkpointed_{0}; // the recovery point the checkpoint file holds
  int64_t last_checkpoint_ms_ = 0;
  int64_t active_created_ms_ = 0;
  std::vector<batch_header> scratch_headers_; // reused by append()
  uint64_t unflushed_records_ = 0;
  int64_t oldest_unflushed_ms_ = -1;
  recovery_report report_;
  bool closed_ = false;
};

} // namespace sluice::store

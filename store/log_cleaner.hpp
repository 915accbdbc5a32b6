#pragma once

// Log compaction (cleanup.policy=compact): Kafka's log cleaner for one partition directory.
//
//   partition_log::plan_cleaning         (the log's owner, a short step)
//     picks the closed segments below the uncleanable offset (min of HW and the last stable
//     offset, never the active segment, none younger than min.compaction.lag.ms), measures
//     the dirty ratio (bytes from the first dirty offset / bytes of that range) against
//     min.cleanable.dirty.ratio, and opens a read-only descriptor of each segment file.
//   clean_log(job)                       (any thread: the node's cleaner)
//     1. builds key -> latest offset from the first dirty offset on, in a bounded offset_map;
//        when the map fills up it stops at a batch boundary (map_end): this pass cleans up to
//        there, the next pass starts from it;
//     2. rewrites every segment from the log start to the one holding map_end into new
//        "<base>.log.cleaned" files (with indexes), merging adjacent segments whose sizes sum
//        to at most segment.bytes. A record goes when a later record of its key is in the map,
//        or when it is a tombstone (null value) whose timestamp is older than
//        delete.retention.ms; records at or after map_end all stay. Kept batches keep their
//        base offset, last offset delta, timestamps and producer fields; a batch that lost
//        records is rebuilt (count, length, CRC) and one that lost them all goes.
//   partition_log::install_cleaned       (the log's owner, a short step)
//     checks the replaced segments are still there unchanged, commits with cleaner.swap,
//     renames the .cleaned files over the old ones, deletes the old segments that were
//     merged away, writes cleaner-offset.checkpoint and removes cleaner.swap. Recovery
//     finishes a swap whose cleaner.swap exists and deletes the .cleaned files of one that
//     does not (cleaner_format.hpp).
//
// Offsets never change: a compacted log has gaps, and a read at an offset that went returns
// the next batch after it. Transactions (KIP-98): the range is below the last stable offset,
// so every transaction in it is decided; records of aborted transactions are never entered
// in the map (an aborted value never supersedes a committed one) and are removed; control
// batches (markers) are all kept (Kafka removes a marker once its transaction's data is gone
// and delete.retention.ms passed; Sluice keeps them, a few dozen bytes each). The producers'
// state lives in the snapshots taken at each roll, above the cleaned range; a rebuild from
// the log alone no longer sees a producer whose batches were all compacted away (as if its
// id had expired).

#include "store/cleaner_files.hpp"
#include "store/file.hpp"
#include "store/producer_state.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace sluice::store {

// One closed segment to clean: [base, end) where end is the next segment's base.
struct cleaning_source {
  offset base{0};
  offset end{0};
  uint64_t size = 0;
  // Opened when planned: the cleaner reads through it even if the log deletes the segment
  // meanwhile (an unlinked file stays readable through an open descriptor).
  file log;
};

struct cleaning_job {
  std::filesystem::path dir;
  std::vector<cleaning_source> segments; // contiguous, from the log start
  offset first_dirty{0};                 // the key map starts here
  int64_t now_ms = 0;
  int64_t delete_retention_ms = 86'400'000;
  uint64_t segment_bytes = uint64_t{1} << 30;
  uint32_t index_interval_bytes = 4096;
  size_t map_bytes = 16u << 20;          // log.cleaner.dedupe.buffer.size
  std::vector<aborted_txn> aborted;      // aborted transactions with batches in the range
  double dirty_ratio = 0;                // what planning measured, for the record
};

struct cleaning_stats {
  uint64_t bytes_read = 0;    // of the segments rewritten
  uint64_t bytes_written = 0; // of the new segments
  uint64_t records_read = 0;
  uint64_t records_removed = 0;
  uint64_t tombstones_removed = 0;
  int64_t duration_ms = 0;
};

struct cleaning_result {
  cleaner_swap swap;
  std::vector<std::pair<offset, uint64_t>> replaced; // (base, size) of every old segment
  cleaning_stats stats;
};

// Runs without the log (any thread): reads only the job's descriptors and writes only
// "<base>.*.cleaned" files in job.dir, fsynced with the directory before it returns.
// invalid_argument when one batch has more keys than the map holds.
result<cleaning_result> clean_log(const cleaning_job& job);

// Deletes the "<base>.*.cleaned" files of `bases` (a cleaning that will not be installed).
void remove_cleaned(const std::filesystem::path& dir, const std::vector<offset>& bases);

// What `sluice inspect` shows of a compacted log's cleaner.
struct cleaner_status {
  double dirty_ratio = 0; // of the cleanable range at the last plan
  offset first_dirty{0};
  offset cleaned_to{0};
  int64_t last_clean_ms = -1; // wall clock of the last swap
  uint64_t cleanings = 0;
  uint64_t bytes_removed = 0;
  uint64_t records_removed = 0;
  uint64_t tombstones_removed = 0;
  std::string last_error;
};

} // namespace sluice::store

#pragma once

#include "store/cleaner_files.hpp"
#include "store/drop_behind.hpp"
#include "store/leader_epoch_cache.hpp"
#include "store/log_cleaner.hpp"
#include "store/log_config.hpp"
#include "store/producer_state.hpp"
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
  // An idempotent producer's retry of a batch the log already holds (producer_state.hpp):
  // nothing was written, and the offsets are the original batch's.
  bool duplicate = false;
};

// A partition's log: an ordered set of segments in one directory. Owned by one
// partition actor; not thread-safe. Destroying it without close() leaves the
// directory as a crash would (unsynced data stays in the page cache, no new
// checkpoint), which is what the crash tests rely on.
//
// Offsets: [log_start_offset, log_end_offset) are readable. log_start moves up
// by retention deleting whole segments (and anywhere by reset_to); log_end moves
// up by appends and down only by truncation (recovery, truncate_to, reset_to).
//
// Leader epochs (KIP-101): every batch carries the epoch of the leader that
// appended it, and epochs never decrease along the log. The log owns its
// leader-epoch history (epochs()) and keeps it in step, so callers cannot
// forget to: the first batch of a new epoch records (epoch, its base offset)
// durably before the batch is written; truncations and retention trim it; open
// loads it from leader-epoch.checkpoint, trims entries a crash left past the
// log's ends, and rebuilds it from the batch headers when the file is missing,
// damaged or disagrees with the last batch.
//
// Idempotent producers (producer_state.hpp): the log also owns the producers' state and keeps
// it in step the same way. append() checks each producer's batch against it (a duplicate is
// answered with the original's offsets and not written; an out-of-order sequence or a fenced
// epoch is refused), both appends record every batch they write, and a truncation rebuilds it
// from the newest snapshot at or below the cut plus the batch headers after it. Snapshots
// (producer_snapshot_format.hpp) are taken at each roll and at close; open loads the newest one
// at or below the log end and replays the headers after it (the whole log when there is none,
// then snapshots the result), so every replica, restarted or not, holds the state its log
// implies.
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
  // A new epoch starts in the history at this append's first offset; an epoch
  // below the latest is errc::stale_epoch (a fenced leader) and writes nothing.
  // A batch of an idempotent producer must come alone (Kafka's one batch per partition
  // and request) and is checked against the producers' state: a duplicate writes nothing
  // and answers the original's offsets (append_result::duplicate), an out-of-order
  // sequence is errc::out_of_order_sequence, an older producer epoch errc::producer_fenced,
  // a negative epoch or sequence errc::invalid_argument.
  // A compacted log (log_config::compacted) refuses a record without a key:
  // errc::invalid_record, nothing written.
  result<append_result> append(std::span<std::byte> batches, leader_epoch epoch = leader_epoch{0});

  // The leader's transaction marker (KIP-98): appends a control batch (batch_format.hpp) of
  // producer `id` at `producer_epoch` that commits or aborts its open transaction, offsets
  // assigned as append() does, stamped with the clock's time. No sequence check (a marker has
  // none); an epoch below the producer's is errc::producer_fenced (a newer epoch already ended
  // the transaction), a negative one errc::invalid_argument.
  result<append_result> append_marker(producer_id id, producer_epoch producer_epoch,
                                      const control_record& marker, leader_epoch epoch);

  // The follower's append (Kafka's appendAsFollower): batches fetched from the
  // leader are written as they are, offsets and epochs kept. Each is validated
  // as append() does (length, CRC, max_batch_bytes) and must start where the log
  // (or the batch before it) ends (in a compacted log: at or after it, since the leader's
  // log has gaps): a gap or an overlap is errc::invalid_argument,
  // an epoch below the one before it errc::stale_epoch. Nothing is written
  // unless every batch checks out. Epochs new to the history are recorded.
  result<append_result> append_replicated(std::span<const std::byte> batches);

  // A follower drops its divergent tail (KIP-101 / KIP-279): every batch at and
  // after `o` goes. `o` must start a batch in [log_start, log_end]; outside
  // the log is errc::offset_out_of_range, inside a batch errc::invalid_argument,
  // and either changes nothing; o == log_end is a no-op. Segments after `o` are
  // deleted, the one holding `o` is cut there (a segment starting at `o` stays,
  // empty, as in Kafka), the epoch history loses its entries from `o` on.
  //
  // Durable on return: first the recovery point is lowered to at most `o` on
  // disk (so recovery never trusts a later append that reuses the offsets), then
  // the cut is fdatasynced and the deletions are fsynced in the directory. A
  // crash midway leaves a prefix of the old log, never a mix.
  //
  //   segments [0,40) [40,90) [90,120), batches of 10 records:
  //     truncate_to(60)  -> [0,40) [40,60)
  //     truncate_to(90)  -> [0,40) [40,90) [90,90)
  //     truncate_to(0)   -> [0,0)
  //     truncate_to(65)  -> invalid_argument, unchanged
  status truncate_to(offset o);

  // Kafka's truncateFullyAndStartAt: empties the log and restarts it at `o`
  // (any offset >= 0), for a follower whose log end is below the leader's log
  // start. Afterwards log_start = log_end = o and the epoch history is empty.
  // Durable on return; a crash midway leaves either a prefix of the old log or
  // the empty log at `o`.
  status reset_to(offset o);

  // The leader's first step in a new epoch (Kafka's makeLeader): records that
  // `epoch` starts at log_end_offset before anything is appended in it. An
  // epoch <= the latest is ignored. Durable on return.
  status assign_epoch(leader_epoch epoch);

  // KIP-279 for this log; see leader_epoch_cache::end_offset_for.
  epoch_end end_offset_for(leader_epoch requested) const {
    return epochs_.end_offset_for(requested, log_end_offset());
  }
  const leader_epoch_cache& epochs() const { return epochs_; }
  // The idempotent producers' state of the whole log (see above).
  const producer_state& producers() const { return producers_; }
  // The read_committed bound (KIP-98): min(hw, the first offset of a transaction that is open
  // or whose marker is not below hw yet), never below the log start (retention may delete a
  // long transaction's first batches).
  offset last_stable_offset(offset hw) const;
  // The partition's HW moved: ended transactions with markers below it are stable for good.
  void on_high_watermark(offset hw) { producers_.on_high_watermark(hw); }
  // The aborted transactions whose batches may lie in [from, upto): marker at or after `from`,
  // first offset below `upto`, ascending by marker offset.
  std::vector<aborted_txn> aborted_transactions(offset from, offset upto) const {
    return producers_.aborted_transactions(from, upto);
  }
  // The newest producer-state snapshot on disk; -1 when there is none.
  offset producer_snapshot() const { return snapshots_.empty() ? offset{-1} : snapshots_.back(); }

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

  // Log compaction (store/log_cleaner.hpp). plan_cleaning returns a job when the log is
  // compacted and the closed segments below `uncleanable` (min of HW and the last stable
  // offset) are dirty enough; nothing when not. The job runs anywhere (clean_log); its
  // result comes back to install_cleaned, which swaps the new segments in, or refuses
  // (errc::invalid_argument, .cleaned files deleted) when a replaced segment changed
  // meanwhile (retention, truncation). Between the two the log works as ever.
  result<std::optional<cleaning_job>> plan_cleaning(offset uncleanable, size_t map_bytes);
  status install_cleaned(const cleaning_result& r);
  // The dirty ratio of the closed segments below `uncleanable` (0 when not compacted).
  double dirty_ratio(offset uncleanable) const;
  const cleaner_status& cleaner() const { return cleaner_; }
  // Tests: called after each file operation of install_cleaned with its name; returning true
  // stops there as a crash would (the log must then be dropped without close and reopened).
  void set_crash_hook(std::function<bool(std::string_view)> hook) { crash_hook_ = std::move(hook); }

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
  // Drop-behind (store/drop_behind.hpp): keep only the newest `window` bytes this log wrote in
  // the page cache; 0 (the default) keeps what the OS keeps. A follower's partition turns it
  // on, a leader's off.
  void set_page_cache_window(uint64_t window) { drop_behind_.set_window(window); }
  const drop_behind& page_cache() const { return drop_behind_; }
  const log_config& config() const { return config_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::vector<offset> segment_bases() const;

private:
  // What validate() found in the bytes of one append.
  struct validated {
    uint32_t records = 0;
    int64_t offsets = 0; // offsets the batches span (last_offset_delta + 1 each)
  };

  partition_log(std::filesystem::path dir, log_config config, clock_fn clock);
  status load();
  status load_epochs();
  status rebuild_epochs();
  result<bool> epochs_match_log() const;
  // Checks every batch (fills scratch_headers_); shared by every append. A control batch must
  // hold a marker parse_control_batch reads.
  result<validated> validate(bytes_view batches);
  // The leader's appends after their checks: starts `epoch` if new, assigns offsets in place,
  // writes and records the batches in the producers' state.
  result<append_result> append_validated(std::span<std::byte> batches, const validated& v,
                                         leader_epoch epoch);
  // Records the written batches (scratch_headers_, in `batches`) in the producers' state.
  void apply_producers(bytes_view batches);
  // A compacted log's refusal of records without a key (scratch_headers_ describe `batches`).
  status check_keys(bytes_view batches) const;
  // Makes the epoch history durable, rolls if due and writes the validated batches.
  status write(bytes_view batches, const validated& v);
  status lower_recovery_point(offset o);
  // Recovery: finishes a swap whose cleaner.swap exists, then loads the cleaner checkpoint.
  status load_cleaner();
  // Lowers the cleaner checkpoint to at most `o` (before a truncation at `o`).
  status lower_cleaner_checkpoint(offset o);
  // The closed segments the cleaner may take: contiguous from the log start, each ending at
  // or below `uncleanable` and older than min.compaction.lag.ms.
  std::vector<const segment*> cleanable(offset uncleanable, int64_t now) const;
  double dirty_ratio_of(const std::vector<const segment*>& segs, offset first_dirty) const;
  offset end_of(const segment& s) const;
  status crash_point(std::string_view step);
  status remove_segment(std::map<offset, segment>::iterator it);
  void restart_active_clock();
  status roll();
  status maybe_flush(uint64_t appended_records);
  segment& active() { return segments_.rbegin()->second; }
  const segment& active() const { return segments_.rbegin()->second; }
  const segment* segment_for(offset o) const;
  status delete_retained(size_t& deleted);
  status write_checkpoint();
  status load_producers();
  // Rebuilds the producers' state for the log as it now ends: the newest readable snapshot
  // at or below the log end, then the batch headers after it.
  status rebuild_producers();
  status replay_producers(offset from);
  // Snapshots the state at the log end (unless one is there already) and drops the oldest
  // beyond producer_snapshots_kept.
  status snapshot_producers();
  // Before a cut at `o`: snapshots above it describe batches about to go.
  status drop_snapshots_after(offset o);
  // The batch of producer `pid` at `epoch` with sequences [first_seq, last_seq], searched in
  // the batch headers from the newest segment back (a retry older than the producers' window).
  result<std::optional<producer_batch_info>> find_producer_batch(int64_t pid, int16_t epoch,
                                                                 int32_t first_seq,
                                                                 int32_t last_seq) const;

  std::filesystem::path dir_;
  log_config config_;
  clock_fn clock_;
  std::map<offset, segment> segments_; // by base offset; never empty after open
  offset recovery_point_{0};
  offset checkpointed_{0}; // the recovery point the checkpoint file holds
  int64_t last_checkpoint_ms_ = 0;
  int64_t active_created_ms_ = 0;
  leader_epoch_cache epochs_;
  producer_state producers_;
  std::vector<offset> snapshots_; // on disk, ascending
  std::vector<batch_header> scratch_headers_; // reused by validate()
  uint64_t unflushed_records_ = 0;
  int64_t oldest_unflushed_ms_ = -1;
  recovery_report report_;
  bool closed_ = false;
  cleaner_checkpoint cleaned_;
  cleaner_status cleaner_;
  drop_behind drop_behind_;
  std::function<bool(std::string_view)> crash_hook_;
};

} // namespace sluice::store

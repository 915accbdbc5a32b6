#pragma once

#include "store/result.hpp"
#include "store/types.hpp"

#include <filesystem>
#include <optional>
#include <vector>

namespace sluice::store {

inline constexpr leader_epoch undefined_epoch{-1};
inline constexpr offset undefined_offset{-1};

// Leader epoch `epoch` wrote (or was assigned) the offsets from start_offset up
// to the next entry's start_offset (or the log end, for the latest entry).
struct epoch_entry {
  leader_epoch epoch;
  offset start_offset;

  bool operator==(const epoch_entry&) const = default;
};

// The answer to a follower's epoch query (KIP-279's OffsetsForLeaderEpoch).
struct epoch_end {
  leader_epoch epoch = undefined_epoch;
  offset end_offset = undefined_offset;

  bool operator==(const epoch_end&) const = default;
};

// A partition's leader-epoch history (Kafka's LeaderEpochFileCache, KIP-101 and
// KIP-279), kept in memory and mirrored to one file (leader_epoch_format.hpp).
//
// Invariants: epochs strictly increase and start offsets never decrease from
// one entry to the next; every value is >= 0. The history grows by one entry
// per leader epoch that reached this log, and shrinks with truncations.
//
// Mutators change memory only and mark the history dirty; flush() makes it
// durable. The owner (partition_log) flushes before a batch of a new epoch is
// written, so the file on disk always covers every epoch the log holds; after
// a crash it may hold more (entries past a truncated tail), which the owner
// trims on open with truncate_from_end / truncate_from_start. Not thread-safe.
class leader_epoch_cache {
public:
  // An empty history that flush() writes to `path`.
  explicit leader_epoch_cache(std::filesystem::path path);

  // Reads the history at `path`: errc::not_found when there is no file,
  // errc::corrupt_checkpoint when it does not parse strictly.
  static result<leader_epoch_cache> load(std::filesystem::path path);

  // Records that `epoch` starts at `start_offset`. An epoch <= the latest is
  // ignored (returns false): it is already known, or it is stale. A new epoch
  // starting below the latest one's start, or a negative value, is
  // errc::invalid_argument and changes nothing. Returns whether an entry was added.
  result<bool> assign(leader_epoch epoch, offset start_offset);

  std::optional<leader_epoch> latest_epoch() const {
    return entries_.empty() ? std::nullopt : std::optional<leader_epoch>{entries_.back().epoch};
  }

  // KIP-279: for the largest known epoch L <= `requested`, where L's offsets
  // end: the next entry's start, or `log_end` when L is the latest. When every
  // known epoch is above `requested`, the epoch is undefined and the offset is
  // the first entry's start, where this log's epochs begin (Kafka answers the
  // requested epoch there; the follower truncates to the offset either way).
  // An empty history answers undefined for both.
  //
  //   entries (1,0) (3,10) (4,25), log_end 30:
  //     end_offset_for(3) = (3, 25)    end_offset_for(2) = (1, 10)
  //     end_offset_for(4) = (4, 30)    end_offset_for(9) = (4, 30)
  //     end_offset_for(0) = (-1, 0)
  epoch_end end_offset_for(leader_epoch requested, offset log_end) const;

  // The epoch of the record at `o`: the one of the last entry starting at or
  // before it; nullopt when `o` lies before every entry.
  std::optional<leader_epoch> epoch_at(offset o) const;

  // After the log was truncated to `end`: drops entries starting at or after it.
  bool truncate_from_end(offset end);
  // After the log start moved up to `start` (retention, reset): drops entries
  // wholly below it and moves the start of the one it falls into up to it.
  //   (1,0) (3,10) (4,25): truncate_from_start(12) leaves (3,12) (4,25)
  bool truncate_from_start(offset start);
  // Forgets every entry (the log was emptied).
  bool clear();

  // Writes the history if it changed since the last flush (temp file, fsync,
  // rename, directory fsync). On an error the history stays dirty.
  status flush();

  const std::vector<epoch_entry>& entries() const { return entries_; }
  bool dirty() const { return dirty_; }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
  std::vector<epoch_entry> entries_;
  bool dirty_ = false;
};

} // namespace sluice::store

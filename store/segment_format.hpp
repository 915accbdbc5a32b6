#pragma once

// On-disk layout of a partition directory.
//
//   <base offset, 20 digits>.log        record batches back to back (batch_format.hpp);
//                                       the first batch's base_offset is the file's base
//   <base offset, 20 digits>.index      sparse offset index: entries of
//                                         relative_offset u32 | position u32   (LE, 8 bytes)
//                                       strictly increasing in both fields; one entry per
//                                       ~index_interval_bytes of log
//   <base offset, 20 digits>.timeindex  time index: entries of
//                                         max_timestamp i64 | relative_offset u32 (LE, 12 bytes)
//                                       the largest timestamp seen up to the batch starting
//                                       at that offset; strictly increasing timestamps
//   recovery-point.checkpoint           checkpoint_format.hpp
//   leader-epoch.checkpoint             leader_epoch_format.hpp
//   <offset, 20 digits>.snapshot        producer state at that log end, producer_snapshot_format.hpp
//
//   <base offset, 20 digits>.log.cleaned, .index.cleaned, .timeindex.cleaned
//                                       a segment the cleaner wrote, not yet swapped in
//   cleaner.swap, cleaner-offset.checkpoint   cleaner_format.hpp
//
// Index files are derived data: on open, a missing or inconsistent one is rebuilt
// from its .log. Files ending in .tmp or .deleted are leftovers of an interrupted
// checkpoint write or retention and are removed on open. Anything else is foreign.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::store::segment_format {

inline constexpr std::string_view log_suffix = ".log";
inline constexpr std::string_view index_suffix = ".index";
inline constexpr std::string_view time_index_suffix = ".timeindex";
inline constexpr std::string_view deleted_suffix = ".deleted";
inline constexpr std::string_view tmp_suffix = ".tmp";
inline constexpr std::string_view snapshot_suffix = ".snapshot";
inline constexpr std::string_view cleaned_suffix = ".cleaned";
inline constexpr size_t base_digits = 20;

inline constexpr size_t index_entry_size = 8;
inline constexpr size_t time_index_entry_size = 12;

// Positions and relative offsets are u32: a segment never exceeds this size.
inline constexpr uint64_t max_segment_bytes = uint64_t{1} << 31;

// "00000000000000001234"
std::string file_stem(int64_t base_offset);

enum class file_kind { log, index, time_index, producer_snapshot, leftover, cleaned };

struct parsed_name {
  int64_t base_offset;
  file_kind kind;
};

// Parses a partition-directory file name; nullopt for a name Sluice never writes
// (the checkpoint file is recognised by the log, not here).
std::optional<parsed_name> parse_file_name(std::string_view name);

} // namespace sluice::store::segment_format

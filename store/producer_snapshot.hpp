#pragma once

// Reading and writing producer-state snapshots (producer_snapshot_format.hpp) in a partition
// directory. Owned by partition_log, which decides when to take and drop them.

#include "store/producer_state.hpp"
#include "store/result.hpp"

#include <filesystem>
#include <vector>

namespace sluice::store {

std::vector<std::byte> encode_producer_snapshot(const producer_state& s, offset end);
// corrupt_checkpoint when the bytes break any rule of the format.
result<producer_state> decode_producer_snapshot(bytes_view bytes, offset end);

// "<end, 20 digits>.snapshot"
std::string producer_snapshot_name(offset end);

// The snapshots in `dir`, by offset, ascending.
result<std::vector<offset>> list_producer_snapshots(const std::filesystem::path& dir);
// Durable on return (write_file_atomic).
status write_producer_snapshot(const std::filesystem::path& dir, const producer_state& s, offset end);
result<producer_state> read_producer_snapshot(const std::filesystem::path& dir, offset end);
status remove_producer_snapshot(const std::filesystem::path& dir, offset end);

} // namespace sluice::store

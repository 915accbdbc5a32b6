#pragma once

#include "store/result.hpp"
#include "store/types.hpp"

#include <filesystem>

namespace sluice::store {

// Reads the recovery point of the partition in `dir`. A missing file is
// offset 0 (recover everything); a damaged one is errc::corrupt_checkpoint.
result<offset> read_recovery_point(const std::filesystem::path& dir);

// Replaces the checkpoint atomically (temp file, fsync, rename).
status write_recovery_point(const std::filesystem::path& dir, offset recovery_point);

} // namespace sluice::store

#pragma once

// Reading and writing the cleaner's checkpoint and swap files (cleaner_format.hpp).

#include "store/result.hpp"
#include "store/types.hpp"

#include <filesystem>
#include <optional>
#include <vector>

namespace sluice::store {

// How far the cleaner got (cleaner_format.hpp). A log never cleaned has {0, 0}.
struct cleaner_checkpoint {
  offset first_dirty{0};
  offset cleaned_to{0};
  bool operator==(const cleaner_checkpoint&) const = default;
};

// A missing file is {0, 0}; a damaged one is errc::corrupt_checkpoint.
result<cleaner_checkpoint> read_cleaner_checkpoint(const std::filesystem::path& dir);
status write_cleaner_checkpoint(const std::filesystem::path& dir, const cleaner_checkpoint& c);

// One committed swap: old segments with bases in [replaced_from, replaced_to) give way to
// the new segments at `bases`, and the checkpoint becomes `after`.
struct cleaner_swap {
  offset replaced_from{0};
  offset replaced_to{0};
  cleaner_checkpoint after;
  std::vector<offset> bases;
  bool operator==(const cleaner_swap&) const = default;
};

// nullopt when there is no swap file; errc::corrupt_checkpoint when it does not check out.
result<std::optional<cleaner_swap>> read_cleaner_swap(const std::filesystem::path& dir);
status write_cleaner_swap(const std::filesystem::path& dir, const cleaner_swap& s);
status remove_cleaner_swap(const std::filesystem::path& dir);

} // namespace sluice::store

#pragma once

#include "store/file.hpp"
#include "store/result.hpp"
#include "store/segment_format.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sluice::store {

// Entry of <base>.index: the batch starting at base + relative_offset lies at `position`.
struct offset_entry {
  uint32_t relative_offset;
  uint32_t position;

  static constexpr size_t size = segment_format::index_entry_size;
  uint64_t key() const { return relative_offset; }
  void encode(std::byte* p) const {
    std::memcpy(p, &relative_offset, 4);
    std::memcpy(p + 4, &position, 4);
  }
  static offset_entry decode(const std::byte* p) {
    offset_entry e;
    std::memcpy(&e.relative_offset, p, 4);
    std::memcpy(&e.position, p + 4, 4);
    return e;
  }
  // Both fields strictly increase from one entry to the next.
  bool follows(const offset_entry& prev) const {
    return relative_offset > prev.relative_offset && position > prev.position;
  }
};

// Entry of <base>.timeindex: records up to the batch starting at base + relative_offset
// have timestamps <= max_timestamp, and some record there has exactly that timestamp.
struct time_entry {
  int64_t max_timestamp;
  uint32_t relative_offset;

  static constexpr size_t size = segment_format::time_index_entry_size;
  int64_t key() const { return max_timestamp; }
  void encode(std::byte* p) const {
    std::memcpy(p, &max_timestamp, 8);
    std::memcpy(p + 8, &relative_offset, 4);
  }
  static time_entry decode(const std::byte* p) {
    time_entry e;
    std::memcpy(&e.max_timestamp, p, 8);
    std::memcpy(&e.relative_offset, p + 8, 4);
    return e;
  }
  bool follows(const time_entry& prev) const {
    return max_timestamp > prev.max_timestamp && relative_offset >= prev.relative_offset;
  }
};

// A sparse index held in memory and mirrored to its file. Appends go to memory;
// flush() writes the entries not yet on disk. The file is derived data: when it
// is lost or damaged the segment rebuilds it, so it is written but not fsynced.
//
// Invariant: entries_ is strictly increasing by Entry::follows; entries_[0,
// persisted_) are in the file at their slot.
template <class Entry>
class sparse_index {
public:
  sparse_index() = default;

  // Loads and checks the file; `segment_size` / `max_relative` bound what a
  // valid entry may point at (the segment's size and offset range).
  static result<sparse_index> load(const std::filesystem::path& path, uint64_t segment_size,
                                   uint64_t max_relative);

  static result<sparse_index> create(const std::filesystem::path& path) {
    auto f = file::open(path, file::mode::create_read_write);
    if (!f)
      return f.err();
    SLUICE_TRY(f->truncate(0));
    sparse_index idx;
    idx.file_ = std::move(*f);
    return idx;
  }

  void append(const Entry& e) { entries_.push_back(e); }
  const std::vector<Entry>& entries() const { return entries_; }
  std::optional<Entry> last() const {
    return entries_.empty() ? std::nullopt : std::optional<Entry>{entries_.back()};
  }

  // The last entry whose key is <= k, if any.
  std::optional<Entry> floor(uint64_t k) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), k,
                               [](uint64_t v, const Entry& e) { return v < uint64_t(e.key()); });
    if (it == entries_.begin())
      return std::nullopt;
    return *(it - 1);
  }

  // Drops entries from the back while `drop(entry)` holds (truncation).
  template <class Pred>
  status truncate_while(Pred drop) {
    while (!entries_.empty() && drop(entries_.back()))
      entries_.pop_back();
    if (persisted_ > entries_.size()) {
      persisted_ = entries_.size();
      return file_.truncate(persisted_ * Entry::size);
    }
    return {};
  }

  status flush() {
    if (persisted_ == entries_.size())
      return {};
    std::vector<std::byte> buf((entries_.size() - persisted_) * Entry::size);
    for (size_t i = persisted_; i < entries_.size(); ++i)
      entries_[i].encode(buf.data() + (i - persisted_) * Entry::size);
    SLUICE_TRY(file_.write_at(persisted_ * Entry::size, buf));
    persisted_ = entries_.size();
    return {};
  }

  // fdatasyncs what flush() and truncate_while() wrote.
  status sync() { return file_.sync_data(); }

  size_t memory_bytes() const { return entries_.capacity() * sizeof(Entry); }
  const std::filesystem::path& path() const { return file_.path(); }

private:
  file file_;
  std::vector<Entry> entries_;
  size_t persisted_ = 0;
};

template <class Entry>
result<sparse_index<Entry>> sparse_index<Entry>::load(const std::filesystem::path& path,
                                                      uint64_t segment_size,
                                                      uint64_t max_relative) {
  auto bytes = read_whole_file(path);
  if (!bytes)
    return bytes.err();
  auto corrupt = [&](const std::string& why) {
    return make_error(errc::corrupt_index, path.string() + ": " + why);
  };
  if (bytes->size() % Entry::size != 0)
    return corrupt("size " + std::to_string(bytes->size()) + " is not a multiple of "
                   + std::to_string(Entry::size));
  sparse_index idx;
  size_t n = bytes->size() / Entry::size;
  idx.entries_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto e = Entry::decode(bytes->data() + i * Entry::size);
    if (!idx.entries_.empty() && !e.follows(idx.entries_.back()))
      return corrupt("entry " + std::to_string(i) + " does not follow its predecessor");
    if (e.relative_offset > max_relative)
      return corrupt("entry " + std::to_string(i) + " points past the segment's last offset");
    if constexpr (requires { e.position; }) {
      if (e.position >= segment_size)
        return corrupt("entry " + std::to_string(i) + " points to position "
                       + std::to_string(e.position) + " past the segment end "
                       + std::to_string(segment_size));
    }
    idx.entries_.push_back(e);
  }
  auto f = file::open(path, file::mode::read_write);
  if (!f)
    return f.err();
  idx.file_ = std::move(*f);
  idx.persisted_ = n;
  return idx;
}

using offset_index = sparse_index<offset_entry>;
using time_index = sparse_index<time_entry>;

} // namespace sluice::store

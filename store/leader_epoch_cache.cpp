#include "store/leader_epoch_cache.hpp"

#include "store/crc32c.hpp"
#include "store/file.hpp"
#include "store/leader_epoch_format.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace sluice::store {

namespace lf = leader_epoch_format;

namespace {

std::vector<std::byte> encode(const std::vector<epoch_entry>& entries) {
  std::vector<std::byte> buf(lf::file_size(entries.size()));
  auto* p = buf.data();
  uint32_t magic = lf::magic;
  uint16_t version = lf::version;
  auto count = static_cast<uint32_t>(entries.size());
  std::memcpy(p, &magic, 4);
  std::memcpy(p + lf::version_pos, &version, 2);
  std::memcpy(p + lf::count_pos, &count, 4);
  for (size_t i = 0; i < entries.size(); ++i) {
    auto* e = p + lf::entries_pos + i * lf::entry_size;
    std::memcpy(e, &entries[i].epoch.value, 4);
    std::memcpy(e + lf::entry_start_offset_pos, &entries[i].start_offset.value, 8);
  }
  auto crc_pos = buf.size() - lf::crc_size;
  uint32_t crc = crc32c::value(p, crc_pos);
  std::memcpy(p + crc_pos, &crc, 4);
  return buf;
}

} // namespace

leader_epoch_cache::leader_epoch_cache(std::filesystem::path path) : path_(std::move(path)) {}

result<leader_epoch_cache> leader_epoch_cache::load(std::filesystem::path path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error(errc::not_found, path.string() + ": no leader-epoch file");
  auto bytes = read_whole_file(path);
  if (!bytes)
    return bytes.err();
  auto bad = [&](const std::string& why) {
    return make_error(errc::corrupt_checkpoint, path.string() + ": " + why);
  };
  const auto* p = bytes->data();
  if (bytes->size() < lf::file_size(0))
    return bad("shorter than a header");
  uint32_t magic, count, crc;
  uint16_t version, reserved;
  std::memcpy(&magic, p, 4);
  std::memcpy(&version, p + lf::version_pos, 2);
  std::memcpy(&reserved, p + lf::reserved_pos, 2);
  std::memcpy(&count, p + lf::count_pos, 4);
  if (magic != lf::magic)
    return bad("bad magic");
  if (version != lf::version || reserved != 0)
    return bad("unknown version " + std::to_string(version) + "." + std::to_string(reserved));
  // Checked before multiplying: a lying count cannot overflow the size test.
  if ((bytes->size() - lf::file_size(0)) / lf::entry_size != count
      || bytes->size() != lf::file_size(count))
    return bad("size " + std::to_string(bytes->size()) + " does not hold "
               + std::to_string(count) + " entries");
  auto crc_pos = bytes->size() - lf::crc_size;
  std::memcpy(&crc, p + crc_pos, 4);
  if (crc != crc32c::value(p, crc_pos))
    return bad("CRC mismatch");
  leader_epoch_cache c{std::move(path)};
  c.entries_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const auto* e = p + lf::entries_pos + i * lf::entry_size;
    epoch_entry x;
    std::memcpy(&x.epoch.value, e, 4);
    std::memcpy(&x.start_offset.value, e + lf::entry_start_offset_pos, 8);
    if (x.epoch < leader_epoch{0} || x.start_offset < offset{0})
      return bad("entry " + std::to_string(i) + " is negative");
    if (!c.entries_.empty()
        && (x.epoch <= c.entries_.back().epoch || x.start_offset < c.entries_.back().start_offset))
      return bad("entry " + std::to_string(i) + " does not follow its predecessor");
    c.entries_.push_back(x);
  }
  return c;
}

result<bool> leader_epoch_cache::assign(leader_epoch epoch, offset start_offset) {
  if (epoch < leader_epoch{0} || start_offset < offset{0})
    return make_error(errc::invalid_argument, "epoch " + std::to_string(epoch.value) + " at offset "
                                                + std::to_string(start_offset.value)
                                                + ": negative");
  if (!entries_.empty() && epoch <= entries_.back().epoch)
    return false;
  if (!entries_.empty() && start_offset < entries_.back().start_offset)
    return make_error(errc::invalid_argument,
                      "epoch " + std::to_string(epoch.value) + " would start at "
                        + std::to_string(start_offset.value) + ", before epoch "
                        + std::to_string(entries_.back().epoch.value) + " at "
                        + std::to_string(entries_.back().start_offset.value));
  entries_.push_back({epoch, start_offset});
  dirty_ = true;
  return true;
}

epoch_end leader_epoch_cache::end_offset_for(leader_epoch requested, offset log_end) const {
  if (entries_.empty())
    return {};
  // The first entry with an epoch above the one asked for.
  auto higher = std::upper_bound(entries_.begin(), entries_.end(), requested,
                                 [](leader_epoch e, const epoch_entry& x) { return e < x.epoch; });
  if (higher == entries_.begin())
    return {undefined_epoch, entries_.front().start_offset};
  auto floor = std::prev(higher);
  return {floor->epoch, higher == entries_.end() ? log_end : higher->start_offset};
}

std::optional<leader_epoch> leader_epoch_cache::epoch_at(offset o) const {
  auto after = std::upper_bound(entries_.begin(), entries_.end(), o,
                                [](offset v, const epoch_entry& x) { return v < x.start_offset; });
  if (after == entries_.begin())
    return std::nullopt;
  return std::prev(after)->epoch;
}

bool leader_epoch_cache::truncate_from_end(offset end) {
  auto n = entries_.size();
  while (!entries_.empty() && entries_.back().start_offset >= end)
    entries_.pop_back();
  dirty_ |= entries_.size() != n;
  return entries_.size() != n;
}

bool leader_epoch_cache::truncate_from_start(offset start) {
  // The last entry starting at or before `start` survives, moved up to it.
  auto after = std::upper_bound(entries_.begin(), entries_.end(), start,
                                [](offset v, const epoch_entry& x) { return v < x.start_offset; });
  if (after == entries_.begin())
    return false;
  auto keep = std::prev(after);
  if (keep == entries_.begin() && keep->start_offset == start)
    return false;
  keep->start_offset = start;
  entries_.erase(entries_.begin(), keep);
  dirty_ = true;
  return true;
}

bool leader_epoch_cache::clear() {
  if (entries_.empty())
    return false;
  entries_.clear();
  dirty_ = true;
  return true;
}

status leader_epoch_cache::flush() {
  if (!dirty_)
    return {};
  SLUICE_TRY(write_file_atomic(path_, encode(entries_)));
  dirty_ = false;
  return {};
}

} // namespace sluice::store

#include "store/cleaner_files.hpp"

#include "store/cleaner_format.hpp"
#include "store/crc32c.hpp"
#include "store/file.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace sluice::store {

namespace cf = cleaner_format;

namespace {

template <class T>
T load_at(const std::vector<std::byte>& b, size_t pos) {
  T v;
  std::memcpy(&v, b.data() + pos, sizeof(T));
  return v;
}

template <class T>
void store_at(std::vector<std::byte>& b, size_t pos, T v) {
  std::memcpy(b.data() + pos, &v, sizeof(T));
}

void put_header(std::vector<std::byte>& b, uint32_t magic, uint16_t version) {
  store_at(b, 0, magic);
  store_at(b, 4, version);
  store_at(b, 6, uint16_t{0});
}

} // namespace

result<cleaner_checkpoint> read_cleaner_checkpoint(const std::filesystem::path& dir) {
  auto path = dir / cf::checkpoint_name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return cleaner_checkpoint{};
  auto bytes = read_whole_file(path);
  if (!bytes)
    return bytes.err();
  auto bad = [&](const char* why) {
    return make_error(errc::corrupt_checkpoint, path.string() + ": " + why);
  };
  if (bytes->size() != cf::checkpoint_size)
    return bad("wrong size");
  if (load_at<uint32_t>(*bytes, 0) != cf::checkpoint_magic)
    return bad("bad magic");
  if (load_at<uint16_t>(*bytes, 4) != cf::checkpoint_version)
    return bad("unknown version");
  if (load_at<uint32_t>(*bytes, cf::checkpoint_crc_pos)
      != crc32c::value(bytes->data(), cf::checkpoint_crc_pos))
    return bad("CRC mismatch");
  cleaner_checkpoint c{offset{load_at<int64_t>(*bytes, cf::first_dirty_pos)},
                       offset{load_at<int64_t>(*bytes, cf::cleaned_to_pos)}};
  if (c.first_dirty.value < 0 || c.cleaned_to.value < 0)
    return bad("negative offset");
  return c;
}

status write_cleaner_checkpoint(const std::filesystem::path& dir, const cleaner_checkpoint& c) {
  std::vector<std::byte> b(cf::checkpoint_size);
  put_header(b, cf::checkpoint_magic, cf::checkpoint_version);
  store_at(b, cf::first_dirty_pos, c.first_dirty.value);
  store_at(b, cf::cleaned_to_pos, c.cleaned_to.value);
  store_at(b, cf::checkpoint_crc_pos, crc32c::value(b.data(), cf::checkpoint_crc_pos));
  return write_file_atomic(dir / cf::checkpoint_name, b);
}

result<std::optional<cleaner_swap>> read_cleaner_swap(const std::filesystem::path& dir) {
  auto path = dir / cf::swap_name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return std::optional<cleaner_swap>{};
  auto bytes = read_whole_file(path);
  if (!bytes)
    return bytes.err();
  auto bad = [&](const char* why) {
    return make_error(errc::corrupt_checkpoint, path.string() + ": " + why);
  };
  if (bytes->size() < cf::swap_size(0))
    return bad("too short");
  if (load_at<uint32_t>(*bytes, 0) != cf::swap_magic)
    return bad("bad magic");
  if (load_at<uint16_t>(*bytes, 4) != cf::swap_version)
    return bad("unknown version");
  auto count = load_at<uint32_t>(*bytes, cf::swap_count_pos);
  if (count > cf::swap_max_count || bytes->size() != cf::swap_size(count))
    return bad("wrong size for its count");
  auto crc_pos = bytes->size() - 4;
  if (load_at<uint32_t>(*bytes, crc_pos) != crc32c::value(bytes->data(), crc_pos))
    return bad("CRC mismatch");
  cleaner_swap s;
  s.replaced_from = offset{load_at<int64_t>(*bytes, cf::swap_from_pos)};
  s.replaced_to = offset{load_at<int64_t>(*bytes, cf::swap_to_pos)};
  s.after.first_dirty = offset{load_at<int64_t>(*bytes, cf::swap_first_dirty_pos)};
  s.after.cleaned_to = offset{load_at<int64_t>(*bytes, cf::swap_cleaned_to_pos)};
  for (uint32_t i = 0; i < count; ++i) {
    offset b{load_at<int64_t>(*bytes, cf::swap_bases_pos + 8 * i)};
    if (b < s.replaced_from || b >= s.replaced_to || (!s.bases.empty() && b <= s.bases.back()))
      return bad("a new segment outside the replaced range or out of order");
    s.bases.push_back(b);
  }
  return std::optional<cleaner_swap>{std::move(s)};
}

status write_cleaner_swap(const std::filesystem::path& dir, const cleaner_swap& s) {
  std::vector<std::byte> b(cf::swap_size(s.bases.size()));
  put_header(b, cf::swap_magic, cf::swap_version);
  store_at(b, cf::swap_from_pos, s.replaced_from.value);
  store_at(b, cf::swap_to_pos, s.replaced_to.value);
  store_at(b, cf::swap_first_dirty_pos, s.after.first_dirty.value);
  store_at(b, cf::swap_cleaned_to_pos, s.after.cleaned_to.value);
  store_at(b, cf::swap_count_pos, static_cast<uint32_t>(s.bases.size()));
  for (size_t i = 0; i < s.bases.size(); ++i)
    store_at(b, cf::swap_bases_pos + 8 * i, s.bases[i].value);
  auto crc_pos = b.size() - 4;
  store_at(b, crc_pos, crc32c::value(b.data(), crc_pos));
  return write_file_atomic(dir / cf::swap_name, b);
}

status remove_cleaner_swap(const std::filesystem::path& dir) {
  auto path = dir / cf::swap_name;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return make_error(errc::io_error, "unlink " + path.string() + ": " + std::strerror(errno));
  return sync_directory(dir);
}

} // namespace sluice::store

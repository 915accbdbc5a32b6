#include "store/checkpoint.hpp"

#include "store/checkpoint_format.hpp"
#include "store/crc32c.hpp"
#include "store/file.hpp"

#include <array>
#include <cstring>

namespace sluice::store {

namespace cf = checkpoint_format;

result<offset> read_recovery_point(const std::filesystem::path& dir) {
  auto path = dir / cf::file_name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return offset{0};
  auto bytes = read_whole_file(path);
  if (!bytes)
    return bytes.err();
  auto bad = [&](const char* why) {
    return make_error(errc::corrupt_checkpoint, path.string() + ": " + why);
  };
  if (bytes->size() != cf::size)
    return bad("wrong size");
  uint32_t magic, crc;
  uint16_t version;
  int64_t point;
  std::memcpy(&magic, bytes->data(), 4);
  std::memcpy(&version, bytes->data() + 4, 2);
  std::memcpy(&point, bytes->data() + cf::recovery_point_pos, 8);
  std::memcpy(&crc, bytes->data() + cf::crc_pos, 4);
  if (magic != cf::magic)
    return bad("bad magic");
  if (version != cf::version)
    return bad("unknown version");
  if (crc != crc32c::value(bytes->data(), cf::crc_pos))
    return bad("CRC mismatch");
  if (point < 0)
    return bad("negative recovery point");
  return offset{point};
}

status write_recovery_point(const std::filesystem::path& dir, offset recovery_point) {
  std::array<std::byte, cf::size> buf{};
  uint32_t magic = cf::magic;
  uint16_t version = cf::version;
  std::memcpy(buf.data(), &magic, 4);
  std::memcpy(buf.data() + 4, &version, 2);
  std::memcpy(buf.data() + cf::recovery_point_pos, &recovery_point.value, 8);
  uint32_t crc = crc32c::value(buf.data(), cf::crc_pos);
  std::memcpy(buf.data() + cf::crc_pos, &crc, 4);
  return write_file_atomic(dir / cf::file_name, buf);
}

} // namespace sluice::store

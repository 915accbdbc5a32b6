#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sluice::store::varint {

// Zigzag varints as in protobuf and Kafka's record v2.
inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

inline constexpr size_t max_bytes = 10;

inline size_t size(int64_t v) {
  uint64_t u = zigzag(v);
  size_t n = 1;
  while (u >= 0x80) { u >>= 7; ++n; }
  return n;
}

// Writes v at p (which has room for size(v) bytes); returns the end.
inline std::byte* write(std::byte* p, int64_t v) {
  uint64_t u = zigzag(v);
  while (u >= 0x80) {
    *p++ = std::byte(static_cast<uint8_t>(u) | 0x80);
    u >>= 7;
  }
  *p++ = std::byte(static_cast<uint8_t>(u));
  return p;
}

inline void append(std::vector<std::byte>& out, int64_t v) {
  std::byte tmp[max_bytes];
  auto e = write(tmp, v);
  out.insert(out.end(), tmp, e);
}

// Reads one varint from [p, end); nullopt when it runs past end or over 10 bytes.
inline std::optional<int64_t> read(const std::byte*& p, const std::byte* end) {
  uint64_t u = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p == end)
      return std::nullopt;
    auto b = static_cast<uint8_t>(*p++);
    u |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0)
      return unzigzag(u);
  }
  return std::nullopt;
}

} // namespace sluice::store::varint

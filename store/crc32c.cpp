#include "store/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

namespace sluice::store::crc32c {

namespace {

constexpr uint32_t poly = 0x82F63B78u;

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zeros.
using tables_t = std::array<std::array<uint32_t, 256>, 8>;

constexpr tables_t make_tables() {
  tables_t t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i)
      c = (c >> 1) ^ ((c & 1) ? poly : 0);
    t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k)
    for (uint32_t b = 0; b < 256; ++b)
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  return t;
}

constexpr tables_t tables = make_tables();

uint32_t (*const impl)(uint32_t, const void*, size_t) =
  cpu_has_sse42() ? extend_sse42 : extend_portable;

} // namespace

uint32_t extend_portable(uint32_t crc, const void* data, size_t n) {
  auto p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8); // little-endian host assumed (static_assert in batch_format.hpp)
    w ^= c;
    c = tables[7][w & 0xFF] ^ tables[6][(w >> 8) & 0xFF] ^ tables[5][(w >> 16) & 0xFF]
        ^ tables[4][(w >> 24) & 0xFF] ^ tables[3][(w >> 32) & 0xFF]
        ^ tables[2][(w >> 40) & 0xFF] ^ tables[1][(w >> 48) & 0xFF] ^ tables[0][w >> 56];
  }
  for (; n > 0; --n, ++p)
    c = (c >> 8) ^ tables[0][(c ^ *p) & 0xFF];
  return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
uint32_t extend_sse42(uint32_t crc, const void* data, size_t n) {
  auto p = static_cast<const uint8_t*>(data);
  uint64_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p)
    c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
}

bool cpu_has_sse42() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return false;
  return (c & bit_SSE4_2) != 0;
}
#else
uint32_t extend_sse42(uint32_t crc, const void* data, size_t n) {
  return extend_portable(crc, data, n);
}
bool cpu_has_sse42() { return false; }
#endif

uint32_t extend(uint32_t crc, const void* data, size_t n) { return impl(crc, data, n); }

} // namespace sluice::store::crc32c

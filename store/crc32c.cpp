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
namespace {

// Multiplies a and b modulo the CRC polynomial, both in the reflected bit
// order the CRC state uses (bit 31 is x^0).
uint32_t multmodp(uint32_t a, uint32_t b) {
  uint32_t m = 1u << 31;
  uint32_t p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0)
        break;
    }
    m >>= 1;
    b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
  }
  return p;
}

__attribute__((target("sse4.2")))
uint64_t crc_words(uint64_t c, const uint8_t* p, size_t words) {
  for (size_t i = 0; i < words; ++i) {
    uint64_t w;
    std::memcpy(&w, p + 8 * i, 8);
    c = _mm_crc32_u64(c, w);
  }
  return c;
}

// x^(8n) mod P: multiplying a CRC state by it appends n zero bytes, which is
// how three independently computed stretches are joined into one CRC.
uint32_t zeros_operator(size_t n) {
  std::array<uint8_t, 8> zero{};
  uint64_t c = 1u << 31;
  for (size_t i = 0; i < n / 8; ++i)
    c = crc_words(c, zero.data(), 1);
  return static_cast<uint32_t>(c);
}

// The crc32 instruction has a latency of 3 cycles and a throughput of 1, so
// three interleaved streams run about three times faster than one.
constexpr size_t long_block = 8192;
constexpr size_t short_block = 256;

// multmodp(op, c) by table: one lookup per byte of c instead of a 32-step loop,
// which would cost more than a short block's CRC itself.
struct shift_table {
  std::array<std::array<uint32_t, 256>, 4> t;
  explicit shift_table(uint32_t op) {
    for (int k = 0; k < 4; ++k)
      for (uint32_t b = 0; b < 256; ++b)
        t[k][b] = multmodp(op, b << (8 * k));
  }
  uint32_t operator()(uint32_t c) const {
    return t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ t[2][(c >> 16) & 0xFF] ^ t[3][c >> 24];
  }
};

// Function-local statics: safe even when another TU checksums during static init.
const shift_table& long_shift() {
  static const shift_table t{zeros_operator(long_block)};
  return t;
}
const shift_table& short_shift() {
  static const shift_table t{zeros_operator(short_block)};
  return t;
}

template <size_t Block>
__attribute__((target("sse4.2")))
uint64_t crc_three_way(uint64_t c, const uint8_t*& p, size_t& n, const shift_table& shift) {
  while (n >= 3 * Block) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < Block; i += 8) {
      uint64_t w0, w1, w2;
      std::memcpy(&w0, p + i, 8);
      std::memcpy(&w1, p + Block + i, 8);
      std::memcpy(&w2, p + 2 * Block + i, 8);
      c = _mm_crc32_u64(c, w0);
      c1 = _mm_crc32_u64(c1, w1);
      c2 = _mm_crc32_u64(c2, w2);
    }
    c = shift(static_cast<uint32_t>(c)) ^ c1;
    c = shift(static_cast<uint32_t>(c)) ^ c2;
    p += 3 * Block;
    n -= 3 * Block;
  }
  return c;
}

} // namespace

__attribute__((target("sse4.2")))
uint32_t extend_sse42(uint32_t crc, const void* data, size_t n) {
  auto p = static_cast<const uint8_t*>(data);
  uint64_t c = static_cast<uint32_t>(~crc);
  if (n >= 3 * long_block)
    c = crc_three_way<long_block>(c, p, n, long_shift());
  if (n >= 3 * short_block)
    c = crc_three_way<short_block>(c, p, n, short_shift());
  c = crc_words(c, p, n / 8);
  p += n & ~size_t{7};
  n &= 7;
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

uint32_t extend(uint32_t crc, const void* data, size_t n) {
  static const bool hw = cpu_has_sse42();
  return hw ? extend_sse42(crc, data, n) : extend_portable(crc, data, n);
}

} // namespace sluice::store::crc32c

#include "store/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
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

// x^n mod P in the reflected order of multmodp (bit 31 is x^0).
uint32_t xpow(size_t n) {
  uint32_t v = 1u << 31;
  for (size_t i = 0; i < n; ++i)
    v = (v & 1) ? (v >> 1) ^ poly : v >> 1;
  return v;
}

// Folding with carry-less multiplies (Intel's "Fast CRC Computation Using
// PCLMULQDQ", reflected form). A 128-bit lane A of the message that precedes
// lane B by D bits contributes to the CRC exactly as A * x^D mod P added into
// B would. With the lane's first qword L (the higher-degree half) and second
// qword H, and clmul placing a product of reflected operands 33 bits low,
//   A * x^D  ==  clmul(L, x^(D+31) mod P)  ^  clmul(H, x^(D-33) mod P)   (mod P)
// so one fold is two multiplies and two xors, four lanes per 512-bit register.
struct fold_constant {
  uint64_t for_first, for_second;
  explicit fold_constant(size_t distance_bits)
    : for_first(xpow(distance_bits + 31)), for_second(xpow(distance_bits - 33)) {}
};

// GCC 12's avx512fintrin.h builds _mm512_undefined values that -Wuninitialized
// reports once inlined here (a known false positive); nothing of ours is uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"

bool cpu_has_vpclmul() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_PCLMUL) || !(c & bit_OSXSAVE))
    return false;
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xE6) != 0xE6) // the OS saves SSE, AVX and all AVX-512 state
    return false;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
    return false;
  return (b & bit_AVX512F) && (c & bit_VPCLMULQDQ);
}

__attribute__((target("avx512f,vpclmulqdq,pclmul")))
__m512i fold512(__m512i acc, __m512i k, __m512i next) {
  return _mm512_xor_si512(_mm512_xor_si512(_mm512_clmulepi64_epi128(acc, k, 0x00),
                                           _mm512_clmulepi64_epi128(acc, k, 0x11)),
                          next);
}

__attribute__((target("pclmul,sse4.2")))
__m128i fold128(__m128i acc, const fold_constant& k, __m128i next) {
  __m128i kk = _mm_set_epi64x(static_cast<int64_t>(k.for_second), static_cast<int64_t>(k.for_first));
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(acc, kk, 0x00),
                                     _mm_clmulepi64_si128(acc, kk, 0x11)),
                       next);
}

__attribute__((target("avx512f,vpclmulqdq,pclmul")))
__m512i broadcast(const fold_constant& k) {
  return _mm512_broadcast_i32x4(
    _mm_set_epi64x(static_cast<int64_t>(k.for_second), static_cast<int64_t>(k.for_first)));
}

// Consumes whole 256-byte blocks (n >= 512) from a raw CRC state; returns the
// raw state after them. Four 512-bit accumulators hide the multiply latency.
__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))
uint64_t crc_vpclmul(uint64_t state, const uint8_t*& p, size_t& n) {
  static const fold_constant by_block{256 * 8}, by_64{64 * 8}, by_48{48 * 8}, by_32{32 * 8},
    by_16{16 * 8};
  const __m512i k_block = broadcast(by_block), k_64 = broadcast(by_64);
  __m512i a0 = _mm512_loadu_si512(p), a1 = _mm512_loadu_si512(p + 64),
          a2 = _mm512_loadu_si512(p + 128), a3 = _mm512_loadu_si512(p + 192);
  // A CRC state is equivalent to xoring it into the next four message bytes.
  a0 = _mm512_xor_si512(a0, _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(state))));
  p += 256;
  n -= 256;
  for (; n >= 256; p += 256, n -= 256) {
    a0 = fold512(a0, k_block, _mm512_loadu_si512(p));
    a1 = fold512(a1, k_block, _mm512_loadu_si512(p + 64));
    a2 = fold512(a2, k_block, _mm512_loadu_si512(p + 128));
    a3 = fold512(a3, k_block, _mm512_loadu_si512(p + 192));
  }
  __m512i a = fold512(fold512(fold512(a0, k_64, a1), k_64, a2), k_64, a3);
  __m128i r = fold128(_mm512_extracti32x4_epi32(a, 0), by_48, _mm512_extracti32x4_epi32(a, 3));
  r = fold128(_mm512_extracti32x4_epi32(a, 1), by_32, r);
  r = fold128(_mm512_extracti32x4_epi32(a, 2), by_16, r);
  // What is left is one 16-byte stretch of message after a zero state.
  uint64_t c = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(r)));
  return _mm_crc32_u64(c, static_cast<uint64_t>(_mm_extract_epi64(r, 1)));
}

#pragma GCC diagnostic pop

} // namespace

__attribute__((target("sse4.2")))
uint32_t extend_sse42(uint32_t crc, const void* data, size_t n) {
  auto p = static_cast<const uint8_t*>(data);
  uint64_t c = static_cast<uint32_t>(~crc);
  static const bool vpclmul = cpu_has_vpclmul();
  if (vpclmul && n >= 1024)
    c = crc_vpclmul(c, p, n);
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

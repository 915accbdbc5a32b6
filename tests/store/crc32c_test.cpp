#define CAF_SUITE store.crc32c
#include <caf/test/unit_test.hpp>

#include "store/crc32c.hpp"

#include <cstring>
#include <numeric>
#include <vector>

using namespace sluice::store;

namespace {

// Known vectors from RFC 3720 (iSCSI), appendix B.4, and the classic check value.
struct vector_case {
  std::vector<uint8_t> data;
  uint32_t crc;
};

std::vector<vector_case> known_vectors() {
  std::vector<vector_case> v;
  v.push_back({std::vector<uint8_t>(32, 0x00), 0x8A9136AAu});
  v.push_back({std::vector<uint8_t>(32, 0xFF), 0x62A8AB43u});
  std::vector<uint8_t> asc(32);
  std::iota(asc.begin(), asc.end(), uint8_t{0});
  v.push_back({asc, 0x46DD794Eu});
  std::vector<uint8_t> desc(asc.rbegin(), asc.rend());
  v.push_back({desc, 0x113FDB5Cu});
  const char* check = "123456789";
  v.push_back({std::vector<uint8_t>(check, check + 9), 0xE3069283u});
  v.push_back({{}, 0u});
  return v;
}

} // namespace

CAF_TEST(portable implementation matches known vectors) {
  for (auto& c : known_vectors())
    CAF_CHECK_EQUAL(crc32c::extend_portable(0, c.data.data(), c.data.size()), c.crc);
}

CAF_TEST(sse42 implementation matches known vectors) {
  if (!crc32c::cpu_has_sse42()) {
    CAF_MESSAGE("CPU has no SSE4.2; the hardware path is the portable one here");
  }
  for (auto& c : known_vectors())
    CAF_CHECK_EQUAL(crc32c::extend_sse42(0, c.data.data(), c.data.size()), c.crc);
}

CAF_TEST(extend over pieces equals value of the whole at every split and alignment) {
  std::vector<uint8_t> buf(1000);
  for (size_t i = 0; i < buf.size(); ++i)
    buf[i] = static_cast<uint8_t>(i * 31 + 7);
  auto whole = crc32c::extend_portable(0, buf.data(), buf.size());
  CAF_CHECK_EQUAL(crc32c::value(buf.data(), buf.size()), whole);
  for (size_t start = 0; start < 9; ++start) {
    auto ref = crc32c::extend_portable(0, buf.data() + start, buf.size() - start);
    for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{63}, size_t{500}}) {
      auto a = crc32c::extend_sse42(0, buf.data() + start, split);
      auto b = crc32c::extend_sse42(a, buf.data() + start + split, buf.size() - start - split);
      CAF_CHECK_EQUAL(b, ref);
      auto c = crc32c::extend_portable(0, buf.data() + start, split);
      CAF_CHECK_EQUAL(crc32c::extend_portable(c, buf.data() + start + split,
                                              buf.size() - start - split),
                      ref);
    }
  }
}

CAF_TEST(sse42 matches portable at lengths that exercise the interleaved blocks) {
  std::vector<uint8_t> buf(3 * 8192 * 3 + 3 * 256 * 2 + 77);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& b : buf) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<uint8_t>(x);
  }
  // 1024 and up also take the VPCLMULQDQ folding path where the CPU has it.
  size_t lengths[] = {767, 768, 769, 1023, 1024, 1024 + 255, 1280, 3 * 256 * 2 + 5, 4096 + 17,
                      3 * 8192 - 1, 3 * 8192, 3 * 8192 + 3 * 256 + 9, 2 * 3 * 8192 + 1000,
                      buf.size()};
  for (auto n : lengths)
    for (size_t start : {size_t{0}, size_t{3}})
      if (start + n <= buf.size())
        CAF_CHECK_EQUAL(crc32c::extend_sse42(0x12345678u, buf.data() + start, n),
                        crc32c::extend_portable(0x12345678u, buf.data() + start, n));
}

#define CAF_SUITE schema.mutation
#include <caf/test/unit_test.hpp>

#include "tests/schema/samples.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

// Seeded random mutations of valid messages must decode to a value or an error, never crash,
// never throw, never read out of bounds (run under SLUICE_SANITIZE=ON for the last). A failing
// check prints its seed and case; the same seed replays the same cases, and
// SLUICE_MUTATION_TRACE=1 prints each case before decoding it (to locate a crash).
// SLUICE_MUTATION_SEED=<n> picks another seed.

using namespace sluice;
using namespace sluice::schema;

namespace {

constexpr int cases = 10'000;
constexpr size_t word_bytes = 8;

uint64_t seed() {
  auto s = std::getenv("SLUICE_MUTATION_SEED");
  return s ? std::strtoull(s, nullptr, 0) : 0x5eed'cafe;
}

bool tracing() { return std::getenv("SLUICE_MUTATION_TRACE") != nullptr; }

enum class mutation : int {
  flip_bits,       // 1-8 random bit flips anywhere, framing included
  truncate,        // to any length, whole words or not
  segment_count,   // the first u32 of the framing lies
  segment_size,    // a segment size in the table lies
  pointer,         // a word becomes a pointer of random kind, offset and size
  random_word,     // a word becomes random bits
  append,          // random words after the message
  retag,           // valid bytes decoded as another message type
  count_,
};

const char* name(mutation m) {
  constexpr std::array names{"flip_bits", "truncate", "segment_count", "segment_size",
                             "pointer", "random_word", "append", "retag"};
  return names[static_cast<size_t>(m)];
}

class mutator {
public:
  explicit mutator(uint64_t seed) : rng_(seed) {}

  uint64_t below(uint64_t n) { return std::uniform_int_distribution<uint64_t>{0, n - 1}(rng_); }
  uint64_t bits() { return rng_(); }

  void apply(mutation m, envelope& e) {
    if (e.bytes.size() < word_bytes && m != mutation::retag)
      m = mutation::append; // nothing left to corrupt in place
    auto words = e.bytes.size() / word_bytes;
    switch (m) {
      case mutation::flip_bits:
        for (auto n = 1 + below(8); n > 0; --n) {
          auto bit = below(e.bytes.size() * 8);
          e.bytes[bit / 8] = static_cast<char>(e.bytes[bit / 8] ^ (1 << (bit % 8)));
        }
        break;
      case mutation::truncate:
        e.bytes.resize(below(2) ? below(words) * word_bytes : below(e.bytes.size()));
        break;
      case mutation::segment_count:
        put32(e, 0, pick({0u, 1u, 2u, 3u, 511u, 512u, 0xffffu, 0x7fffffffu, 0xffffffffu}));
        break;
      case mutation::segment_size: {
        uint32_t segments_minus_one = 0;
        std::memcpy(&segments_minus_one, e.bytes.data(), 4);
        // One of the first three size slots that the count claims and the bytes hold.
        auto slots = std::min<uint64_t>({uint64_t{segments_minus_one} + 1, 3, e.bytes.size() / 4 - 1});
        auto slot = 1 + below(slots);
        uint32_t size = 0;
        std::memcpy(&size, e.bytes.data() + 4 * slot, 4);
        put32(e, 4 * slot, pick({0u, 1u, size - 1, size + 1, size * 2, 0x1fffffffu, 0xffffffffu,
                                 static_cast<uint32_t>(bits())}));
        break;
      }
      case mutation::pointer:
        put64(e, words > 1 ? 1 + below(words - 1) : 0, random_pointer());
        break;
      case mutation::random_word:
        put64(e, below(words), bits());
        break;
      case mutation::append:
        for (auto n = 1 + below(4); n > 0; --n) {
          auto w = bits();
          auto p = reinterpret_cast<const char*>(&w);
          e.bytes.insert(e.bytes.end(), p, p + word_bytes);
        }
        break;
      case mutation::retag:
        e.kind = static_cast<message_kind>(1 + below(static_cast<uint64_t>(last_message_kind)));
        break;
      case mutation::count_:
        break;
    }
  }

private:
  // Offsets near the pointer (plausible) or anywhere in the 30-bit range (hostile); sizes
  // likewise; tag bits uniform over struct, list, far and capability.
  uint64_t random_pointer() {
    auto offset = below(2) ? static_cast<uint32_t>(static_cast<int32_t>(below(64)) - 32)
                           : static_cast<uint32_t>(bits());
    auto upper = below(2) ? below(256) | (below(8) << 16) : bits() >> 32;
    return below(4) | (uint64_t{offset & 0x3fffffffu} << 2) | (upper << 32);
  }

  uint32_t pick(std::initializer_list<uint32_t> xs) { return *(xs.begin() + below(xs.size())); }

  static void put32(envelope& e, size_t at, uint32_t v) {
    if (at + 4 <= e.bytes.size())
      std::memcpy(e.bytes.data() + at, &v, 4);
  }
  static void put64(envelope& e, size_t word, uint64_t v) {
    if ((word + 1) * word_bytes <= e.bytes.size())
      std::memcpy(e.bytes.data() + word * word_bytes, &v, 8);
  }

  std::mt19937_64 rng_;
};

// What a mutated message may decode to: a value that survives its own round trip, or one of
// the two decode errors with a one-line message.
struct outcome_counts {
  int values = 0;
  std::map<errc, int> errors;
};

// decode_as_tagged on the same bytes one byte off a word boundary: decode must copy them to
// aligned memory, not trip on them.
template <class OnValue>
status decode_misaligned(const envelope& e, OnValue&& on_value) {
  std::vector<char> shifted(e.bytes.size() + 1);
  if (!e.bytes.empty())
    std::memcpy(shifted.data() + 1, e.bytes.data(), e.bytes.size());
  return test::decode_bytes_as(e.kind, std::span<const char>{shifted}.subspan(1),
                               std::forward<OnValue>(on_value));
}

} // namespace

CAF_TEST(ten thousand mutated messages decode to a value or an error) {
  std::vector<envelope> valid;
  test::for_each_sample([&](const auto& x) { valid.push_back(encode(x)); });
  test::for_each_message_type([&](auto x) { valid.push_back(encode(x)); });
  auto s = seed();
  CAF_MESSAGE("seed " << s);
  mutator m{s};
  outcome_counts counts;
  for (int i = 0; i < cases; ++i) {
    auto e = valid[m.below(valid.size())];
    auto kind = static_cast<mutation>(m.below(static_cast<uint64_t>(mutation::count_)));
    m.apply(kind, e);
    if (m.below(4) == 0) // sometimes twice, so framing and pointer lies combine
      m.apply(static_cast<mutation>(m.below(static_cast<uint64_t>(mutation::count_))), e);
    bool misaligned = m.below(8) == 0;
    if (tracing())
      std::cerr << "case " << i << ": " << name(kind) << " of a " << to_string(e.kind) << ", "
                << e.bytes.size() << " bytes" << (misaligned ? ", misaligned" : "") << std::endl;
    auto on_value = [&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      auto again = decode<T>(encode(x));
      if (!again || !(*again == x))
        CAF_FAIL("seed " << s << " case " << i << " (" << name(kind)
                         << "): a decoded value does not survive its own round trip");
    };
    auto r = misaligned ? decode_misaligned(e, on_value) : test::decode_as_tagged(e, on_value);
    if (r.ok()) {
      ++counts.values;
      continue;
    }
    ++counts.errors[r.code()];
    if (r.code() != errc::corrupt_message && r.code() != errc::invalid_request)
      CAF_FAIL("seed " << s << " case " << i << " (" << name(kind) << "): unexpected "
                       << r.err().to_string());
    if (r.err().message.empty() || r.err().message.find('\n') != std::string::npos)
      CAF_FAIL("seed " << s << " case " << i << ": the message is not one line");
  }
  CAF_MESSAGE(counts.values << " decoded to values, "
                            << counts.errors[errc::corrupt_message] << " corrupt_message, "
                            << counts.errors[errc::invalid_request] << " invalid_request");
  // Both paths must be exercised, or the mutations are too tame or too wild to mean anything.
  CAF_CHECK(counts.values > cases / 20);
  CAF_CHECK(counts.errors[errc::corrupt_message] > cases / 20);
}

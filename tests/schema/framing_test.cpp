#define CAF_SUITE schema.framing
#include <caf/test/unit_test.hpp>

#include "tests/schema/samples.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// Malformed framing and pointers, one case per test. Hand-made messages follow the capnp
// encoding spec: a segment table (u32 segment count - 1, u32 size of each segment in words,
// padded to a word), then segments of 64-bit little-endian words; a pointer's two low bits
// say struct (0), list (1), far (2) or capability (3).

using namespace sluice;
using namespace sluice::schema;

namespace {

constexpr size_t word_bytes = 8;

envelope valid() { return encode(std::get<delete_topics_request>(test::samples())); }

void put32(envelope& e, size_t byte_pos, uint32_t v) { std::memcpy(e.bytes.data() + byte_pos, &v, 4); }
void put64(envelope& e, size_t word, uint64_t v) { std::memcpy(e.bytes.data() + word * word_bytes, &v, 8); }

// A one-segment message of `segment` words.
envelope raw(message_kind kind, const std::vector<uint64_t>& segment) {
  envelope e{kind, std::vector<char>((segment.size() + 1) * word_bytes)};
  put32(e, 0, 0);
  put32(e, 4, static_cast<uint32_t>(segment.size()));
  std::memcpy(e.bytes.data() + word_bytes, segment.data(), segment.size() * word_bytes);
  return e;
}

uint64_t struct_ptr(int32_t offset_words, uint16_t data_words, uint16_t ptr_count) {
  return (uint64_t{static_cast<uint32_t>(offset_words)} << 2) | (uint64_t{data_words} << 32)
         | (uint64_t{ptr_count} << 48);
}

// element_size: 2 = byte, 6 = pointer, 7 = composite (count is then the list's word count).
uint64_t list_ptr(int32_t offset_words, uint64_t element_size, uint64_t count) {
  return 1 | (uint64_t{static_cast<uint32_t>(offset_words)} << 2) | (element_size << 32)
         | (count << 35);
}

// DeleteTopicsRequest{names: `pointers` Text pointers all aimed at one text of `text_bytes`}.
envelope aliased_names(uint32_t pointers, size_t text_bytes) {
  std::vector<uint64_t> seg;
  seg.push_back(struct_ptr(0, 1, 1));                 // 0: root, its struct at 1
  seg.push_back(0);                                   // 1: data word (timeoutMs)
  seg.push_back(list_ptr(0, 6, pointers));            // 2: names, its list at 3
  size_t text_at = 3 + pointers;
  for (uint32_t i = 0; i < pointers; ++i)             // 3..: every element aims at text_at
    seg.push_back(list_ptr(static_cast<int32_t>(text_at - (3 + i + 1)), 2, text_bytes + 1));
  std::vector<char> text(text_bytes + 1, 'a');
  text.back() = '\0';
  size_t at = seg.size();
  seg.resize(at + (text.size() + word_bytes - 1) / word_bytes, 0);
  std::memcpy(seg.data() + at, text.data(), text.size());
  return raw(message_kind::delete_topics_request, seg);
}

void check_corrupt(const envelope& e) {
  auto r = decode<delete_topics_request>(e);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_message);
  CAF_CHECK(r.err().message.find('\n') == std::string::npos);
  CAF_MESSAGE(r.err().to_string());
}

} // namespace

CAF_TEST(an empty envelope is corrupt) {
  check_corrupt(envelope{message_kind::delete_topics_request, {}});
}

CAF_TEST(a size that is not whole words is corrupt) {
  auto e = valid();
  for (size_t drop = 1; drop < word_bytes; ++drop) {
    auto cut = e;
    cut.bytes.resize(e.bytes.size() - drop);
    check_corrupt(cut);
  }
}

CAF_TEST(every truncation to whole words is corrupt) {
  auto e = valid();
  for (size_t words = 1; words < e.bytes.size() / word_bytes; ++words) {
    auto cut = e;
    cut.bytes.resize(words * word_bytes);
    auto r = decode<delete_topics_request>(cut);
    CAF_CHECK_EQUAL(r.code(), errc::corrupt_message);
  }
}

CAF_TEST(bytes after the message are corrupt) {
  auto e = valid();
  e.bytes.insert(e.bytes.end(), word_bytes, '\0');
  check_corrupt(e);
}

CAF_TEST(a segment count beyond the bytes is corrupt) {
  for (uint32_t lie : {1u, 2u, 511u, 512u, 0x7fffffffu, 0xffffffffu}) {
    auto e = valid();
    put32(e, 0, lie);
    check_corrupt(e);
  }
}

CAF_TEST(a segment size that disagrees with the bytes is corrupt) {
  auto e = valid();
  uint32_t words;
  std::memcpy(&words, e.bytes.data() + 4, 4);
  for (uint32_t lie : {0u, 1u, words - 1, words + 1, 0xffffffffu}) {
    auto bad = e;
    put32(bad, 4, lie);
    check_corrupt(bad);
  }
}

CAF_TEST(a root pointer outside the segment is corrupt) {
  auto e = valid();
  put64(e, 1, struct_ptr(1 << 20, 1, 1));
  check_corrupt(e);
}

CAF_TEST(a far pointer to a missing segment is corrupt) {
  auto e = valid();
  put64(e, 1, 2 | (uint64_t{7} << 32)); // landing pad in segment 7 of 1
  check_corrupt(e);
}

CAF_TEST(a capability pointer where a struct belongs is corrupt) {
  auto e = valid();
  put64(e, 1, 3);
  check_corrupt(e);
}

CAF_TEST(a hand made message in this layout decodes) {
  auto r = decode<delete_topics_request>(aliased_names(1, 100));
  CAF_REQUIRE(r.ok());
  CAF_REQUIRE_EQUAL(r->names.size(), 1u);
  CAF_CHECK_EQUAL(r->names[0], std::string(100, 'a'));
  CAF_CHECK_EQUAL(r->timeout_ms, 30000);
}

CAF_TEST(pointers aliasing one blob hit the traversal limit) {
  // 1,000 names of 8 KiB each from a 16 KiB message: 8 MiB decoded if capnp let it.
  auto e = aliased_names(1000, 8000);
  auto r = decode<delete_topics_request>(e);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_message);
  CAF_CHECK(r.err().message.find("traversal limit") != std::string::npos);
  CAF_MESSAGE(r.err().to_string());
}

CAF_TEST(a list of 2^29 empty structs hits the traversal limit) {
  // Zero-size elements take no bytes on the wire; decoding each into a topic_result would
  // allocate tens of GiB if the element count were trusted.
  std::vector<uint64_t> seg{struct_ptr(0, 0, 1), list_ptr(0, 7, 0),
                            struct_ptr((1 << 29) - 1, 0, 0)};
  auto r = decode<delete_topics_response>(raw(message_kind::delete_topics_response, seg));
  CAF_REQUIRE(!r.ok());
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_message);
  CAF_MESSAGE(r.err().to_string());
}

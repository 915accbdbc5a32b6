#include "schema/framing.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace sluice::schema {

error kind_mismatch(message_kind expected, message_kind got) {
  return error{errc::invalid_request,
               std::string{"expected a "} + to_string(expected) + ", got a " + to_string(got)};
}

namespace framing {

namespace {

// Appends to a vector whose capacity the caller reserved, so writing never reallocates.
class vector_output final : public kj::OutputStream {
public:
  explicit vector_output(std::vector<char>& out) : out_(out) {}
  using kj::OutputStream::write;
  void write(const void* buffer, size_t size) override {
    auto first = static_cast<const char*>(buffer);
    out_.insert(out_.end(), first, first + size);
  }

private:
  std::vector<char>& out_;
};

// kj descriptions can span lines; an error message is one line and short.
std::string one_line(std::string_view s) {
  constexpr size_t max_chars = 200;
  std::string out{s.substr(0, max_chars)};
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

uint32_t u32_at(std::span<const char> bytes, size_t index) {
  uint32_t v;
  std::memcpy(&v, bytes.data() + index * 4, 4);
  return v;
}

// Words the segment table claims (table plus segments), or 0 when the table itself does not
// fit. Checked before capnp sees the bytes so that every word belongs to exactly one segment:
// capnp 0.9 accepts a segment count of 2^32 (it wraps to 0) as an empty message and ignores
// bytes after the last segment.
uint64_t framed_words(std::span<const char> bytes) {
  uint64_t segments = uint64_t{u32_at(bytes, 0)} + 1;
  uint64_t table_words = segments / 2 + 1;
  if (table_words * sizeof(capnp::word) > bytes.size())
    return 0;
  uint64_t words = table_words;
  for (uint64_t i = 0; i < segments; ++i)
    words += u32_at(bytes, 1 + i);
  return words;
}

} // namespace

std::vector<char> flatten(capnp::MessageBuilder& builder) {
  auto segments = builder.getSegmentsForOutput();
  std::vector<char> out;
  out.reserve(capnp::computeSerializedSizeInWords(segments) * sizeof(capnp::word));
  vector_output sink{out};
  capnp::writeMessage(sink, segments);
  return out;
}

envelope frame_in_place(message_kind kind, capnp::MessageBuilder& builder,
                        std::shared_ptr<const void> owner) {
  auto segments = builder.getSegmentsForOutput();
  // The table: segment count - 1, then each segment's size in words, padded to a whole word.
  std::vector<uint32_t> table;
  table.reserve(segments.size() + 2);
  table.push_back(static_cast<uint32_t>(segments.size() - 1));
  for (auto& seg : segments)
    table.push_back(static_cast<uint32_t>(seg.size()));
  if (table.size() % 2 != 0)
    table.push_back(0);
  auto first = segments[0].asChars();
  envelope e{kind, {}};
  e.bytes.reserve(table.size() * 4 + first.size());
  auto t = reinterpret_cast<const char*>(table.data());
  e.bytes.insert(e.bytes.end(), t, t + table.size() * 4);
  e.bytes.insert(e.bytes.end(), first.begin(), first.end());
  if (segments.size() > 1) {
    auto tail = std::make_shared<envelope_tail>();
    tail->owner = std::move(owner);
    tail->pieces.reserve(segments.size() - 1);
    for (size_t i = 1; i < segments.size(); ++i) {
      auto c = segments[i].asChars();
      tail->pieces.emplace_back(c.begin(), c.size());
    }
    e.tail = std::move(tail);
  }
  return e;
}

unsigned first_segment_words(size_t expected_bytes) {
  constexpr size_t min_words = 64;
  constexpr size_t max_words = max_message_bytes / sizeof(capnp::word);
  return static_cast<unsigned>(
    std::clamp(expected_bytes / sizeof(capnp::word) + min_words, min_words, max_words));
}

error corrupt(std::string_view what) {
  return error{errc::corrupt_message, "undecodable message: " + one_line(what)};
}

error invalid(std::string what) { return error{errc::invalid_request, std::move(what)}; }

result<kj::ArrayPtr<const capnp::word>> prepare(std::span<const char> bytes,
                                                 kj::Array<capnp::word>& copy) {
  if (bytes.empty())
    return corrupt("empty");
  if (bytes.size() % sizeof(capnp::word) != 0)
    return corrupt(std::to_string(bytes.size()) + " bytes is not a whole number of words");
  if (bytes.size() > max_message_bytes)
    return corrupt(std::to_string(bytes.size()) + " bytes exceeds the limit of "
                   + std::to_string(max_message_bytes));
  if (auto framed = framed_words(bytes); framed != bytes.size() / sizeof(capnp::word))
    return corrupt("the segment table accounts for " + std::to_string(framed) + " words of "
                   + std::to_string(bytes.size() / sizeof(capnp::word)));
  size_t n = bytes.size() / sizeof(capnp::word);
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) == 0)
    return kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()), n);
  copy = kj::heapArray<capnp::word>(n);
  std::memcpy(copy.begin(), bytes.data(), bytes.size());
  return kj::ArrayPtr<const capnp::word>{copy.begin(), n};
}

capnp::ReaderOptions reader_options(size_t message_words) {
  // A decoder reads each object once, so a legitimate message never traverses more words than
  // it has; twice that plus slack still stops pointers that alias one big blob many times.
  capnp::ReaderOptions options;
  options.traversalLimitInWords = 2 * message_words + 1024;
  options.nestingLimit = nesting_limit;
  return options;
}

} // namespace framing
} // namespace sluice::schema

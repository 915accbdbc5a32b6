#pragma once

// Kafka's primitive types, big-endian on the wire (the protocol guide's "Protocol Primitive
// Types"): INT8..INT64, STRING (INT16 length), NULLABLE_STRING (-1: null), BYTES (INT32 length,
// -1: null), ARRAY (INT32 count, -1: null). Only the non-flexible encodings: Sluice advertises
// no API version that needs compact strings or tagged fields (kafka/api.hpp).
//
// reader never reads outside its bytes: the first short read, negative length where none is
// allowed or count beyond what could fit marks it failed, and every later read returns a zero
// value. A decoder reads a whole request and checks ok() once at the end.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::kafka {

// std::byteswap is C++23.
inline uint8_t bswap(uint8_t v) { return v; }
inline uint16_t bswap(uint16_t v) { return __builtin_bswap16(v); }
inline uint32_t bswap(uint32_t v) { return __builtin_bswap32(v); }
inline uint64_t bswap(uint64_t v) { return __builtin_bswap64(v); }

using bytes_view = std::span<const std::byte>;

class reader {
public:
  explicit reader(bytes_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  // Marks the input malformed (a decoder's own check failed).
  void fail() { ok_ = false; p_ = end_; }

  int8_t i8() { return static_cast<int8_t>(fixed<uint8_t>()); }
  int16_t i16() { return static_cast<int16_t>(fixed<uint16_t>()); }
  int32_t i32() { return static_cast<int32_t>(fixed<uint32_t>()); }
  int64_t i64() { return static_cast<int64_t>(fixed<uint64_t>()); }
  bool boolean() { return i8() != 0; }

  std::string string() {
    auto s = nullable_string();
    if (!s && ok_)
      fail();
    return s.value_or(std::string{});
  }

  std::optional<std::string> nullable_string() {
    auto n = i16();
    if (n == -1 || !ok_)
      return std::nullopt;
    auto v = take(n);
    if (!ok_)
      return std::nullopt;
    return std::string{reinterpret_cast<const char*>(v.data()), v.size()};
  }

  // A view into the input (valid while it is); nullopt for null (length -1).
  std::optional<bytes_view> nullable_bytes() {
    auto n = i32();
    if (n == -1 || !ok_)
      return std::nullopt;
    auto v = take(n);
    if (!ok_)
      return std::nullopt;
    return v;
  }

  bytes_view bytes() {
    auto b = nullable_bytes();
    return b.value_or(bytes_view{});
  }

  // An array's element count; null (-1) reads as nullopt. A count that could not fit in the
  // bytes left (each element takes at least min_element_bytes) fails the reader, so a lying
  // count never drives a long loop or a huge reserve.
  std::optional<int32_t> nullable_array(size_t min_element_bytes = 1) {
    auto n = i32();
    if (n == -1 || !ok_)
      return std::nullopt;
    if (n < 0 || static_cast<size_t>(n) * min_element_bytes > remaining()) {
      fail();
      return std::nullopt;
    }
    return n;
  }

  int32_t array(size_t min_element_bytes = 1) {
    auto n = nullable_array(min_element_bytes);
    return n.value_or(0);
  }

  bytes_view take(int64_t n) {
    if (!ok_ || n < 0 || static_cast<uint64_t>(n) > remaining()) {
      fail();
      return {};
    }
    bytes_view v{p_, static_cast<size_t>(n)};
    p_ += n;
    return v;
  }

private:
  template <class U>
  U fixed() {
    if (!ok_ || remaining() < sizeof(U)) {
      fail();
      return 0;
    }
    U v;
    std::memcpy(&v, p_, sizeof(U));
    p_ += sizeof(U);
    return bswap(v);
  }

  const std::byte* p_;
  const std::byte* end_;
  bool ok_ = true;
};

// Appends to a growable buffer. Lengths are written as the caller's sizes; the codec keeps
// strings below 32 KiB and byte fields below 2 GiB (Sluice's names and batches are far below).
class writer {
public:
  explicit writer(std::vector<std::byte>& out) : out_(out) {}

  void i8(int8_t v) { fixed(static_cast<uint8_t>(v)); }
  void i16(int16_t v) { fixed(static_cast<uint16_t>(v)); }
  void i32(int32_t v) { fixed(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { fixed(static_cast<uint64_t>(v)); }
  void boolean(bool v) { i8(v ? 1 : 0); }

  void string(std::string_view s) {
    i16(static_cast<int16_t>(s.size()));
    raw(s.data(), s.size());
  }

  void nullable_string(const std::optional<std::string>& s) {
    if (!s)
      i16(-1);
    else
      string(*s);
  }

  void bytes(bytes_view b) {
    i32(static_cast<int32_t>(b.size()));
    raw(b.data(), b.size());
  }

  void null_bytes() { i32(-1); }
  void array(size_t n) { i32(static_cast<int32_t>(n)); }
  void null_array() { i32(-1); }

  void raw(const void* p, size_t n) {
    auto b = static_cast<const std::byte*>(p);
    out_.insert(out_.end(), b, b + n);
  }

  size_t size() const { return out_.size(); }
  // Overwrites an INT32 written earlier at `pos` (a length known only afterwards).
  void patch_i32(size_t pos, int32_t v) {
    auto u = bswap(static_cast<uint32_t>(v));
    std::memcpy(out_.data() + pos, &u, 4);
  }

private:
  template <class U>
  void fixed(U v) {
    v = bswap(v);
    raw(&v, sizeof(U));
  }

  std::vector<std::byte>& out_;
};

} // namespace sluice::kafka

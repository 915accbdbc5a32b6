#pragma once

#include "store/types.hpp"

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

// Key and value encodings for kv_store, whose keys sort bytewise (unsigned memcmp).
//
//   int  fixed width, big-endian; signed types with the sign bit flipped, so byte order is
//        numeric order (INT64_MIN encodes as 00..00, -1 as 7F FF.., 0 as 80 00..)
//   str  u16 length, big-endian, then the bytes. No encoding is a prefix of another's, so a
//        scan over str("a") never finds "ab"; strings sort by (length, bytes).
//
//   partition_key        = str(topic) int32(partition)               recovery points, epochs
//   group_partition_key  = str(group) str(topic) int32(partition)    committed offsets
//   offset value         = int64(offset)
//
// Strings longer than 0xFFFF bytes cannot be encoded; they could not be in a key anyway
// (kv_store::max_key_bytes() is 511), and such a key is rejected by put.
namespace sluice::store::kv_format {

template <std::integral T>
void append_int(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  if constexpr (std::is_signed_v<T>)
    u ^= U{1} << (sizeof(T) * 8 - 1);
  for (int shift = static_cast<int>(sizeof(T) - 1) * 8; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(static_cast<uint8_t>(u >> shift)));
}

// Readers consume from the front of `in`; nullopt (and `in` untouched) when it is too short.
template <std::integral T>
std::optional<T> read_int(std::string_view& in) {
  if (in.size() < sizeof(T))
    return std::nullopt;
  using U = std::make_unsigned_t<T>;
  U u = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    u = static_cast<U>((u << 8) | static_cast<uint8_t>(in[i]));
  if constexpr (std::is_signed_v<T>)
    u ^= U{1} << (sizeof(T) * 8 - 1);
  in.remove_prefix(sizeof(T));
  return static_cast<T>(u);
}

inline void append_str(std::string& out, std::string_view s) {
  append_int(out, static_cast<uint16_t>(s.size()));
  out.append(s);
}

inline std::optional<std::string_view> read_str(std::string_view& in) {
  std::string_view rest = in;
  auto n = read_int<uint16_t>(rest);
  if (!n || rest.size() < *n)
    return std::nullopt;
  in = rest.substr(*n);
  return rest.substr(0, *n);
}

inline std::string partition_key(std::string_view topic, partition_id p) {
  std::string out;
  append_str(out, topic);
  append_int(out, p.value);
  return out;
}

inline std::string group_partition_key(std::string_view group, std::string_view topic,
                                       partition_id p) {
  std::string out;
  append_str(out, group);
  out += partition_key(topic, p);
  return out;
}

struct topic_partition {
  std::string topic;
  partition_id partition;
};

// Decodes a whole partition_key; nullopt if truncated or followed by extra bytes.
inline std::optional<topic_partition> parse_partition_key(std::string_view key) {
  auto topic = read_str(key);
  if (!topic)
    return std::nullopt;
  auto p = read_int<int32_t>(key);
  if (!p || !key.empty())
    return std::nullopt;
  return topic_partition{std::string{*topic}, partition_id{*p}};
}

inline std::string encode_offset(offset o) {
  std::string out;
  append_int(out, o.value);
  return out;
}

inline std::optional<offset> decode_offset(std::string_view v) {
  auto o = read_int<int64_t>(v);
  if (!o || !v.empty())
    return std::nullopt;
  return offset{*o};
}

} // namespace sluice::store::kv_format

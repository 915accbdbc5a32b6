#pragma once

// The capnp half of the codec, included only by schema/*.cpp: actors never see capnp or kj.

#include "schema/codec.hpp"
#include "schema/isolation_level.hpp"
#include "schema/common.capnp.h"
#include "store/byte_buffer.hpp"
#include "store/types.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cassert>
#include <cstddef>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::schema::framing {

// Our schemas nest at most five pointers deep; the limit only stops hostile input early.
inline constexpr int nesting_limit = 16;

// capnp refuses longer lists when building; encode's callers stay below it.
inline constexpr size_t max_list_elements = (size_t{1} << 29) - 1;

// ---- encode ----------------------------------------------------------------

// The flat-array framing of a built message, copied once into a vector reserved to size.
std::vector<char> flatten(capnp::MessageBuilder& builder);

// The framing of a built message without copying its segments past the first: `bytes` holds
// the segment table and the first segment, the envelope's tail every later segment where it
// lies. `owner` must keep the builder and all data it references alive.
envelope frame_in_place(message_kind kind, capnp::MessageBuilder& builder,
                        std::shared_ptr<const void> owner);

// A first segment big enough for `expected_bytes` keeps typical messages in one segment.
unsigned first_segment_words(size_t expected_bytes);

template <class Root, class Fill>
envelope write(message_kind kind, size_t expected_bytes, Fill&& fill) {
  capnp::MallocMessageBuilder builder{first_segment_words(expected_bytes)};
  fill(builder.initRoot<Root>());
  return envelope{kind, flatten(builder)};
}

inline unsigned list_size(size_t n) {
  assert(n <= max_list_elements);
  return static_cast<unsigned>(n);
}

inline capnp::Text::Reader text(const std::string& s) { return {s.data(), s.size()}; }

// A list of node ids (List(Int32)), initialised with list_size(in.size()).
template <class ListBuilder>
void set_node_ids(ListBuilder out, const std::vector<node_id>& in) {
  for (unsigned i = 0; i < out.size(); ++i)
    out.set(i, in[i].value);
}

inline std::vector<node_id> get_node_ids(capnp::List<int32_t>::Reader in) {
  std::vector<node_id> out;
  out.reserve(in.size());
  for (auto id : in)
    out.emplace_back(id);
  return out;
}

// Fills a Text list just initialised with list_size(v.size()).
inline void set_strings(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& v) {
  for (unsigned i = 0; i < list.size(); ++i)
    list.set(i, text(v[i]));
}

inline capnp::Data::Reader data(std::span<const std::byte> b) {
  return {reinterpret_cast<const kj::byte*>(b.data()), b.size()};
}
inline capnp::Data::Reader data(const std::vector<std::byte>& b) { return data(std::span{b}); }
inline capnp::Data::Reader data(const store::byte_buffer& b) { return data(std::span{b}); }

inline wire::ErrorCode to_wire(errc e) { return static_cast<wire::ErrorCode>(e); }

// Every response struct names its pair errorCode/errorMessage; an empty message is left unset.
template <class Builder>
void set_error(Builder b, const error& e) {
  b.setErrorCode(to_wire(e.code));
  if (!e.message.empty())
    b.setErrorMessage(text(e.message));
}

// ---- decode ----------------------------------------------------------------

error corrupt(std::string_view what);
error invalid(std::string what);

// The checks before capnp sees the bytes: non-empty, whole words, within max_message_bytes,
// and a segment table that accounts for exactly the words there are.
// Returns the words to read: `bytes` itself when word aligned, else a copy made into `copy`.
result<kj::ArrayPtr<const capnp::word>> prepare(std::span<const char> bytes,
                                                 kj::Array<capnp::word>& copy);

capnp::ReaderOptions reader_options(size_t message_words);

// capnp checks pointers lazily, on each get, so `read_root` must copy every field the
// broker uses into the plain struct while the try block is active; nothing capnp-backed
// escapes it.
template <class Root, class T, class Read>
result<T> read(std::span<const char> bytes, Read&& read_root) {
  try {
    kj::Array<capnp::word> copy;
    auto words = prepare(bytes, copy);
    if (!words)
      return words.err();
    capnp::FlatArrayMessageReader reader{*words, reader_options(words->size())};
    return read_root(reader.getRoot<Root>());
  } catch (const kj::Exception& e) {
    return corrupt(e.getDescription().cStr());
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
}

inline std::string str(capnp::Text::Reader t) { return {t.begin(), t.size()}; }

inline std::vector<std::string> strings(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  out.reserve(list.size());
  for (auto t : list)
    out.push_back(str(t));
  return out;
}

template <class Bytes = std::vector<std::byte>>
Bytes to_bytes(capnp::Data::Reader d) {
  auto first = reinterpret_cast<const std::byte*>(d.begin());
  return Bytes(first, first + d.size());
}

// A code from a newer peer that this build does not know reads as unknown_server_error.
inline errc from_wire(wire::ErrorCode c) {
  auto v = static_cast<uint16_t>(c);
  return v <= static_cast<uint16_t>(last_errc) ? static_cast<errc>(v) : errc::unknown_server_error;
}

// Requests with a level this build does not know are refused as a whole.
inline result<isolation_level> from_wire(wire::IsolationLevel l) {
  if (l != wire::IsolationLevel::READ_UNCOMMITTED && l != wire::IsolationLevel::READ_COMMITTED)
    return invalid("unknown isolation level " + std::to_string(static_cast<uint16_t>(l)));
  return static_cast<isolation_level>(l);
}

inline wire::IsolationLevel to_wire(isolation_level l) { return static_cast<wire::IsolationLevel>(l); }

template <class Reader>
error get_error(Reader r) {
  return error{from_wire(r.getErrorCode()), str(r.getErrorMessage())};
}

} // namespace sluice::schema::framing

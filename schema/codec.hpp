#pragma once

#include "schema/envelope.hpp"
#include "schema/result.hpp"

#include <cstddef>
#include <span>

namespace sluice::schema {

// The codec contract. Every message type T (schema/produce.hpp, fetch.hpp, metadata.hpp,
// topics.hpp, offsets.hpp) has a `static constexpr message_kind kind` and:
//
//   envelope encode(const T&);
//     Cannot fail within capnp's limits (lists < 2^29 elements, blobs < 512 MiB; beyond them
//     capnp throws), which every T that decode produced and every batch within store's
//     max_batch_bytes respects.
//
//   result<T> decode<T>(const envelope&);
//   result<T> decode_bytes<T>(std::span<const char>);
//     A T or an error; never throws, never reads outside the bytes, whatever they hold. The T
//     owns all its data (records included), so it outlives the envelope and a partition leader
//     may rewrite batch headers in place. Errors:
//       corrupt_message  the bytes are not a capnp message (size, framing, pointers, limits)
//       invalid_request  they are, but the kind tag or a field holds a value the protocol
//                        forbids (acks 2, an unknown isolation level or offset query)
//     Fields whose meaning depends on cluster state (topic exists, partition in range, batch
//     CRC) are the receiving actor's to check; it answers per partition with the errc.

// The largest message decode accepts: room for a fetch response of several maximal batches
// (store::batch_format::max_batch_bytes is 64 MiB). Whoever builds a message that may grow
// (a fetch response) keeps it below this; encode does not check.
inline constexpr size_t max_message_bytes = size_t{256} << 20;

template <class T>
result<T> decode_bytes(std::span<const char> bytes); // specialised in schema/<area>.cpp

error kind_mismatch(message_kind expected, message_kind got);

template <class T>
result<T> decode(const envelope& e) {
  if (e.kind != T::kind)
    return kind_mismatch(T::kind, e.kind);
  if (e.tail) // only a fetch response answered within this process
    return decode_bytes<T>(flat_bytes(e));
  return decode_bytes<T>(e.bytes);
}

} // namespace sluice::schema

#pragma once

// Producer ids (schema/producer_id.capnp) and their codec (schema/codec.hpp).

#include "schema/codec.hpp"
#include "store/types.hpp"

#include <string>

namespace sluice::schema {

struct init_producer_id_request {
  static constexpr message_kind kind = message_kind::init_producer_id_request;

  std::string transactional_id; // empty: idempotent only
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  int32_t transaction_timeout_ms = 60'000; // transactional producers only

  bool operator==(const init_producer_id_request&) const = default;
};

struct init_producer_id_response {
  static constexpr message_kind kind = message_kind::init_producer_id_response;

  schema::error error;
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;

  bool operator==(const init_producer_id_response&) const = default;
};

struct allocate_producer_ids_request {
  static constexpr message_kind kind = message_kind::allocate_producer_ids_request;

  node_id broker{0};

  bool operator==(const allocate_producer_ids_request&) const = default;
};

struct allocate_producer_ids_response {
  static constexpr message_kind kind = message_kind::allocate_producer_ids_response;

  schema::error error;
  producer_id first = no_producer_id; // the block [first, first + count)
  int32_t count = 0;

  bool operator==(const allocate_producer_ids_response&) const = default;
};

#define SLUICE_PRODUCER_ID_CODEC(T)                                                                \
  envelope encode(const T& x);                                                                     \
  template <>                                                                                      \
  result<T> decode_bytes<T>(std::span<const char> bytes);

SLUICE_PRODUCER_ID_CODEC(init_producer_id_request)
SLUICE_PRODUCER_ID_CODEC(init_producer_id_response)
SLUICE_PRODUCER_ID_CODEC(allocate_producer_ids_request)
SLUICE_PRODUCER_ID_CODEC(allocate_producer_ids_response)

#undef SLUICE_PRODUCER_ID_CODEC

} // namespace sluice::schema

#pragma once

// Fetch request and response (schema/fetch.capnp) and their codec (schema/codec.hpp).

#include "schema/codec.hpp"
#include "schema/isolation_level.hpp"
#include "store/byte_buffer.hpp"
#include "store/types.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sluice::schema {

struct fetch_request {
  static constexpr message_kind kind = message_kind::fetch_request;

  struct partition_request {
    std::string topic;
    partition_id partition{0};
    leader_epoch current_leader_epoch{-1}; // -1: skip the fencing check (KIP-320)
    offset fetch_offset{0};
    int32_t max_bytes = 1 << 20;

    bool operator==(const partition_request&) const = default;
  };

  node_id replica_id{-1}; // -1: a consumer; else the follower replicating
  int32_t max_wait_ms = 500;
  int32_t min_bytes = 1;
  int32_t max_bytes = 50 << 20; // whole response; at least one batch is returned regardless
  isolation_level isolation = isolation_level::read_uncommitted;
  std::vector<partition_request> partitions;
  std::string filter{}; // a consumer's filter expression; empty: none (filter/filter_expr.hpp)

  bool operator==(const fetch_request&) const = default;
};

struct fetch_response {
  static constexpr message_kind kind = message_kind::fetch_response;

  // A transaction the consumer drops a producer's batches of, from first_offset up to that
  // producer's abort marker (read_committed; schema/fetch.capnp).
  struct aborted_transaction {
    producer_id id = no_producer_id;
    offset first_offset{0};

    bool operator==(const aborted_transaction&) const = default;
  };

  struct partition_response {
    std::string topic;
    partition_id partition{0};
    schema::error error;
    offset high_watermark{-1};
    offset log_start_offset{-1};
    offset last_stable_offset{-1};
    // Whole batches as stored (store/batch_format.hpp), back to back; not validated here.
    store::byte_buffer records;
    // Filtered fetches: where the next fetch starts (past unmatched records); -1 otherwise.
    offset next_fetch_offset{-1};
    // read_committed: the aborted transactions whose batches may be in `records`.
    std::vector<aborted_transaction> aborted_transactions{};

    bool operator==(const partition_response&) const = default;
  };

  std::vector<partition_response> partitions;

  bool operator==(const fetch_response&) const = default;
};

envelope encode(const fetch_request& x);
envelope encode(const fetch_response& x);
// A message that decodes as encode(x) does, with no copy of any partition's records: capnp
// references each in place (Orphanage::referenceExternalData) as a segment of its own, and the
// envelope's tail (schema/envelope.hpp) keeps those segments, and `x` with them, until the
// envelope is sent to another node, where it arrives flat. Each records buffer is first
// zero-padded in place up to a multiple of 8 bytes past its size (capnp writes whole words).
envelope encode_referencing(fetch_response&& x);

// A fetch response read in place, for the paths that move every fetched byte (followers and
// consumers): each partition's records are a view into the envelope's bytes, which `owner`
// keeps alive for whoever holds a view, instead of the copy decode<fetch_response> makes of
// them (a consumer's copy, into buffers of a few MB that malloc maps fresh each time, was
// 70% of its CPU with the page faults). The views were bounds-checked by capnp; the batches
// in them are not validated here.
struct fetch_response_view {
  struct partition_view {
    std::string topic;
    partition_id partition{0};
    schema::error error;
    offset high_watermark{-1};
    offset log_start_offset{-1};
    offset last_stable_offset{-1};
    std::span<const std::byte> records;
    offset next_fetch_offset{-1};
    std::vector<fetch_response::aborted_transaction> aborted_transactions{};
  };

  std::shared_ptr<const void> owner;
  std::vector<partition_view> partitions;
};

// Takes the bytes of `e` (left empty); the errors are decode<fetch_response>'s.
result<fetch_response_view> decode_view(envelope&& e);

template <>
result<fetch_request> decode_bytes<fetch_request>(std::span<const char> bytes);
template <>
result<fetch_response> decode_bytes<fetch_response>(std::span<const char> bytes);

} // namespace sluice::schema

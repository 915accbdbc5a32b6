#pragma once

// Metadata request and response (schema/metadata.capnp) and their codec (schema/codec.hpp).

#include "schema/codec.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::schema {

struct metadata_request {
  static constexpr message_kind kind = message_kind::metadata_request;

  bool all_topics = true; // true: every topic, `topics` is ignored
  std::vector<std::string> topics;

  bool operator==(const metadata_request&) const = default;
};

struct metadata_response {
  static constexpr message_kind kind = message_kind::metadata_response;

  struct broker {
    node_id id{0};
    std::string host;
    uint16_t port = 0;
    std::string rack; // empty: no rack configured

    bool operator==(const broker&) const = default;
  };

  struct partition_metadata {
    schema::error error;
    partition_id partition{0};
    node_id leader{-1}; // -1 while no leader is elected
    leader_epoch epoch{-1};
    std::vector<node_id> replicas; // the first is the preferred leader
    std::vector<node_id> isr;      // a subset of replicas
    // A reassignment in progress: the replicas joining and leaving (both in `replicas`).
    std::vector<node_id> adding_replicas;
    std::vector<node_id> removing_replicas;

    bool operator==(const partition_metadata&) const = default;
  };

  struct topic_metadata {
    schema::error error;
    std::string name;
    std::vector<partition_metadata> partitions;

    bool operator==(const topic_metadata&) const = default;
  };

  std::vector<broker> brokers;
  node_id controller_id{-1}; // -1 while no controller is elected
  std::vector<topic_metadata> topics;

  bool operator==(const metadata_response&) const = default;
};

envelope encode(const metadata_request& x);
envelope encode(const metadata_response& x);

template <>
result<metadata_request> decode_bytes<metadata_request>(std::span<const char> bytes);
template <>
result<metadata_response> decode_bytes<metadata_response>(std::span<const char> bytes);

} // namespace sluice::schema

#pragma once

// Describe configs request and response (schema/configs.capnp) and their codec
// (schema/codec.hpp).

#include "schema/codec.hpp"

#include <string>
#include <vector>

namespace sluice::schema {

struct describe_configs_request {
  static constexpr message_kind kind = message_kind::describe_configs_request;

  std::vector<std::string> topics;

  bool operator==(const describe_configs_request&) const = default;
};

struct describe_configs_response {
  static constexpr message_kind kind = message_kind::describe_configs_response;

  struct entry {
    std::string key;
    std::string value;
    bool is_default = true; // false: a topic override

    bool operator==(const entry&) const = default;
  };

  // One per requested topic, in request order.
  struct topic_configs {
    std::string name;
    schema::error error;
    std::vector<entry> configs; // every known key, sorted by key

    bool operator==(const topic_configs&) const = default;
  };

  std::vector<topic_configs> topics;

  bool operator==(const describe_configs_response&) const = default;
};

envelope encode(const describe_configs_request& x);
envelope encode(const describe_configs_response& x);

template <>
result<describe_configs_request> decode_bytes<describe_configs_request>(std::span<const char> bytes);
template <>
result<describe_configs_response>
decode_bytes<describe_configs_response>(std::span<const char> bytes);

} // namespace sluice::schema

#pragma once

#include "store/types.hpp"

#include <compare>
#include <string>

namespace sluice::client {

struct topic_partition {
  std::string topic;
  partition_id partition{0};

  auto operator<=>(const topic_partition&) const = default;
  std::string to_string() const { return topic + "/" + std::to_string(partition.value); }
};

} // namespace sluice::client

#pragma once

// Kafka's key partitioning: murmur2 exactly as org.apache.kafka.common.utils.Utils.murmur2
// (MurmurHash2, seed 0x9747b28c), so a keyed record lands on the partition a Java producer
// would pick and data written by either client lines up key by key.

#include "store/types.hpp"

#include <cstdint>
#include <string_view>

namespace sluice::client {

// The signed 32-bit value Java's Utils.murmur2 returns for these bytes.
int32_t murmur2(std::string_view key) noexcept;

// Utils.toPositive: clears the sign bit (not abs(), which overflows on INT_MIN).
constexpr int32_t to_positive(int32_t h) noexcept { return h & 0x7fffffff; }

// The partition of a keyed record among `partitions` (> 0).
inline partition_id key_partition(std::string_view key, int32_t partitions) noexcept {
  return partition_id{to_positive(murmur2(key)) % partitions};
}

} // namespace sluice::client

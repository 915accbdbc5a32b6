#pragma once

#include "store/named_type.hpp"

#include <cstdint>
#include <limits>

namespace sluice {

// Position of a record in a partition log. The first record of a new log is 0.
using offset = named_type<int64_t, struct offset_tag>;
// Epoch of the partition leader that wrote a batch (KIP-101); fences stale leaders.
using leader_epoch = named_type<int32_t, struct leader_epoch_tag>;
// Milliseconds since the Unix epoch, the unit of every record timestamp.
using timestamp_ms = named_type<int64_t, struct timestamp_ms_tag>;
using partition_id = named_type<int32_t, struct partition_id_tag>;
using node_id = named_type<int32_t, struct node_id_tag>;
// A consumer group's generation (Kafka's generation id): bumped per completed rebalance; fences
// members of an older one. -1 is "no generation": a commit from outside any group.
using generation_id = named_type<int32_t, struct generation_id_tag>;

// An idempotent producer (Kafka's producer id), unique in the cluster, and its epoch: a producer
// that starts over under the same id bumps the epoch, which fences batches of older epochs.
using producer_id = named_type<int64_t, struct producer_id_tag>;
using producer_epoch = named_type<int16_t, struct producer_epoch_tag>;

inline constexpr timestamp_ms no_timestamp{-1};
inline constexpr producer_id no_producer_id{-1};
inline constexpr producer_epoch no_producer_epoch{-1};
inline constexpr int32_t no_sequence = -1;
inline constexpr generation_id no_generation{-1};

} // namespace sluice

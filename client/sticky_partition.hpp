#pragma once

// The sticky partitioner of KIP-480: records with neither key nor partition all go to one
// partition of the topic until a batch for it is sealed (full, lingered or flushed); then the
// topic moves to another partition, picked at random. Batches fill up instead of spreading
// records thinly over every partition, and the load still evens out over time.

#include "store/types.hpp"

#include <cstdint>
#include <random>

namespace sluice::client {

class sticky_partition {
public:
  // The partition for the next keyless record, among `partitions` (> 0).
  partition_id current(int32_t partitions, std::mt19937_64& rng) {
    if (current_.value < 0 || current_.value >= partitions)
      current_ = pick(partitions, partition_id{-1}, rng);
    return current_;
  }

  // A batch of `sealed` was sealed: if the topic sticks to it, move to a different partition.
  void on_batch_sealed(partition_id sealed, int32_t partitions, std::mt19937_64& rng) {
    if (sealed == current_)
      current_ = pick(partitions, sealed, rng);
  }

private:
  // Uniform over [0, partitions) without `avoid` (when there is another choice).
  static partition_id pick(int32_t partitions, partition_id avoid, std::mt19937_64& rng) {
    if (partitions <= 1)
      return partition_id{0};
    int32_t n = avoid.value >= 0 && avoid.value < partitions ? partitions - 1 : partitions;
    auto p = static_cast<int32_t>(std::uniform_int_distribution<int32_t>{0, n - 1}(rng));
    if (n < partitions && p >= avoid.value)
      ++p;
    return partition_id{p};
  }

  partition_id current_{-1};
};

} // namespace sluice::client

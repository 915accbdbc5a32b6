#pragma once

// The block of producer ids a node hands out to idempotent producers (Kafka's
// ProducerIdManager, KIP-730): the metadata actor reserves blocks of producer_id_block_size
// ids, durably and never overlapping (a single node in its LMDB store, a cluster through a
// metadata record), and the node gives them out in order, asking for the next block when this
// one is used up. A node that restarts loses the rest of its block: ids are unique, not dense.

#include "store/types.hpp"

#include <cstdint>
#include <optional>

namespace sluice::actors {

inline constexpr int32_t producer_id_block_size = 1000;

class producer_id_block {
public:
  // The next id, if the block has one left.
  std::optional<producer_id> take() {
    if (next_ >= end_)
      return std::nullopt;
    return producer_id{next_++};
  }

  // A new block [first, first + count) replaces what is left of the old one.
  void reset(producer_id first, int32_t count) {
    next_ = first.value;
    end_ = first.value + count;
  }

  int64_t remaining() const { return end_ - next_; }

private:
  int64_t next_ = 0;
  int64_t end_ = 0; // next_ == end_: empty
};

} // namespace sluice::actors

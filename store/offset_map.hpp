#pragma once

// The cleaner's key -> latest offset map (Kafka's SkimpyOffsetMap): a fixed number of slots
// in one allocation, open addressing with linear probing, keyed by a 64-bit hash of the key
// (the key itself is not kept, so memory is 16 bytes a slot whatever the key sizes). The
// cleaner fills it up to capacity() and cleans what it covered; keys beyond that wait for the
// next pass (store/log_cleaner.hpp).
//
// Two keys with the same 64-bit hash are one key to the map: the older record of the pair
// may be dropped as superseded. With n distinct keys the chance of any collision is about
// n^2 / 2^65 (1e-7 for 2 million keys); Kafka's map takes the same risk with MD5.

#include "store/types.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace sluice::store {

class offset_map {
public:
  static constexpr size_t slot_bytes = 16;
  static constexpr double load_factor = 0.9;

  // At least 2 slots whatever memory_bytes says.
  explicit offset_map(size_t memory_bytes);

  // Records `o` as the latest offset of `key` (offsets only grow: a later put wins).
  // Precondition: !full(), or the key is already in the map.
  void put(std::string_view key, offset o) { put_hash(hash(key), o); }
  void put_hash(uint64_t h, offset o);
  std::optional<offset> get(std::string_view key) const { return get_hash(hash(key)); }
  std::optional<offset> get_hash(uint64_t h) const;

  void clear();
  size_t size() const { return size_; }
  // Keys the map takes before full() (load_factor of the slots, so probes stay short).
  size_t capacity() const { return capacity_; }
  bool full() const { return size_ >= capacity_; }
  size_t slots() const { return slots_.size(); }

  static uint64_t hash(std::string_view key);

private:
  struct slot {
    uint64_t hash;
    int64_t offset; // -1: empty
  };
  size_t index_of(uint64_t h) const;

  std::vector<slot> slots_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

} // namespace sluice::store

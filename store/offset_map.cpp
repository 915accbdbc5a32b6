#include "store/offset_map.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace sluice::store {

offset_map::offset_map(size_t memory_bytes)
  : slots_(std::max<size_t>(2, memory_bytes / slot_bytes), slot{0, -1}) {
  capacity_ = std::max<size_t>(1, static_cast<size_t>(static_cast<double>(slots_.size()) * load_factor));
  capacity_ = std::min(capacity_, slots_.size() - 1); // one empty slot ends every probe
}

namespace {

uint64_t mix(uint64_t x) {
  // splitmix64's finaliser: every input bit reaches every output bit.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

} // namespace

uint64_t offset_map::hash(std::string_view key) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (key.size() * 0xff51afd7ed558ccdULL);
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t k;
    std::memcpy(&k, key.data() + i, 8);
    h = mix(h ^ k) + 0x9e3779b97f4a7c15ULL;
  }
  uint64_t tail = 0;
  if (i < key.size())
    std::memcpy(&tail, key.data() + i, key.size() - i);
  return mix(h ^ tail ^ (uint64_t{key.size() - i} << 56));
}

size_t offset_map::index_of(uint64_t h) const {
  size_t i = static_cast<size_t>(h % slots_.size());
  while (slots_[i].offset >= 0 && slots_[i].hash != h)
    i = i + 1 == slots_.size() ? 0 : i + 1;
  return i;
}

void offset_map::put_hash(uint64_t h, offset o) {
  auto& s = slots_[index_of(h)];
  if (s.offset < 0) {
    assert(!full());
    ++size_;
    s.hash = h;
  }
  s.offset = std::max(s.offset, o.value);
}

std::optional<offset> offset_map::get_hash(uint64_t h) const {
  auto& s = slots_[index_of(h)];
  if (s.offset < 0)
    return std::nullopt;
  return offset{s.offset};
}

void offset_map::clear() {
  std::fill(slots_.begin(), slots_.end(), slot{0, -1});
  size_ = 0;
}

} // namespace sluice::store

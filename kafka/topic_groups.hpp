#pragma once

// Kafka requests and responses nest partitions under their topic ([topic string, partitions
// [...]]); Sluice's carry a flat list of (topic, partition, ...). These helpers read the nested
// form into a flat one and write a flat list nested, topics in order of first appearance and
// each topic's partitions in list order.

#include "kafka/wire.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::kafka {

template <class T>
std::vector<std::pair<std::string_view, std::vector<const T*>>> by_topic(const std::vector<T>& items) {
  std::vector<std::pair<std::string_view, std::vector<const T*>>> out;
  for (const auto& x : items) {
    std::string_view t = x.topic;
    auto it = out.begin();
    // Requests name few topics: a linear search keeps first-appearance order without a map.
    while (it != out.end() && it->first != t)
      ++it;
    if (it == out.end()) {
      out.emplace_back(t, std::vector<const T*>{});
      it = out.end() - 1;
    }
    it->second.push_back(&x);
  }
  return out;
}

// Writes `items` (each with a `topic`) as [topic, [partition]], `write_partition(w, item)`
// writing one partition element.
template <class T, class F>
void write_by_topic(writer& w, const std::vector<T>& items, F write_partition) {
  auto topics = by_topic(items);
  w.array(topics.size());
  for (const auto& [topic, ps] : topics) {
    w.string(topic);
    w.array(ps.size());
    for (const auto* p : ps)
      write_partition(w, *p);
  }
}

// Reads [topic, [partition]], calling `read_partition(topic)` once per partition element
// (which reads it from `r`); stops at the first malformed byte (r.ok() is then false). Each
// partition element takes at least `min_partition_bytes`, which bounds the counts read.
template <class F>
void read_by_topic(reader& r, size_t min_partition_bytes, F read_partition) {
  constexpr size_t min_topic_bytes = 2 + 4; // name length, partition count
  auto topics = r.array(min_topic_bytes);
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    auto topic = r.string();
    auto partitions = r.array(min_partition_bytes);
    for (int32_t j = 0; j < partitions && r.ok(); ++j)
      read_partition(topic);
  }
}

} // namespace sluice::kafka

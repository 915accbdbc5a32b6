#pragma once

// Kafka responses nest partitions under their topic; Sluice's carry a flat list of
// (topic, partition, ...). by_topic gathers a flat list into topics, in order of first
// appearance, keeping each topic's partitions in list order.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::kafka {

template <class T, class TopicOf>
std::vector<std::pair<std::string_view, std::vector<const T*>>>
by_topic(const std::vector<T>& items, TopicOf topic_of) {
  std::vector<std::pair<std::string_view, std::vector<const T*>>> out;
  for (const auto& x : items) {
    std::string_view t = topic_of(x);
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

} // namespace sluice::kafka

#include "tools/sluiced/node_snapshot.hpp"

#include <algorithm>

namespace sluice::tools {

std::vector<partition_lag> group_lags(const node_snapshot& s) {
  std::map<std::pair<std::string, int32_t>, offset> leader_hw;
  for (auto& r : s.inspect.replicas)
    if (r.error.empty() && r.role == "leader")
      leader_hw[{r.topic, r.partition.value}] = r.high_watermark;
  std::vector<partition_lag> out;
  for (auto& [group, partitions] : s.committed)
    for (auto& p : partitions) {
      if (!p.error.ok() || p.committed.value < 0)
        continue;
      partition_lag l{group, p.topic, p.partition, p.committed, offset{-1}, -1};
      if (auto it = leader_hw.find({p.topic, p.partition.value}); it != leader_hw.end()) {
        l.high_watermark = it->second;
        l.lag = std::max<int64_t>(0, it->second.value - p.committed.value);
      }
      out.push_back(std::move(l));
    }
  std::ranges::sort(out, {}, [](auto& l) { return std::tuple{l.group, l.topic, l.partition.value}; });
  return out;
}

} // namespace sluice::tools

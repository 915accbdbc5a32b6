#include "cluster/broker_sessions.hpp"

#include <algorithm>

namespace sluice::cluster {

void broker_sessions::restart(int64_t now_ms) {
  since_ms_ = now_ms;
  last_.clear();
}

void broker_sessions::heartbeat(node_id id, int64_t now_ms) {
  auto& t = last_[id];
  t = std::max(t, now_ms);
}

std::vector<node_id> broker_sessions::expired(const std::vector<node_id>& candidates,
                                              int64_t now_ms) const {
  std::vector<node_id> out;
  for (auto id : candidates) {
    auto it = last_.find(id);
    auto last = it == last_.end() ? since_ms_ : std::max(it->second, since_ms_);
    if (now_ms - last > timeout_ms_)
      out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<int64_t> broker_sessions::last_heartbeat(node_id id) const {
  auto it = last_.find(id);
  if (it == last_.end())
    return std::nullopt;
  return it->second;
}

} // namespace sluice::cluster

#include "cluster/broker_registry.hpp"

namespace sluice::cluster {

const char* to_string(broker_state s) noexcept {
  switch (s) {
    case broker_state::alive: return "alive";
    case broker_state::fenced: return "fenced";
  }
  return "?";
}

const char* to_string(heartbeat_errc e) noexcept {
  switch (e) {
    case heartbeat_errc::none: return "none";
    case heartbeat_errc::unknown_broker: return "unknown_broker";
    case heartbeat_errc::stale_epoch: return "stale_epoch";
  }
  return "?";
}

broker_epoch broker_registry::register_broker(broker_registration r, int64_t now_ms) {
  broker_epoch epoch{next_epoch_++};
  auto id = r.id;
  brokers_.insert_or_assign(id, broker_status{std::move(r), epoch, broker_state::alive, now_ms});
  return epoch;
}

heartbeat_errc broker_registry::heartbeat(node_id id, broker_epoch epoch, int64_t now_ms) {
  auto it = brokers_.find(id);
  if (it == brokers_.end())
    return heartbeat_errc::unknown_broker;
  if (it->second.epoch != epoch)
    return heartbeat_errc::stale_epoch;
  it->second.last_heartbeat_ms = now_ms;
  it->second.state = broker_state::alive;
  return heartbeat_errc::none;
}

std::vector<node_id> broker_registry::tick(int64_t now_ms) {
  std::vector<node_id> fenced;
  for (auto& [id, b] : brokers_)
    if (b.state == broker_state::alive && now_ms - b.last_heartbeat_ms >= session_timeout_ms_) {
      b.state = broker_state::fenced;
      fenced.push_back(id);
    }
  return fenced;
}

void broker_registry::restart_sessions(int64_t now_ms) {
  for (auto& [id, b] : brokers_)
    b.last_heartbeat_ms = now_ms;
}

std::vector<broker_registration> broker_registry::alive() const {
  std::vector<broker_registration> out;
  for (auto& [id, b] : brokers_)
    if (b.state == broker_state::alive)
      out.push_back(b.registration);
  return out;
}

} // namespace sluice::cluster

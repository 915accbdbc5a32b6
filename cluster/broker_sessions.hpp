#pragma once

// Broker liveness as the controller leader sees it (issue 6): when each broker last
// heartbeated, and which ran out of session. Pure: no CAF, no clock (every input carries the
// time in ms, never going backwards), no I/O, as Kafka's BrokerHeartbeatManager.
//
// Only the leader's memory: registrations, epochs and the fenced flag are replicated metadata
// (actors/metadata_image.hpp), heartbeat times are not. A new leader therefore starts every
// broker's session afresh (restart), so a leader change never fences a live broker, and a dead
// one is fenced at most session_timeout_ms after the change.

#include "store/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace sluice::cluster {

class broker_sessions {
public:
  explicit broker_sessions(int64_t session_timeout_ms) : timeout_ms_(session_timeout_ms) {}

  // This replica became leader at `now_ms`: sessions start over.
  void restart(int64_t now_ms);
  void heartbeat(node_id id, int64_t now_ms);
  // Among `candidates` (the brokers not fenced yet), those silent for more than the session
  // timeout, sorted by id. A broker never heard of since restart counts from the restart.
  std::vector<node_id> expired(const std::vector<node_id>& candidates, int64_t now_ms) const;
  // nullopt: not heard since this replica leads.
  std::optional<int64_t> last_heartbeat(node_id id) const;

private:
  int64_t timeout_ms_;
  int64_t since_ms_ = 0;
  std::map<node_id, int64_t> last_;
};

} // namespace sluice::cluster

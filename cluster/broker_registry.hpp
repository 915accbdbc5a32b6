#pragma once

// Broker membership as the controller sees it (issue 6): brokers register (id, advertised
// address, optional rack) and heartbeat; one that misses heartbeats for session_timeout_ms is
// fenced, and a fenced broker leads no partition until it heartbeats again. Pure: no CAF, no
// clock (every input carries the time in ms, never going backwards), no I/O, as Kafka's
// BrokerHeartbeatManager plus the registration half of its cluster control manager.
//
// Epochs: each registration gets a new broker epoch (one counter for the whole registry, so
// epochs never repeat). A heartbeat must carry the epoch of the broker's current registration:
// a zombie of an earlier process with the same id is refused (stale_epoch) and changes nothing.
//
// What is replicated and what is not: registrations and fence / unfence changes are metadata
// (the Raft state machine records them); heartbeat times are the leader's memory only, and a
// new controller leader gives every broker a fresh session from the moment it takes over.

#include "store/types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::cluster {

using broker_epoch = named_type<int64_t, struct broker_epoch_tag>;

struct broker_registration {
  node_id id{0};
  std::string host;
  uint16_t port = 0;
  std::optional<std::string> rack;
};

enum class broker_state : uint8_t { alive, fenced };

const char* to_string(broker_state s) noexcept;

struct broker_status {
  broker_registration registration;
  broker_epoch epoch{0};
  broker_state state = broker_state::alive;
  int64_t last_heartbeat_ms = 0;
};

enum class heartbeat_errc : uint8_t { none, unknown_broker, stale_epoch };

const char* to_string(heartbeat_errc e) noexcept;

class broker_registry {
public:
  explicit broker_registry(int64_t session_timeout_ms) : session_timeout_ms_(session_timeout_ms) {}

  // A (re)registration replaces the previous one of the same id, with a new epoch; the broker
  // starts alive (it just spoke).
  broker_epoch register_broker(broker_registration r, int64_t now_ms);
  // Refreshes the session; a fenced broker with the current epoch is unfenced.
  heartbeat_errc heartbeat(node_id id, broker_epoch epoch, int64_t now_ms);
  // Brokers fenced by this call, sorted by id.
  std::vector<node_id> tick(int64_t now_ms);
  // The controller leader changed: every broker gets a full session from `now_ms`.
  void restart_sessions(int64_t now_ms);

  // Alive brokers, sorted by id: the candidates for replica placement and leadership.
  std::vector<broker_registration> alive() const;
  const std::map<node_id, broker_status>& brokers() const { return brokers_; }

private:
  int64_t session_timeout_ms_;
  int64_t next_epoch_ = 1;
  std::map<node_id, broker_status> brokers_;
};

} // namespace sluice::cluster

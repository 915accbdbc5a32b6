// The node's cluster mode (sluiced --controllers): its metadata actor is the Raft controller
// (actors/controller_actor.hpp), and it keeps a link to every other controller's node, over
// which the controllers exchange Raft messages and forward requests to their leader.
//
// Links are CAF middleman connections with heartbeats (sluiced sets
// middleman.heartbeat-interval), monitored: a link that drops is dialled again every
// peer_retry until it is back, and the controller hears of every change. With TLS on
// (tls.enabled) they are opened through CAF's OpenSSL module (net/links.hpp), as clients' are.

#include "actors/node_impl.hpp"

#include "actors/controller_actor.hpp"
#include "actors/replica_manager.hpp"
#include "net/links.hpp"

#include <caf/actor_cast.hpp>
#include <spdlog/spdlog.h>

namespace sluice::actors {

namespace {

constexpr auto peer_retry = std::chrono::milliseconds(250);
constexpr auto connect_timeout = std::chrono::seconds(5);

} // namespace

void node_impl::start_controller() {
  controller_args args;
  args.self = config_.id;
  args.host = config_.host;
  args.port = config_.port;
  if (!config_.rack.empty())
    args.rack = config_.rack;
  args.controllers = config_.controllers;
  args.raft_dir = config_.data_dir / "raft";
  args.defaults = config_.topic_defaults;
  args.limits = config_.limits;
  args.raft.election_timeout_min_ms = config_.controller_election_timeout_ms;
  args.raft.election_timeout_max_ms = 2 * config_.controller_election_timeout_ms;
  args.raft.heartbeat_interval_ms = std::max<int64_t>(10, config_.controller_election_timeout_ms / 5);
  args.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  args.snapshot_every = config_.metadata_snapshot_records;
  args.broker_session_timeout_ms = config_.broker_session_timeout_ms;
  args.broker_heartbeat_interval_ms = config_.broker_heartbeat_interval_ms;
  metadata_ = spawn_controller(home_system(), std::move(args));
  monitor(metadata_);
  if (!replicas_) {
    replicas_ = spawn_replica_manager(home_system(), replica_manager_args{config_.id});
    monitor(replicas_);
  }
  subscribe_metadata();
  announce_peers();
  for (auto& c : config_.controllers)
    if (c.id != config_.id && !peer_nodes_.contains(c.id))
      connect_peer(c.id);
}

void node_impl::connect_peer(node_id id) {
  auto c = std::find_if(config_.controllers.begin(), config_.controllers.end(),
                        [&](auto& x) { return x.id == id; });
  if (c == config_.controllers.end() || peer_nodes_.contains(id) || !peer_connecting_.insert(id).second)
    return;
  // Each new reason a dial fails is logged once: a peer that is down is dialled 4 times a
  // second, and a TLS mismatch (another CA) would otherwise leave no trace on this side.
  auto retry = [this, id, where = c->host + ":" + std::to_string(c->port)](const std::string& why) {
    peer_connecting_.erase(id);
    if (auto& last = peer_dial_errors_[id]; last != why) {
      last = why;
      spdlog::warn("node {}: cannot reach controller {} at {}: {}", config_.id.value, id.value, where, why);
    }
    delayed_send(this, peer_retry, peers_atom_v, id);
  };
  request(net::connector(home_system()), connect_timeout, caf::connect_atom_v, c->host, c->port)
    .then(
      [this, id, retry](const caf::node_id&, caf::strong_actor_ptr& ptr,
                        const std::set<std::string>&) {
        if (!ptr) {
          retry("no node published there");
          return;
        }
        peer_connecting_.erase(id);
        peer_dial_errors_.erase(id);
        auto node = caf::actor_cast<node_actor>(std::move(ptr));
        monitor(node);
        peer_nodes_.insert_or_assign(id, node);
        spdlog::info("node {}: connected to controller {}", config_.id.value, id.value);
        announce_peers();
      },
      [this, retry](caf::error& e) { retry(home_system().render(e)); });
}

bool node_impl::on_peer_down(const caf::down_msg& dm) {
  for (auto it = peer_nodes_.begin(); it != peer_nodes_.end(); ++it) {
    if (it->second.address() != dm.source)
      continue;
    auto id = it->first;
    peer_nodes_.erase(it);
    spdlog::warn("node {}: lost controller {} ({})", config_.id.value, id.value, to_string(dm.reason));
    announce_peers();
    delayed_send(this, peer_retry, peers_atom_v, id);
    return true;
  }
  return false;
}

void node_impl::announce_peers() {
  if (!config_.controllers.empty() && metadata_)
    send(metadata_, peers_atom_v, controller_peers{peer_nodes_});
  if (replicas_)
    send(replicas_, peers_atom_v, controller_peers{peer_nodes_});
  if (groups_ && !config_.controllers.empty())
    send(groups_, peers_atom_v, controller_peers{peer_nodes_});
  if (txns_ && !config_.controllers.empty())
    send(txns_, peers_atom_v, controller_peers{peer_nodes_});
  if (delays_ && !config_.controllers.empty())
    send(delays_, peers_atom_v, controller_peers{peer_nodes_});
}

} // namespace sluice::actors

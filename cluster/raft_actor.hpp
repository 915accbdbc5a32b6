#pragma once

// The Raft actor: the shell around one raft_node (cluster/raft.hpp) on a controller. It owns
// the node's raft_storage (DATA/raft), drives the core's clock with a periodic tick, and
// drains the ready in the order of the durability rule: persist (fsynced), then send to the
// peers' Raft actors, then apply committed commands, in order, to the state machine callback,
// and answer the proposals they came from.
//
// Group commit: proposals and peer messages do not drain at once; the first of them sends
// the actor a flush message, which CAF queues behind everything already in the mailbox. All
// inputs that arrived meanwhile are stepped first and share one ready, so one fsync and one
// append per peer carry every proposal of a burst (the durability rule still holds: nothing
// leaves before the flush persisted it).
//
// Snapshots: every `snapshot_every` applied entries the actor takes the state machine's
// snapshot and compacts the log (the core persists it and drops the entries it covers). The
// state machine is replaced through `restore` on open, from the persisted snapshot, before
// anything is applied, and when the leader sends a snapshot (InstallSnapshot), before the
// entries committed after it are applied.
//
// A proposal is answered once its entry is applied, with the state machine's answer, or with
// not_leader (and the leader it knows of, for forwarding) when this replica does not lead or
// lost leadership before the entry committed (a newer leader overwrote it or it was never
// replicated: the client retries on the new leader).

#include "cluster/raft.hpp"
#include "cluster/raft_storage.hpp"
#include "schema/envelope.hpp"
#include "schema/type_ids.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace sluice::cluster {

using raft_atom = caf::atom_constant<caf::atom("raft_msg")>;       // a peer's raft_message
using raft_peers_atom = caf::atom_constant<caf::atom("raft_peer")>; // where the peers are
using propose_atom = caf::atom_constant<caf::atom("raft_prop")>;
using raft_tick_atom = caf::atom_constant<caf::atom("raft_tick")>;
using raft_flush_atom = caf::atom_constant<caf::atom("raft_flsh")>; // to itself: group commit
// The atom of actors' `state` (actors/atoms.hpp): `sluice inspect` asks every actor of the
// tree the same question, this one included.
using raft_state_atom = caf::atom_constant<caf::atom("state")>;
using raft_status_atom = caf::atom_constant<caf::atom("raft_stat")>;

struct propose_reply {
  propose_errc error = propose_errc::none;
  std::optional<node_id> leader_hint; // not_leader: whom to ask instead
  log_index index;                    // where the command was applied
  std::string result;                 // what the state machine answered
};

// The replica as its owner sees it: sent to on_change whenever role, term or leader changed,
// and the answer to raft_status_atom.
struct raft_status {
  raft_role role = raft_role::follower;
  raft_term term{0};
  std::optional<node_id> leader;
  log_index last{0};
  log_index commit{0};
  std::map<node_id, log_index> match; // leader only: how far each follower's log matches

  bool operator==(const raft_status&) const = default;
};

// Applies one committed command (never a no-op) and returns its answer for the proposer.
using apply_fn = std::function<std::string(log_index, const std::string&)>;

// Where the other voters' Raft actors are (they may come and go: send again on a change).
// A voter that leaves the map is reported to the core as unreachable
// (raft_node::peer_unreachable): losing the leader's node starts an election at once.
struct raft_peers {
  std::map<node_id, caf::actor> actors;
};

using raft_actor = caf::typed_actor<
  caf::reacts_to<raft_atom, schema::envelope>,
  caf::reacts_to<raft_peers_atom, raft_peers>,
  caf::replies_to<propose_atom, std::string>::with<propose_reply>,
  caf::reacts_to<raft_tick_atom>,
  caf::reacts_to<raft_flush_atom>,
  // One line: role, term, leader, snapshot, last and commit index, applied, pending proposals.
  caf::replies_to<raft_state_atom>::with<std::string>,
  caf::replies_to<raft_status_atom>::with<raft_status>>;

struct raft_actor_args {
  node_id self{0};
  std::vector<node_id> voters;
  raft_config config;
  uint64_t seed = 1;
  std::filesystem::path dir; // the LMDB environment of raft_storage
  apply_fn apply;
  // The state machine's snapshot as of the last applied entry.
  std::function<std::string()> snapshot;
  // Replaces the state machine with a snapshot covering the entries up to the index; the next
  // entry applied is the one after it.
  std::function<void(log_index, const std::string&)> restore;
  // Take a snapshot and compact the log once this many entries were applied since the last
  // snapshot (0, or no `snapshot` or `restore` function: never). A directory holding a
  // snapshot does not open without `restore`.
  size_t snapshot_every = 1000;
  // Called (in the Raft actor) after each input that changed role, term or leader.
  std::function<void(const raft_status&)> on_change;
  std::chrono::milliseconds tick_interval{10};
};

// Fails (an actor that quits at once with an error) when the storage does not open or load.
raft_actor spawn_raft(caf::actor_system& sys, raft_actor_args args);

} // namespace sluice::cluster

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::cluster::propose_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::cluster::raft_peers)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::cluster::raft_status)

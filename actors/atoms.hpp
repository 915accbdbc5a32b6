#pragma once

// Atoms of the node-local messages between a node's own actors (partition, topic, metadata,
// node). Client-facing atoms, which cross nodes, live in schema/type_ids.hpp. CAF 0.17 atoms
// are values, not type ids, so these need no entry in the type-id block.

#include <caf/atom.hpp>

namespace sluice::actors {

using tick_atom = caf::atom_constant<caf::atom("sl_tick")>;           // periodic log upkeep
using fetch_expire_atom = caf::atom_constant<caf::atom("fetch_exp")>; // a long-poll deadline
using fetch_done_atom = caf::atom_constant<caf::atom("fetch_done")>;  // answer a parked fetch now
using fetch_progress_atom = caf::atom_constant<caf::atom("fetch_prog")>;
using delete_data_atom = caf::atom_constant<caf::atom("data_del")>;  // remove a replica's files
using subscribe_atom = caf::atom_constant<caf::atom("md_sub")>;
using topic_update_atom = caf::atom_constant<caf::atom("topic_upd")>;
using topic_deleted_atom = caf::atom_constant<caf::atom("topic_gone")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using state_atom = caf::atom_constant<caf::atom("state")>; // one actor's inspect text
using peers_atom = caf::atom_constant<caf::atom("peers")>; // the node's links to controllers
using ensure_offsets_atom = caf::atom_constant<caf::atom("ofs_ensure")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using create_internal_atom = caf::atom_constant<caf::atom("topic_int")>;
using persist_atom = caf::atom_constant<caf::atom("grp_store")>;    // append to __consumer_offsets
using offsets_log_atom = caf::atom_constant<caf::atom("ofs_log")>;  // the topic actor of it
using partition_counts_atom = caf::atom_constant<caf::atom("grp_parts")>;
using group_dead_atom = caf::atom_constant<caf::atom("grp_dead")>;  // a coordinator's group expired
using retire_atom = caf::atom_constant<caf::atom("grp_retire")>;   // stop it if still dead
using txn_log_atom = caf::atom_constant<caf::atom("txn_log")>;   // the topic actor of __transaction_state
// Replication (issue 7): partition states from the metadata, follower registration with the
// node's fetchers, and the records a fetcher brings a follower.
using partition_states_atom = caf::atom_constant<caf::atom("part_st")>;
using follow_atom = caf::atom_constant<caf::atom("follow")>;
using unfollow_atom = caf::atom_constant<caf::atom("unfollow")>;
using replica_data_atom = caf::atom_constant<caf::atom("repl_data")>;
using propose_atom = caf::atom_constant<caf::atom("isr_prop")>;   // resend an ISR proposal
using fetch_round_atom = caf::atom_constant<caf::atom("repl_round")>;
using delayed_log_atom = caf::atom_constant<caf::atom("delay_log")>; // the topic actor of __delayed
// Log compaction: a partition's cleaning job to the node's log cleaner.
using clean_atom = caf::atom_constant<caf::atom("log_clean")>;

inline constexpr tick_atom tick_atom_v{};
inline constexpr fetch_expire_atom fetch_expire_atom_v{};
inline constexpr fetch_done_atom fetch_done_atom_v{};
inline constexpr fetch_progress_atom fetch_progress_atom_v{};
inline constexpr delete_data_atom delete_data_atom_v{};
inline constexpr subscribe_atom subscribe_atom_v{};
inline constexpr topic_update_atom topic_update_atom_v{};
inline constexpr topic_deleted_atom topic_deleted_atom_v{};
inline constexpr ready_atom ready_atom_v{};
inline constexpr state_atom state_atom_v{};
inline constexpr peers_atom peers_atom_v{};
inline constexpr lookup_atom lookup_atom_v{};
inline constexpr ensure_offsets_atom ensure_offsets_atom_v{};
inline constexpr create_internal_atom create_internal_atom_v{};
inline constexpr persist_atom persist_atom_v{};
inline constexpr offsets_log_atom offsets_log_atom_v{};
inline constexpr partition_counts_atom partition_counts_atom_v{};
inline constexpr group_dead_atom group_dead_atom_v{};
inline constexpr retire_atom retire_atom_v{};
inline constexpr txn_log_atom txn_log_atom_v{};
inline constexpr partition_states_atom partition_states_atom_v{};
inline constexpr follow_atom follow_atom_v{};
inline constexpr unfollow_atom unfollow_atom_v{};
inline constexpr replica_data_atom replica_data_atom_v{};
inline constexpr propose_atom propose_atom_v{};
inline constexpr fetch_round_atom fetch_round_atom_v{};
inline constexpr delayed_log_atom delayed_log_atom_v{};
inline constexpr clean_atom clean_atom_v{};

} // namespace sluice::actors

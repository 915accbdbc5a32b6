#pragma once

// The membership protocol of one consumer group (issue 5): Kafka's classic group protocol
// (JoinGroup / SyncGroup / Heartbeat / LeaveGroup, GroupCoordinator.scala and GroupMetadata.scala)
// as a pure state machine: no CAF, no clock, no I/O. Every input carries the current time in ms;
// every output is a return value. Joins are the one request answered later: a join parks until
// the rebalance completes, so the calls that can complete it (join, leave, tick) return the
// completed join responses in `group_effects`, and the actor shell replies to each one.
//
//                      join (new member)
//        +-------+ -------------------------> +---------------------+
//        | empty |                            | preparing_rebalance | <----------------+
//        +-------+ <------------------------- +---------------------+                  |
//          |   ^     join completes with            |  every member rejoined, or         |
//  remove  |   |     no member left                 |  rebalance timeout (laggards out)  |
//  _group  |   |                                    v                                    |
//          |   |                           +----------------------+  join / leave /      |
//          |   |                           | completing_rebalance | -- session expiry --->+
//          |   |                           +----------------------+                      |
//          v   |                                    |  every member synced, nothing      |
//      +------+                                     |  to revoke (else: follow-up        |
//      | dead |                                     v  rebalance of KIP-429) ----------->+
//      +------+                              +--------+                                  |
//     (final)                                | stable | -- join / leave / expiry ------->+
//                                            +--------+
//
// Sluice simplifications (documented deviations from Kafka):
//   - The coordinator computes the assignment itself at join completion (group_assignor.hpp),
//     picking the assignor by the protocol name every member supports, instead of the leader
//     sending it in its SyncGroup. A leader is still chosen and reported.
//   - Hence completing_rebalance -> stable waits for every member's sync (not only the
//     leader's): "stable" then means every member holds its assignment. A member that never
//     syncs is removed by its session timeout; heartbeats are accepted meanwhile, as in Kafka.
//   - Cooperative protocol (KIP-429): when the computed assignment revokes anything, the
//     coordinator triggers the follow-up rebalance itself once every member has synced (i.e.
//     has learnt what to revoke), instead of the members rejoining on their own.
//   - Any join from a known member outside preparing_rebalance starts a rebalance (Kafka skips
//     it for a follower whose metadata did not change); no MEMBER_ID_REQUIRED round trip
//     (KIP-394); no group.initial.rebalance.delay.ms.
//   - A restarted static member (KIP-345) is assumed to keep its subscription.
//   - A second join from a member whose join is already parked supersedes it: the shell keeps
//     one pending reply per member id and answers the latest.
//
// Invariants (checked by the seeded driver in tests/actors/group_membership_test.cpp):
//   - the generation never decreases; it grows by one per completed join;
//   - in stable, every partition of a subscribed topic is assigned to exactly one member;
//   - no two members are assigned the same partition.

#include "actors/group_assignor.hpp"
#include "actors/inspect_field.hpp"
#include "store/named_type.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::actors {

// Group errors of Kafka's protocol missing from schema::errc (which must not change here); the
// shell maps them onto the wire. Same names as Kafka's Errors.
enum class group_errc : uint8_t {
  none,
  unknown_member_id,
  illegal_generation,
  rebalance_in_progress,
  fenced_instance_id,          // KIP-345: another member id holds this group.instance.id
  inconsistent_group_protocol, // no protocol shared with the group (or none Sluice knows)
  coordinator_not_available,   // the group is dead
  non_empty_group,             // remove_group on a group with members
};

const char* to_string(group_errc e) noexcept;

enum class group_state : uint8_t { empty, preparing_rebalance, completing_rebalance, stable, dead };

const char* to_string(group_state s) noexcept;

// Kafka's assignor names: the "protocol" a consumer lists in its JoinGroup.
inline constexpr const char* range_protocol = "range";
inline constexpr const char* round_robin_protocol = "roundrobin";
inline constexpr const char* cooperative_sticky_protocol = "cooperative-sticky";

struct join_request {
  std::string member_id; // "" for a new member
  std::optional<std::string> group_instance_id;
  std::vector<std::string> protocols; // assignor names, most preferred first
  std::vector<std::string> topics;
  std::vector<topic_partition_ref> owned; // KIP-429; ignored by the eager protocols
  int64_t session_timeout_ms = 10'000;
  int64_t rebalance_timeout_ms = 300'000;
};

// The reply to one join, sent when the join completes (or fails while parked).
struct join_response {
  std::string member_id;
  group_errc error = group_errc::none;
  generation_id generation = no_generation;
  std::string protocol;
  std::string leader_id;
  std::vector<std::string> members; // Kafka sends these to the leader only; harmless to all
};

struct group_effects {
  std::vector<join_response> joins; // completed parked joins, for the shell to answer
};

struct join_result {
  group_errc error = group_errc::none; // immediate failure: nothing parked
  std::string member_id;                // the id the member now has
  group_effects effects;                // may hold this very join, if it completed at once
};

struct sync_response {
  group_errc error = group_errc::none;
  std::vector<topic_partition_ref> assignment;
};

struct leave_result {
  group_errc error = group_errc::none;
  group_effects effects;
};

// What `sluice inspect` shows of a group.
struct group_status {
  std::string state;
  int32_t generation = -1;
  std::string protocol;
  std::string leader;
  size_t members = 0;
  size_t awaiting_join = 0;
  size_t awaiting_sync = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_status& x) {
  field state{"state", x.state};
  field generation{"generation", x.generation};
  field protocol{"protocol", x.protocol};
  field leader{"leader", x.leader};
  field members{"members", x.members};
  field awaiting_join{"awaiting_join", x.awaiting_join};
  field awaiting_sync{"awaiting_sync", x.awaiting_sync};
  return f(caf::meta::type_name("group"), state, generation, protocol, leader, members,
           awaiting_join, awaiting_sync);
}

// One group's membership. Owned by the group's coordinator actor; single-threaded. Time is
// whatever monotonic ms clock the shell uses, and must not go backwards between calls.
class group_membership {
public:
  // Member ids are `prefix` + "-" + a counter: deterministic, never reused by this object (the
  // shell makes the prefix unique per coordinator incarnation). `generation` is the last one
  // a previous coordinator of the group completed (from __consumer_offsets), so generations
  // keep growing across failovers and a zombie of an old one stays fenced.
  group_membership(partition_counts counts, std::string member_id_prefix,
                   generation_id generation = generation_id{0});

  join_result join(const join_request& req, int64_t now_ms);
  sync_response sync(const std::string& member_id, generation_id gen, int64_t now_ms,
                     const std::optional<std::string>& instance_id = std::nullopt);
  group_errc heartbeat(const std::string& member_id, generation_id gen, int64_t now_ms,
                       const std::optional<std::string>& instance_id = std::nullopt);
  // LeaveGroup; `now_ms` starts the rebalance timeout of the rebalance it triggers.
  leave_result leave(const std::string& member_id, int64_t now_ms);
  // Session expiry and the rebalance timeout; call at least every few hundred ms.
  group_effects tick(int64_t now_ms);
  // Whether an OffsetCommit may be applied; changes nothing.
  group_errc validate_commit(const std::string& member_id, generation_id gen,
                             const std::optional<std::string>& instance_id = std::nullopt) const;
  // DeleteGroups: only an empty group may die.
  group_errc remove_group();
  // Topic metadata changed. When the partition count of a topic some member subscribes to
  // changed, a rebalance starts (Kafka's metadata-triggered rebalance); returns whether it did.
  bool set_partition_counts(partition_counts counts, int64_t now_ms);

  group_state state() const { return state_; }
  generation_id generation() const { return generation_; }
  const std::string& protocol() const { return protocol_; }
  const std::string& leader() const { return leader_; }
  const assignment& current_assignment() const { return assignment_; }
  std::vector<std::string> member_ids() const;
  // The group.instance.id of a static member; nullopt for a dynamic or unknown one.
  std::optional<std::string> instance_of(const std::string& member_id) const;
  const partition_counts& counts() const { return counts_; }
  group_status status() const;

private:
  struct member {
    std::optional<std::string> instance_id;
    std::vector<std::string> protocols; // only ones Sluice knows
    std::vector<std::string> topics;
    std::vector<topic_partition_ref> owned;
    int64_t session_timeout_ms = 0;
    int64_t rebalance_timeout_ms = 0;
    int64_t last_seen_ms = 0;
    bool awaiting_join = false; // parked join of the current rebalance
    bool synced = false;        // synced in the current generation
  };

  join_result join_new(const join_request& req, int64_t now_ms);
  join_result join_known(const join_request& req, int64_t now_ms);
  // `old_id` by value: the caller's reference points into static_members_, which this rewrites.
  join_result replace_static(std::string old_id, const join_request& req, int64_t now_ms);
  std::optional<group_errc> check_member(const std::string& member_id,
                                         const std::optional<std::string>& instance_id) const;
  bool supports(const std::vector<std::string>& protocols) const;
  void prepare_rebalance(int64_t now_ms);
  void maybe_complete_join(group_effects& fx);
  void complete_join(group_effects& fx);
  std::string select_protocol() const;
  void compute_assignment();
  void maybe_stabilize(int64_t now_ms);
  void expire_sessions(int64_t now_ms, group_effects& fx);
  void drop_laggards(group_effects& fx);
  void remove_member(const std::string& id, group_errc reason, group_effects& fx);
  join_response response_for(const std::string& id) const;
  std::string next_member_id();

  partition_counts counts_;
  std::string member_id_prefix_;
  uint64_t next_member_seq_ = 1;
  group_state state_ = group_state::empty;
  generation_id generation_{0};
  std::string protocol_;
  std::string leader_;
  std::map<std::string, member> members_;                // by member id
  std::map<std::string, std::string> static_members_;    // instance id -> member id
  assignment assignment_;                                // of the current generation
  bool revocations_pending_ = false;                     // KIP-429 follow-up owed
  int64_t rebalance_deadline_ms_ = 0;
};

} // namespace sluice::actors

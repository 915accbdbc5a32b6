#pragma once

// The Raft core behind the metadata actor (issue 6): a pure state machine in the style of
// etcd-raft and TigerBeetle. No CAF, no clock, no I/O, no threads: every input carries the
// current time in ms (any monotonic clock, never going backwards), every output is collected
// in a raft_ready the caller drains. Randomness (election timeouts) comes from a seed.
//
//                 timeout                 majority of pre-votes
//   +----------+ --------> +---------------+ ------------------> +-----------+
//   | follower |           | pre_candidate |                    | candidate | -- timeout --+
//   +----------+ <-------- +---------------+ <--- timeout ------ +-----------+              |
//      ^  ^   higher term, or an append of the current term         |  majority of votes   |
//      |  |                                                         v                      |
//      |  +------------------- higher term ---------------------- +--------+               |
//      |                                                          | leader |               |
//      +---------- higher term / check-quorum --------------------+--------+ <-------------+
//                                                                  (back to pre-vote first)
//
// Implemented: randomised election timeouts (§5.2); pre-vote (thesis §9.6): a node adopts a new
// term only after a majority said it would vote, and a node that heard from a live leader less
// than election_timeout_min_ms ago refuses to pre-vote, so a rejoining partitioned node cannot
// depose a healthy leader; votes with the log up-to-date check (§5.4.1); replication with
// batches of at most max_entries_per_append entries and, once a follower's match is known, up to
// max_inflight_appends pipelined appends with an optimistic next index; fast back-off from the
// follower's conflict hint; commit only of current-term entries counted on a majority (§5.4.2),
// with a no-op appended on election so earlier entries commit promptly; step-down on any higher
// term (§5.1); leader forwarding (propose on a follower answers not_leader with a leader hint);
// check-quorum (thesis §6.2): a leader that heard no response from a majority of voters (itself
// counted) for election_timeout_max_ms steps down, keeping its term, so a leader cut off from
// the majority stops claiming leadership (and stops refusing pre-votes) within about one
// election timeout; snapshots and log truncation (§7, etcd-raft's shape):
//
//   - compact(): the caller hands the state machine's snapshot as of an applied index; the log
//     drops every entry up to it and keeps only that index and term, for the consistency check.
//     Invariant: snapshot index <= applied <= commit <= last index, and log() holds exactly
//     first_index() .. last_index().
//   - InstallSnapshot: a follower whose next entry was compacted away is sent the snapshot
//     instead (as a probe: one at a time, retried every heartbeat until answered). A follower
//     that has already committed the snapshot's index ignores it and answers its commit index;
//     otherwise it keeps the part of its log after the snapshot if it holds the snapshot's last
//     entry (same index and term: log matching says the rest is the leader's too), else drops
//     its whole log, commits the snapshot's index and hands the snapshot out to be restored.
//   - Restart: from raft_persisted's snapshot; commit and applied start at its index, and the
//     caller restores its state machine from it before applying anything the node hands out.
//
// Not yet: read-index / lease reads for linearizable reads (thesis §6.4), leadership transfer,
// membership changes (the voter set is fixed by configuration), snapshots in chunks.
//
// THE DURABILITY RULE. For every raft_ready the caller must, in this order:
//   1. persist `hard` (if set), `snapshot` (if set: store it and delete the persisted entries
//      with index <= snapshot->index) and then the log changes (drop entries from
//      `truncate_from` on, then append `entries`), durably (fsync) and atomically: a crash must
//      leave all of step 1 or none of it (a log cut by a snapshot that was then lost would lose
//      acknowledged entries);
//   2. only then send `messages`;
//   3. if `restore` is set, replace the state machine with it (it equals `snapshot`: the
//      leader's state, which covers everything this node applied and more), and only then
//      apply `committed` to the state machine, in order (their indexes follow the restore's).
// A vote or an append acknowledgement that left before its state was durable could be
// forgotten by a crash, letting two leaders win a term or a committed entry be lost. A crash
// before step 1 completes loses the whole ready, which is safe: nothing of it was visible yet.
// Drain after every input or batch of inputs (has_ready()); the ready grows until drained,
// and inputs keep working on the in-memory state meanwhile (a single-node cluster commits in
// memory before its entries are durable: harmless, since `committed` is only applied after the
// same ready's entries were persisted).
//
// Throws std::logic_error on an invalid configuration or restart state, and when it detects a
// broken Raft invariant (two leaders in one term, a committed entry about to be overwritten, an
// acknowledgement beyond the leader's log): only a bug or a peer not running Raft causes those,
// and continuing would corrupt the replicated state), and on a compact() that breaks its
// precondition. Malformed appends and snapshots are dropped.

#include "cluster/raft_types.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace sluice::cluster {

struct raft_config {
  int64_t election_timeout_min_ms = 150;
  int64_t election_timeout_max_ms = 300;
  int64_t heartbeat_interval_ms = 50; // also how often a lost append is retried
  size_t max_entries_per_append = 64;
  size_t max_inflight_appends = 4;
  size_t max_uncommitted_entries = 4096; // proposals beyond this are refused (busy)
};

enum class raft_role : uint8_t { follower, pre_candidate, candidate, leader };

const char* to_string(raft_role r) noexcept;

// Everything the caller must carry out; see the durability rule above.
struct raft_ready {
  std::optional<hard_state> hard;
  // Persist first: it replaces the persisted snapshot, and the persisted entries it covers
  // (index <= snapshot->index) are deleted.
  std::optional<raft_snapshot> snapshot;
  std::optional<log_index> truncate_from; // then delete persisted entries with index >= this
  std::vector<log_entry> entries;         // then append these (contiguous indexes)
  std::vector<raft_message> messages;
  // From the leader (InstallSnapshot), equal to `snapshot`: replace the state machine with it
  // before applying `committed`.
  std::optional<raft_snapshot> restore;
  std::vector<log_entry> committed; // newly committed, in index order; no-ops included

  bool empty() const {
    return !hard && !snapshot && !truncate_from && entries.empty() && messages.empty()
           && !restore && committed.empty();
  }
};

enum class propose_errc : uint8_t { none, not_leader, busy, empty_command };

const char* to_string(propose_errc e) noexcept;

struct propose_result {
  propose_errc error = propose_errc::none;
  log_index index;   // where the command will sit if it commits (error == none)
  raft_term term;    // the term it was proposed in: committed as (index, term) or never
  std::optional<node_id> leader_hint; // not_leader: whom to forward to, if known
};

// One replica. Owned by its actor shell; single-threaded.
class raft_node {
public:
  // `voters`: the fixed voter set (1, 3 or 5 ids) including `self`. `seed` drives this node's
  // randomised election timeouts. `restart`: what the node last persisted (empty on first boot);
  // the caller restores its state machine from restart.snapshot, if any.
  raft_node(node_id self, std::vector<node_id> voters, raft_config cfg, uint64_t seed,
            raft_persisted restart = {});

  void tick(int64_t now_ms);
  void step(const raft_message& msg, int64_t now_ms);
  propose_result propose(std::string command, int64_t now_ms);

  // A hint from the transport that `peer`'s process or connection is gone (never needed for
  // safety: a wrong hint costs at most an election). If it is the leader this node follows,
  // the node stops counting it as live (so it grants pre-votes) and campaigns within one
  // heartbeat interval instead of a whole election timeout: failover after a crash then takes
  // about a round trip rather than an election timeout.
  void peer_unreachable(node_id peer, int64_t now_ms);

  // Log compaction: `data` is the state machine's state after applying every entry up to
  // `index`. Entries up to `index` leave the log; the snapshot goes out in the next ready (to
  // persist) and to followers that need those entries. Throws std::logic_error unless
  // snapshot_index() < index <= the last index handed out in a ready's `committed` (or restored).
  void compact(log_index index, std::string data);

  bool has_ready() const;
  raft_ready take_ready();

  node_id id() const { return self_; }
  raft_role role() const { return role_; }
  raft_term term() const { return term_; }
  std::optional<node_id> leader() const { return leader_; }
  log_index commit_index() const { return commit_; }
  log_index last_index() const { return snapshot_.index + int64_t(log_.size()); }
  // The entries not compacted away: first_index() .. last_index() (empty when they are equal
  // minus one). log()[k] has index first_index() + k.
  const std::vector<log_entry>& log() const { return log_; }
  log_index first_index() const { return snapshot_.index + 1; }
  log_index snapshot_index() const { return snapshot_.index; }
  // The latest snapshot (index 0, term 0, no data before the first).
  const raft_snapshot& snapshot() const { return snapshot_; }
  // Leader: how far each other voter's log is known to match this one (empty otherwise).
  std::map<node_id, log_index> matches() const;

private:
  // The leader's view of one follower (etcd's Progress). In probe, one append at a time at
  // `next`, retried every heartbeat; in replicate (entered on the first success), up to
  // max_inflight_appends appends pipelined from an optimistic `next`.
  struct progress {
    log_index match{0};
    log_index next{1};
    bool replicating = false;
    bool probe_sent = false;
    std::deque<log_index> inflight; // last index of each unacknowledged pipelined append
    // When the oldest inflight append was sent or last freed a slot. A pipeline with no
    // acknowledgement for election_timeout_min_ms is assumed lost and probing starts over
    // from `match`; a shorter limit (one heartbeat) would thrash whenever the round trip
    // exceeds the heartbeat interval.
    int64_t stalled_since_ms = 0;
    int64_t heard_ms = 0; // the last response of this term from it (check-quorum)
  };

  void start(int64_t now_ms); // at every input: records the time, arms the first timeout
  void reset_election_deadline(int64_t now_ms);
  bool quorum(size_t count) const { return count * 2 > voters_.size(); }

  void become_follower(raft_term term, std::optional<node_id> leader, int64_t now_ms);
  void become_pre_candidate(int64_t now_ms);
  void become_candidate(int64_t now_ms);
  void become_leader(int64_t now_ms);

  void on_pre_vote_request(node_id from, const pre_vote_request& m, int64_t now_ms);
  void on_pre_vote_response(node_id from, const pre_vote_response& m, int64_t now_ms);
  void on_vote_request(node_id from, const vote_request& m, int64_t now_ms);
  void on_vote_response(node_id from, const vote_response& m, int64_t now_ms);
  void on_append_request(node_id from, const append_request& m, int64_t now_ms);
  void on_append_response(node_id from, const append_response& m);
  void on_install_snapshot_request(node_id from, const install_snapshot_request& m,
                                   int64_t now_ms);
  void on_install_snapshot_response(node_id from, const install_snapshot_response& m);
  void on_follower_match(node_id from, progress& pr, log_index match);
  void accept_leader(node_id from, int64_t now_ms);

  bool send_append(node_id to, progress& pr, bool heartbeat);
  void send_snapshot(node_id to, progress& pr);
  void broadcast_heartbeat();
  bool quorum_active(int64_t now_ms) const;
  void maybe_commit();
  bool leader_is_live(int64_t now_ms) const;
  bool log_up_to_date(log_index last_index, raft_term last_term) const;

  raft_term term_at(log_index i) const; // first_index() - 1 <= i <= last_index()
  const log_entry& entry_at(log_index i) const; // first_index() <= i <= last_index()
  raft_term last_term() const { return term_at(last_index()); }
  void append(log_entry e);
  void truncate_from(log_index i);
  void set_commit(log_index c);
  append_response reject_with_hint(log_index prev_index, raft_term prev_term) const;

  void send(node_id to, raft_payload p);
  [[noreturn]] void fail(const std::string& what) const;

  node_id self_;
  std::vector<node_id> voters_;
  raft_config cfg_;
  std::mt19937_64 rng_;

  // Persistent state (mirrored to the caller through ready_).
  raft_term term_{0};
  std::optional<node_id> voted_for_;
  raft_snapshot snapshot_;      // the compacted prefix: entries up to snapshot_.index
  std::vector<log_entry> log_; // log_[k] has index snapshot_.index + 1 + k

  // Volatile state.
  raft_role role_ = raft_role::follower;
  std::optional<node_id> leader_;
  log_index commit_{0};
  log_index applied_{0}; // last index handed out in a ready's `committed` or `restore`
  bool started_ = false;
  int64_t election_deadline_ms_ = 0;
  int64_t heartbeat_deadline_ms_ = 0;
  int64_t leader_contact_ms_ = 0; // when the current leader was last heard from
  int64_t now_ms_ = 0;            // the time of the input being handled
  std::set<node_id> votes_;       // granted (pre-)votes in the current campaign
  std::map<node_id, progress> progress_; // leader only; every voter but self

  // Output not yet taken. Invariant: log_ == (persisted log without the entries up to
  // ready_.snapshot's index, truncated at ready_.truncate_from) ++ ready_.entries, and
  // snapshot_ is ready_.snapshot if set, else the persisted snapshot; "persisted" is what the
  // caller holds after carrying out every ready taken so far.
  raft_ready ready_;
  hard_state persisted_hard_;
};

} // namespace sluice::cluster

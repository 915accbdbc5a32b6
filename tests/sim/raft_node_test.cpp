#define CAF_SUITE sim.raft_node
#include <caf/test/unit_test.hpp>

#include "tests/sim/raft_cluster.hpp"

#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

// Hand-written cases of the Raft core, one protocol rule each, on a fault-free simulated
// cluster (raft_cluster.hpp) or on a single raft_node fed messages by hand. The checkers of the
// simulated cluster run in every case.

using namespace sluice;
using namespace sluice::cluster;
using namespace sluice::cluster::sim;

namespace {

const node_id n1{1};
const node_id n2{2};
const node_id n3{3};

raft_term term(int64_t t) { return raft_term{t}; }
log_index idx(int64_t i) { return log_index{i}; }

sim_options quiet(size_t nodes = 3) {
  sim_options o;
  o.nodes = nodes;
  return o;
}

log_entry entry(int64_t t, int64_t i, std::string cmd = "") { return {term(t), idx(i), cmd}; }

// Entries 1, 2, ... with these terms.
std::vector<log_entry> log_of(std::vector<int64_t> terms) {
  std::vector<log_entry> out;
  for (size_t k = 0; k < terms.size(); ++k)
    out.push_back(entry(terms[k], int64_t(k + 1), "c" + std::to_string(k + 1)));
  return out;
}

// Whether f() throws std::logic_error (a broken precondition or Raft invariant).
template <class F>
bool throws_logic_error(F&& f) {
  try {
    f();
  } catch (const std::logic_error&) {
    return true;
  }
  return false;
}

// Takes n1 of {n1, n2, n3} through pre-vote and vote to leadership of its term + 1 at `now`;
// the no-op of the new term is appended and its first appends are in the ready taken here.
void elect(raft_node& l, int64_t now) {
  l.tick(now - 1'000);
  l.tick(now); // past any election timeout of the default config
  auto next = l.term() + 1;
  l.step({n2, n1, pre_vote_response{next, true}}, now);
  l.step({n2, n1, vote_response{next, true}}, now);
  CAF_REQUIRE_EQUAL(l.role(), raft_role::leader);
  l.take_ready();
}

template <class T>
std::vector<T> sent(const raft_ready& rd, node_id to) {
  std::vector<T> out;
  for (auto& m : rd.messages)
    if (m.to == to && std::holds_alternative<T>(m.payload))
      out.push_back(std::get<T>(m.payload));
  return out;
}

#define CHECK_SIM_OK(c)                                                                            \
  do {                                                                                             \
    (c).check_logs();                                                                              \
    CAF_CHECK_EQUAL((c).failure(), "");                                                            \
  } while (false)

} // namespace

CAF_TEST(a three node cluster elects one leader that every node follows) {
  sim_cluster c{7, quiet()};
  c.run_for(1'000);
  auto leader = c.leader();
  CAF_REQUIRE(leader.has_value());
  auto t = c.node(*leader).raft->term();
  for (auto& n : c.nodes()) {
    CAF_CHECK_EQUAL(n.raft->term(), t);
    CAF_CHECK_EQUAL(n.raft->leader(), leader);
    // The leader's no-op of its term commits and is applied everywhere (§5.4.2).
    CAF_REQUIRE_EQUAL(n.applied.size(), 1u);
    CAF_CHECK_EQUAL(n.applied[0].term, t);
    CAF_CHECK_EQUAL(n.applied[0].command, "");
  }
  CHECK_SIM_OK(c);
}

CAF_TEST(a single node cluster elects itself and commits at once) {
  sim_cluster c{3, quiet(1)};
  c.run_for(400);
  CAF_REQUIRE_EQUAL(c.leader(), n1);
  auto r = c.propose(n1, "x");
  CAF_REQUIRE_EQUAL(r.error, propose_errc::none);
  c.run_for(1);
  CAF_CHECK(c.applied_everywhere("x"));
  CHECK_SIM_OK(c);
}

CAF_TEST(pre vote keeps a rejoining partitioned node from deposing the leader) {
  sim_cluster c{11, quiet()};
  c.run_for(1'000);
  auto leader = c.leader();
  CAF_REQUIRE(leader.has_value());
  auto t = c.node(*leader).raft->term();
  node_id loner = *leader == n3 ? n2 : n3;
  c.isolate(loner);
  c.run_for(3'000); // many election timeouts: it keeps asking for pre-votes nobody answers
  CAF_CHECK_EQUAL(c.node(loner).raft->term(), t); // never adopted a term of its own
  CAF_CHECK_NOT_EQUAL(c.node(loner).raft->role(), raft_role::leader);
  c.heal();
  c.run_for(1'000);
  CAF_CHECK_EQUAL(c.leader(), leader);
  CAF_CHECK_EQUAL(c.node(*leader).raft->term(), t);
  CAF_CHECK_EQUAL(c.node(loner).raft->leader(), leader);
  CHECK_SIM_OK(c);
}

CAF_TEST(a follower with a live leader refuses a pre vote) {
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(1), n1}, {}}};
  f.step({n1, n2, append_request{term(1), n1, idx(0), term(0), {}, idx(0)}}, 1'000);
  f.take_ready();
  f.step({n3, n2, pre_vote_request{term(2), idx(5), term(1)}}, 1'050);
  auto rd = f.take_ready();
  CAF_REQUIRE_EQUAL(rd.messages.size(), 1u);
  auto& refused = std::get<pre_vote_response>(rd.messages[0].payload);
  CAF_CHECK(!refused.granted);
  CAF_CHECK_EQUAL(f.term(), term(1)); // a pre-vote request's term is never adopted
  // After the election timeout without the leader, the same request is granted.
  f.step({n3, n2, pre_vote_request{term(2), idx(5), term(1)}}, 1'000 + 150);
  rd = f.take_ready();
  CAF_REQUIRE_EQUAL(rd.messages.size(), 1u);
  CAF_CHECK(std::get<pre_vote_response>(rd.messages[0].payload).granted);
  CAF_CHECK_EQUAL(f.term(), term(1));
  CAF_CHECK(!rd.hard.has_value());
}

CAF_TEST(a granted vote is in the same ready as its persisted hard state) {
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1};
  f.step({n1, n2, vote_request{term(3), idx(0), term(0)}}, 10);
  auto rd = f.take_ready();
  CAF_REQUIRE(rd.hard.has_value());
  CAF_CHECK_EQUAL(rd.hard->term, term(3));
  CAF_CHECK_EQUAL(rd.hard->voted_for, n1);
  CAF_REQUIRE_EQUAL(rd.messages.size(), 1u);
  CAF_CHECK(std::get<vote_response>(rd.messages[0].payload).granted);
  // A second candidate of the same term is refused: one vote per term.
  f.step({n3, n2, vote_request{term(3), idx(9), term(2)}}, 11);
  rd = f.take_ready();
  CAF_REQUIRE_EQUAL(rd.messages.size(), 1u);
  CAF_CHECK(!std::get<vote_response>(rd.messages[0].payload).granted);
}

CAF_TEST(a follower's divergent uncommitted tail is overwritten by the leader's log) {
  auto e = [](int64_t t, int64_t i, std::string cmd) { return log_entry{term(t), idx(i), cmd}; };
  std::vector<log_entry> common{e(1, 1, "a"), e(1, 2, "b")};
  auto with = [&](std::vector<log_entry> tail) {
    auto log = common;
    log.insert(log.end(), tail.begin(), tail.end());
    return log;
  };
  // Node 2 holds a longer tail of term 2 that never committed; nodes 1 and 3 hold a term-3 entry
  // at index 3, so node 2 can win no vote (§5.4.1) and the leader must walk back past its tail.
  std::vector<disk_state> disks{
    {hard_state{term(3), {}}, with({e(3, 3, "c")})},
    {hard_state{term(2), {}}, with({e(2, 3, "x"), e(2, 4, "y"), e(2, 5, "z")})},
    {hard_state{term(3), {}}, with({e(3, 3, "c")})},
  };
  auto opts = quiet();
  opts.cfg.max_entries_per_append = 1;
  sim_cluster c{5, opts, disks};
  c.run_for(2'000);
  auto leader = c.leader();
  CAF_REQUIRE(leader.has_value());
  CAF_CHECK_NOT_EQUAL(*leader, n2);
  auto& want = c.node(*leader).raft->log();
  CAF_CHECK_EQUAL(c.node(n2).raft->log(), want);
  CAF_CHECK_EQUAL(c.node(n2).disk.log, want);
  CAF_REQUIRE_GREATER_OR_EQUAL(c.node(n2).applied.size(), 3u);
  CAF_CHECK_EQUAL(c.node(n2).applied[2].command, "c");
  CHECK_SIM_OK(c);
}

CAF_TEST(a rejected append hints where the conflict starts) {
  std::vector<log_entry> log{
    {term(1), idx(1), "a"}, {term(2), idx(2), "x"}, {term(2), idx(3), "y"}};
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(2), {}}, log}};
  // The leader of term 4 probes at index 3 with term 3: our entries 2..3 (term 2 <= 3) may
  // still match, so the hint is index 3, term 2.
  f.step({n1, n2, append_request{term(4), n1, idx(3), term(3), {}, idx(0)}}, 5);
  auto rd = f.take_ready();
  CAF_REQUIRE_EQUAL(rd.messages.size(), 1u);
  auto r = std::get<append_response>(rd.messages[0].payload);
  CAF_CHECK(!r.success);
  CAF_CHECK_EQUAL(r.rejected_index, idx(3));
  CAF_CHECK_EQUAL(r.hint_index, idx(3));
  CAF_CHECK_EQUAL(r.hint_term, term(2));
  // Probing at index 3 with term 1: both term-2 entries conflict; the hint skips them at once.
  f.step({n1, n2, append_request{term(4), n1, idx(3), term(1), {}, idx(0)}}, 6);
  r = std::get<append_response>(f.take_ready().messages.at(0).payload);
  CAF_CHECK_EQUAL(r.hint_index, idx(1));
  CAF_CHECK_EQUAL(r.hint_term, term(1));
  // An append past our log hints our last index.
  f.step({n1, n2, append_request{term(4), n1, idx(9), term(4), {}, idx(0)}}, 7);
  r = std::get<append_response>(f.take_ready().messages.at(0).payload);
  CAF_CHECK_EQUAL(r.hint_index, idx(3));
  // The accepted append truncates the conflicting tail in the ready, then appends.
  std::vector<log_entry> batch{{term(4), idx(2), "c"}};
  f.step({n1, n2, append_request{term(4), n1, idx(1), term(1), batch, idx(0)}}, 8);
  rd = f.take_ready();
  CAF_CHECK_EQUAL(rd.truncate_from, idx(2));
  CAF_REQUIRE_EQUAL(rd.entries.size(), 1u);
  CAF_CHECK_EQUAL(rd.entries[0].command, "c");
  CAF_CHECK_EQUAL(f.last_index(), idx(2));
}

CAF_TEST(a follower answers a proposal with the leader hint and the leader commits it) {
  sim_cluster c{13, quiet()};
  c.run_for(1'000);
  auto leader = c.leader();
  CAF_REQUIRE(leader.has_value());
  node_id follower = *leader == n1 ? n2 : n1;
  auto r = c.propose(follower, "forwarded");
  CAF_CHECK_EQUAL(r.error, propose_errc::not_leader);
  CAF_REQUIRE_EQUAL(r.leader_hint, leader);
  r = c.propose(*r.leader_hint, "forwarded");
  CAF_REQUIRE_EQUAL(r.error, propose_errc::none);
  CAF_CHECK_EQUAL(r.index, idx(2)); // after the leader's no-op
  c.run_for(200);
  CAF_CHECK(c.applied_everywhere("forwarded"));
  CAF_CHECK_EQUAL(c.propose(*leader, "").error, propose_errc::empty_command);
  CHECK_SIM_OK(c);
}

CAF_TEST(a follower commits only the prefix it knows matches the leader) {
  std::vector<log_entry> log{
    {term(1), idx(1), "a"}, {term(1), idx(2), "b"}, {term(2), idx(3), "x"}};
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(2), {}}, log}};
  // The leader of term 3 has committed index 3 (its own entry there, not our "x"), but this
  // heartbeat only proves that we match through index 1.
  f.step({n1, n2, append_request{term(3), n1, idx(1), term(1), {}, idx(3)}}, 5);
  CAF_CHECK_EQUAL(f.commit_index(), idx(1));
  auto rd = f.take_ready();
  CAF_REQUIRE_EQUAL(rd.committed.size(), 1u);
  CAF_CHECK_EQUAL(rd.committed[0].command, "a");
}

CAF_TEST(a new leader commits an entry of an earlier term only under one of its own) {
  std::vector<log_entry> log{{term(1), idx(1), "a"}, {term(2), idx(2), "b"}};
  raft_node l{n1, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(3), {}}, log}};
  l.tick(0);
  l.tick(1'000); // election timeout: pre-vote first, the term stays 3
  CAF_CHECK_EQUAL(l.role(), raft_role::pre_candidate);
  CAF_CHECK_EQUAL(l.term(), term(3));
  l.step({n2, n1, pre_vote_response{term(4), true}}, 1'001);
  CAF_CHECK_EQUAL(l.role(), raft_role::candidate);
  l.step({n2, n1, vote_response{term(4), true}}, 1'002);
  CAF_REQUIRE_EQUAL(l.role(), raft_role::leader);
  CAF_REQUIRE_EQUAL(l.last_index(), idx(3)); // the no-op of term 4
  l.take_ready();
  // Index 2 (term 2) now sits on a majority, yet committing it could be undone (Figure 8).
  l.step({n2, n1, append_response{term(4), true, idx(2), {}, {}, {}}}, 1'003);
  CAF_CHECK_EQUAL(l.commit_index(), idx(0));
  l.step({n2, n1, append_response{term(4), true, idx(3), {}, {}, {}}}, 1'004);
  CAF_CHECK_EQUAL(l.commit_index(), idx(3));
  CAF_CHECK_EQUAL(l.take_ready().committed.size(), 3u);
}

// ---- snapshots (§7) ---------------------------------------------------------------------------

// A follower of term 1 holding entries 1..5 that learnt a commit index of `commit` from the
// leader n1, and handed those entries out (applied).
raft_node follower_with_commit(int64_t commit, int64_t now = 10) {
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(1), {}}, log_of({1, 1, 1, 1, 1})}};
  f.step({n1, n2, append_request{term(1), n1, idx(5), term(1), {}, idx(commit)}}, now);
  f.take_ready();
  return f;
}

CAF_TEST(compact refuses an index at or below the snapshot or beyond what was applied) {
  auto f = follower_with_commit(3);
  CAF_REQUIRE_EQUAL(f.commit_index(), idx(3));
  // Index 4 is in the log but not applied: the state machine's snapshot cannot cover it.
  CAF_CHECK(throws_logic_error([&] { f.compact(idx(4), "s4"); }));
  CAF_CHECK(throws_logic_error([&] { f.compact(idx(0), "s0"); })); // nothing to cover
  f.compact(idx(2), "s2");
  CAF_CHECK(throws_logic_error([&] { f.compact(idx(2), "s2 again"); }));
  CAF_CHECK(throws_logic_error([&] { f.compact(idx(1), "older"); }));
  // The refusals changed nothing.
  CAF_CHECK_EQUAL(f.snapshot_index(), idx(2));
  CAF_CHECK_EQUAL(f.snapshot().data, "s2");
  CAF_CHECK_EQUAL(f.log().size(), 3u);
}

CAF_TEST(a commit index learnt but not yet handed out does not count as applied) {
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(1), {}}, log_of({1, 1, 1})}};
  f.step({n1, n2, append_request{term(1), n1, idx(3), term(1), {}, idx(3)}}, 10);
  CAF_REQUIRE_EQUAL(f.commit_index(), idx(3));
  CAF_CHECK(throws_logic_error([&] { f.compact(idx(1), "s1"); })); // no ready taken yet
  f.take_ready();
  f.compact(idx(3), "s3");
  CAF_CHECK_EQUAL(f.snapshot_index(), idx(3));
}

CAF_TEST(compact drops the entries it covers and keeps their last index and term) {
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(2), {}}, log_of({1, 1, 2, 2, 2})}};
  f.step({n1, n2, append_request{term(2), n1, idx(5), term(2), {}, idx(4)}}, 10);
  f.take_ready();
  f.compact(idx(3), "state after 3");
  CAF_CHECK_EQUAL(f.snapshot_index(), idx(3));
  CAF_CHECK_EQUAL(f.snapshot().term, term(2)); // entry 3's term, for the consistency check
  CAF_CHECK_EQUAL(f.first_index(), idx(4));
  CAF_CHECK_EQUAL(f.last_index(), idx(5));
  CAF_CHECK_EQUAL(f.commit_index(), idx(4));
  CAF_CHECK_EQUAL(f.log(), (std::vector<log_entry>{entry(2, 4, "c4"), entry(2, 5, "c5")}));
  // The snapshot goes out to be persisted, alone: no entry, truncation or restore with it.
  CAF_REQUIRE(f.has_ready());
  auto rd = f.take_ready();
  CAF_REQUIRE(rd.snapshot.has_value());
  CAF_CHECK(*rd.snapshot == (raft_snapshot{idx(3), term(2), "state after 3"}));
  CAF_CHECK(!rd.restore.has_value());
  CAF_CHECK(!rd.truncate_from.has_value());
  CAF_CHECK(rd.entries.empty());
  CAF_CHECK(rd.committed.empty());
  // An append whose prev_index is the snapshot's index matches through its term.
  f.step({n1, n2, append_request{term(2), n1, idx(3), term(2), {entry(2, 4, "c4"), entry(2, 5, "c5")}, idx(5)}},
         11);
  rd = f.take_ready();
  CAF_REQUIRE_EQUAL(sent<append_response>(rd, n1).size(), 1u);
  CAF_CHECK(sent<append_response>(rd, n1)[0].success);
  CAF_REQUIRE_EQUAL(rd.committed.size(), 1u);
  CAF_CHECK_EQUAL(rd.committed[0], entry(2, 5, "c5"));
  // Compacting the whole log leaves it empty, at the snapshot.
  f.compact(idx(5), "state after 5");
  CAF_CHECK(f.log().empty());
  CAF_CHECK_EQUAL(f.first_index(), idx(6));
  CAF_CHECK_EQUAL(f.last_index(), idx(5));
}

// n1 leads term 2 over entries 1..3 of term 1 and its no-op at 4, committed with n2 and then
// compacted: n3, which never answered, needs entries the leader no longer has.
struct compacted_leader {
  raft_node l{n1, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(1), {}}, log_of({1, 1, 1})}};
  compacted_leader() {
    elect(l, 1'000);
    l.step({n2, n1, append_response{term(2), true, idx(4), {}, {}, {}}}, 1'001);
    CAF_REQUIRE_EQUAL(l.commit_index(), idx(4));
    l.take_ready();
    l.compact(idx(4), "state after 4");
    l.take_ready();
  }
};

CAF_TEST(a leader sends its snapshot to a follower whose next entries were compacted) {
  compacted_leader c;
  auto& l = c.l;
  // n3's log is empty: it refuses the first probe (prev 3) and hints index 0.
  l.step({n3, n1, append_response{term(2), false, {}, idx(3), idx(0), term(0)}}, 1'002);
  auto rd = l.take_ready();
  auto snaps = sent<install_snapshot_request>(rd, n3);
  CAF_REQUIRE_EQUAL(snaps.size(), 1u);
  CAF_CHECK_EQUAL(snaps[0].term, term(2));
  CAF_CHECK_EQUAL(snaps[0].leader, n1);
  CAF_CHECK(snaps[0].snapshot == (raft_snapshot{idx(4), term(2), "state after 4"}));
  CAF_CHECK(sent<append_request>(rd, n3).empty());
  // One at a time: a proposal meanwhile sends n3 nothing more...
  CAF_REQUIRE_EQUAL(l.propose("x", 1'003).error, propose_errc::none);
  rd = l.take_ready();
  CAF_CHECK(sent<install_snapshot_request>(rd, n3).empty());
  CAF_CHECK(sent<append_request>(rd, n3).empty());
  // ...but the next heartbeat sends the snapshot again, in case it was lost.
  l.tick(1'000 + raft_config{}.heartbeat_interval_ms);
  rd = l.take_ready();
  CAF_CHECK_EQUAL(sent<install_snapshot_request>(rd, n3).size(), 1u);
  // Once n3 installed it, replication resumes right after the snapshot.
  l.step({n3, n1, install_snapshot_response{term(2), idx(4)}}, 1'060);
  auto matches = l.matches();
  CAF_CHECK_EQUAL(matches[n3], idx(4));
  rd = l.take_ready();
  auto appends = sent<append_request>(rd, n3);
  CAF_REQUIRE_EQUAL(appends.size(), 1u);
  CAF_CHECK_EQUAL(appends[0].prev_index, idx(4));
  CAF_CHECK_EQUAL(appends[0].prev_term, term(2));
  CAF_CHECK_EQUAL(appends[0].entries, (std::vector<log_entry>{entry(2, 5, "x")}));
}

CAF_TEST(a follower that holds the last entry of the snapshot keeps the log after it) {
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(2), {}}, log_of({1, 1, 2, 2, 2})}};
  raft_snapshot snap{idx(3), term(2), "state after 3"};
  f.step({n1, n2, install_snapshot_request{term(2), n1, snap}}, 10);
  // Log matching: entry 3 has the snapshot's term, so 4 and 5 may well be the leader's too.
  CAF_CHECK_EQUAL(f.snapshot_index(), idx(3));
  CAF_CHECK_EQUAL(f.log(), (std::vector<log_entry>{entry(2, 4, "c4"), entry(2, 5, "c5")}));
  CAF_CHECK_EQUAL(f.commit_index(), idx(3));
  CAF_CHECK_EQUAL(f.leader(), n1);
  auto rd = f.take_ready();
  CAF_REQUIRE(rd.snapshot.has_value());
  CAF_CHECK(*rd.snapshot == snap);
  CAF_REQUIRE(rd.restore.has_value()); // the state machine is replaced by the leader's
  CAF_CHECK(*rd.restore == snap);
  CAF_CHECK(!rd.truncate_from.has_value()); // nothing persisted beyond the snapshot goes
  CAF_CHECK(rd.entries.empty());
  CAF_CHECK(rd.committed.empty()); // 1..3 arrive through the restore, not one by one
  auto acks = sent<install_snapshot_response>(rd, n1);
  CAF_REQUIRE_EQUAL(acks.size(), 1u);
  CAF_CHECK_EQUAL(acks[0].match_index, idx(3));
  // The next commit hands out the entries after the snapshot.
  f.step({n1, n2, append_request{term(2), n1, idx(5), term(2), {}, idx(5)}}, 11);
  rd = f.take_ready();
  CAF_CHECK_EQUAL(rd.committed, (std::vector<log_entry>{entry(2, 4, "c4"), entry(2, 5, "c5")}));
}

CAF_TEST(a follower whose entry at the index of the snapshot has another term drops its log) {
  // Entries 3..5 of term 2 never committed; the leader of term 3 holds entry 4 of term 3.
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(2), {}}, log_of({1, 1, 2, 2, 2})}};
  raft_snapshot snap{idx(4), term(3), "leader state after 4"};
  f.step({n1, n2, install_snapshot_request{term(3), n1, snap}}, 10);
  CAF_CHECK_EQUAL(f.term(), term(3));
  CAF_CHECK_EQUAL(f.snapshot_index(), idx(4));
  CAF_CHECK(f.log().empty()); // our entry 5 followed a conflicting 4: it cannot be the leader's
  CAF_CHECK_EQUAL(f.last_index(), idx(4));
  CAF_CHECK_EQUAL(f.commit_index(), idx(4));
  auto rd = f.take_ready();
  CAF_CHECK_EQUAL(rd.truncate_from, idx(5)); // the persisted entry 5 goes too
  CAF_REQUIRE(rd.snapshot.has_value());
  CAF_CHECK(*rd.snapshot == snap);
  CAF_REQUIRE(rd.restore.has_value());
  CAF_CHECK(*rd.restore == snap);
  CAF_CHECK(rd.entries.empty());
  CAF_CHECK(rd.committed.empty());
  CAF_REQUIRE(rd.hard.has_value()); // the new term is persisted with the snapshot
  CAF_CHECK_EQUAL(rd.hard->term, term(3));
  auto acks = sent<install_snapshot_response>(rd, n1);
  CAF_REQUIRE_EQUAL(acks.size(), 1u);
  CAF_CHECK_EQUAL(acks[0].match_index, idx(4));
}

CAF_TEST(a follower whose log ends before the index of the snapshot drops its log) {
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(2), {}}, log_of({1, 2})}};
  raft_snapshot snap{idx(6), term(2), "state after 6"};
  f.step({n1, n2, install_snapshot_request{term(2), n1, snap}}, 10);
  CAF_CHECK(f.log().empty());
  CAF_CHECK_EQUAL(f.first_index(), idx(7));
  CAF_CHECK_EQUAL(f.commit_index(), idx(6));
  auto rd = f.take_ready();
  CAF_CHECK_EQUAL(rd.truncate_from, idx(7));
  CAF_REQUIRE(rd.snapshot.has_value());
  CAF_CHECK(*rd.snapshot == snap);
  CAF_REQUIRE(rd.restore.has_value());
  CAF_CHECK(*rd.restore == snap);
  auto acks = sent<install_snapshot_response>(rd, n1);
  CAF_REQUIRE_EQUAL(acks.size(), 1u);
  CAF_CHECK_EQUAL(acks[0].match_index, idx(6));
  // Appends continue from the snapshot's index and term.
  f.step({n1, n2, append_request{term(2), n1, idx(6), term(2), {entry(2, 7, "g")}, idx(7)}}, 11);
  rd = f.take_ready();
  CAF_CHECK(sent<append_response>(rd, n1).at(0).success);
  CAF_CHECK_EQUAL(rd.entries, (std::vector<log_entry>{entry(2, 7, "g")}));
  CAF_CHECK_EQUAL(rd.committed, (std::vector<log_entry>{entry(2, 7, "g")}));
}

CAF_TEST(entries not yet persisted are dropped with the log a snapshot replaces) {
  // Entries 3 and 4 arrive and the snapshot replaces them before any ready was taken: the
  // ready must neither append them nor leave the persisted log longer than the snapshot.
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(2), {}}, log_of({1, 1})}};
  f.step({n1, n2, append_request{term(2), n1, idx(2), term(1), {entry(2, 3), entry(2, 4)}, idx(0)}}, 10);
  f.step({n1, n2, install_snapshot_request{term(3), n1, raft_snapshot{idx(5), term(3), "s5"}}}, 11);
  auto rd = f.take_ready();
  CAF_CHECK(rd.entries.empty());
  CAF_CHECK_EQUAL(rd.truncate_from, idx(6));
  CAF_CHECK_EQUAL(f.last_index(), idx(5));
}

CAF_TEST(entries not yet persisted beyond a matching snapshot stay in the ready) {
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(2), {}}, log_of({1, 1})}};
  f.step({n1, n2,
          append_request{term(2), n1, idx(2), term(1), {entry(2, 3), entry(2, 4), entry(2, 5)}, idx(0)}},
         10);
  f.step({n1, n2, install_snapshot_request{term(2), n1, raft_snapshot{idx(4), term(2), "s4"}}}, 11);
  auto rd = f.take_ready();
  // The snapshot covers 3 and 4 (persisted with it, they would only be deleted again).
  CAF_CHECK_EQUAL(rd.entries, (std::vector<log_entry>{entry(2, 5)}));
  CAF_CHECK(!rd.truncate_from.has_value());
  CAF_CHECK_EQUAL(f.log(), (std::vector<log_entry>{entry(2, 5)}));
}

CAF_TEST(a pending truncation below a matching snapshot moves past it) {
  // Persisted: 1..5 of term 1. The leader of term 2 overwrites 3 and 4 (truncate_from 3, not
  // yet persisted), then its snapshot at 3 matches the new entry 3: the snapshot deletes the
  // persisted 1..3 itself, and the truncation must still drop the persisted 4 and 5 of term 1.
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, {hard_state{term(1), {}}, log_of({1, 1, 1, 1, 1})}};
  f.step({n1, n2, append_request{term(2), n1, idx(2), term(1), {entry(2, 3), entry(2, 4)}, idx(0)}}, 10);
  f.step({n1, n2, install_snapshot_request{term(2), n1, raft_snapshot{idx(3), term(2), "s3"}}}, 11);
  auto rd = f.take_ready();
  CAF_CHECK_EQUAL(rd.truncate_from, idx(4));
  CAF_CHECK_EQUAL(rd.entries, (std::vector<log_entry>{entry(2, 4)}));
  CAF_REQUIRE(rd.snapshot.has_value());
  CAF_CHECK_EQUAL(rd.snapshot->index, idx(3));
  CAF_CHECK_EQUAL(f.log(), (std::vector<log_entry>{entry(2, 4)}));
}

CAF_TEST(a snapshot from the leader replaces one compacted but not yet persisted) {
  auto f = follower_with_commit(2);
  f.compact(idx(2), "own state after 2");
  f.step({n1, n2, install_snapshot_request{term(1), n1, raft_snapshot{idx(4), term(1), "s4"}}}, 20);
  auto rd = f.take_ready();
  CAF_REQUIRE(rd.snapshot.has_value());
  CAF_CHECK_EQUAL(rd.snapshot->data, "s4"); // the newer one: persisting both is pointless
  CAF_REQUIRE(rd.restore.has_value());
  CAF_CHECK_EQUAL(rd.restore->data, "s4");
  CAF_CHECK_EQUAL(f.log(), (std::vector<log_entry>{entry(1, 5, "c5")}));
}

CAF_TEST(a snapshot the follower already committed is answered with its commit index) {
  auto f = follower_with_commit(4);
  for (int64_t i : {3, 4}) { // stale, then a duplicate of what we committed
    f.step({n1, n2, install_snapshot_request{term(1), n1, raft_snapshot{idx(i), term(1), "old"}}},
           20 + i);
    auto rd = f.take_ready();
    auto acks = sent<install_snapshot_response>(rd, n1);
    CAF_REQUIRE_EQUAL(acks.size(), 1u);
    CAF_CHECK_EQUAL(acks[0].match_index, idx(4));
    CAF_CHECK(!rd.snapshot.has_value());
    CAF_CHECK(!rd.restore.has_value()); // restoring it would roll the state machine back
    CAF_CHECK(!rd.truncate_from.has_value());
    CAF_CHECK(rd.committed.empty());
  }
  CAF_CHECK_EQUAL(f.snapshot_index(), idx(0));
  CAF_CHECK_EQUAL(f.log().size(), 5u);
  CAF_CHECK_EQUAL(f.commit_index(), idx(4));
}

CAF_TEST(a malformed snapshot is dropped without an answer) {
  auto f = follower_with_commit(1);
  // No entry (index 0 or term 0), or a term beyond the leader's own: no leader sends these.
  for (auto snap : {raft_snapshot{idx(0), term(1), "x"}, raft_snapshot{idx(3), term(0), "x"},
                    raft_snapshot{idx(3), term(2), "x"}, raft_snapshot{idx(-1), term(1), "x"}}) {
    f.step({n1, n2, install_snapshot_request{term(1), n1, snap}}, 20);
    auto rd = f.take_ready();
    CAF_CHECK(rd.messages.empty());
    CAF_CHECK(!rd.snapshot.has_value());
    CAF_CHECK(!rd.restore.has_value());
    CAF_CHECK(!rd.truncate_from.has_value());
    CAF_CHECK_EQUAL(f.snapshot_index(), idx(0));
    CAF_CHECK_EQUAL(f.log().size(), 5u);
    CAF_CHECK_EQUAL(f.commit_index(), idx(1));
  }
}

CAF_TEST(a node restarted from a snapshot starts committed and applied at its index) {
  raft_persisted p{hard_state{term(2), n1}, {entry(2, 4, "d"), entry(2, 5, "e")},
                   raft_snapshot{idx(3), term(2), "state after 3"}};
  raft_node f{n2, {n1, n2, n3}, raft_config{}, 1, p};
  CAF_CHECK_EQUAL(f.commit_index(), idx(3));
  CAF_CHECK_EQUAL(f.snapshot_index(), idx(3));
  CAF_CHECK(f.snapshot() == *p.snapshot);
  CAF_CHECK_EQUAL(f.first_index(), idx(4));
  CAF_CHECK_EQUAL(f.last_index(), idx(5));
  CAF_CHECK(!f.has_ready()); // nothing to persist again, nothing to apply
  // Applied is the snapshot's index: it may compact right after it, not at or below.
  CAF_CHECK(throws_logic_error([&] { f.compact(idx(3), "again"); }));
  CAF_CHECK(throws_logic_error([&] { f.compact(idx(4), "unapplied"); }));
  // The leader's commit hands out only what follows the snapshot.
  f.step({n1, n2, append_request{term(2), n1, idx(5), term(2), {}, idx(5)}}, 10);
  auto rd = f.take_ready();
  CAF_CHECK(!rd.restore.has_value()); // the caller restored from the disk already
  CAF_CHECK_EQUAL(rd.committed, (std::vector<log_entry>{entry(2, 4, "d"), entry(2, 5, "e")}));
  // Its votes compare logs through the snapshot's term when the log is empty.
  raft_node g{n3, {n1, n2, n3}, raft_config{}, 1,
              {hard_state{term(2), {}}, {}, raft_snapshot{idx(3), term(2), "s"}}};
  g.step({n1, n3, vote_request{term(3), idx(2), term(2)}}, 10);
  CAF_CHECK(!sent<vote_response>(g.take_ready(), n1).at(0).granted); // shorter log
  g.step({n2, n3, vote_request{term(3), idx(3), term(2)}}, 11);
  CAF_CHECK(sent<vote_response>(g.take_ready(), n2).at(0).granted);
}

CAF_TEST(a restart state that breaks the snapshot invariants is refused) {
  auto make = [](raft_persisted p) { raft_node{n2, {n1, n2, n3}, raft_config{}, 1, std::move(p)}; };
  raft_snapshot s3{idx(3), term(2), "s"};
  CAF_CHECK(throws_logic_error([&] { make({hard_state{term(1), {}}, {}, s3}); })); // term > hard
  CAF_CHECK(throws_logic_error([&] { make({hard_state{term(2), {}}, {}, raft_snapshot{idx(0), term(1), ""}}); }));
  CAF_CHECK(throws_logic_error([&] { make({hard_state{term(2), {}}, {entry(2, 5)}, s3}); })); // gap
  CAF_CHECK(throws_logic_error([&] { make({hard_state{term(2), {}}, {entry(2, 3)}, s3}); })); // covered
  CAF_CHECK(throws_logic_error([&] { make({hard_state{term(2), {}}, {entry(1, 4)}, s3}); })); // term back
  CAF_CHECK(!throws_logic_error([&] { make({hard_state{term(2), {}}, {entry(2, 4)}, s3}); }));
}

CAF_TEST(a lagging follower catches up from the snapshot of the leader in a simulated cluster) {
  auto opts = quiet();
  opts.compact_every = 5;
  sim_cluster c{17, opts};
  c.run_for(1'000);
  auto leader = c.leader();
  CAF_REQUIRE(leader.has_value());
  node_id lagging = *leader == n3 ? n2 : n3;
  c.crash(lagging);
  for (int i = 0; i < 30; ++i) {
    CAF_REQUIRE_EQUAL(c.propose(*leader, "p" + std::to_string(i)).error, propose_errc::none);
    c.run_for(5);
  }
  c.run_for(200);
  CAF_REQUIRE_GREATER(c.node(*leader).raft->snapshot_index(), idx(5)); // 1..5 are gone
  c.restart(lagging);
  c.run_for(500);
  CAF_CHECK_EQUAL(c.install_count(), 1u); // once: after it, plain appends
  CAF_CHECK(c.applied_everywhere("p29"));
  CAF_CHECK_EQUAL(c.node(lagging).applied, c.node(*leader).applied);
  CHECK_SIM_OK(c);
}

// A follower whose disk is wiped (replaced, or deleted by an operator) restarts empty. The
// leader's heartbeats at the match it had are refused for good unless the leader replicates
// to it again from the start; before, it caught up only once another node led.
CAF_TEST(a follower restarted with a wiped disk is replicated to from scratch) {
  sim_cluster c{23, quiet()};
  c.run_for(1'000);
  auto leader = c.leader();
  CAF_REQUIRE(leader.has_value());
  for (int i = 0; i < 10; ++i) {
    CAF_REQUIRE_EQUAL(c.propose(*leader, "a" + std::to_string(i)).error, propose_errc::none);
    c.run_for(5);
  }
  c.run_for(200);
  node_id wiped = *leader == n3 ? n2 : n3;
  CAF_REQUIRE(c.applied_everywhere("a9"));
  c.crash(wiped);
  c.node(wiped).disk = disk_state{};
  c.node(wiped).applied.clear();
  c.node(wiped).digest = 0;
  c.restart(wiped);
  c.run_for(300);
  CAF_CHECK_EQUAL(c.leader(), leader); // no election: the same leader repairs it
  CAF_REQUIRE_EQUAL(c.propose(*leader, "b").error, propose_errc::none);
  c.run_for(300);
  CAF_CHECK(c.applied_everywhere("b"));
  CAF_CHECK_EQUAL(c.node(wiped).applied, c.node(*leader).applied);
}

CAF_TEST(nodes restarted from their snapshots on disk rebuild the same state) {
  auto opts = quiet();
  opts.compact_every = 4;
  sim_cluster c{19, opts};
  c.run_for(1'000);
  auto leader = c.leader();
  CAF_REQUIRE(leader.has_value());
  for (int i = 0; i < 10; ++i)
    CAF_REQUIRE_EQUAL(c.propose(*leader, "p" + std::to_string(i)).error, propose_errc::none);
  c.run_for(300);
  CAF_REQUIRE(c.applied_everywhere("p9"));
  auto before = c.node(*leader).applied;
  for (auto& n : c.nodes()) {
    CAF_REQUIRE(n.disk.snapshot.has_value());
    c.crash(n.id);
  }
  for (auto& n : c.nodes())
    c.restart(n.id);
  CAF_CHECK_EQUAL(c.restore_count(), 3u); // each state machine came back through its snapshot
  c.run_for(1'000);
  CAF_REQUIRE(c.leader().has_value());
  for (auto& n : c.nodes()) {
    // The new leader's no-op commits after the old entries: every replica re-applied them.
    CAF_REQUIRE_GREATER(n.applied.size(), before.size());
    CAF_CHECK(std::equal(before.begin(), before.end(), n.applied.begin()));
  }
  CHECK_SIM_OK(c);
}

// ---- check-quorum (thesis §6.2) ---------------------------------------------------------------

CAF_TEST(a leader that hears from no majority for the longest election timeout steps down) {
  raft_node l{n1, {n1, n2, n3}, raft_config{}, 1};
  elect(l, 1'000);
  auto t = l.term();
  auto limit = raft_config{}.election_timeout_max_ms;
  for (int64_t now = 1'010; now < 1'000 + limit; now += 10)
    l.tick(now); // heartbeats go out, no answer comes back
  CAF_CHECK_EQUAL(l.role(), raft_role::leader);
  l.tick(1'000 + limit);
  CAF_CHECK_EQUAL(l.role(), raft_role::follower);
  CAF_CHECK_EQUAL(l.term(), t); // no new term: it just stops claiming leadership
  CAF_CHECK(!l.leader().has_value());
  CAF_CHECK_EQUAL(l.propose("x", 1'000 + limit).error, propose_errc::not_leader);
  // Nor does it refuse pre-votes as a live leader would: another node may now win.
  l.step({n2, n1, pre_vote_request{t + 1, l.last_index(), t}}, 1'000 + limit);
  auto rd = l.take_ready();
  CAF_CHECK(sent<pre_vote_response>(rd, n2).at(0).granted);
}

CAF_TEST(a leader that keeps hearing from a majority stays leader) {
  raft_node l{n1, {n1, n2, n3}, raft_config{}, 1};
  elect(l, 1'000);
  auto t = l.term();
  // n2 answers every append; n3 is gone for good. n1 and n2 are a majority of three.
  for (int64_t now = 1'010; now < 1'000 + 10 * raft_config{}.election_timeout_max_ms; now += 10) {
    l.tick(now);
    for (auto& a : sent<append_request>(l.take_ready(), n2)) {
      auto match = a.prev_index + int64_t(a.entries.size());
      l.step({n2, n1, append_response{t, true, match, {}, {}, {}}}, now);
    }
    CAF_REQUIRE_EQUAL(l.role(), raft_role::leader);
  }
  CAF_CHECK_EQUAL(l.term(), t);
}

CAF_TEST(in a five node cluster one answering follower is not enough) {
  const node_id n4{4}, n5{5};
  raft_node l{n1, {n1, n2, n3, n4, n5}, raft_config{}, 1};
  l.tick(0);
  l.tick(1'000);
  for (auto v : {n2, n3})
    l.step({v, n1, pre_vote_response{term(1), true}}, 1'000);
  for (auto v : {n2, n3})
    l.step({v, n1, vote_response{term(1), true}}, 1'000);
  CAF_REQUIRE_EQUAL(l.role(), raft_role::leader);
  l.take_ready();
  auto limit = raft_config{}.election_timeout_max_ms;
  for (int64_t now = 1'010; now <= 1'000 + limit; now += 10) {
    l.tick(now);
    for (auto& a : sent<append_request>(l.take_ready(), n2))
      l.step({n2, n1, append_response{term(1), true, a.prev_index + int64_t(a.entries.size()), {}, {}, {}}},
             now);
  }
  CAF_CHECK_EQUAL(l.role(), raft_role::follower); // itself and n2: two of five
  CAF_CHECK_EQUAL(l.term(), term(1));
}

CAF_TEST(a leader cut off from the majority steps down and the majority elects another) {
  sim_cluster c{23, quiet()};
  c.run_for(1'000);
  auto old = c.leader();
  CAF_REQUIRE(old.has_value());
  auto t = c.node(*old).raft->term();
  c.isolate(*old);
  c.run_for(raft_config{}.election_timeout_max_ms + 10);
  CAF_CHECK_EQUAL(c.node(*old).raft->role(), raft_role::follower);
  CAF_CHECK_EQUAL(c.node(*old).raft->term(), t);
  c.run_for(1'000);
  auto next = c.leader();
  CAF_REQUIRE(next.has_value());
  CAF_CHECK_NOT_EQUAL(*next, *old);
  CAF_CHECK_GREATER(c.node(*next).raft->term(), t);
  c.heal();
  c.run_for(500);
  CAF_CHECK_EQUAL(c.node(*old).raft->leader(), next);
  CHECK_SIM_OK(c);
}

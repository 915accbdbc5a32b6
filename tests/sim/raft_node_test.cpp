#define CAF_SUITE sim.raft_node
#include <caf/test/unit_test.hpp>

#include "tests/sim/raft_cluster.hpp"

#include <string>
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

#define CAF_SUITE cluster.raft_actor
#include "tests/actors/actor_fixture.hpp"

// The Raft actor shell on CAF's test coordinator: three replicas with real LMDB storage, time
// moved by the test, so elections and failover are exact.

#include "cluster/raft_actor.hpp"

#include <memory>

using namespace sluice;
using namespace sluice::cluster;
using namespace std::chrono_literals;

namespace {

// The state machine of a replica: the commands it applied, in order. Its snapshot is those
// commands one a line; `restores` records each restore as (index, commands held just before).
struct state_machine {
  std::vector<std::string> commands;
  std::vector<std::pair<log_index, size_t>> restores;
};

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines)
    out += l + "\n";
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    out.push_back(text.substr(at, nl - at));
  return out;
}

struct fixture : test::actor_fixture {
  std::vector<node_id> ids{node_id{1}, node_id{2}, node_id{3}};
  std::map<node_id, raft_actor> replicas;
  std::map<node_id, std::shared_ptr<std::vector<std::string>>> applied;
  std::map<node_id, std::shared_ptr<state_machine>> machines;
  size_t snapshot_every = 0; // 0: no snapshot function, never compacts

  explicit fixture(size_t snapshot_every_entries = 0) : snapshot_every(snapshot_every_entries) {
    for (auto id : ids)
      start(id);
    wire();
  }

  ~fixture() override {
    for (auto& [_, r] : replicas)
      self->send_exit(r, caf::exit_reason::user_shutdown);
    consume();
  }

  void start(node_id id) {
    auto log = std::make_shared<std::vector<std::string>>();
    applied[id] = log;
    raft_actor_args a;
    a.self = id;
    a.voters = ids;
    a.seed = static_cast<uint64_t>(id.value) * 7919;
    a.dir = dir / ("raft-" + std::to_string(id.value));
    a.apply = [log](log_index, const std::string& cmd) {
      log->push_back(cmd);
      return "ok:" + cmd;
    };
    auto sm = std::make_shared<state_machine>();
    machines[id] = sm;
    if (snapshot_every > 0) {
      a.snapshot_every = snapshot_every;
      a.snapshot = [log] { return join(*log); };
      a.restore = [log, sm](log_index i, const std::string& data) {
        sm->restores.emplace_back(i, log->size());
        *log = split(data);
      };
    }
    replicas[id] = spawn_raft(sys, a);
    consume();
  }

  void wire() {
    raft_peers peers;
    for (auto& [id, r] : replicas)
      peers.actors[id] = caf::actor_cast<caf::actor>(r);
    for (auto& [_, r] : replicas)
      self->send(r, raft_peers_atom::value, peers);
    consume();
  }

  void run_for(std::chrono::milliseconds d) {
    for (auto t = 0ms; t < d; t += 10ms) {
      sched.advance_time(10ms);
      consume();
    }
  }

  std::string state(node_id id) {
    self->send(replicas.at(id), raft_state_atom::value);
    consume();
    return require_reply<std::string>();
  }

  // The replica that says it leads; runs time until one does (bounded).
  node_id leader() {
    for (int i = 0; i < 300; ++i) {
      for (auto& [id, r] : replicas)
        if (state(id).find("role leader") != std::string::npos)
          return id;
      run_for(10ms);
    }
    CAF_FAIL("no leader within 3 s");
  }

  // The "snapshot N" of the replica's state line.
  int64_t snapshot_index(node_id id) {
    auto text = state(id);
    auto at = text.find("snapshot ");
    if (at == std::string::npos)
      CAF_FAIL("no snapshot in '" << text << "'");
    return std::stoll(text.substr(at + 9));
  }

  void kill(node_id id) {
    self->send_exit(replicas.at(id), caf::exit_reason::kill);
    consume();
    replicas.erase(id);
    wire();
  }

  propose_reply propose(node_id at, const std::string& cmd) {
    self->send(replicas.at(at), propose_atom::value, cmd);
    for (int i = 0; i < 200; ++i) {
      consume();
      if (auto r = reply<propose_reply>())
        return *r;
      run_for(10ms);
    }
    CAF_FAIL("proposal '" << cmd << "' was not answered within 2 s");
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(raft_actor_tests, fixture)

CAF_TEST(a leader is elected and a proposal is applied on every replica) {
  auto l = leader();
  auto r = propose(l, "create t");
  CAF_CHECK(r.error == propose_errc::none);
  CAF_CHECK_EQUAL(r.result, "ok:create t");
  run_for(200ms); // followers learn the commit index with the next append
  for (auto id : ids)
    CAF_CHECK_EQUAL(*applied[id], std::vector<std::string>{"create t"});
}

CAF_TEST(a follower refuses a proposal and names the leader) {
  auto l = leader();
  auto follower = l == node_id{1} ? node_id{2} : node_id{1};
  auto r = propose(follower, "x");
  CAF_CHECK(r.error == propose_errc::not_leader);
  CAF_REQUIRE(r.leader_hint);
  CAF_CHECK_EQUAL(r.leader_hint->value, l.value);
}

CAF_TEST(after the leader dies another takes over and the old one catches up on restart) {
  auto first = leader();
  CAF_REQUIRE(propose(first, "a").error == propose_errc::none);
  self->send_exit(replicas.at(first), caf::exit_reason::kill);
  consume();
  replicas.erase(first);
  wire();
  run_for(1000ms); // several election timeouts
  auto second = leader();
  CAF_CHECK_NOT_EQUAL(second.value, first.value);
  CAF_REQUIRE(propose(second, "b").error == propose_errc::none);
  start(first); // from its LMDB storage: term, vote and log survive
  wire();
  run_for(500ms);
  CAF_CHECK_EQUAL(*applied[first], (std::vector<std::string>{"a", "b"}));
  CAF_CHECK_EQUAL(leader().value, second.value); // pre-vote: the returning node deposes nobody
}

CAF_TEST(a replica whose storage cannot be read refuses to run) {
  auto bad = dir / "not-a-dir";
  { std::ofstream{bad} << "x"; }
  raft_actor_args a;
  a.self = node_id{9};
  a.voters = {node_id{9}};
  a.dir = bad / "raft";
  auto r = spawn_raft(sys, a);
  consume();
  self->send(r, raft_state_atom::value);
  consume();
  auto text = reply<std::string>();
  CAF_CHECK(!text || text->find("raft:") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

struct snapshot_fixture : fixture {
  snapshot_fixture() : fixture(3) {}

  // Proposes "<prefix>0" .. "<prefix>{n-1}" at the leader, each answered before the next.
  std::vector<std::string> propose_many(node_id at, const std::string& prefix, int n) {
    std::vector<std::string> cmds;
    for (int i = 0; i < n; ++i) {
      cmds.push_back(prefix + std::to_string(i));
      auto r = propose(at, cmds.back());
      CAF_REQUIRE(r.error == propose_errc::none);
    }
    return cmds;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(raft_actor_snapshot_tests, snapshot_fixture)

CAF_TEST(replicas compact their logs every snapshot_every applied entries) {
  auto l = leader();
  auto cmds = propose_many(l, "c", 10);
  run_for(200ms);
  for (auto id : ids) {
    CAF_CHECK_EQUAL(*applied[id], cmds);
    // 11 entries with the leader's no-op: the latest snapshot covers at least 9 of them.
    CAF_CHECK_GREATER_OR_EQUAL(snapshot_index(id), 9);
    CAF_CHECK(machines[id]->restores.empty()); // nobody lagged: no snapshot was installed
  }
}

CAF_TEST(a reopened replica restores its snapshot before applying later entries) {
  auto l = leader();
  auto first = propose_many(l, "a", 7);
  run_for(200ms);
  auto follower = l == node_id{1} ? node_id{2} : node_id{1};
  auto snap = snapshot_index(follower);
  CAF_REQUIRE_GREATER(snap, 0);
  // 8 entries with the no-op: its snapshot is at 6 and entries 7 and 8 follow it on disk.
  CAF_REQUIRE_LESS(snap, 8);
  kill(follower);
  start(follower); // from its LMDB storage: the snapshot, then the log after it
  auto& sm = *machines[follower];
  CAF_REQUIRE_EQUAL(sm.restores.size(), 1u);
  CAF_CHECK_EQUAL(sm.restores[0].first.value, snap);
  CAF_CHECK_EQUAL(sm.restores[0].second, 0u); // before anything was applied
  CAF_CHECK_EQUAL(applied[follower]->size(), size_t(snap - 1)); // the no-op is no command
  wire();
  run_for(500ms); // the leader's commit index: entries 7 and 8 are applied after the snapshot
  CAF_CHECK_EQUAL(*applied[follower], first);
  auto second = propose_many(l, "b", 4);
  run_for(200ms);
  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  CAF_CHECK_EQUAL(*applied[follower], all);
  CAF_CHECK_EQUAL(*applied[follower], *applied[l]);
  CAF_CHECK_EQUAL(sm.restores.size(), 1u); // it never lagged behind the leader's snapshot
  CAF_CHECK_GREATER(snapshot_index(follower), snap); // and compacts again on its own
}

CAF_TEST(a replica that missed compacted entries gets the leader snapshot) {
  auto l = leader();
  auto first = propose_many(l, "a", 2);
  run_for(200ms);
  auto follower = l == node_id{1} ? node_id{2} : node_id{1};
  kill(follower);
  auto second = propose_many(l, "b", 12); // the leader compacts past the follower's log
  run_for(100ms);
  auto leader_snap = snapshot_index(l);
  CAF_REQUIRE_GREATER(leader_snap, 4);
  start(follower);
  wire();
  run_for(500ms);
  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  CAF_CHECK_EQUAL(*applied[follower], all);
  auto& sm = *machines[follower];
  CAF_REQUIRE_GREATER_OR_EQUAL(sm.restores.size(), 1u);
  CAF_CHECK_GREATER_OR_EQUAL(sm.restores.back().first.value, leader_snap); // InstallSnapshot
  // And the snapshot it got survives its next restart.
  kill(follower);
  start(follower);
  CAF_CHECK_GREATER_OR_EQUAL(machines[follower]->restores.back().first.value, leader_snap);
  wire();
  run_for(300ms);
  CAF_CHECK_EQUAL(*applied[follower], all);
}

CAF_TEST(a directory holding a snapshot does not open without a restore function) {
  auto l = leader();
  propose_many(l, "a", 7);
  run_for(200ms);
  auto follower = l == node_id{1} ? node_id{2} : node_id{1};
  CAF_REQUIRE_GREATER(snapshot_index(follower), 0);
  kill(follower);
  raft_actor_args a;
  a.self = follower;
  a.voters = ids;
  a.dir = dir / ("raft-" + std::to_string(follower.value));
  a.apply = [](log_index, const std::string&) { return std::string{}; };
  auto r = spawn_raft(sys, a); // no restore: its state machine would miss the snapshot's part
  self->monitor(r);
  consume();
  std::string reason;
  self->receive([&](caf::down_msg& dm) { reason = sys.render(dm.reason); },
                caf::after(0s) >> [] {});
  CAF_CHECK_NOT_EQUAL(reason.find("cannot restore"), std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

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

struct fixture : test::actor_fixture {
  std::vector<node_id> ids{node_id{1}, node_id{2}, node_id{3}};
  std::map<node_id, raft_actor> replicas;
  std::map<node_id, std::shared_ptr<std::vector<std::string>>> applied;

  fixture() {
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

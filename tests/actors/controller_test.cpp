#define CAF_SUITE actors.controller
#include "tests/actors/actor_fixture.hpp"

// The cluster's metadata controller (actors/controller_actor.hpp) on CAF's test coordinator:
// three controllers with real Raft storage (LMDB), wired to each other through node shims that
// pass on what a node passes on, time moved by the test.

#include "actors/controller_actor.hpp"
#include "schema/cluster.hpp"
#include "schema/error_response.hpp"
#include "schema/metadata.hpp"
#include "schema/topics.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

using namespace sluice;
using namespace sluice::actors;
using namespace std::chrono_literals;
using schema::envelope;
using schema::errc;

namespace {

template <class Atom>
auto no_handler() {
  return [](Atom, const envelope&) { return encode(schema::error_response{{errc::invalid_request, "shim"}}); };
}

// What a node does with cluster requests: hands them to its controller. The rest of the node
// interface is not used between controllers.
// With `mute` set it swallows forwarded writes and read-index requests: they get no answer,
// like requests to a node whose process was killed.
class node_shim : public node_actor::base {
public:
  node_shim(caf::actor_config& cfg, metadata_actor ctrl, std::shared_ptr<bool> mute)
    : node_actor::base(cfg), ctrl_(std::move(ctrl)), mute_(std::move(mute)) {}

  behavior_type make_behavior() override {
    return {
      no_handler<produce_atom>(), no_handler<fetch_atom>(), no_handler<metadata_atom>(),
      no_handler<create_topics_atom>(), no_handler<delete_topics_atom>(),
      no_handler<list_topics_atom>(), no_handler<list_offsets_atom>(),
      no_handler<create_partitions_atom>(), no_handler<describe_configs_atom>(),
      [](inspect_atom, const std::string&) { return std::string{}; },
      no_handler<inspect_atom>(),
      no_handler<init_producer_id_atom>(),
      no_handler<write_txn_markers_atom>(),
      [this](broker_heartbeat_atom a, const envelope& e) { return delegate(ctrl_, a, e); },
      [this](cluster_status_atom a, const envelope& e) { return delegate(ctrl_, a, e); },
      [this](cluster::raft_atom a, const envelope& e) { send(ctrl_, a, e); },
      [this](controller_write_atom a, const envelope& e, bool internal) -> caf::result<envelope, int64_t> {
        if (*mute_) {
          muted_writes_.push_back(make_response_promise<envelope, int64_t>());
          return muted_writes_.back();
        }
        return delegate(ctrl_, a, e, internal);
      },
      [this](read_index_atom a) -> caf::result<int64_t> {
        if (*mute_) {
          muted_reads_.push_back(make_response_promise<int64_t>());
          return muted_reads_.back();
        }
        return delegate(ctrl_, a);
      },
      no_handler<epoch_query_atom>(),
      [this](reassign_partitions_atom a, const envelope& e) { return delegate(ctrl_, a, e); },
      [this](elect_leaders_atom a, const envelope& e) { return delegate(ctrl_, a, e); },
      [this](decommission_broker_atom a, const envelope& e) { return delegate(ctrl_, a, e); },
      no_handler<join_group_atom>(), no_handler<sync_group_atom>(), no_handler<heartbeat_atom>(),
      no_handler<leave_group_atom>(), no_handler<offset_commit_atom>(),
      no_handler<offset_fetch_atom>(), no_handler<list_groups_atom>(),
      no_handler<describe_groups_atom>(), no_handler<write_txn_offsets_atom>(),
      no_handler<share_state_write_atom>(), no_handler<share_state_read_atom>(),
      no_handler<share_fetch_atom>(), no_handler<share_ack_atom>(),
      no_handler<add_partitions_to_txn_atom>(),
      no_handler<txn_offset_commit_atom>(), no_handler<end_txn_atom>(),
      no_handler<list_transactions_atom>(), no_handler<describe_transactions_atom>(),
    };
  }

  void on_exit() override { ctrl_ = nullptr; }

private:
  metadata_actor ctrl_;
  std::shared_ptr<bool> mute_;
  // Held, never delivered, while the shim lives.
  std::vector<caf::typed_response_promise<envelope, int64_t>> muted_writes_;
  std::vector<caf::typed_response_promise<int64_t>> muted_reads_;
};

// A node's topic hosting as the controller sees it: every update it was told of.
struct heard {
  std::map<std::string, topic_spec> topics;
  std::set<std::string> deleted;
  std::map<std::string, std::vector<cluster::partition_replicas>> states;
};

class listener : public topic_listener::base {
public:
  listener(caf::actor_config& cfg, std::shared_ptr<heard> h) : topic_listener::base(cfg), h_(std::move(h)) {}

  behavior_type make_behavior() override {
    return {
      [this](topic_update_atom, topic_spec& s) {
        h_->deleted.erase(s.name);
        auto name = s.name;
        h_->topics.insert_or_assign(std::move(name), std::move(s));
      },
      [this](topic_deleted_atom, const std::string& name) {
        h_->topics.erase(name);
        h_->deleted.insert(name);
      },
      [this](partition_states_atom, partition_states& s) {
        h_->states.insert_or_assign(s.topic, std::move(s.partitions));
      },
    };
  }

private:
  std::shared_ptr<heard> h_;
};

struct fixture : test::actor_fixture {
  std::vector<controller_address> addrs{{node_id{1}, "h", 1}, {node_id{2}, "h", 2}, {node_id{3}, "h", 3}};
  std::map<node_id, metadata_actor> ctrls;
  std::map<node_id, node_actor> shims;
  std::map<node_id, std::shared_ptr<bool>> mutes;
  std::map<node_id, std::shared_ptr<heard>> heards;
  std::map<node_id, topic_listener> listeners;

  fixture() {
    for (auto& a : addrs)
      start(a.id);
    wire();
  }

  ~fixture() override {
    for (auto id : std::vector<node_id>{node_id{1}, node_id{2}, node_id{3}})
      stop(id);
    consume();
  }

  void start(node_id id) {
    controller_args a;
    a.self = id;
    a.host = "h";
    a.port = static_cast<uint16_t>(id.value);
    a.controllers = addrs;
    a.raft_dir = dir / ("raft-" + std::to_string(id.value));
    a.raft.election_timeout_min_ms = 150;
    a.raft.election_timeout_max_ms = 300;
    a.raft.heartbeat_interval_ms = 50;
    a.seed = static_cast<uint64_t>(id.value) * 7919;
    a.broker_session_timeout_ms = 1000;
    a.broker_heartbeat_interval_ms = 200;
    a.request_timeout = 2s;
    a.tick_interval = 50ms;
    ctrls[id] = spawn_controller(sys, a);
    mutes[id] = std::make_shared<bool>(false);
    shims[id] = sys.spawn<node_shim>(ctrls[id], mutes[id]);
    heards[id] = std::make_shared<heard>();
    listeners[id] = sys.spawn<listener>(heards[id]);
    caf::anon_send(ctrls[id], subscribe_atom_v, listeners[id]); // the table arrives as updates
    consume();
  }

  void stop(node_id id) {
    if (!ctrls.contains(id))
      return;
    self->send_exit(ctrls[id], caf::exit_reason::user_shutdown);
    self->send_exit(shims[id], caf::exit_reason::user_shutdown);
    self->send_exit(listeners[id], caf::exit_reason::user_shutdown);
    ctrls.erase(id);
    shims.erase(id);
    listeners.erase(id);
    consume();
    wire();
  }

  void wire() {
    controller_peers p;
    for (auto& [id, s] : shims)
      p.nodes.emplace(id, s);
    for (auto& [_, c] : ctrls)
      self->send(c, peers_atom_v, p);
    consume();
  }

  void run_for(std::chrono::milliseconds d) {
    for (auto t = 0ms; t < d; t += 10ms) {
      sched.advance_time(10ms);
      consume();
    }
  }

  template <class Response, class Atom, class Request>
  Response ask(node_id id, Atom atom, const Request& req) {
    self->send(ctrls.at(id), atom, encode(req));
    return answer<Response>();
  }

  // The answer to the request `self` sent last.
  template <class Response>
  Response answer() {
    for (int i = 0; i < 400; ++i) {
      consume();
      std::optional<envelope> got;
      self->receive([&](envelope& e) { got = std::move(e); },
                    [&](caf::error& err) { CAF_FAIL("error reply: " << sys.render(err)); },
                    caf::after(0s) >> [] {});
      if (got) {
        auto r = schema::decode<Response>(*got);
        if (!r)
          CAF_FAIL("reply does not decode as expected: " << r.err().to_string());
        return std::move(*r);
      }
      sched.advance_time(10ms);
    }
    CAF_FAIL("no answer within 4 s");
  }

  schema::cluster_status_response status(node_id id) {
    return ask<schema::cluster_status_response>(id, cluster_status_atom_v, schema::cluster_status_request{});
  }

  // Runs time until a leader is known and every running controller is a live broker (bounded).
  node_id settled() {
    for (int i = 0; i < 100; ++i) {
      run_for(50ms);
      auto st = status(ctrls.begin()->first);
      if (!st.error.ok())
        continue;
      auto live = std::count_if(st.brokers.begin(), st.brokers.end(), [&](auto& b) {
        return !b.fenced && ctrls.contains(b.id);
      });
      if (static_cast<size_t>(live) == ctrls.size())
        return st.leader;
    }
    CAF_FAIL("the controllers did not settle within 5 s");
  }

  schema::create_topics_response create(node_id on, std::string name, int32_t partitions, int16_t rf) {
    schema::create_topics_request req;
    req.topics.push_back({std::move(name), partitions, rf, {}});
    return ask<schema::create_topics_response>(on, create_topics_atom_v, req);
  }
};

node_id other_than(node_id a, node_id b = node_id{-1}) {
  for (int i = 1; i <= 3; ++i)
    if (node_id{i} != a && node_id{i} != b)
      return node_id{i};
  return node_id{-1};
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(controller_tests, fixture)

CAF_TEST(a topic created through a follower is placed over the brokers and known to its node first) {
  auto leader = settled();
  auto follower = other_than(leader);
  auto r = create(follower, "orders", 6, 3);
  CAF_REQUIRE_EQUAL(r.topics.size(), 1u);
  CAF_CHECK(r.topics[0].error.ok());
  // Read-your-writes: the follower's node heard of it before the client got its answer.
  auto& spec = heards[follower]->topics.at("orders");
  CAF_REQUIRE_EQUAL(spec.replicas.size(), 6u);
  std::map<node_id, int> preferred;
  for (auto& rs : spec.replicas) {
    CAF_CHECK_EQUAL(std::set<node_id>(rs.begin(), rs.end()).size(), 3u);
    ++preferred[rs.front()];
  }
  for (auto& [_, n] : preferred)
    CAF_CHECK_EQUAL(n, 2);
  run_for(100ms);
  for (auto& [id, h] : heards)
    CAF_CHECK(h->topics.contains("orders"));
  auto again = create(other_than(leader, follower), "orders", 1, 1);
  CAF_CHECK_EQUAL(again.topics[0].error.code, errc::topic_already_exists);
}

CAF_TEST(a replication factor above the live brokers is refused with both numbers) {
  auto leader = settled();
  auto r = create(leader, "wide", 1, 4);
  CAF_CHECK_EQUAL(r.topics[0].error.code, errc::invalid_replication_factor);
  auto& msg = r.topics[0].error.message;
  CAF_CHECK(msg.find('4') != std::string::npos && msg.find('3') != std::string::npos);
  CAF_MESSAGE(msg);
  CAF_CHECK(!heards[leader]->topics.contains("wide"));
}

CAF_TEST(reads on every controller see a write made on another) {
  auto leader = settled();
  create(leader, "seen", 2, 1);
  for (auto& [id, _] : ctrls) {
    auto listed = ask<schema::list_topics_response>(id, list_topics_atom_v, schema::list_topics_request{});
    CAF_CHECK_EQUAL(listed.topics.size(), 1u);
    auto md = ask<schema::metadata_response>(id, metadata_atom_v, schema::metadata_request{});
    CAF_REQUIRE_EQUAL(md.topics.size(), 1u);
    CAF_CHECK_EQUAL(md.controller_id, leader);
    CAF_CHECK_EQUAL(md.brokers.size(), 3u);
    CAF_CHECK_EQUAL(md.topics[0].partitions.size(), 2u);
  }
}

CAF_TEST(a silent broker is fenced and leads nothing and a new leader keeps the metadata) {
  auto leader = settled();
  create(leader, "t", 3, 1);
  auto victim = other_than(leader);
  stop(victim);
  run_for(1500ms); // the session timeout is 1 s
  auto st = status(leader);
  for (auto& b : st.brokers)
    CAF_CHECK_EQUAL(b.fenced, b.id == victim);
  auto md = ask<schema::metadata_response>(leader, metadata_atom_v, schema::metadata_request{});
  for (auto& p : md.topics.at(0).partitions)
    CAF_CHECK_NOT_EQUAL(p.leader, victim);
  // The subscribers heard the elections: new leaders in a later leader epoch.
  auto& heard_states = heards[leader]->states.at("t");
  CAF_REQUIRE_EQUAL(heard_states.size(), 3u);
  for (size_t i = 0; i < heard_states.size(); ++i) {
    CAF_CHECK(heard_states[i].leader != std::optional{victim});
    CAF_CHECK_EQUAL(heard_states[i].leader.value_or(node_id{-1}), md.topics[0].partitions[i].leader);
    CAF_CHECK_EQUAL(heard_states[i].epoch, md.topics[0].partitions[i].epoch);
  }
  // The victim's heartbeat under its old epoch is stale once it registers again.
  auto victim_epoch = std::find_if(st.brokers.begin(), st.brokers.end(),
                                   [&](auto& b) { return b.id == victim; })->broker_epoch;
  schema::broker_heartbeat_request hb{victim, "h", 9, "", victim_epoch};
  auto answer = ask<schema::broker_heartbeat_response>(leader, broker_heartbeat_atom_v, hb);
  CAF_CHECK(answer.error.ok());
  CAF_CHECK(answer.fenced);
  run_for(100ms);
  auto unfenced = status(leader);
  for (auto& b : unfenced.brokers)
    CAF_CHECK(!b.fenced);
  hb.broker_epoch = victim_epoch - 1;
  auto stale = ask<schema::broker_heartbeat_response>(leader, broker_heartbeat_atom_v, hb);
  CAF_CHECK_EQUAL(stale.error.code, errc::stale_broker_epoch);
  // The victim comes back, then the leader goes: the other two elect a new leader, which
  // holds the topic.
  start(victim);
  wire();
  stop(leader);
  auto next = settled();
  CAF_CHECK_NOT_EQUAL(next, leader);
  auto listed = ask<schema::list_topics_response>(next, list_topics_atom_v, schema::list_topics_request{});
  CAF_CHECK_EQUAL(listed.topics.size(), 1u);
  CAF_CHECK(heards[victim]->topics.contains("t"));
}

CAF_TEST(a broker whose link drops is fenced at once and its partitions get new leaders) {
  auto leader = settled();
  create(leader, "fast", 3, 3);
  run_for(100ms);
  auto victim = other_than(leader);
  stop(victim); // its links drop (wire() without it), long before its 1 s session runs out
  run_for(50ms);
  for (auto& b : status(leader).brokers)
    CAF_CHECK_EQUAL(b.fenced, b.id == victim);
  auto& states = heards[leader]->states.at("fast");
  for (auto& st : states) {
    CAF_CHECK(st.leader != std::optional{victim});
    CAF_CHECK(std::ranges::find(st.isr, victim) == st.isr.end());
  }
}

CAF_TEST(a write and a read forwarded to a leader that dies without answering go to the next leader) {
  auto leader = settled();
  *mutes[leader] = true;
  schema::create_topics_request req;
  req.topics.push_back({"orphan", 1, 1, {}});
  self->send(ctrls.at(other_than(leader)), create_topics_atom_v, encode(req));
  run_for(100ms); // now held by the leader's node
  stop(leader);   // its node is gone: what it held gets no answer
  auto created = answer<schema::create_topics_response>();
  CAF_REQUIRE_EQUAL(created.topics.size(), 1u);
  CAF_CHECK(created.topics[0].error.ok());

  start(leader);
  wire();
  auto next = settled();
  CAF_CHECK_NOT_EQUAL(next, leader);
  *mutes[next] = true;
  self->send(ctrls.at(other_than(next)), list_topics_atom_v, encode(schema::list_topics_request{}));
  run_for(100ms);
  stop(next);
  auto listed = answer<schema::list_topics_response>();
  CAF_CHECK(listed.error.ok());
  CAF_CHECK_EQUAL(listed.topics.size(), 1u);
}

CAF_TEST(an isr change is committed through any controller once and refused when stale) {
  auto leader = settled();
  auto follower = other_than(leader);
  CAF_REQUIRE(create(leader, "isr", 1, 3).topics[0].error.ok());
  run_for(100ms);
  auto alter = [&](node_id on, schema::alter_partition_request r) {
    return ask<schema::alter_partition_response>(on, alter_partition_atom_v, r);
  };
  // Computed against a partition epoch that never was: refused, and the answer says the state.
  auto probe = alter(follower, {"isr", 0, node_id{1}, leader_epoch{0}, -5, {}, 1});
  CAF_CHECK(!probe.error.ok()); // stale partition epoch, or broker 1 does not lead it
  CAF_REQUIRE_GREATER_OR_EQUAL(probe.leader.value, 1);
  CAF_REQUIRE_EQUAL(probe.isr.size(), 3u);
  auto part_leader = probe.leader;
  std::vector<node_id> shrunk{part_leader};
  auto ok = alter(follower, {"isr", 0, part_leader, probe.epoch, probe.partition_epoch, shrunk, 2});
  CAF_CHECK(ok.error.ok());
  CAF_CHECK(ok.isr == shrunk);
  CAF_CHECK_EQUAL(ok.partition_epoch, probe.partition_epoch + 1);
  // The same proposal again (a duplicate): refused, nothing changes.
  auto again = alter(leader, {"isr", 0, part_leader, probe.epoch, probe.partition_epoch, shrunk, 2});
  CAF_CHECK_EQUAL(again.error.code, errc::invalid_request);
  CAF_CHECK_EQUAL(again.partition_epoch, ok.partition_epoch);
  // From a broker that does not lead it.
  auto other = other_than(part_leader);
  auto fenced = alter(leader, {"isr", 0, other, probe.epoch, ok.partition_epoch, {other}, 3});
  CAF_CHECK_EQUAL(fenced.error.code, errc::fenced_leader_epoch);
  // Every controller's metadata answer shows the committed ISR.
  schema::metadata_request mreq;
  mreq.all_topics = false;
  mreq.topics = {"isr"};
  for (auto& [id, _] : ctrls) {
    auto md = ask<schema::metadata_response>(id, metadata_atom_v, mreq);
    CAF_REQUIRE_EQUAL(md.topics.size(), 1u);
    CAF_CHECK(md.topics[0].partitions.at(0).isr == shrunk);
  }
  // And every node hosting partitions heard the new state (its partition actors act on it).
  run_for(100ms);
  for (auto& [id, h] : heards) {
    auto& st = h->states.at("isr");
    CAF_REQUIRE_EQUAL(st.size(), 1u);
    CAF_CHECK(st[0].isr == shrunk);
    CAF_CHECK_EQUAL(st[0].version.value, ok.partition_epoch);
    CAF_CHECK(st[0].leader == std::optional{part_leader});
    CAF_CHECK_EQUAL(st[0].replicas.size(), 3u);
  }
}

CAF_TEST(operators move partitions elect preferred leaders and decommission brokers through any controller) {
  auto leader = settled();
  auto follower = other_than(leader);
  CAF_REQUIRE(create(leader, "mv", 2, 2).topics[0].error.ok());
  run_for(100ms);
  auto original = heards[follower]->topics.at("mv").replicas.at(0);
  CAF_REQUIRE_EQUAL(original.size(), 2u);
  auto spare = other_than(original[0], original[1]);
  // Move partition 0 from (a, b) to (spare, b) through a follower.
  std::vector<node_id> target{spare, original[1]};
  auto reassign = [&](node_id on, schema::reassign_partitions_request r) {
    return ask<schema::reassign_partitions_response>(on, reassign_partitions_atom_v, r);
  };
  auto moving = reassign(follower, {{{"mv", 0, target, false}}});
  CAF_REQUIRE_EQUAL(moving.partitions.size(), 1u);
  CAF_CHECK(moving.partitions[0].error.ok());
  CAF_CHECK(moving.partitions[0].replicas == (std::vector<node_id>{spare, original[1], original[0]}));
  CAF_CHECK(moving.partitions[0].adding == std::vector<node_id>{spare});
  CAF_CHECK(moving.partitions[0].removing == std::vector<node_id>{original[0]});
  // The nodes heard the union (so the spare's node hosts it) before the answer.
  CAF_CHECK(heards[follower]->topics.at("mv").replicas.at(0) == moving.partitions[0].replicas);
  schema::metadata_request mreq;
  mreq.all_topics = false;
  mreq.topics = {"mv"};
  auto md = ask<schema::metadata_response>(leader, metadata_atom_v, mreq);
  CAF_CHECK(md.topics.at(0).partitions.at(0).adding_replicas == std::vector<node_id>{spare});
  CAF_CHECK(md.topics.at(0).partitions.at(0).removing_replicas == std::vector<node_id>{original[0]});
  // The partition leader reports the spare caught up: the move completes, a leaves.
  auto p0 = md.topics.at(0).partitions.at(0);
  auto isr = p0.isr;
  isr.push_back(spare);
  auto st = ask<schema::alter_partition_response>(follower, alter_partition_atom_v,
                                                  schema::alter_partition_request{
                                                    "mv", 0, p0.leader, p0.epoch,
                                                    heards[leader]->states.at("mv").at(0).version.value,
                                                    isr, 1});
  CAF_CHECK(st.error.ok());
  run_for(100ms);
  for (auto& [id, h] : heards) {
    CAF_CHECK(h->topics.at("mv").replicas.at(0) == target);
    auto& s0 = h->states.at("mv").at(0);
    CAF_CHECK(s0.replicas == target);
    CAF_CHECK(s0.leader && std::ranges::find(target, *s0.leader) != target.end());
    CAF_CHECK(std::ranges::find(s0.isr, original[0]) == s0.isr.end());
  }
  md = ask<schema::metadata_response>(follower, metadata_atom_v, mreq);
  CAF_CHECK(md.topics.at(0).partitions.at(0).adding_replicas.empty());
  // A new order of in-sync replicas: done at once; the preferred one then leads after an
  // election, which says what moved.
  auto now = md.topics.at(0).partitions.at(0);
  std::vector<node_id> reordered{now.isr.back(), now.isr.front()};
  if (reordered.front() == now.leader)
    std::swap(reordered.front(), reordered.back());
  CAF_REQUIRE(reassign(leader, {{{"mv", 0, reordered, false}}}).partitions.at(0).error.ok());
  auto elected = ask<schema::elect_leaders_response>(follower, elect_leaders_atom_v,
                                                     schema::elect_leaders_request{"mv"});
  CAF_CHECK(elected.error.ok());
  CAF_REQUIRE_EQUAL(elected.elected.size(), 1u);
  CAF_CHECK_EQUAL(elected.elected[0].from, now.leader);
  CAF_CHECK_EQUAL(elected.elected[0].to, reordered.front());
  CAF_CHECK_EQUAL(elected.elected[0].epoch.value, now.epoch.value + 1);
  auto again = ask<schema::elect_leaders_response>(leader, elect_leaders_atom_v, schema::elect_leaders_request{});
  CAF_CHECK(again.elected.empty());
  // Refusals, one line each, nothing changes.
  auto bad = reassign(follower, {{{"nope", 0, target, false},
                                  {"mv", 7, target, false},
                                  {"mv", 1, {}, false},
                                  {"mv", 1, {spare, spare}, false},
                                  {"mv", 1, {node_id{9}}, false},
                                  {"mv", 1, {}, true}}});
  CAF_REQUIRE_EQUAL(bad.partitions.size(), 6u);
  CAF_CHECK_EQUAL(bad.partitions[0].error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(bad.partitions[1].error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(bad.partitions[2].error.code, errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(bad.partitions[3].error.code, errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(bad.partitions[4].error.code, errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(bad.partitions[5].error.code, errc::no_reassignment_in_progress);
  for (auto& p : bad.partitions)
    CAF_MESSAGE(p.error.message);
  CAF_CHECK_EQUAL(ask<schema::elect_leaders_response>(leader, elect_leaders_atom_v,
                                                      schema::elect_leaders_request{"nope"})
                    .error.code,
                  errc::unknown_topic_or_partition);
  // Decommissioning: an RF 3 topic has nowhere to go, so nothing moves; without it, every
  // replica on the broker starts moving to the third broker.
  CAF_REQUIRE(create(leader, "wide", 1, 3).topics[0].error.ok());
  auto decommission = [&](node_id on, node_id id, bool cancel) {
    return ask<schema::decommission_broker_response>(on, decommission_broker_atom_v,
                                                     schema::decommission_broker_request{id, cancel});
  };
  auto victim = target[1];
  auto refused = decommission(follower, victim, false);
  CAF_CHECK_EQUAL(refused.error.code, errc::invalid_replica_assignment);
  CAF_MESSAGE(refused.error.message);
  CAF_CHECK_EQUAL(decommission(follower, node_id{9}, false).error.code, errc::invalid_request);
  schema::delete_topics_request del;
  del.names = {"wide"};
  CAF_REQUIRE(ask<schema::delete_topics_response>(leader, delete_topics_atom_v, del).topics.at(0).error.ok());
  auto started = decommission(follower, victim, false);
  CAF_CHECK(started.error.ok());
  CAF_CHECK(!started.moves.empty());
  for (auto& m : started.moves)
    CAF_CHECK(std::ranges::find(m.replicas, victim) == m.replicas.end());
  auto status_now = status(leader);
  for (auto& b : status_now.brokers)
    CAF_CHECK_EQUAL(b.decommissioned, b.id == victim);
  // New topics avoid it; cancelled, it takes replicas again.
  CAF_CHECK_EQUAL(create(leader, "three", 1, 3).topics[0].error.code, errc::invalid_replication_factor);
  CAF_CHECK(decommission(leader, victim, true).error.ok());
  CAF_CHECK(create(leader, "three", 1, 3).topics[0].error.ok());
}

CAF_TEST(without a majority a write waits for a leader and then fails with not_controller) {
  auto leader = settled();
  auto survivor = other_than(leader);
  stop(leader);
  stop(other_than(leader, survivor));
  auto r = create(survivor, "lonely", 1, 1);
  CAF_CHECK_EQUAL(r.topics[0].error.code, errc::not_controller);
  auto st = status(survivor);
  CAF_CHECK_EQUAL(st.error.code, errc::not_controller);
}

CAF_TEST(bad cluster requests get a one line error and change nothing) {
  auto leader = settled();
  auto follower = other_than(leader);
  envelope garbage{schema::message_kind::broker_heartbeat_request, {'x', 'y', 'z'}};
  self->send(ctrls[leader], broker_heartbeat_atom_v, garbage);
  consume();
  auto e = require_reply<envelope>();
  CAF_CHECK(e.kind == schema::message_kind::error_response);
  // A write that is not a write, and a forwarded write reaching a follower.
  self->send(ctrls[leader], controller_write_atom_v, encode(schema::list_topics_request{}), false);
  consume();
  auto [not_write, index] = [&] {
    std::pair<envelope, int64_t> out;
    self->receive([&](envelope& x, int64_t i) { out = {std::move(x), i}; },
                  [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
    return out;
  }();
  auto refused = schema::decode<schema::error_response>(not_write);
  CAF_REQUIRE(refused);
  CAF_CHECK_EQUAL(refused->error.code, errc::invalid_request);
  CAF_CHECK_EQUAL(index, 0);
  schema::create_topics_request req;
  req.topics.push_back({"direct", 1, 1, {}});
  self->send(ctrls[follower], controller_write_atom_v, encode(req), false);
  consume();
  self->receive(
    [&](envelope& x, int64_t) {
      auto r = schema::decode<schema::create_topics_response>(x);
      CAF_REQUIRE(r);
      CAF_CHECK_EQUAL(r->topics.at(0).error.code, errc::not_controller);
    },
    [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  // A client may not create an internal topic, whichever controller it asks.
  auto internal = create(follower, std::string{offsets_topic}, 1, 1);
  CAF_CHECK_EQUAL(internal.topics[0].error.code, errc::invalid_topic);
  auto listed = ask<schema::list_topics_response>(leader, list_topics_atom_v,
                                                  schema::list_topics_request{true});
  CAF_CHECK(listed.topics.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()

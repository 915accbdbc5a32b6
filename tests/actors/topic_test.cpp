#define CAF_SUITE actors.topic
#include "tests/actors/actor_fixture.hpp"

#include "actors/topic_actor.hpp"

#include <filesystem>

using namespace sluice;
using namespace sluice::actors;
using sluice::test::batch_of;
using schema::errc;

namespace {

struct fixture : test::actor_fixture {
  topic_actor topic;

  fixture() {
    topic_args args{topic_spec{"orders", 2, 1, {}, {}}, topic_config{}, dir.path(),
                    std::chrono::milliseconds{0}, 16, 2, store::system_clock_ms, std::nullopt};
    topic = spawn_topic(sys, std::move(args));
    consume();
  }
  ~fixture() override { self->send_exit(topic, caf::exit_reason::user_shutdown); }

  append_reply append(int32_t p, std::string prefix) {
    self->send(topic, produce_atom_v, partition_id{p}, append_request{batch_of(2, prefix), schema::acks::leader});
    consume();
    return require_reply<append_reply>();
  }

  partition_actor lookup(int32_t p) {
    self->send(topic, lookup_atom_v, partition_id{p});
    consume();
    return require_reply<partition_actor>();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(topic_tests, fixture)

CAF_TEST(routes by partition and refuses partitions out of range) {
  CAF_CHECK_EQUAL(append(0, "a").base_offset, offset{0});
  CAF_CHECK_EQUAL(append(1, "b").base_offset, offset{0});
  CAF_CHECK_EQUAL(append(1, "c").base_offset, offset{2});
  auto out = append(2, "x");
  CAF_CHECK_EQUAL(out.error.code, errc::unknown_topic_or_partition);
  CAF_MESSAGE(out.error.to_string());
  CAF_CHECK(!lookup(2));
}

CAF_TEST(a crashed partition is restarted from its log) {
  append(0, "a");
  auto first = lookup(0);
  CAF_REQUIRE(first);
  self->send_exit(first, caf::exit_reason::kill);
  consume();
  auto second = lookup(0);
  CAF_REQUIRE(second);
  CAF_CHECK(second.address() != first.address());
  CAF_CHECK_EQUAL(append(0, "b").base_offset, offset{2});
  self->send(topic, state_atom_v);
  consume();
  auto s = require_reply<std::string>();
  CAF_MESSAGE(s);
  CAF_CHECK(s.find("restarts([1, 0])") != std::string::npos);
}

CAF_TEST(a partition that keeps crashing is given up) {
  for (int i = 0; i < 3; ++i) {
    self->send_exit(lookup(1), caf::exit_reason::kill);
    consume();
  }
  // Offline: an explicit error, not silence.
  auto r = append(1, "x");
  CAF_CHECK_EQUAL(r.error.code, errc::storage_error);
  CAF_MESSAGE(r.error.to_string());
  CAF_CHECK(!lookup(1));
  CAF_CHECK(append(0, "still").error.ok());
}

CAF_TEST(more partitions come with an update) {
  self->send(topic, topic_update_atom_v, topic_spec{"orders", 4, 1, {}, {}});
  consume();
  CAF_CHECK(append(3, "new").error.ok());
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

// Cluster mode on node 1: a partition is hosted only where the assignment names node 1.
struct cluster_fixture : test::actor_fixture {
  topic_actor topic;

  cluster_fixture() {
    // Left behind by a move off this node that a crash cut short.
    std::filesystem::create_directories(dir.path() / "orders-1");
    topic_args args{topic_spec{"orders", 2, 2, {}, {{node_id{1}, node_id{2}}, {node_id{2}, node_id{3}}}},
                    topic_config{}, dir.path(), std::chrono::milliseconds{0}, 16, 2,
                    store::system_clock_ms,
                    replication_args{node_id{1}, alter_partition_actor{}, replica_manager_actor{}, 30'000}};
    topic = spawn_topic(sys, std::move(args));
    consume();
  }
  ~cluster_fixture() override { self->send_exit(topic, caf::exit_reason::user_shutdown); }

  partition_actor lookup(int32_t p) {
    self->send(topic, lookup_atom_v, partition_id{p});
    consume();
    return require_reply<partition_actor>();
  }

  void assign(std::vector<std::vector<node_id>> replicas) {
    self->send(topic, topic_update_atom_v, topic_spec{"orders", 2, 2, {}, std::move(replicas)});
    consume();
  }

  // The partition states that follow every assignment change (none here: the partitions of
  // this test need no role).
  void states() {
    self->send(topic, partition_states_atom_v, partition_states{"orders", {}});
    consume();
  }

  bool has_dir(int32_t p) const { return std::filesystem::exists(dir.path() / ("orders-" + std::to_string(p))); }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(topic_cluster_tests, cluster_fixture)

CAF_TEST(replicas moved to a node start there and those moved off it stop and lose their data) {
  CAF_CHECK(lookup(0));
  CAF_CHECK(!lookup(1));
  CAF_CHECK(has_dir(0));
  CAF_CHECK(!has_dir(1)); // not a replica here: the stray directory is gone
  auto n1 = node_id{1}, n2 = node_id{2}, n3 = node_id{3};
  // A reassignment adds node 1 to partition 1 (target and original together) ...
  assign({{n1, n2}, {n1, n2, n3}});
  auto added = lookup(1);
  CAF_CHECK(added);
  CAF_CHECK(has_dir(1));
  // ... and completes, while another moves partition 0 off node 1.
  auto old0 = lookup(0);
  assign({{n2, n3}, {n1, n2}});
  // It may lead: it leaves once it heard the states of the change (and stepped down).
  CAF_CHECK(lookup(0).address() == old0.address());
  states();
  CAF_CHECK(!lookup(0));
  CAF_CHECK(!has_dir(0));
  CAF_CHECK(lookup(1).address() == added.address());
  self->send(topic, state_atom_v);
  consume();
  auto s = require_reply<std::string>();
  CAF_MESSAGE(s);
  CAF_CHECK(s.find("removing([])") != std::string::npos);
  // Moved back: a new replica (empty), not the old actor. One that comes back before it left
  // stays as it is.
  assign({{n3, n1}, {n1, n2}});
  states();
  auto back = lookup(0);
  CAF_REQUIRE(back);
  CAF_CHECK(back.address() != old0.address());
  CAF_CHECK(has_dir(0));
  assign({{n3, n2}, {n1, n2}});
  assign({{n3, n1}, {n1, n2}});
  states();
  CAF_CHECK(lookup(0).address() == back.address());
}

CAF_TEST_FIXTURE_SCOPE_END()

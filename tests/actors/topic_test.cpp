#define CAF_SUITE actors.topic
#include "tests/actors/actor_fixture.hpp"

#include "actors/topic_actor.hpp"

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

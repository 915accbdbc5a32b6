#define CAF_SUITE actors.replica_fetcher

// The replica fetcher's rounds under the test coordinator's clock: a round nobody finishes
// (a leader node that never answers, a partition actor that never handles its part) is
// abandoned by the watchdog at max_wait + 10 s and fetched again; a partition actor that
// died answers at once (CAF bounces its part) and the next round follows without waiting;
// a new link to the leader's node abandons a round still waiting on the old one.

#include "actors/replica_fetcher.hpp"

#include "schema/fetch.hpp"
#include "tests/actors/actor_fixture.hpp"

#include <caf/event_based_actor.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::actors;
using namespace std::chrono_literals;

namespace {

constexpr int32_t max_wait_ms = 500;
// The watchdog's deadline for a fetch round: max_wait_ms plus the fetcher's 10 s slack.
constexpr auto round_deadline = std::chrono::milliseconds{max_wait_ms} + 10s;
constexpr auto backoff = 100ms; // the fetcher's retry_backoff

// What a stand-in leader node saw: every fetch request, decoded.
struct leader_log {
  std::vector<schema::fetch_request> fetches;
  int answers_left = 0; // answered with empty parts while > 0; held (never answered) after
};

// A leader node that answers the first `answers_left` fetches with an empty part (no error,
// HW 0) for each partition asked, and never answers the rest.
caf::behavior fake_leader(caf::event_based_actor* self, std::shared_ptr<leader_log> log) {
  return {
    [self, log](fetch_atom, schema::envelope& e) -> caf::result<schema::envelope> {
      auto req = schema::decode<schema::fetch_request>(e);
      CAF_REQUIRE(req.ok());
      log->fetches.push_back(*req);
      if (log->answers_left <= 0)
        return self->make_response_promise<schema::envelope>(); // held: never delivered
      --log->answers_left;
      schema::fetch_response resp;
      for (auto& p : req->partitions) {
        auto& out = resp.partitions.emplace_back();
        out.topic = p.topic;
        out.partition = p.partition;
        out.high_watermark = offset{0};
        out.log_start_offset = offset{0};
      }
      return schema::encode(resp);
    },
  };
}

// How a stand-in partition actor answers its parts.
struct partition_log {
  int parts = 0;
  bool answer = true; // false: takes the part and never answers
  uint64_t seq = 1;
};

caf::behavior fake_partition(caf::event_based_actor* self, std::shared_ptr<partition_log> log) {
  return {
    [self, log](replica_data_atom, replica_data&) -> caf::result<follower_position> {
      ++log->parts;
      if (!log->answer)
        return self->make_response_promise<follower_position>();
      follower_position pos;
      pos.next = follower_position::step::fetch;
      pos.epoch = leader_epoch{1};
      pos.seq = ++log->seq;
      return pos;
    },
  };
}

struct fixture : test::actor_fixture {
  // A fetcher retries forever; the coordinator's destructor runs until no timer is left.
  ~fixture() override {
    for (auto& f : fetchers)
      self->send_exit(f, caf::exit_reason::user_shutdown);
    consume();
  }

  std::vector<replica_fetcher_actor> fetchers;

  std::shared_ptr<leader_log> spawn_leader(caf::actor& out, int answers) {
    auto log = std::make_shared<leader_log>();
    log->answers_left = answers;
    out = sys.spawn(fake_leader, log);
    return log;
  }

  replica_fetcher_actor spawn_fetcher(const caf::actor& leader) {
    replica_manager_args limits;
    limits.self = node_id{2};
    limits.max_wait_ms = max_wait_ms;
    auto f = spawn_replica_fetcher(
      sys, replica_fetcher_args{node_id{2}, node_id{1}, caf::actor_cast<node_actor>(leader), limits});
    fetchers.push_back(f);
    return f;
  }

  std::pair<caf::actor, std::shared_ptr<partition_log>> spawn_partition(bool answer = true) {
    auto log = std::make_shared<partition_log>();
    log->answer = answer;
    return {sys.spawn(fake_partition, log), log};
  }

  void follow(const replica_fetcher_actor& f, int32_t partition, const caf::actor& actor,
              uint64_t seq = 1) {
    follower_position pos;
    pos.next = follower_position::step::fetch;
    pos.epoch = leader_epoch{1};
    pos.fetch_offset = offset{0};
    pos.seq = seq;
    self->send(f, follow_atom_v,
               follow_entry{"t", partition_id{partition}, node_id{1},
                            caf::actor_cast<partition_actor>(actor), pos});
    consume();
  }

  std::string state_of(const replica_fetcher_actor& f) {
    self->send(f, state_atom_v);
    consume();
    return require_reply<std::string>();
  }

  void advance(caf::timespan d) {
    sched.advance_time(d);
    consume();
  }

  // The round under way passes its deadline, and the backoff after it.
  void expire_round() {
    advance(round_deadline);
    advance(backoff);
  }

  static size_t parts_asked(const schema::fetch_request& r) { return r.partitions.size(); }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(replica_fetcher_tests, fixture)

CAF_TEST(a round the leader never answers is abandoned by the watchdog and fetched again) {
  caf::actor leader;
  auto seen = spawn_leader(leader, 0);
  auto f = spawn_fetcher(leader);
  auto [p, plog] = spawn_partition();
  follow(f, 0, p);
  CAF_REQUIRE_EQUAL(seen->fetches.size(), 1u);
  // Just before the deadline the round is still awaited.
  advance(round_deadline - 1ms);
  CAF_CHECK_EQUAL(seen->fetches.size(), 1u);
  CAF_CHECK(state_of(f).find("abandoned_rounds(0)") != std::string::npos);
  // At the deadline it is abandoned; after the backoff the partition is fetched again.
  advance(1ms);
  CAF_CHECK(state_of(f).find("abandoned_rounds(1)") != std::string::npos);
  CAF_CHECK_EQUAL(seen->fetches.size(), 1u);
  advance(backoff);
  CAF_REQUIRE_EQUAL(seen->fetches.size(), 2u);
  CAF_CHECK_EQUAL(parts_asked(seen->fetches.back()), 1u);
  // The watchdog watches the new round too.
  expire_round();
  CAF_CHECK_EQUAL(seen->fetches.size(), 3u);
  CAF_CHECK(state_of(f).find("abandoned_rounds(2)") != std::string::npos);
}

CAF_TEST(a partition actor that never handles its part does not wedge the fetcher) {
  caf::actor leader;
  auto seen = spawn_leader(leader, 1); // the first round is answered, the next one held
  auto f = spawn_fetcher(leader);
  auto [a, alog] = spawn_partition(true);
  auto [b, blog] = spawn_partition(false);
  follow(f, 0, a);
  // Round 1 (partition 0) was answered and handled; round 2 is held by the leader.
  CAF_REQUIRE_EQUAL(seen->fetches.size(), 2u);
  CAF_CHECK_EQUAL(alog->parts, 1);
  // Partition 1 joins with the next round: the watchdog ends round 2, round 3 is answered,
  // and partition 1's actor takes its part without ever answering.
  follow(f, 1, b);
  seen->answers_left = 1;
  expire_round();
  CAF_REQUIRE_EQUAL(seen->fetches.size(), 3u);
  CAF_CHECK_EQUAL(parts_asked(seen->fetches.back()), 2u);
  CAF_CHECK_EQUAL(alog->parts, 2);
  CAF_CHECK_EQUAL(blog->parts, 1);
  // Round 3 stays open until its deadline, then both partitions are asked again.
  advance(round_deadline - 1ms);
  CAF_CHECK_EQUAL(seen->fetches.size(), 3u);
  advance(1ms);
  advance(backoff);
  CAF_REQUIRE_EQUAL(seen->fetches.size(), 4u);
  CAF_CHECK_EQUAL(parts_asked(seen->fetches.back()), 2u);
  CAF_CHECK(state_of(f).find("abandoned_rounds(2)") != std::string::npos);
}

CAF_TEST(a partition actor that died mid round ends the round without the watchdog) {
  caf::actor leader;
  auto seen = spawn_leader(leader, 0);
  auto f = spawn_fetcher(leader);
  auto [a, alog] = spawn_partition(true);
  auto [b, blog] = spawn_partition(true);
  follow(f, 0, a);
  follow(f, 1, b);
  CAF_REQUIRE_EQUAL(seen->fetches.size(), 1u); // round 1, partition 0 only, held
  // Partition 1's actor dies; round 2 (both partitions) will be answered.
  self->send_exit(b, caf::exit_reason::kill);
  consume();
  seen->answers_left = 1;
  expire_round();
  // Round 2 ended as soon as the dead actor's part bounced, and round 3 followed at once,
  // still asking for partition 1.
  CAF_REQUIRE_EQUAL(seen->fetches.size(), 3u);
  CAF_CHECK_EQUAL(parts_asked(seen->fetches[1]), 2u);
  CAF_CHECK_EQUAL(parts_asked(seen->fetches[2]), 2u);
  CAF_CHECK_EQUAL(alog->parts, 1);
  CAF_CHECK_EQUAL(blog->parts, 0);
  CAF_CHECK(state_of(f).find("abandoned_rounds(1)") != std::string::npos);
  // Its restarted actor follows it; the next answered round reaches the new actor.
  auto [b2, b2log] = spawn_partition(true);
  follow(f, 1, b2, 2);
  seen->answers_left = 1;
  expire_round();
  CAF_CHECK_EQUAL(b2log->parts, 1);
  CAF_CHECK_EQUAL(alog->parts, 2);
  CAF_CHECK_EQUAL(seen->fetches.size(), 5u);
}

CAF_TEST(a new link to the leader node abandons a round waiting on the old one) {
  caf::actor old_leader;
  auto old_seen = spawn_leader(old_leader, 0);
  auto f = spawn_fetcher(old_leader);
  auto [p, plog] = spawn_partition();
  follow(f, 0, p);
  CAF_REQUIRE_EQUAL(old_seen->fetches.size(), 1u);
  caf::actor new_leader;
  auto new_seen = spawn_leader(new_leader, 0);
  // The same handle again (peers are resent on every membership change) changes nothing.
  self->send(f, peers_atom_v, caf::actor_cast<node_actor>(old_leader));
  consume();
  CAF_CHECK(state_of(f).find("abandoned_rounds(0)") != std::string::npos);
  self->send(f, peers_atom_v, caf::actor_cast<node_actor>(new_leader));
  consume();
  CAF_CHECK(state_of(f).find("abandoned_rounds(1)") != std::string::npos);
  advance(backoff);
  CAF_CHECK_EQUAL(new_seen->fetches.size(), 1u);
  CAF_CHECK_EQUAL(old_seen->fetches.size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()

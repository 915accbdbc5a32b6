#define CAF_SUITE actors.metadata_image
#include <caf/test/unit_test.hpp>

// The operations of issue 7 on the controller's pure image (actors/metadata_image.hpp):
// partition reassignment (KIP-455), preferred leader election, decommissioning a broker and
// adding partitions to a replicated topic. Every refusal leaves the image as it was.

#include "actors/metadata_image.hpp"
#include "actors/metadata_record.hpp"

#include <algorithm>

using namespace sluice;
using namespace sluice::actors;
using schema::errc;

namespace {

using ids = std::vector<node_id>;

ids of(std::initializer_list<int32_t> xs) {
  ids out;
  for (auto x : xs)
    out.push_back(node_id{x});
  return out;
}

// Brokers 1..n (racks r0, r1, ... round robin when `racks` > 0) and topic "t" whose partition
// p has the replicas `placement[p]`.
struct cluster_image {
  metadata_image img{{}, {}};
  int64_t index = 0;

  cluster_image(int n, std::vector<ids> placement, int racks = 0, config_overrides configs = {}) {
    for (int i = 1; i <= n; ++i) {
      std::optional<std::string> rack;
      if (racks > 0)
        rack = "r" + std::to_string((i - 1) % racks);
      apply(broker_register_record{node_id{i}, "h", uint16_t(i), rack, -1});
    }
    topic_spec s{"t", static_cast<int32_t>(placement.size()), 2, std::move(configs),
                 std::move(placement)};
    CAF_REQUIRE(apply(topic_put_record{s, put_mode::create, 0}).status);
  }

  apply_result apply(const metadata_record& r) { return img.apply(++index, r); }

  // The refusal's code (none: applied), as a value.
  errc code(const metadata_record& r) {
    auto st = apply(r).status;
    return st ? errc::none : st.err().code;
  }

  partition_state state(int32_t p = 0, const std::string& topic = "t") const {
    auto* s = img.partition(topic, p);
    CAF_REQUIRE(s != nullptr);
    return *s;
  }

  ids replicas(int32_t p = 0, const std::string& topic = "t") const {
    return img.table().find(topic)->replicas.at(static_cast<size_t>(p));
  }

  apply_result reassign(int32_t p, ids target) {
    return apply(reassign_record{"t", p, reassign_mode::start, std::move(target), {}});
  }

  // The partition's leader reports `joined` caught up: the ISR change it would propose.
  apply_result catch_up(int32_t p, ids joined) {
    auto s = state(p);
    auto isr = s.isr;
    isr.insert(isr.end(), joined.begin(), joined.end());
    return apply(alter_isr_record{"t", p, *s.leader, s.epoch, s.version, isr, s.isr_seq + 1});
  }

  int64_t epoch_of(int32_t id) const { return img.broker(node_id{id})->registration.epoch; }

  void fence(int32_t id, bool fenced = true) {
    CAF_REQUIRE(apply(broker_fence_record{node_id{id}, epoch_of(id), fenced}).status);
  }

  // The leader of partition 0 shrinks its ISR to itself (the followers fell behind).
  void shrink_to_leader() {
    auto s = state(0);
    CAF_REQUIRE(apply(alter_isr_record{"t", 0, *s.leader, s.epoch, s.version, ids{*s.leader},
                                       s.isr_seq + 1})
                  .status);
  }
};

bool contains(const std::vector<std::string>& names, const std::string& n) {
  return std::ranges::find(names, n) != names.end();
}

} // namespace

CAF_TEST(a reassignment serves target and original replicas until the target caught up) {
  cluster_image c{4, {of({1, 2}), of({2, 3})}};
  auto before = c.state(0);
  auto started = c.reassign(0, of({3, 4}));
  CAF_REQUIRE(started.status);
  CAF_CHECK(contains(started.respecified, "t")); // the nodes of 3 and 4 must host it now
  CAF_CHECK(started.reassigned == (std::vector<partition_ref>{{"t", 0}}));
  // Target first, then the original replicas leaving; the adding ones are not in the ISR.
  CAF_CHECK(c.replicas(0) == of({3, 4, 1, 2}));
  auto s = c.state(0);
  CAF_CHECK(s.isr == of({1, 2}));
  CAF_CHECK(s.leader == node_id{1});
  CAF_CHECK_EQUAL(s.epoch, before.epoch);
  CAF_CHECK_GREATER(s.version, before.version);
  auto* move = c.img.moving("t", 0);
  CAF_REQUIRE(move != nullptr);
  CAF_CHECK(move->adding() == of({3, 4}));
  CAF_CHECK(move->removing() == of({1, 2}));
  CAF_CHECK(c.img.replication("t", 0)->replicas == of({3, 4, 1, 2}));
  CAF_CHECK(c.replicas(1) == of({2, 3})); // the other partition is not touched
  // One of two caught up: still moving.
  auto half = c.catch_up(0, of({3}));
  CAF_REQUIRE(half.status);
  CAF_CHECK(half.respecified.empty());
  CAF_CHECK(c.img.moving("t", 0) != nullptr);
  CAF_CHECK(c.replicas(0) == of({3, 4, 1, 2}));
}

CAF_TEST(the isr change that completes a move hands leadership to the target in the next epoch) {
  cluster_image c{4, {of({1, 2})}};
  c.reassign(0, of({3, 4}));
  c.catch_up(0, of({3}));
  auto before = c.state(0);
  auto done = c.catch_up(0, of({4}));
  CAF_REQUIRE(done.status);
  CAF_CHECK(contains(done.respecified, "t")); // 1 and 2 stop hosting it
  CAF_CHECK(c.img.moving("t", 0) == nullptr);
  CAF_CHECK(c.replicas(0) == of({3, 4}));
  auto s = c.state(0);
  CAF_CHECK(s.isr == of({3, 4}));
  CAF_CHECK(s.leader == node_id{3});
  CAF_CHECK_EQUAL(s.epoch.value, before.epoch.value + 1);
  CAF_CHECK_EQUAL(s.isr_seq, 0u);
  CAF_CHECK_GREATER(s.version, before.version);
}

CAF_TEST(a leader that stays in the target keeps its epoch when the move completes) {
  cluster_image c{3, {of({1, 2})}};
  c.reassign(0, of({1, 3}));
  CAF_CHECK(c.replicas(0) == of({1, 3, 2}));
  auto before = c.state(0);
  CAF_REQUIRE(c.catch_up(0, of({3})).status);
  auto s = c.state(0);
  CAF_CHECK(c.replicas(0) == of({1, 3}));
  CAF_CHECK(s.isr == of({1, 3}));
  CAF_CHECK(s.leader == node_id{1});
  CAF_CHECK_EQUAL(s.epoch, before.epoch);
}

CAF_TEST(a target already in the isr completes at once and a new order needs no move) {
  cluster_image c{3, {of({1, 2, 3}), of({1, 2, 3})}};
  // Replication factor 3 -> 2 without the leader: done in the same record, 2 leads.
  auto shrink = c.reassign(0, of({2, 3}));
  CAF_REQUIRE(shrink.status);
  CAF_CHECK(c.img.moving("t", 0) == nullptr);
  CAF_CHECK(c.replicas(0) == of({2, 3}));
  CAF_CHECK(c.state(0).isr == of({2, 3}));
  CAF_CHECK(c.state(0).leader == node_id{2});
  CAF_CHECK_EQUAL(c.state(0).epoch.value, 1);
  // The same brokers in another order: the preferred leader changes, nothing moves.
  auto before = c.state(1);
  CAF_REQUIRE(c.reassign(1, of({3, 1, 2})).status);
  CAF_CHECK(c.img.moving("t", 1) == nullptr);
  CAF_CHECK(c.replicas(1) == of({3, 1, 2}));
  CAF_CHECK(c.state(1).leader == node_id{1});
  CAF_CHECK_EQUAL(c.state(1).epoch, before.epoch);
  CAF_CHECK_EQUAL(c.state(1).version, before.version + 1);
  // The same list again changes nothing at all.
  auto same = c.state(1);
  auto noop = c.reassign(1, of({3, 1, 2}));
  CAF_CHECK(noop.status);
  CAF_CHECK(noop.respecified.empty());
  CAF_CHECK(c.state(1) == same);
}

CAF_TEST(bad reassignments are refused one by one and change nothing) {
  cluster_image c{4, {of({1, 2})}};
  CAF_REQUIRE(c.apply(broker_fence_record{node_id{4}, c.epoch_of(4), true}).status);
  auto snap = c.img.snapshot();
  auto refused = [&](reassign_record r) {
    auto res = c.apply(r);
    CAF_CHECK(res.respecified.empty());
    if (res.status)
      return errc::none;
    CAF_MESSAGE(res.status.err().message);
    return res.status.err().code;
  };
  using m = reassign_mode;
  CAF_CHECK_EQUAL(refused({"nope", 0, m::start, of({1}), {}}), errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(refused({"t", 1, m::start, of({1}), {}}), errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(refused({"t", -1, m::start, of({1}), {}}), errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(refused({"t", 0, m::start, {}, {}}), errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(refused({"t", 0, m::start, of({3, 1, 3}), {}}), errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(refused({"t", 0, m::start, of({1, 9}), {}}), errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(refused({"t", 0, m::start, of({1, 4}), {}}), errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(refused({"t", 0, m::cancel, {}, {}}), errc::no_reassignment_in_progress);
  CAF_CHECK_EQUAL(c.img.snapshot(), snap);
  // The same checks answer before anything is proposed.
  CAF_CHECK(!c.img.check_reassign("t", 0, m::start, of({2, 2})));
  CAF_CHECK(c.img.check_reassign("t", 0, m::start, of({2, 3})));
  CAF_CHECK_EQUAL(c.img.snapshot(), snap);
}

CAF_TEST(a new target replaces a move in progress from the same original replicas) {
  cluster_image c{5, {of({1, 2})}};
  c.reassign(0, of({3, 4}));
  CAF_REQUIRE(c.catch_up(0, of({3})).status);
  // 4 is no longer wanted, 3 (in sync) is kept in the ISR, 5 joins as a follower.
  CAF_REQUIRE(c.reassign(0, of({3, 5})).status);
  CAF_CHECK(c.replicas(0) == of({3, 5, 1, 2}));
  CAF_CHECK(c.state(0).isr == of({1, 2, 3}));
  auto* move = c.img.moving("t", 0);
  CAF_REQUIRE(move != nullptr);
  CAF_CHECK(move->original == of({1, 2}));
  CAF_CHECK(move->target == of({3, 5}));
  // Back to the original set, in a new order: the move ends at once, 3 leaves the ISR.
  CAF_REQUIRE(c.reassign(0, of({2, 1})).status);
  CAF_CHECK(c.img.moving("t", 0) == nullptr);
  CAF_CHECK(c.replicas(0) == of({2, 1}));
  CAF_CHECK(c.state(0).isr == of({1, 2}));
}

CAF_TEST(a cancel goes back to the original replicas and elects if the leader was an added one) {
  cluster_image c{4, {of({1, 2})}};
  c.reassign(0, of({3, 4}));
  c.catch_up(0, of({3}));
  // Leader 1 dies: 3 (target first, in the ISR) leads.
  CAF_REQUIRE(c.apply(broker_fence_record{node_id{1}, c.epoch_of(1), true}).status);
  CAF_CHECK(c.state(0).leader == node_id{3});
  CAF_CHECK(c.state(0).isr == of({2, 3}));
  auto before = c.state(0);
  auto cancelled = c.apply(reassign_record{"t", 0, reassign_mode::cancel, {}, {}});
  CAF_REQUIRE(cancelled.status);
  CAF_CHECK(contains(cancelled.respecified, "t"));
  CAF_CHECK(c.img.moving("t", 0) == nullptr);
  CAF_CHECK(c.replicas(0) == of({1, 2}));
  CAF_CHECK(c.state(0).isr == of({2}));
  CAF_CHECK(c.state(0).leader == node_id{2});
  CAF_CHECK_EQUAL(c.state(0).epoch.value, before.epoch.value + 1);
}

CAF_TEST(a change that would leave no in sync replica is refused) {
  cluster_image c{3, {of({1})}};
  c.reassign(0, of({2, 3})); // replicas 2, 3, 1; ISR 1
  CAF_REQUIRE(c.catch_up(0, of({2})).status);
  // Leader 1 dies before 3 caught up: 2 leads, and the ISR holds only an added replica.
  CAF_REQUIRE(c.apply(broker_fence_record{node_id{1}, c.epoch_of(1), true}).status);
  CAF_CHECK(c.state(0).isr == of({2}));
  CAF_CHECK(c.state(0).leader == node_id{2});
  auto snap = c.img.snapshot();
  // Back to 1 alone, or on to 3 alone (from the original 1): no in-sync replica in either.
  CAF_CHECK_EQUAL(c.code(reassign_record{"t", 0, reassign_mode::cancel, {}, {}}),
                  errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(c.code(reassign_record{"t", 0, reassign_mode::start, of({3}), {}}),
                  errc::invalid_replica_assignment);
  CAF_CHECK_EQUAL(c.img.snapshot(), snap);
  // A target that keeps 2 is fine.
  CAF_CHECK_EQUAL(c.code(reassign_record{"t", 0, reassign_mode::start, of({2}), {}}), errc::none);
  CAF_CHECK(c.replicas(0) == of({2}));
  CAF_CHECK(c.img.moving("t", 0) == nullptr);
}

CAF_TEST(elections during a move prefer the target and a leader in it keeps leading at the end) {
  cluster_image c{4, {of({1, 2})}};
  c.reassign(0, of({3, 4}));
  c.catch_up(0, of({3}));
  CAF_REQUIRE(c.apply(broker_fence_record{node_id{1}, c.epoch_of(1), true}).status);
  CAF_CHECK(c.state(0).leader == node_id{3}); // before 2: the target comes first
  auto before = c.state(0);
  CAF_REQUIRE(c.catch_up(0, of({4})).status);
  CAF_CHECK(c.replicas(0) == of({3, 4}));
  CAF_CHECK(c.state(0).isr == of({3, 4}));
  CAF_CHECK(c.state(0).leader == node_id{3});
  CAF_CHECK_EQUAL(c.state(0).epoch, before.epoch);
}

CAF_TEST(a preferred leader election moves leadership back where it is alive and in sync) {
  cluster_image c{3, {of({1, 2, 3}), of({2, 3, 1}), of({3, 1, 2})}};
  topic_spec other{"u", 1, 3, {}, {of({1, 2, 3})}};
  CAF_REQUIRE(c.apply(topic_put_record{other, put_mode::create, 0}).status);
  // Broker 1 restarts: it loses leadership of t-0 and u-0 and its ISR places.
  CAF_REQUIRE(c.apply(broker_register_record{node_id{1}, "h", 1, std::nullopt, -1}).status);
  CAF_CHECK(c.state(0).leader == node_id{2});
  // Not in the ISR yet: nothing to elect.
  auto none = c.apply(elect_preferred_record{""});
  CAF_REQUIRE(none.status);
  CAF_CHECK(none.elected.empty());
  // It caught up on t-0 and u-0.
  CAF_REQUIRE(c.catch_up(0, of({1})).status);
  auto u = c.state(0, "u");
  CAF_REQUIRE(c.apply(alter_isr_record{"u", 0, *u.leader, u.epoch, u.version, of({2, 3, 1}), u.isr_seq + 1}).status);
  auto before = c.state(0);
  auto only_t = c.apply(elect_preferred_record{"t"});
  CAF_REQUIRE(only_t.status);
  CAF_REQUIRE_EQUAL(only_t.elected.size(), 1u);
  auto& moved = only_t.elected.front();
  CAF_CHECK(moved.where == (partition_ref{"t", 0}));
  CAF_CHECK(moved.from == node_id{2});
  CAF_CHECK(moved.to == node_id{1});
  CAF_CHECK_EQUAL(moved.epoch.value, before.epoch.value + 1);
  CAF_CHECK(c.state(0).leader == node_id{1});
  CAF_CHECK_EQUAL(c.state(0).epoch, moved.epoch);
  CAF_CHECK_EQUAL(c.state(0).isr_seq, 0u);
  CAF_CHECK(c.state(0, "u").leader == node_id{2}); // another topic
  auto all = c.apply(elect_preferred_record{""});
  CAF_REQUIRE_EQUAL(all.elected.size(), 1u);
  CAF_CHECK(all.elected.front().where == (partition_ref{"u", 0}));
  // Again: every preferred replica leads.
  CAF_CHECK(c.apply(elect_preferred_record{""}).elected.empty());
  // A fenced preferred replica is not elected; an unknown topic is refused.
  CAF_REQUIRE(c.apply(broker_fence_record{node_id{2}, c.epoch_of(2), true}).status);
  CAF_CHECK(c.state(1).leader == node_id{3});
  CAF_CHECK(c.apply(elect_preferred_record{"t"}).elected.empty());
  CAF_CHECK_EQUAL(c.code(elect_preferred_record{"nope"}), errc::unknown_topic_or_partition);
}

CAF_TEST(decommissioning moves every replica of a broker to the least loaded others) {
  cluster_image c{4, {of({1, 2}), of({2, 3}), of({3, 1}), of({1, 3})}};
  auto plan = c.img.plan_decommission(node_id{1});
  CAF_REQUIRE(plan);
  CAF_CHECK_EQUAL(plan->size(), 3u);
  auto res = c.apply(broker_decommission_record{node_id{1}, true, true});
  CAF_REQUIRE(res.status);
  CAF_CHECK_EQUAL(res.reassigned.size(), 3u);
  CAF_CHECK(c.img.broker(node_id{1})->decommissioned);
  // Loads before: 1 and 3 hold 3 replicas, 2 holds 2, 4 none. t-0 (1, 2) goes to 4; t-2
  // (3, 1) to 4 again (1 against 2's 2); t-3 (1, 3) to 2, which ties with 4 at 2 (lower id).
  auto t0 = c.img.moving("t", 0);
  auto t2 = c.img.moving("t", 2);
  auto t3 = c.img.moving("t", 3);
  CAF_REQUIRE(t0 && t2 && t3);
  CAF_CHECK(t0->target == of({4, 2}));
  CAF_CHECK(t2->target == of({3, 4}));
  CAF_CHECK(t3->target == of({2, 3}));
  CAF_CHECK(c.img.moving("t", 1) == nullptr);
  for (auto* m : {t0, t2, t3})
    CAF_CHECK(std::ranges::find(m->target, node_id{1}) == m->target.end());
  // No new replica goes to it: placement skips it, a reassignment to it is refused.
  for (auto& b : c.img.live_brokers())
    CAF_CHECK_NOT_EQUAL(b.id, node_id{1});
  CAF_CHECK_EQUAL(c.code(reassign_record{"t", 1, reassign_mode::start, of({1, 2}), {}}),
                  errc::invalid_replica_assignment);
  // A restart keeps the mark; the moves complete as the new replicas catch up.
  CAF_REQUIRE(c.apply(broker_register_record{node_id{1}, "h", 1, std::nullopt, -1}).status);
  CAF_CHECK(c.img.broker(node_id{1})->decommissioned);
  c.catch_up(0, of({4}));
  c.catch_up(2, of({4}));
  c.catch_up(3, of({2}));
  for (auto& [_, spec] : c.img.table().topics())
    for (auto& r : spec.replicas)
      CAF_CHECK(std::ranges::find(r, node_id{1}) == r.end());
  // Again: nothing left to move. Undone: a placement candidate again.
  auto again = c.apply(broker_decommission_record{node_id{1}, true, true});
  CAF_REQUIRE(again.status);
  CAF_CHECK(again.reassigned.empty());
  CAF_REQUIRE(c.apply(broker_decommission_record{node_id{1}, false, true}).status);
  CAF_CHECK(!c.img.broker(node_id{1})->decommissioned);
  CAF_CHECK_EQUAL(c.img.live_brokers().size(), 4u);
  CAF_CHECK_EQUAL(c.code(broker_decommission_record{node_id{9}, true, true}), errc::invalid_request);
}

CAF_TEST(decommissioning keeps racks apart and redirects a move that targets the broker) {
  // Racks: r0 = 1, 3; r1 = 2, 4. Partition 0 on 1 (r0) and 2 (r1): 1's replacement must be 3.
  cluster_image c{4, {of({1, 2}), of({2, 4})}, 2};
  c.reassign(1, of({4, 1})); // moving towards 1
  auto res = c.apply(broker_decommission_record{node_id{1}, true, true});
  CAF_REQUIRE(res.status);
  CAF_CHECK(c.img.moving("t", 0)->target == of({3, 2}));
  // The move to 4, 1 now goes to 4, 3 from the same original 2, 4.
  auto* m1 = c.img.moving("t", 1);
  CAF_REQUIRE(m1 != nullptr);
  CAF_CHECK(m1->target == of({4, 3}));
  CAF_CHECK(m1->original == of({2, 4}));
  CAF_CHECK(c.replicas(1) == of({4, 3, 2}));
}

CAF_TEST(decommissioning is refused whole when a partition has nowhere to go) {
  cluster_image c{3, {of({1, 2}), of({1, 2, 3})}};
  auto snap = c.img.snapshot();
  auto res = c.apply(broker_decommission_record{node_id{3}, true, true});
  CAF_REQUIRE(!res.status);
  CAF_CHECK_EQUAL(res.status.err().code, errc::invalid_replica_assignment);
  CAF_MESSAGE(res.status.err().message);
  CAF_CHECK(res.status.err().message.find("t-1") != std::string::npos);
  CAF_CHECK(!c.img.broker(node_id{3})->decommissioned);
  CAF_CHECK_EQUAL(c.img.snapshot(), snap); // t-0 did not start moving either
  // A fenced broker is no candidate either.
  cluster_image d{3, {of({1, 2})}};
  CAF_REQUIRE(d.apply(broker_fence_record{node_id{3}, d.epoch_of(3), true}).status);
  CAF_CHECK_EQUAL(d.code(broker_decommission_record{node_id{1}, true, true}),
                  errc::invalid_replica_assignment);
}

CAF_TEST(added partitions of a replicated topic get their replicas states and leaders) {
  cluster_image c{3, {of({1, 2}), of({2, 3})}};
  auto grown = *c.img.table().find("t");
  grown.partitions = 4;
  grown.replicas.push_back(of({3, 1}));
  grown.replicas.push_back(of({1, 2}));
  auto res = c.apply(topic_put_record{grown, put_mode::grow, 2});
  CAF_REQUIRE(res.status);
  CAF_CHECK(contains(res.respecified, "t"));
  for (int32_t p = 2; p < 4; ++p) {
    auto r = c.img.replication("t", p);
    CAF_REQUIRE(r.has_value());
    CAF_CHECK(r->replicas == grown.replicas[static_cast<size_t>(p)]);
    CAF_CHECK(r->isr == r->replicas);
    CAF_CHECK(r->leader == r->replicas.front());
  }
  // Fenced and decommissioned brokers are no placement candidates for them.
  CAF_REQUIRE(c.apply(broker_decommission_record{node_id{3}, true, false}).status);
  CAF_CHECK_EQUAL(c.img.live_brokers().size(), 2u);
}

CAF_TEST(partitions added while a move runs keep the move of the partitions there were) {
  cluster_image c{3, {of({1, 2})}};
  auto placed = *c.img.table().find("t"); // the leader places partition 1 from this
  placed.partitions = 2;
  placed.replicas.push_back(of({2, 3}));
  c.reassign(0, of({3, 2})); // committed first
  CAF_REQUIRE(c.apply(topic_put_record{placed, put_mode::grow, 1}).status);
  CAF_CHECK(c.replicas(0) == of({3, 2, 1}));
  CAF_CHECK(c.replicas(1) == of({2, 3}));
  CAF_REQUIRE(c.img.moving("t", 0) != nullptr);
  CAF_REQUIRE(c.catch_up(0, of({3})).status);
  CAF_CHECK(c.replicas(0) == of({3, 2}));
}

CAF_TEST(a snapshot carries moves in progress and decommissioned brokers) {
  cluster_image c{4, {of({1, 2}), of({2, 3})}};
  c.reassign(0, of({3, 4}));
  c.catch_up(0, of({3}));
  CAF_REQUIRE(c.apply(broker_decommission_record{node_id{2}, true, false}).status);
  metadata_image restored{{}, {}};
  CAF_REQUIRE(restored.restore(c.img.snapshot()));
  CAF_CHECK_EQUAL(restored.snapshot(), c.img.snapshot());
  CAF_REQUIRE(restored.moving("t", 0) != nullptr);
  CAF_CHECK(*restored.moving("t", 0) == *c.img.moving("t", 0));
  CAF_CHECK(restored.broker(node_id{2})->decommissioned);
  CAF_CHECK(restored.table().topics() == c.img.table().topics());
  // The restored image completes the move as the original would.
  auto s = *restored.partition("t", 0);
  auto isr = s.isr;
  isr.push_back(node_id{4});
  CAF_REQUIRE(restored.apply(99, alter_isr_record{"t", 0, *s.leader, s.epoch, s.version, isr, s.isr_seq + 1}).status);
  CAF_CHECK(restored.table().find("t")->replicas[0] == of({3, 4}));
  // A deleted topic takes its moves along.
  CAF_REQUIRE(c.apply(topic_delete_record{"t"}).status);
  CAF_CHECK(c.img.moving("t", 0) == nullptr);
}

// -- unclean leader election --------------------------------------------------------------

CAF_TEST(without unclean election a partition whose ISR died stays offline) {
  cluster_image c{3, {of({1, 2, 3})}};
  c.shrink_to_leader();
  auto before = c.state(0);
  c.fence(1);
  auto s = c.state(0);
  CAF_CHECK(!s.leader);
  CAF_CHECK(s.isr == of({1})); // kept: the partition comes back with 1's data
  CAF_CHECK_GREATER(s.epoch, before.epoch);
  // Live replicas outside the ISR, even restarted ones, do not lead.
  c.apply(broker_register_record{node_id{2}, "h", 2, std::nullopt, -1});
  CAF_CHECK(!c.state(0).leader);
  c.fence(1, false);
  CAF_CHECK(c.state(0).leader == node_id{1});
}

CAF_TEST(unclean election makes the first live replica leader alone in a new epoch) {
  cluster_image c{3, {of({1, 2, 3})}, 0, {{"unclean.leader.election.enable", "true"}}};
  c.shrink_to_leader();
  auto before = c.state(0);
  c.fence(1);
  auto s = c.state(0);
  CAF_CHECK(s.leader == node_id{2});
  CAF_CHECK(s.isr == of({2}));
  CAF_CHECK_GREATER(s.epoch, before.epoch);
  CAF_CHECK_GREATER(s.version, before.version);
  // The old leader coming back is a follower of the new epoch (it truncates to it).
  c.fence(1, false);
  CAF_CHECK(c.state(0).leader == node_id{2});
  CAF_CHECK(c.state(0).isr == of({2}));
}

CAF_TEST(unclean election prefers a live isr member and waits for any replica) {
  cluster_image c{3, {of({1, 2, 3})}, 0, {{"unclean.leader.election.enable", "true"}}};
  c.fence(1); // ISR 1,2,3: a clean election is possible and wins
  CAF_CHECK(c.state(0).leader == node_id{2});
  CAF_CHECK(c.state(0).isr == of({2, 3}));
  c.shrink_to_leader(); // ISR 2
  c.fence(3);
  c.fence(2); // no replica alive at all: offline, ISR kept
  CAF_CHECK(!c.state(0).leader);
  CAF_CHECK(c.state(0).isr == of({2}));
  auto before = c.state(0);
  c.fence(3, false); // an out-of-sync replica returns to an offline partition: it leads
  auto s = c.state(0);
  CAF_CHECK(s.leader == node_id{3});
  CAF_CHECK(s.isr == of({3}));
  CAF_CHECK_GREATER(s.epoch, before.epoch);
}

CAF_TEST(unclean election is a topic override checked as a boolean) {
  topic_config c;
  CAF_CHECK(!c.unclean_leader_election);
  CAF_CHECK(set_config(c, "unclean.leader.election.enable", "true"));
  CAF_CHECK(c.unclean_leader_election);
  CAF_CHECK(set_config(c, "unclean.leader.election.enable", "false"));
  CAF_CHECK(!c.unclean_leader_election);
  auto bad = set_config(c, "unclean.leader.election.enable", "yes");
  CAF_CHECK_EQUAL(bad.code(), errc::invalid_config);
  CAF_CHECK(bad.err().message.find("true or false") != std::string::npos);
  topic_spec on{"t", 1, 3, {{"unclean.leader.election.enable", "true"}}, {}};
  topic_spec off{"t", 1, 3, {{"unclean.leader.election.enable", "false"}}, {}};
  CAF_CHECK(unclean_election_enabled(on));
  CAF_CHECK(!unclean_election_enabled(off));
  CAF_CHECK(!unclean_election_enabled(topic_spec{}));
}

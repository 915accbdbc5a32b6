#define CAF_SUITE actors.metadata_record
#include <caf/test/unit_test.hpp>

#include "actors/metadata_image.hpp"
#include "actors/metadata_record.hpp"

#include <random>

using namespace sluice;
using namespace sluice::actors;

namespace {

topic_spec spec(std::string name, int32_t partitions) {
  topic_spec s{std::move(name), partitions, 3, {{"retention.ms", "1000"}, {"cleanup.policy", "delete"}}, {}};
  for (int32_t p = 0; p < partitions; ++p)
    s.replicas.push_back({node_id{p % 3 + 1}, node_id{(p + 1) % 3 + 1}, node_id{(p + 2) % 3 + 1}});
  return s;
}

std::vector<metadata_record> every_kind() {
  return {topic_put_record{spec("orders", 12), put_mode::create, 0},
          topic_put_record{{"bare", 1, 1, {}, {}}, put_mode::restore, 0},
          topic_put_record{spec("grown", 4), put_mode::grow, 2},
          topic_delete_record{"orders"},
          broker_register_record{node_id{2}, "10.0.0.2", 9293, std::string{"rack-b"}, -1},
          broker_register_record{node_id{3}, "h", 1, std::nullopt, 17},
          broker_fence_record{node_id{2}, 5, true},
          broker_fence_record{node_id{2}, 5, false},
          barrier_record{},
          partition_state_record{"orders", 3, {node_id{2}, leader_epoch{4}, {node_id{2}, node_id{3}}, 9, 2}},
          partition_state_record{"orders", 4, {std::nullopt, leader_epoch{5}, {node_id{1}}, 11, 0}},
          alter_isr_record{"orders", 3, node_id{2}, leader_epoch{4}, 9, {node_id{2}}, 3},
          reassign_record{"orders", 5, reassign_mode::start, {node_id{3}, node_id{4}}, {}},
          reassign_record{"orders", 5, reassign_mode::cancel, {}, {}},
          reassign_record{"orders", 6, reassign_mode::restore, {node_id{4}}, {node_id{1}, node_id{2}}},
          elect_preferred_record{"orders"},
          elect_preferred_record{""},
          broker_decommission_record{node_id{3}, true, true},
          broker_decommission_record{node_id{3}, false, false}};
}

metadata_image fresh() { return metadata_image{{}, {}}; }

} // namespace

CAF_TEST(records round trip) {
  for (auto& r : every_kind()) {
    auto back = decode_metadata_record(encode_metadata_record(r));
    CAF_REQUIRE(back);
    CAF_CHECK(*back == r);
  }
}

CAF_TEST(every truncation and a foreign version or type is refused) {
  for (auto& r : every_kind()) {
    auto bytes = encode_metadata_record(r);
    for (size_t n = 0; n < bytes.size(); ++n)
      CAF_CHECK(!decode_metadata_record(std::string_view{bytes}.substr(0, n)));
    CAF_CHECK(!decode_metadata_record(bytes + "y"));
  }
  auto bytes = encode_metadata_record(topic_put_record{spec("orders", 12), put_mode::create, 0});
  auto version = bytes;
  version[0] = 9;
  CAF_CHECK(!decode_metadata_record(version));
  auto type = bytes;
  type[1] = 200;
  auto r = decode_metadata_record(type);
  CAF_REQUIRE(!r);
  CAF_CHECK_EQUAL(r.err().code, schema::errc::corrupt_message);
  auto mode = bytes;
  mode[2] = 9;
  CAF_CHECK(!decode_metadata_record(mode));
}

CAF_TEST(a create of an existing topic and a grow of a changed one are refused alike) {
  auto img = fresh();
  CAF_CHECK(img.apply(1, topic_put_record{spec("t", 2), put_mode::create, 0}).status);
  auto again = img.apply(2, topic_put_record{spec("t", 5), put_mode::create, 0});
  CAF_REQUIRE(!again.status);
  CAF_CHECK_EQUAL(again.status.err().code, schema::errc::topic_already_exists);
  CAF_CHECK_EQUAL(img.table().find("t")->partitions, 2);
  auto stale = img.apply(3, topic_put_record{spec("t", 6), put_mode::grow, 3});
  CAF_CHECK(!stale.status);
  CAF_CHECK(img.apply(4, topic_put_record{spec("t", 6), put_mode::grow, 2}).status);
  CAF_CHECK_EQUAL(img.table().find("t")->partitions, 6);
  CAF_CHECK(!img.apply(5, topic_delete_record{"nope"}).status);
}

CAF_TEST(a registration gets its log index as epoch and fencing needs that epoch) {
  auto img = fresh();
  auto reg = img.apply(41, broker_register_record{node_id{2}, "h", 9, std::nullopt, -1});
  CAF_CHECK_EQUAL(reg.epoch, 41);
  CAF_CHECK(img.usable(node_id{2}));
  CAF_CHECK(!img.apply(42, broker_fence_record{node_id{2}, 40, true}).status);
  CAF_CHECK(img.usable(node_id{2}));
  CAF_CHECK(img.apply(43, broker_fence_record{node_id{2}, 41, true}).status);
  CAF_CHECK(!img.usable(node_id{2}));
  CAF_CHECK(img.live_brokers().empty());
  // A new process registers again: new epoch, alive, the old epoch is stale.
  auto again = img.apply(50, broker_register_record{node_id{2}, "h", 9, std::nullopt, -1});
  CAF_CHECK_EQUAL(again.epoch, 50);
  CAF_CHECK(img.usable(node_id{2}));
  CAF_CHECK(!img.apply(51, broker_fence_record{node_id{2}, 41, true}).status);
}

namespace {

// Three registered brokers (epochs 1, 2, 3) and topic "t" with 3 partitions: partition 0 on
// replicas 1, 2, 3 in that order.
metadata_image three_brokers() {
  auto img = fresh();
  for (int i = 1; i <= 3; ++i)
    img.apply(i, broker_register_record{node_id{i}, "h", uint16_t(i), std::nullopt, -1});
  img.apply(4, topic_put_record{spec("t", 3), put_mode::create, 0});
  return img;
}

partition_state state0(const metadata_image& img) {
  auto* s = img.partition("t", 0);
  CAF_REQUIRE(s != nullptr);
  return *s;
}

const std::vector<node_id> all3{node_id{1}, node_id{2}, node_id{3}};

} // namespace

CAF_TEST(a new partition has its live replicas as isr and the first as leader) {
  auto img = three_brokers();
  auto s = state0(img);
  CAF_CHECK(s.leader == node_id{1});
  CAF_CHECK(s.isr == all3);
  CAF_CHECK_EQUAL(s.epoch.value, 0);
  img.apply(5, broker_fence_record{node_id{3}, 3, true});
  img.apply(6, topic_put_record{spec("u", 1), put_mode::create, 0});
  auto* u = img.partition("u", 0);
  CAF_REQUIRE(u != nullptr);
  CAF_CHECK(u->isr == (std::vector<node_id>{node_id{1}, node_id{2}})); // 3 is fenced
  auto r = img.replication("t", 0);
  CAF_REQUIRE(r.has_value());
  CAF_CHECK(r->replicas == all3);
}

CAF_TEST(a fenced leader leaves the isr and the next isr member leads in a new epoch) {
  auto img = three_brokers();
  auto before = state0(img);
  img.apply(9, broker_fence_record{node_id{1}, 1, true});
  auto s = state0(img);
  CAF_CHECK(s.leader == node_id{2});
  CAF_CHECK(s.isr == (std::vector<node_id>{node_id{2}, node_id{3}}));
  CAF_CHECK_EQUAL(s.epoch.value, before.epoch.value + 1);
  CAF_CHECK_GREATER(s.version, before.version);
  auto spec_t = *img.table().find("t");
  CAF_CHECK(img.leader_of(spec_t, 0) == node_id{2});
  // Unfencing does not put it back in the ISR: only its leader's proposal does.
  img.apply(10, broker_fence_record{node_id{1}, 1, false});
  CAF_CHECK(state0(img).isr == (std::vector<node_id>{node_id{2}, node_id{3}}));
  CAF_CHECK(state0(img).leader == node_id{2});
}

CAF_TEST(the last isr member stays in it when fenced and the partition waits offline for it) {
  auto img = three_brokers();
  img.apply(5, broker_fence_record{node_id{2}, 2, true});
  img.apply(6, broker_fence_record{node_id{3}, 3, true});
  CAF_CHECK(state0(img).isr == (std::vector<node_id>{node_id{1}}));
  CAF_CHECK(state0(img).leader == node_id{1});
  img.apply(7, broker_fence_record{node_id{1}, 1, true});
  auto offline = state0(img);
  CAF_CHECK(!offline.leader);
  CAF_CHECK(offline.isr == (std::vector<node_id>{node_id{1}}));
  // Unclean election is off: live 2 and 3 hold no claim to the data.
  img.apply(8, broker_fence_record{node_id{2}, 2, false});
  CAF_CHECK(!state0(img).leader);
  img.apply(9, broker_fence_record{node_id{1}, 1, false});
  auto back = state0(img);
  CAF_CHECK(back.leader == node_id{1});
  CAF_CHECK_EQUAL(back.epoch.value, offline.epoch.value + 1);
  topic_spec single{"one", 1, 1, {}, {{node_id{1}}}};
  CAF_CHECK(!img.leader_of(single, 0)); // no such topic in the image
}

CAF_TEST(a restarted leader registers again and loses its leadership and isr place) {
  auto img = three_brokers();
  img.apply(20, broker_register_record{node_id{1}, "h", 1, std::nullopt, -1});
  auto s = state0(img);
  CAF_CHECK(s.leader == node_id{2});
  CAF_CHECK(s.isr == (std::vector<node_id>{node_id{2}, node_id{3}}));
  CAF_CHECK_EQUAL(img.broker(node_id{1})->registration.epoch, 20);
}

CAF_TEST(an isr change commits only from the current leader epoch and version with live replicas) {
  auto img = three_brokers();
  auto s = state0(img);
  // The refusal's code (none: committed), a value: no reference into a temporary status.
  auto change = [&](node_id leader, int32_t epoch, int32_t version, std::vector<node_id> isr, uint64_t seq) {
    auto st = img.apply(30, alter_isr_record{"t", 0, leader, leader_epoch{epoch}, version, std::move(isr), seq}).status;
    return st ? schema::errc::none : st.err().code;
  };
  std::vector<node_id> shrunk{node_id{1}, node_id{2}};
  CAF_CHECK_EQUAL(change(node_id{2}, 0, s.version, shrunk, 1), schema::errc::fenced_leader_epoch);
  CAF_CHECK_EQUAL(change(node_id{1}, 1, s.version, shrunk, 1), schema::errc::fenced_leader_epoch);
  CAF_CHECK_EQUAL(change(node_id{1}, 0, s.version + 1, shrunk, 1), schema::errc::invalid_request);
  // That refusal spent seq 1: the same proposal again (a late duplicate) is refused too.
  CAF_CHECK_EQUAL(change(node_id{1}, 0, s.version, shrunk, 1), schema::errc::invalid_request);
  CAF_CHECK_EQUAL(change(node_id{1}, 0, s.version, {node_id{2}}, 2), schema::errc::invalid_request);
  CAF_CHECK_EQUAL(change(node_id{1}, 0, s.version, {node_id{1}, node_id{7}}, 3),
                  schema::errc::invalid_request);
  auto unchanged = state0(img);
  CAF_CHECK(unchanged.isr == all3);
  CAF_CHECK_EQUAL(change(node_id{1}, 0, s.version, shrunk, 4), schema::errc::none);
  auto committed = state0(img);
  CAF_CHECK(committed.isr == shrunk);
  CAF_CHECK_EQUAL(committed.version, s.version + 1);
  // A fenced broker cannot join.
  img.apply(31, broker_fence_record{node_id{3}, 3, true});
  CAF_CHECK_EQUAL(change(node_id{1}, 0, committed.version, all3, 5), schema::errc::invalid_request);
  auto unknown = img.apply(32, alter_isr_record{"nope", 0, node_id{1}, leader_epoch{0}, 0, shrunk, 6});
  CAF_REQUIRE(!unknown.status);
  CAF_CHECK_EQUAL(unknown.status.err().code, schema::errc::unknown_topic_or_partition);
}

CAF_TEST(replicas applying the same log end with the same image and its snapshot rebuilds it) {
  std::mt19937_64 rng{5};
  std::vector<std::string> log;
  for (int i = 0; i < 400; ++i) {
    auto name = "t" + std::to_string(rng() % 20);
    auto broker = node_id{static_cast<int32_t>(rng() % 5)};
    switch (rng() % 10) {
      case 0: log.push_back(encode_metadata_record(topic_delete_record{name})); break;
      case 7: {
        std::vector<node_id> target{node_id{int32_t(rng() % 5)}};
        if (rng() % 2)
          target.push_back(node_id{int32_t(rng() % 5)});
        auto mode = rng() % 4 == 0 ? reassign_mode::cancel : reassign_mode::start;
        log.push_back(encode_metadata_record(reassign_record{name, int32_t(rng() % 3), mode, target, {}}));
        break;
      }
      case 8:
        log.push_back(encode_metadata_record(elect_preferred_record{rng() % 2 ? name : ""}));
        break;
      case 9:
        log.push_back(encode_metadata_record(broker_decommission_record{broker, rng() % 3 != 0, true}));
        break;
      case 5: {
        std::vector<node_id> isr{node_id{int32_t(rng() % 5)}};
        if (rng() % 2)
          isr.push_back(node_id{int32_t(rng() % 5)});
        log.push_back(encode_metadata_record(alter_isr_record{
          name, int32_t(rng() % 3), isr.front(), leader_epoch{int32_t(rng() % 3)},
          int32_t(rng() % 4), isr, rng() % 5}));
        break;
      }
      case 6:
        log.push_back(encode_metadata_record(broker_fence_record{broker, int64_t(rng() % 400), true}));
        break;
      case 1:
        log.push_back(encode_metadata_record(broker_register_record{broker, "h", 1, std::nullopt, -1}));
        break;
      case 2:
        log.push_back(encode_metadata_record(broker_fence_record{broker, int64_t(rng() % 400), rng() % 2 == 0}));
        break;
      default:
        log.push_back(encode_metadata_record(
          topic_put_record{spec(name, 1 + static_cast<int32_t>(rng() % 50)),
                           rng() % 2 ? put_mode::create : put_mode::restore, 0}));
    }
  }
  auto a = fresh(), b = fresh();
  for (size_t i = 0; i < log.size(); ++i) {
    auto r = decode_metadata_record(log[i]);
    CAF_REQUIRE(r);
    auto ra = a.apply(int64_t(i + 1), *r);
    auto rb = b.apply(int64_t(i + 1), *r);
    CAF_CHECK_EQUAL(bool(ra.status), bool(rb.status));
    CAF_CHECK_EQUAL(ra.epoch, rb.epoch);
  }
  CAF_CHECK(a.table().topics() == b.table().topics());
  CAF_CHECK_EQUAL(a.snapshot(), b.snapshot()); // partition states included
  CAF_CHECK(!a.table().topics().empty());
  auto restored = fresh();
  CAF_REQUIRE(restored.restore(a.snapshot()));
  CAF_CHECK(restored.table().topics() == a.table().topics());
  CAF_CHECK_EQUAL(restored.snapshot(), a.snapshot());
  CAF_CHECK_EQUAL(restored.brokers().size(), a.brokers().size());
}

CAF_TEST(a damaged snapshot is refused and leaves the image as it was) {
  auto img = fresh();
  img.apply(1, topic_put_record{spec("kept", 2), put_mode::create, 0});
  auto other = fresh();
  other.apply(1, topic_put_record{spec("other", 3), put_mode::create, 0});
  auto snap = other.snapshot();
  for (size_t n = 0; n < snap.size(); ++n)
    CAF_CHECK(!img.restore(std::string_view{snap}.substr(0, n)));
  CAF_CHECK(!img.restore(snap + "x"));
  auto bad = snap;
  bad[0] = 7;
  CAF_CHECK(!img.restore(bad));
  CAF_CHECK(img.table().find("kept") != nullptr);
  CAF_CHECK(img.table().find("other") == nullptr);
}

#define CAF_SUITE client.share_consumer
#include <caf/test/unit_test.hpp>

// The share consumer (client/share_consumer.hpp) against a real node in the test's actor
// system (real logs, real LMDB, the node's share manager and group coordinators), on real time:
// every wait is bounded.

#include "actors/node_actor.hpp"
#include "client/admin.hpp"
#include "client/producer.hpp"
#include "client/share_consumer.hpp"
#include "tests/client/fake_node.hpp"
#include "tests/store/temp_dir.hpp"

#include <caf/scoped_actor.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>

using namespace sluice;
using namespace std::chrono_literals;
using schema::acknowledge_type;

namespace {

struct fixture {
  test::temp_dir dir;
  test::client_test_config cfg;
  caf::actor_system sys{cfg};
  actors::node_internal_actor node;
  std::shared_ptr<client::connection> conn;

  fixture() {
    actors::node_config nc;
    nc.id = node_id{1};
    nc.data_dir = dir / "data";
    nc.offsets_partitions = 2;
    nc.group_tick_interval = 20ms;
    node = actors::spawn_node(sys, nc);
    caf::scoped_actor self{sys};
    bool ready = false;
    self->request(node, caf::infinite, actors::ready_atom_v)
      .receive([&](bool ok) { ready = ok; }, [](caf::error&) {});
    CAF_REQUIRE(ready);
    conn = client::connection::attach(sys, caf::actor_cast<actors::node_actor>(node), 10s);
  }

  ~fixture() { caf::anon_send_exit(node, caf::exit_reason::user_shutdown); }

  void topic(const std::string& name, int32_t partitions, int records,
             std::vector<std::pair<std::string, std::string>> configs = {}) {
    client::admin a{conn};
    CAF_REQUIRE(a.create_topic({name, partitions, 1, configs}));
    client::producer p{conn};
    for (int i = 0; i < records; ++i) {
      auto value = std::string{"v"}.append(std::to_string(i));
      CAF_REQUIRE(p.send({name, std::nullopt, std::string_view{value}}, {}));
    }
    CAF_REQUIRE(p.flush(10s));
  }

  client::share_consumer member(const std::string& id) { return client::share_consumer{conn, {"g", id, 500, 1 << 20}}; }
};

// Polls until `want` records came (counted in `total` when given, shared by several members)
// or 15 s passed, acknowledging implicitly on each poll.
std::vector<share_record> poll_some(client::share_consumer& c, size_t want, std::atomic<size_t>* total = nullptr) {
  std::vector<share_record> out;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  auto seen = [&] { return total ? total->load() : out.size(); };
  while (seen() < want && std::chrono::steady_clock::now() < deadline) {
    auto r = c.poll(100ms);
    if (!r)
      continue;
    out.insert(out.end(), r->begin(), r->end());
    if (total)
      *total += r->size();
  }
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(share_consumer_tests, fixture)

CAF_TEST(two members share the records of every partition without overlap) {
  topic("t", 2, 300);
  auto a = member("a");
  auto b = member("b");
  CAF_REQUIRE(a.subscribe({"t"}));
  CAF_REQUIRE(b.subscribe({"t"}));
  std::vector<share_record> got_a, got_b;
  std::atomic<size_t> total{0};
  std::thread ta{[&] { got_a = poll_some(a, 300, &total); }};
  std::thread tb{[&] { got_b = poll_some(b, 300, &total); }};
  ta.join();
  tb.join();
  std::multiset<std::string> values;
  for (auto* v : {&got_a, &got_b})
    for (auto& r : *v) {
      values.insert(r.value.value_or(""));
      CAF_CHECK_EQUAL(r.delivery_count, 1);
    }
  CAF_CHECK_EQUAL(values.size(), 300u);
  CAF_CHECK_EQUAL(std::set<std::string>(values.begin(), values.end()).size(), 300u);
  CAF_CHECK(a.commit_sync());
  CAF_CHECK(b.commit_sync());
}

CAF_TEST(released records come again with their delivery count and rejected ones never) {
  topic("t", 1, 10);
  auto a = member("a");
  CAF_REQUIRE(a.subscribe({"t"}));
  auto first = poll_some(a, 10);
  CAF_REQUIRE_EQUAL(first.size(), 10u);
  for (auto& r : first) {
    auto t = r.off.value < 3 ? acknowledge_type::release
                             : r.off.value < 5 ? acknowledge_type::reject : acknowledge_type::accept;
    CAF_CHECK(a.acknowledge(r, t));
  }
  CAF_CHECK(a.commit_sync());
  CAF_CHECK(!a.acknowledge(first[0])); // acknowledged already
  auto b = member("b");
  CAF_REQUIRE(b.subscribe({"t"}));
  auto again = poll_some(b, 3);
  CAF_REQUIRE_EQUAL(again.size(), 3u);
  for (auto& r : again) {
    CAF_CHECK_LESS(r.off.value, 3);
    CAF_CHECK_EQUAL(r.delivery_count, 2);
  }
  CAF_CHECK(b.commit_sync());
  auto none = b.poll(300ms);
  CAF_REQUIRE(none);
  CAF_CHECK(none->empty());
}

CAF_TEST(an expired lock hands the records to another member and refuses the late ack) {
  topic("t", 1, 5, {{"share.record.lock.duration.ms", "300"}});
  auto a = member("a");
  CAF_REQUIRE(a.subscribe({"t"}));
  auto held = poll_some(a, 5);
  CAF_REQUIRE_EQUAL(held.size(), 5u);
  std::this_thread::sleep_for(500ms);
  auto b = member("b");
  CAF_REQUIRE(b.subscribe({"t"}));
  auto again = poll_some(b, 5);
  CAF_REQUIRE_EQUAL(again.size(), 5u);
  CAF_CHECK_EQUAL(again[0].delivery_count, 2);
  auto late = a.commit_sync();
  CAF_REQUIRE(!late);
  CAF_CHECK(late.err().server == schema::errc::invalid_record_state);
  CAF_CHECK(b.commit_sync());
}

CAF_TEST(close releases what a member holds) {
  topic("t", 1, 4);
  auto a = member("a");
  CAF_REQUIRE(a.subscribe({"t"}));
  CAF_REQUIRE_EQUAL(poll_some(a, 4).size(), 4u);
  a.close();
  CAF_CHECK(!a.poll(10ms));
  auto b = member("b");
  CAF_REQUIRE(b.subscribe({"t"}));
  auto again = poll_some(b, 4);
  CAF_CHECK_EQUAL(again.size(), 4u); // at once, not after the 30 s lock
}

CAF_TEST(subscribe refuses an unknown topic and a missing group) {
  auto a = member("a");
  CAF_CHECK(!a.subscribe({"nope"}));
  client::share_consumer nogroup{conn, {"", "", 10, 1 << 20}};
  CAF_CHECK(!nogroup.subscribe({"t"}));
}

CAF_TEST_FIXTURE_SCOPE_END()

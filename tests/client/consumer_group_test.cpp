#define CAF_SUITE client.consumer_group
#include <caf/test/unit_test.hpp>

// The consumer in group mode against a real node in the test's actor system (real logs, real
// LMDB, real coordinator), on real time: every wait is bounded.

#include "actors/node_actor.hpp"
#include "client/admin.hpp"
#include "client/consumer.hpp"
#include "client/producer.hpp"
#include "tests/client/fake_node.hpp"
#include "tests/store/temp_dir.hpp"

#include <caf/scoped_actor.hpp>

#include <atomic>
#include <set>
#include <thread>

using namespace sluice;
using namespace std::chrono_literals;
using client::topic_partition;

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
    // The coordinator partitions load right after ready; a group request retries meanwhile.
  }

  ~fixture() { caf::anon_send_exit(node, caf::exit_reason::user_shutdown); }

  void topic(const std::string& name, int32_t partitions, int records) {
    client::admin a{conn};
    CAF_REQUIRE(a.create_topic({name, partitions, 1, {}}));
    client::producer p{conn};
    for (int i = 0; i < records; ++i) {
      auto key = std::string{"k"}.append(std::to_string(i));
      auto value = std::string{"v"}.append(std::to_string(i));
      CAF_REQUIRE(p.send({name, std::string_view{key}, std::string_view{value}}, {}));
    }
    CAF_REQUIRE(p.flush(10s));
  }

  client::consumer_config group_config(const std::string& group) {
    client::consumer_config c;
    c.group_id = group;
    c.auto_offset_reset = client::offset_reset::earliest;
    c.session_timeout = 2s;
    c.heartbeat_interval = 50ms;
    c.fetch_max_wait = 50ms;
    c.enable_auto_commit = false;
    return c;
  }
};

// Polls until `want` records arrived or 15 s passed; returns their values.
std::vector<std::string> poll_values(client::consumer& c, size_t want) {
  std::vector<std::string> out;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto r = c.poll(100ms);
    if (!r)
      continue;
    r->for_each([&](const topic_partition&, const store::record_view& rec) {
      out.emplace_back(rec.value.value_or(""));
    });
  }
  return out;
}

struct recording_listener : client::rebalance_listener {
  std::mutex mtx;
  std::vector<topic_partition> assigned, revoked, lost;
  void on_partitions_assigned(const std::vector<topic_partition>& tps) override {
    std::lock_guard lock{mtx};
    assigned.insert(assigned.end(), tps.begin(), tps.end());
  }
  void on_partitions_revoked(const std::vector<topic_partition>& tps) override {
    std::lock_guard lock{mtx};
    revoked.insert(revoked.end(), tps.begin(), tps.end());
  }
  void on_partitions_lost(const std::vector<topic_partition>& tps) override {
    std::lock_guard lock{mtx};
    lost.insert(lost.end(), tps.begin(), tps.end());
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(consumer_group_tests, fixture)

CAF_TEST(two members split the topic and together read every record once) {
  topic("t", 4, 400);
  client::consumer a{conn, group_config("g")}, b{conn, group_config("g")};
  CAF_REQUIRE(a.subscribe({"t"}));
  CAF_REQUIRE(b.subscribe({"t"}));
  std::vector<std::string> va, vb;
  std::atomic<size_t> total = 0;
  std::atomic<bool> stop = false;
  // Done once everything is read and the rebalance settled: both hold two partitions (the
  // cooperative hand-over takes a second round after the first member read it all).
  auto run = [&](client::consumer& c, std::vector<std::string>& out) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!stop && std::chrono::steady_clock::now() < deadline) {
      auto r = c.poll(50ms);
      if (r)
        r->for_each([&](const topic_partition&, const store::record_view& rec) {
          out.emplace_back(rec.value.value_or(""));
          ++total;
        });
      if (total >= 400 && a.assignment().size() == 2 && b.assignment().size() == 2)
        stop = true;
    }
  };
  std::thread ta{run, std::ref(a), std::ref(va)}, tb{run, std::ref(b), std::ref(vb)};
  ta.join();
  tb.join();
  auto pa = a.assignment(), pb = b.assignment();
  CAF_CHECK_EQUAL(pa.size(), 2u);
  CAF_CHECK_EQUAL(pb.size(), 2u);
  std::set<topic_partition> all(pa.begin(), pa.end());
  all.insert(pb.begin(), pb.end());
  CAF_CHECK_EQUAL(all.size(), 4u);
  std::set<std::string> seen(va.begin(), va.end());
  seen.insert(vb.begin(), vb.end());
  CAF_CHECK_EQUAL(seen.size(), 400u);
  auto [ida, gena] = a.group_membership();
  auto [idb, genb] = b.group_membership();
  CAF_CHECK_NOT_EQUAL(ida, idb);
  CAF_CHECK_EQUAL(gena, genb);
}

CAF_TEST(a member resumes after what an earlier member committed) {
  topic("t", 1, 100);
  {
    client::consumer c{conn, group_config("g")};
    CAF_REQUIRE(c.subscribe({"t"}));
    auto got = poll_values(c, 100);
    CAF_REQUIRE_EQUAL(got.size(), 100u);
    client::offset_map half{{{"t", partition_id{0}}, offset{60}}};
    CAF_REQUIRE(c.commit_sync(half));
    auto committed = c.committed({"t", partition_id{0}});
    CAF_REQUIRE(committed);
    int64_t at = committed->value_or(offset{-1}).value;
    CAF_CHECK_EQUAL(at, 60);
    c.close();
  }
  client::consumer d{conn, group_config("g")};
  CAF_REQUIRE(d.subscribe({"t"}));
  auto rest = poll_values(d, 40);
  CAF_REQUIRE_EQUAL(rest.size(), 40u);
  CAF_CHECK_EQUAL(rest.front(), "v60");
}

CAF_TEST(commit async reports through its callback and auto commit stores only what poll returned) {
  topic("t", 1, 50);
  auto cfg = group_config("g");
  cfg.enable_auto_commit = true;
  cfg.auto_commit_interval = 10ms;
  cfg.max_partition_fetch_bytes = 1; // one batch per fetch: poll returns a prefix
  client::consumer c{conn, cfg};
  CAF_REQUIRE(c.subscribe({"t"}));
  auto got = poll_values(c, 1);
  CAF_REQUIRE(!got.empty());
  auto pos = c.position({"t", partition_id{0}});
  CAF_REQUIRE(pos);
  std::atomic<int> calls = 0;
  client::status last;
  c.commit_async([&](const client::offset_map& offsets, const client::status& st) {
    ++calls;
    last = st;
    CAF_CHECK_EQUAL(offsets.size(), 1u);
  });
  for (int i = 0; i < 100 && calls == 0; ++i)
    (void)c.poll(20ms);
  CAF_CHECK_EQUAL(calls.load(), 1);
  CAF_CHECK(last);
  auto committed = c.committed({"t", partition_id{0}});
  CAF_REQUIRE(committed && *committed);
  int64_t stored = committed->value().value;
  int64_t returned = c.position({"t", partition_id{0}})->value;
  CAF_CHECK_GREATER(stored, 0);
  CAF_CHECK_LESS_OR_EQUAL(stored, returned);
}

CAF_TEST(a member that stops polling leaves and later finds its partitions lost) {
  topic("t", 2, 0);
  auto slow_cfg = group_config("g");
  slow_cfg.max_poll_interval = 300ms;
  recording_listener slow_events;
  client::consumer slow{conn, slow_cfg};
  CAF_REQUIRE(slow.subscribe({"t"}, &slow_events));
  for (int i = 0; i < 50 && slow.assignment().size() < 2; ++i)
    (void)slow.poll(20ms);
  CAF_REQUIRE_EQUAL(slow.assignment().size(), 2u);
  std::this_thread::sleep_for(800ms); // longer than max.poll.interval.ms: it leaves
  client::consumer other{conn, group_config("g")};
  CAF_REQUIRE(other.subscribe({"t"}));
  for (int i = 0; i < 100 && other.assignment().size() < 2; ++i)
    (void)other.poll(20ms);
  CAF_CHECK_EQUAL(other.assignment().size(), 2u); // all of it: the slow member is gone
  // assignment() still shows the old partitions: like Kafka's, it changes inside poll().
  auto lost = [&] {
    std::lock_guard lock{slow_events.mtx};
    return slow_events.lost.size();
  };
  std::atomic<bool> done = false;
  std::thread keep_polling{[&] { // the other member must rejoin for the slow one to get back in
    for (int i = 0; i < 500 && !done; ++i)
      (void)other.poll(20ms);
  }};
  for (int i = 0; i < 100 && lost() == 0; ++i)
    (void)slow.poll(20ms);
  done = true;
  keep_polling.join();
  std::lock_guard lock{slow_events.mtx};
  CAF_CHECK_EQUAL(slow_events.lost.size(), 2u);
  CAF_CHECK(slow_events.revoked.empty());
}

CAF_TEST(subscribe without a group id is refused) {
  client::consumer c{conn, {}};
  auto st = c.subscribe({"t"});
  CAF_REQUIRE(!st);
  CAF_CHECK(st.err().message.find("group id") != std::string::npos);
  CAF_CHECK(!c.commit_sync());
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE client.failover
#include <caf/test/unit_test.hpp>

// The producer and consumer against a cluster of three fake brokers in the test's actor system
// (tests/client/fake_node.hpp, connection::attach_cluster): requests go to each partition's
// leader, follow it when it moves (not_leader), when none is elected for a while, and when its
// broker is killed (a lost link), with the bootstrap broker among the dead too. The fake
// brokers share their logs, as perfectly replicated brokers would.

#include "client/admin.hpp"
#include "client/consumer.hpp"
#include "client/producer.hpp"
#include "tests/client/fake_node.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

struct fixture : test::fake_cluster_fixture {
  fixture() : fake_cluster_fixture(true) {}

  // The controller fences the broker: it leaves the metadata's broker list.
  void fence(int id) {
    std::lock_guard lock{st->mtx};
    std::erase_if(st->brokers, [&](auto& b) { return b.id.value == id; });
  }

  int produces_at(int id) {
    std::lock_guard lock{st->mtx};
    return st->produce_requests_at[id];
  }

  int fetches_at(int id) {
    std::lock_guard lock{st->mtx};
    return st->fetch_requests_at[id];
  }

  // The values in partition p's log, in offset order.
  std::vector<std::string> log_values(const std::string& topic, int p) {
    std::lock_guard lock{st->mtx};
    std::vector<std::string> out;
    for (auto& bytes : st->topics.at(topic).at(static_cast<size_t>(p)).batches) {
      store::record_reader reader{bytes};
      store::record_view rv;
      while (reader.next(rv))
        out.emplace_back(*rv.value);
    }
    return out;
  }

  producer_config fast_producer() {
    producer_config c;
    c.linger = 1ms;
    c.retry_backoff = 5ms;
    c.retry_backoff_max = 20ms;
    c.delivery_timeout = 10s;
    c.request_timeout = 5s;
    c.partitioner_seed = 1;
    return c;
  }

  consumer_config fast_consumer() {
    consumer_config c;
    c.fetch_max_wait = 20ms;
    c.retry_backoff = 5ms;
    c.auto_offset_reset = offset_reset::earliest;
    return c;
  }
};

std::string value(int i) { return "v" + std::to_string(i); }

// Sends values [first, first + n) to partition p, one future each.
std::vector<std::future<delivery_report>> send_range(producer& prod, const std::string& topic, int p,
                                                     int first, int n) {
  std::vector<std::future<delivery_report>> out;
  for (int i = first; i < first + n; ++i) {
    auto v = value(i);
    out.push_back(prod.send(producer_record{topic, std::nullopt, std::string_view{v}, partition_id{p}}));
  }
  return out;
}

void require_acked(std::vector<std::future<delivery_report>>& fs) {
  for (auto& f : fs) {
    if (f.wait_for(10s) != std::future_status::ready)
      CAF_FAIL("a delivery did not complete within 10 s");
    auto r = f.get();
    if (!r.ok())
      CAF_FAIL("delivery failed: " << r.error.to_string());
  }
}

std::vector<std::string> range(int first, int n) {
  std::vector<std::string> out;
  for (int i = first; i < first + n; ++i)
    out.push_back(value(i));
  return out;
}

// Polls until `n` records arrived (10 s at most); any poll error fails the test.
std::map<int, std::vector<std::pair<int64_t, std::string>>> take(consumer& c, size_t n) {
  std::map<int, std::vector<std::pair<int64_t, std::string>>> out;
  size_t got = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got < n && std::chrono::steady_clock::now() < deadline) {
    auto recs = c.poll(50ms);
    if (!recs)
      CAF_FAIL("poll: " << recs.err().to_string());
    recs->for_each([&](const topic_partition& tp, const store::record_view& r) {
      out[tp.partition.value].emplace_back(r.off.value, std::string{*r.value});
      ++got;
    });
  }
  return out;
}

void check_contiguous(const std::vector<std::pair<int64_t, std::string>>& recs, int first_value) {
  for (size_t i = 0; i < recs.size(); ++i) {
    CAF_CHECK_EQUAL(recs[i].first, static_cast<int64_t>(i));
    CAF_CHECK_EQUAL(recs[i].second, value(first_value + static_cast<int>(i)));
  }
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(failover_tests, fixture)

CAF_TEST(produce goes to each partitions leader) {
  st->add_topic("t", 3);
  st->set_leader("t", 0, 2);
  st->set_leader("t", 1, 3);
  st->set_leader("t", 2, 1);
  producer p{conn, fast_producer()};
  std::vector<std::future<delivery_report>> fs;
  for (int part = 0; part < 3; ++part) {
    auto more = send_range(p, "t", part, part * 100, 100);
    fs.insert(fs.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  CAF_REQUIRE(p.flush(10s));
  require_acked(fs);
  for (int part = 0; part < 3; ++part)
    CAF_CHECK_EQUAL(log_values("t", part), range(part * 100, 100));
  CAF_CHECK_GREATER(produces_at(1), 0);
  CAF_CHECK_GREATER(produces_at(2), 0);
  CAF_CHECK_GREATER(produces_at(3), 0);
  CAF_CHECK_EQUAL(p.stats().failed_records, 0u);
}

CAF_TEST(a moved leader is followed after not leader) {
  st->add_topic("t", 1);
  st->set_leader("t", 0, 2);
  producer p{conn, fast_producer()};
  auto first = send_range(p, "t", 0, 0, 50);
  CAF_REQUIRE(p.flush(10s));
  require_acked(first);
  st->set_leader("t", 0, 3); // node 2 answers not_leader from now on
  auto second = send_range(p, "t", 0, 50, 50);
  CAF_REQUIRE(p.flush(10s));
  require_acked(second);
  CAF_CHECK_EQUAL(log_values("t", 0), range(0, 100));
  CAF_CHECK_GREATER(produces_at(3), 0);
}

CAF_TEST(records wait while no leader is elected) {
  st->add_topic("t", 1);
  st->set_leader("t", 0, -1);
  producer p{conn, fast_producer()};
  auto fs = send_range(p, "t", 0, 0, 10);
  std::this_thread::sleep_for(100ms);
  CAF_CHECK_EQUAL(produces_at(1) + produces_at(2) + produces_at(3), 0);
  st->set_leader("t", 0, 2);
  CAF_REQUIRE(p.flush(10s));
  require_acked(fs);
  CAF_CHECK_EQUAL(log_values("t", 0), range(0, 10));
}

CAF_TEST(without any leader records fail at the delivery timeout) {
  st->add_topic("t", 1);
  st->set_leader("t", 0, -1);
  auto cfg = fast_producer();
  cfg.delivery_timeout = 200ms;
  producer p{conn, cfg};
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}, partition_id{0}});
  CAF_REQUIRE(f.wait_for(5s) == std::future_status::ready);
  auto r = f.get();
  CAF_CHECK(r.error.code == errc::timed_out);
  CAF_CHECK(r.error.message.find("t/0") != std::string::npos);
}

CAF_TEST(a killed leaders partitions go to the new leader) {
  st->add_topic("t", 2);
  st->set_leader("t", 0, 2);
  st->set_leader("t", 1, 3);
  producer p{conn, fast_producer()};
  auto first = send_range(p, "t", 0, 0, 50);
  CAF_REQUIRE(p.flush(10s));
  require_acked(first);
  kill(2);
  // Records sent while the metadata still names the dead leader wait for the new one.
  auto second = send_range(p, "t", 0, 50, 50);
  std::this_thread::sleep_for(50ms);
  fence(2);
  st->set_leader("t", 0, 3);
  CAF_REQUIRE(p.flush(10s));
  require_acked(second);
  CAF_CHECK_EQUAL(log_values("t", 0), range(0, 100));
}

CAF_TEST(the metadata comes from another broker when the bootstrap dies) {
  st->add_topic("t", 1);
  st->set_leader("t", 0, 2);
  producer p{conn, fast_producer()};
  auto first = send_range(p, "t", 0, 0, 10);
  CAF_REQUIRE(p.flush(10s));
  require_acked(first);
  kill(1); // the bootstrap
  fence(1);
  st->set_leader("t", 0, 3);
  auto second = send_range(p, "t", 0, 10, 10);
  CAF_REQUIRE(p.flush(10s));
  require_acked(second);
  CAF_CHECK_EQUAL(log_values("t", 0), range(0, 20));
}

CAF_TEST(the consumer fetches from each leader and follows moves and kills) {
  st->add_topic("t", 2);
  st->set_leader("t", 0, 2);
  st->set_leader("t", 1, 3);
  producer p{conn, fast_producer()};
  auto fs = send_range(p, "t", 0, 0, 100);
  auto more = send_range(p, "t", 1, 1000, 100);
  CAF_REQUIRE(p.flush(10s));
  require_acked(fs);
  require_acked(more);
  consumer c{conn, fast_consumer()};
  c.assign({{"t", partition_id{0}}, {"t", partition_id{1}}});
  auto got = take(c, 200);
  CAF_CHECK_GREATER(fetches_at(2), 0);
  CAF_CHECK_GREATER(fetches_at(3), 0);
  // Partition 0 moves to node 1 (node 2 answers not_leader); node 3, partition 1's leader,
  // dies and node 2 takes it over.
  st->set_leader("t", 0, 1);
  kill(3);
  fence(3);
  st->set_leader("t", 1, 2);
  fs = send_range(p, "t", 0, 100, 100);
  more = send_range(p, "t", 1, 1100, 100);
  CAF_REQUIRE(p.flush(10s));
  require_acked(fs);
  require_acked(more);
  auto later = take(c, 200);
  for (auto& [part, recs] : later)
    got[part].insert(got[part].end(), recs.begin(), recs.end());
  CAF_REQUIRE_EQUAL(got[0].size(), 200u);
  CAF_REQUIRE_EQUAL(got[1].size(), 200u);
  check_contiguous(got[0], 0);
  check_contiguous(got[1], 1000);
  CAF_CHECK_GREATER(fetches_at(1), 0);
  // Nothing more arrives: no record twice.
  auto rest = c.poll(100ms);
  CAF_REQUIRE(rest.ok());
  CAF_CHECK(rest->empty());
}

CAF_TEST(list offsets for a reset goes to the leader) {
  st->add_topic("t", 1);
  st->set_leader("t", 0, 3);
  producer p{conn, fast_producer()};
  auto fs = send_range(p, "t", 0, 0, 10);
  CAF_REQUIRE(p.flush(10s));
  require_acked(fs);
  auto cfg = fast_consumer();
  cfg.auto_offset_reset = offset_reset::latest;
  consumer c{conn, cfg};
  topic_partition tp{"t", partition_id{0}};
  c.assign({tp});
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!c.position(tp) && std::chrono::steady_clock::now() < deadline) {
    auto r = c.poll(20ms);
    CAF_REQUIRE(r.ok());
  }
  int64_t pos = c.position(tp).value_or(offset{-1}).value; // GCC 12: no *optional in CAF_CHECK
  CAF_CHECK_EQUAL(pos, 10);
}

CAF_TEST(admin and group requests move to another broker when the bootstrap dies) {
  st->add_topic("t", 1);
  admin a{conn};
  CAF_REQUIRE(a.list_topics().ok());
  CAF_CHECK_EQUAL(conn->peer(), "node at 10.0.0.1:9001");
  for (int i = 0; i < 500 && conn->learned_brokers().size() < 3; ++i)
    std::this_thread::sleep_for(10ms);
  CAF_REQUIRE_EQUAL(conn->learned_brokers().size(), 3u);
  kill(1);
  fence(1);
  // The request in flight to the dead node fails (it may have been carried out: no blind
  // resend); the next goes to the next broker the metadata named.
  CAF_CHECK(!a.list_topics().ok());
  auto listed = a.list_topics();
  CAF_REQUIRE(listed.ok());
  CAF_CHECK_EQUAL(listed->size(), 1u);
  CAF_CHECK_EQUAL(conn->peer(), "node at 10.0.0.2:9002");
  for (int i = 0; i < 500 && conn->learned_brokers().size() != 2; ++i)
    std::this_thread::sleep_for(10ms); // node 2 names the brokers left: 2 and 3
  // Every node dead: requests fail, and the first broker back is found.
  kill(2);
  kill(3);
  CAF_CHECK(!a.list_topics().ok());
  CAF_CHECK(!a.list_topics().ok());
  start(3);
  CAF_CHECK(a.list_topics().ok());
  CAF_CHECK_EQUAL(conn->peer(), "node at 10.0.0.3:9003");
}

CAF_TEST(an attached node is never replaced) {
  auto node = sys.spawn<test::fake_node>(st, node_id{1});
  auto attached = connection::attach(sys, node, 1s);
  admin a{attached};
  CAF_REQUIRE(a.list_topics().ok());
  caf::anon_send_exit(node, caf::exit_reason::kill);
  CAF_CHECK(!a.list_topics().ok());
  CAF_CHECK(!a.list_topics().ok());
  CAF_CHECK_EQUAL(attached->peer(), "in-process node");
}

CAF_TEST_FIXTURE_SCOPE_END()

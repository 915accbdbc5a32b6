#define CAF_SUITE client.transactions
#include <caf/test/unit_test.hpp>

#include "client/producer.hpp"
#include "tests/client/fake_node.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

struct fixture : test::fake_node_fixture {
  fixture() {
    st->add_topic("t", 2);
    std::lock_guard lock{st->mtx};
    st->coordinator = true;
  }

  producer_config txn_config() {
    producer_config c;
    c.linger = 1ms;
    c.retry_backoff = 1ms;
    c.retry_backoff_max = 5ms;
    c.partitioner_seed = 1;
    c.transactional_id = "tx-1";
    c.max_block = 5s;
    return c;
  }

  std::vector<std::string> events() {
    std::lock_guard lock{st->mtx};
    return st->txn_events;
  }

  status send(producer& p, int partition, const std::string& v) {
    return p.send(producer_record{"t", std::nullopt, v, partition_id{partition}}, {});
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(transaction_tests, fixture)

CAF_TEST(sends outside a transaction are refused) {
  producer p{conn, txn_config()};
  auto st0 = send(p, 0, "early");
  CAF_REQUIRE(!st0);
  CAF_CHECK(st0.err().to_string().find("inside a transaction") != std::string::npos);
  CAF_REQUIRE(p.init_transactions());
  CAF_CHECK(!send(p, 0, "before begin"));
  CAF_CHECK(!p.commit_transaction()); // no transaction open
}

CAF_TEST(a partition is added before its first batch and batches are transactional) {
  producer p{conn, txn_config()};
  CAF_REQUIRE(p.init_transactions());
  CAF_REQUIRE(p.begin_transaction());
  CAF_REQUIRE(send(p, 0, "a"));
  CAF_REQUIRE(send(p, 1, "b"));
  CAF_REQUIRE(send(p, 0, "c"));
  CAF_REQUIRE(p.send_offsets_to_transaction("g", {{"in", partition_id{0}, offset{42}, leader_epoch{-1}, ""}}));
  CAF_REQUIRE(p.commit_transaction());
  auto ev = events();
  CAF_REQUIRE(!ev.empty());
  CAF_CHECK_EQUAL(ev.front(), "init 0");
  CAF_CHECK_EQUAL(ev.back(), "end commit");
  // Each partition's add comes before any of its batches.
  for (auto tp : {"t/0", "t/1"}) {
    auto add = std::find(ev.begin(), ev.end(), std::string{"add "} + tp);
    auto produce = std::find(ev.begin(), ev.end(), std::string{"produce "} + tp);
    CAF_REQUIRE(add != ev.end());
    CAF_REQUIRE(produce != ev.end());
    CAF_CHECK(add < produce);
  }
  CAF_CHECK(std::find(ev.begin(), ev.end(), "offsets g") != ev.end());
  std::lock_guard lock{st->mtx};
  for (auto& h : st->attempts) {
    CAF_CHECK(h.attributes & store::batch_format::attr_transactional);
    CAF_CHECK_EQUAL(h.producer_id, 7);
    CAF_CHECK_EQUAL(h.producer_epoch, 0);
  }
}

CAF_TEST(the next transaction adds its partitions again) {
  producer p{conn, txn_config()};
  CAF_REQUIRE(p.init_transactions());
  for (int i = 0; i < 2; ++i) {
    CAF_REQUIRE(p.begin_transaction());
    CAF_REQUIRE(send(p, 0, "v" + std::to_string(i)));
    CAF_REQUIRE(p.commit_transaction());
  }
  auto ev = events();
  CAF_CHECK_EQUAL(std::count(ev.begin(), ev.end(), "add t/0"), 2);
  CAF_CHECK_EQUAL(std::count(ev.begin(), ev.end(), "end commit"), 2);
}

CAF_TEST(concurrent transactions on add and a coordinator away at end are retried) {
  {
    std::lock_guard lock{st->mtx};
    st->refuse_next_adds = 3;
    st->refuse_next_ends = 2;
  }
  producer p{conn, txn_config()};
  CAF_REQUIRE(p.init_transactions());
  CAF_REQUIRE(p.begin_transaction());
  CAF_REQUIRE(send(p, 1, "x"));
  CAF_REQUIRE(p.commit_transaction());
  auto ev = events();
  CAF_CHECK_EQUAL(ev.back(), "end commit");
  CAF_CHECK(std::find(ev.begin(), ev.end(), "produce t/1") != ev.end());
}

CAF_TEST(a failed record makes the transaction abortable and abort recovers with a new epoch) {
  producer p{conn, txn_config()};
  CAF_REQUIRE(p.init_transactions());
  CAF_REQUIRE(p.begin_transaction());
  {
    std::lock_guard lock{st->mtx};
    st->fail_next_produces = 1;
    st->fail_code = schema::errc::record_too_large; // not retriable
  }
  CAF_REQUIRE(send(p, 0, "doomed"));
  auto commit = p.commit_transaction();
  CAF_REQUIRE(!commit);
  CAF_CHECK(commit.err().to_string().find("abort it") != std::string::npos);
  CAF_REQUIRE(p.abort_transaction());
  // The failed batch left a sequence gap: the abort re-registered for a new epoch.
  CAF_REQUIRE(p.begin_transaction());
  CAF_REQUIRE(send(p, 0, "again"));
  CAF_REQUIRE(p.commit_transaction());
  auto ev = events();
  CAF_CHECK(std::find(ev.begin(), ev.end(), "end abort") != ev.end());
  CAF_CHECK(std::find(ev.begin(), ev.end(), "init 1") != ev.end());
  std::lock_guard lock{st->mtx};
  CAF_CHECK_EQUAL(st->attempts.back().producer_epoch, 1);
  CAF_CHECK_EQUAL(st->attempts.back().base_sequence, 0);
}

CAF_TEST(an id its coordinator removed is aborted by registering it again) {
  producer p{conn, txn_config()};
  CAF_REQUIRE(p.init_transactions());
  {
    std::lock_guard lock{st->mtx};
    st->txn_id_expired = true; // idle past transactional.id.expiration.ms
  }
  CAF_REQUIRE(p.begin_transaction());
  CAF_REQUIRE(send(p, 0, "refused"));
  auto commit = p.commit_transaction();
  CAF_REQUIRE(!commit);
  CAF_CHECK_EQUAL(commit.err().server, schema::errc::transactional_id_not_found);
  CAF_REQUIRE(p.abort_transaction()); // nothing to abort there: registered again
  CAF_REQUIRE(p.begin_transaction());
  CAF_REQUIRE(send(p, 0, "after"));
  CAF_REQUIRE(p.commit_transaction());
  auto ev = events();
  CAF_CHECK(std::find(ev.begin(), ev.end(), "init 1") != ev.end());
  CAF_CHECK(std::find(ev.begin(), ev.end(), "end commit") != ev.end());
  CAF_CHECK(std::find(ev.begin(), ev.end(), "end abort") == ev.end());
}

CAF_TEST(a producer fenced by a newer instance fails every call) {
  producer old{conn, txn_config()};
  CAF_REQUIRE(old.init_transactions());
  producer newer{conn, txn_config()};
  CAF_REQUIRE(newer.init_transactions()); // epoch 1 fences epoch 0
  CAF_REQUIRE(old.begin_transaction());
  CAF_REQUIRE(send(old, 0, "zombie"));
  auto commit = old.commit_transaction();
  CAF_REQUIRE(!commit);
  CAF_CHECK_EQUAL(commit.err().server, schema::errc::invalid_producer_epoch);
  CAF_CHECK(!old.begin_transaction());
  CAF_CHECK(!send(old, 0, "after"));
  CAF_CHECK(!old.abort_transaction());
  auto ev = events();
  CAF_CHECK(std::find(ev.begin(), ev.end(), "produce t/0") == ev.end());
}

CAF_TEST(a producer without a transactional id refuses the transactional calls) {
  producer_config c = txn_config();
  c.transactional_id.clear();
  producer p{conn, c};
  CAF_CHECK(!p.init_transactions());
  CAF_CHECK(!p.begin_transaction());
  CAF_CHECK(send(p, 0, "plain")); // and sends as before
  p.flush();
}

CAF_TEST(a transactional producer needs acks all) {
  producer_config c = txn_config();
  c.acks = schema::acks::leader;
  producer p{conn, c};
  auto st0 = p.init_transactions();
  CAF_REQUIRE(!st0);
  CAF_CHECK(st0.err().to_string().find("acks=all") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

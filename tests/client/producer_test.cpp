#define CAF_SUITE client.producer
#include <caf/test/unit_test.hpp>

#include "client/murmur2.hpp"
#include "client/producer.hpp"
#include "tests/client/fake_node.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

struct fixture : test::fake_node_fixture {
  producer_config fast() {
    producer_config c;
    c.linger = 1ms;
    c.retry_backoff = 1ms;
    c.retry_backoff_max = 5ms;
    c.partitioner_seed = 1;
    return c;
  }
};

delivery_report wait(std::future<delivery_report>& f) {
  if (f.wait_for(10s) != std::future_status::ready)
    CAF_FAIL("delivery did not complete");
  return f.get();
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(producer_tests, fixture)

CAF_TEST(futures resolve with base offset plus index in batch) {
  st->add_topic("t", 1);
  auto cfg = fast();
  cfg.linger = 1h; // one batch, sent by flush
  producer p{conn, cfg};
  std::vector<std::future<delivery_report>> fs;
  for (int i = 0; i < 10; ++i) {
    auto v = "value-" + std::to_string(i);
    fs.push_back(p.send(producer_record{"t", std::nullopt, v}));
  }
  p.flush();
  CAF_CHECK_EQUAL(st->produce_requests, 1);
  for (int i = 0; i < 10; ++i) {
    auto r = wait(fs[static_cast<size_t>(i)]);
    CAF_CHECK(r.ok());
    CAF_CHECK_EQUAL(r.off.value, i);
    CAF_CHECK_EQUAL(r.partition.value, 0);
  }
  // The next batch continues where the log ends.
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"x"}});
  p.flush();
  CAF_CHECK_EQUAL(wait(f).off.value, 10);
}

CAF_TEST(a lingering batch goes out without flush) {
  st->add_topic("t", 1);
  auto cfg = fast();
  cfg.linger = 20ms;
  producer p{conn, cfg};
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  CAF_CHECK_EQUAL(wait(f).off.value, 0); // no flush: the linger timer sent it
  CAF_CHECK_EQUAL(st->produce_requests, 1);
}

CAF_TEST(callbacks see every record once) {
  st->add_topic("t", 3);
  producer_config cfg = fast();
  cfg.batch_bytes = 1024;
  producer p{conn, cfg};
  std::atomic<int> ok{0}, failed{0};
  std::string value(100, 'x');
  for (int i = 0; i < 500; ++i) {
    auto st2 = p.send(producer_record{"t", std::nullopt, value},
                      [&](const delivery_report& r) { (r.ok() ? ok : failed)++; });
    CAF_REQUIRE(st2.ok());
  }
  p.flush();
  CAF_CHECK_EQUAL(ok.load(), 500);
  CAF_CHECK_EQUAL(p.stats().acked_records, 500u);
  CAF_CHECK_EQUAL(p.stats().failed_records, 0u);
  CAF_CHECK_EQUAL(failed.load(), 0);
  CAF_CHECK_EQUAL(st->records_in("t", 0) + st->records_in("t", 1) + st->records_in("t", 2), 500u);
  // batch.size bounded the batches: far more than one request.
  CAF_CHECK_GREATER(st->produce_requests, 10);
}

CAF_TEST(keyed records land on the murmur2 partition) {
  st->add_topic("k", 5);
  producer p{conn, fast()};
  for (std::string key : {"21", "foobar", "abc", "user-17", "user-18"}) {
    auto f = p.send(producer_record{"k", std::string_view{key}, std::string_view{"v"}});
    p.flush();
    auto r = wait(f);
    CAF_CHECK(r.ok());
    CAF_CHECK_EQUAL(r.partition, key_partition(key, 5));
  }
}

CAF_TEST(explicit partition wins and is range checked) {
  st->add_topic("t", 2);
  producer p{conn, fast()};
  auto f = p.send(producer_record{"t", std::string_view{"21"}, std::string_view{"v"}, partition_id{1}});
  p.flush();
  CAF_CHECK_EQUAL(wait(f).partition.value, 1);
  auto bad = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}, partition_id{2}}, nullptr);
  CAF_REQUIRE(!bad.ok());
  CAF_CHECK(bad.err().code == errc::invalid_argument);
}

CAF_TEST(unknown topic is refused at send) {
  producer p{conn, fast()};
  auto s = p.send(producer_record{"nope", std::nullopt, std::string_view{"v"}}, nullptr);
  CAF_REQUIRE(!s.ok());
  CAF_CHECK(s.err().server == schema::errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(s.err().message, "unknown topic 'nope'");
  auto f = p.send(producer_record{"nope", std::nullopt, std::string_view{"v"}});
  CAF_CHECK(!wait(f).ok());
}

CAF_TEST(retriable errors are retried) {
  st->add_topic("t", 1);
  st->fail_next_produces = 3;
  st->fail_code = schema::errc::not_leader;
  producer p{conn, fast()};
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  p.flush();
  auto r = wait(f);
  CAF_CHECK(r.ok());
  CAF_CHECK_EQUAL(r.off.value, 0);
  CAF_CHECK_EQUAL(st->produce_requests, 4);
}

namespace {

// The values of partition 0 of `topic` in log order.
std::vector<std::string> log_values(test::fake_state& st, const std::string& topic) {
  std::lock_guard lock{st.mtx};
  std::vector<std::string> out;
  for (auto& b : st.topics.at(topic)[0].batches) {
    store::record_reader records{store::bytes_view{b.data(), b.size()}};
    store::record_view r;
    while (records.next(r))
      out.emplace_back(r.value.value_or(""));
  }
  return out;
}

} // namespace

// The first request fails retriably while later ones of the same partition are in flight and
// go through: with max.in.flight 1 none is in flight, so the retry lands first (Kafka's order
// guarantee without idempotence); with more in flight the retried batch lands after them.
CAF_TEST(max in flight one keeps a partition in send order through retries) {
  for (size_t in_flight : {size_t{1}, size_t{16}}) {
    auto topic = "o" + std::to_string(in_flight);
    st->add_topic(topic, 1);
    {
      std::lock_guard lock{st->mtx};
      st->fail_next_produces = 1;
      st->fail_code = schema::errc::not_leader;
      // With 16 in flight the control must see a reordering however this machine schedules
      // the producer's threads: the failure is answered only once the next batch has landed.
      st->hold_failure_until_next_produce = in_flight > 1;
    }
    auto cfg = fast();
    cfg.max_in_flight = in_flight;
    cfg.batch_bytes = 1024; // a few records per batch: many batches, many requests
    cfg.linger = 1h; // every batch is ready when flush() runs
    cfg.retry_backoff = 20ms;
    producer p{conn, cfg};
    std::vector<std::string> sent;
    sent.reserve(200);
    std::vector<std::future<delivery_report>> acks;
    for (int i = 0; i < 200; ++i) {
      sent.push_back("value-" + std::to_string(1000 + i) + std::string(80, 'x'));
      acks.push_back(p.send(producer_record{.topic = topic, .value = sent.back(), .partition = partition_id{0}}));
    }
    p.flush();
    for (auto& f : acks)
      CAF_REQUIRE(wait(f).ok());
    auto got = log_values(*st, topic);
    CAF_REQUIRE_EQUAL(got.size(), sent.size());
    if (in_flight == 1)
      CAF_CHECK(got == sent);
    else
      CAF_CHECK(got != sent); // the control: the check above can see a reordering
  }
}

CAF_TEST(non retriable errors fail the records) {
  st->add_topic("t", 1);
  st->fail_next_produces = 1;
  st->fail_code = schema::errc::record_too_large;
  producer p{conn, fast()};
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  p.flush();
  auto r = wait(f);
  CAF_CHECK(!r.ok());
  CAF_CHECK(r.error.server == schema::errc::record_too_large);
  CAF_CHECK_EQUAL(r.off.value, -1);
  CAF_CHECK_EQUAL(st->produce_requests, 1);
  CAF_CHECK_EQUAL(p.stats().failed_records, 1u);
  CAF_CHECK(p.stats().last_error.server == schema::errc::record_too_large);
}

CAF_TEST(retries stop at the retry limit) {
  st->add_topic("t", 1);
  st->fail_next_produces = 100;
  auto cfg = fast();
  cfg.retries = 2;
  producer p{conn, cfg};
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  p.flush();
  auto r = wait(f);
  CAF_CHECK(r.error.server == schema::errc::not_leader);
  CAF_CHECK_EQUAL(st->produce_requests, 3);
}

CAF_TEST(an error response fails the request) {
  st->add_topic("t", 1);
  st->answer_error_response = true;
  producer p{conn, fast()};
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  p.flush();
  auto r = wait(f);
  CAF_CHECK(!r.ok());
  CAF_CHECK(r.error.server == schema::errc::corrupt_message);
  CAF_CHECK(r.error.message.find("node refused the request") != std::string::npos);
}

CAF_TEST(acks zero reports no offsets) {
  st->add_topic("t", 1);
  auto cfg = fast();
  cfg.acks = schema::acks::none;
  producer p{conn, cfg};
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  p.flush();
  auto r = wait(f);
  CAF_CHECK(r.ok());
  CAF_CHECK_EQUAL(r.off.value, -1);
  CAF_CHECK_EQUAL(st->records_in("t", 0), 1u);
}

CAF_TEST(one request carries batches of several partitions) {
  st->add_topic("t", 4);
  auto cfg = fast();
  cfg.linger = 1h;
  producer p{conn, cfg};
  for (int i = 0; i < 4; ++i)
    CAF_REQUIRE(p.send(producer_record{"t", std::nullopt, std::string_view{"v"}, partition_id{i}}, nullptr).ok());
  p.flush();
  CAF_CHECK_EQUAL(st->produce_requests, 1);
  CAF_CHECK_EQUAL(st->batches_per_request.at(0), 4);
}

CAF_TEST(a full buffer blocks then fails clearly) {
  st->add_topic("t", 1);
  st->fail_next_produces = 1000000; // batches keep failing retriably: memory stays taken
  auto cfg = fast();
  cfg.batch_bytes = 1024;
  cfg.buffer_bytes = 4096;
  cfg.max_block = 50ms;
  cfg.retry_backoff = 20ms;
  cfg.delivery_timeout = 300ms;
  producer p{conn, cfg};
  std::string value(200, 'x');
  status last;
  int accepted = 0;
  for (int i = 0; i < 1000 && last.ok(); ++i) {
    last = p.send(producer_record{"t", std::nullopt, value}, nullptr);
    accepted += last.ok();
  }
  CAF_REQUIRE(!last.ok());
  CAF_CHECK(last.err().code == errc::buffer_full);
  CAF_CHECK_LESS(accepted, 50);
  p.flush(); // returns once the delivery timeout failed them
  st->fail_next_produces = 0;
  auto f = p.send(producer_record{"t", std::nullopt, value});
  p.flush();
  CAF_CHECK(wait(f).ok());
}

CAF_TEST(close with a timeout fails what is still pending) {
  st->add_topic("t", 1);
  st->fail_next_produces = 1000000;
  auto cfg = fast();
  cfg.retry_backoff = 50ms;
  cfg.retry_backoff_max = 50ms;
  producer p{conn, cfg};
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  CAF_CHECK(!p.flush(20ms));
  p.close(0ms);
  auto r = wait(f);
  CAF_CHECK(r.error.code == errc::closed);
}

CAF_TEST(a node that goes away fails the records) {
  st->add_topic("t", 1);
  producer p{conn, fast()};
  auto first = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  p.flush();
  CAF_CHECK(wait(first).ok());
  caf::anon_send_exit(node, caf::exit_reason::kill);
  std::this_thread::sleep_for(50ms); // the down message reaches the sender
  auto f = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}});
  p.flush();
  auto r = wait(f);
  CAF_CHECK(r.error.code == errc::unreachable);
}

CAF_TEST(closed producer refuses sends) {
  st->add_topic("t", 1);
  producer p{conn, fast()};
  p.close();
  auto s = p.send(producer_record{"t", std::nullopt, std::string_view{"v"}}, nullptr);
  CAF_REQUIRE(!s.ok());
  CAF_CHECK(s.err().code == errc::closed);
}

CAF_TEST(an idempotent producer numbers the batches of each partition from 0) {
  st->add_topic("t", 2);
  auto cfg = fast();
  cfg.linger = 1h;
  producer p{conn, cfg};
  CAF_REQUIRE(cfg.idempotent()); // the default: acks=all with idempotence
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i)
      (void) p.send(producer_record{.topic = "t", .value = std::string_view{"v"}, .partition = partition_id{0}});
    (void) p.send(producer_record{.topic = "t", .value = std::string_view{"w"}, .partition = partition_id{1}});
    CAF_REQUIRE(p.flush(10s));
  }
  std::lock_guard lock{st->mtx};
  CAF_CHECK_EQUAL(st->init_producer_id_requests, 1);
  std::map<int32_t, std::vector<int32_t>> seqs; // by record count: partition 0 has 4, 1 has 1
  for (auto& h : st->attempts) {
    CAF_CHECK_EQUAL(h.producer_id, 1000);
    CAF_CHECK_EQUAL(h.producer_epoch, 0);
    seqs[static_cast<int32_t>(h.record_count)].push_back(h.base_sequence);
  }
  CAF_CHECK_EQUAL(seqs[4], (std::vector<int32_t>{0, 4, 8}));
  CAF_CHECK_EQUAL(seqs[1], (std::vector<int32_t>{0, 1, 2}));
}

CAF_TEST(a retried batch keeps its producer id and sequence) {
  st->add_topic("t", 1);
  st->fail_next_produces = 2;
  st->fail_code = schema::errc::not_leader;
  auto cfg = fast();
  producer p{conn, cfg};
  auto f = p.send(producer_record{.topic = "t", .value = std::string_view{"v"}});
  CAF_CHECK(wait(f).ok());
  auto g = p.send(producer_record{.topic = "t", .value = std::string_view{"w"}});
  CAF_CHECK(wait(g).ok());
  std::lock_guard lock{st->mtx};
  CAF_REQUIRE_EQUAL(st->attempts.size(), 4u);
  for (int i = 0; i < 3; ++i)
    CAF_CHECK_EQUAL(st->attempts[static_cast<size_t>(i)].base_sequence, 0);
  CAF_CHECK_EQUAL(st->attempts[3].base_sequence, 1);
}

// A broker that restarted answers for its topics before it serves them again (Kafka's
// UNKNOWN_TOPIC_OR_PARTITION and KAFKA_STORAGE_ERROR are retriable too).
CAF_TEST(a leader that does not serve the topic yet is retried) {
  for (auto code : {schema::errc::unknown_topic_or_partition, schema::errc::storage_error}) {
    st->add_topic("t", 1);
    st->fail_next_produces = 2;
    st->fail_code = code;
    producer p{conn, fast()};
    auto f = p.send(producer_record{.topic = "t", .value = std::string_view{"v"}});
    p.flush();
    CAF_CHECK(wait(f).ok());
    CAF_CHECK_EQUAL(p.stats().failed_records, 0u);
  }
}

CAF_TEST(out of order sequence is retried) {
  st->add_topic("t", 1);
  st->fail_next_produces = 1;
  st->fail_code = schema::errc::out_of_order_sequence;
  producer p{conn, fast()};
  auto f = p.send(producer_record{.topic = "t", .value = std::string_view{"v"}});
  CAF_CHECK(wait(f).ok());
}

CAF_TEST(acks 1 turns idempotence off) {
  st->add_topic("t", 1);
  auto cfg = fast();
  cfg.acks = schema::acks::leader;
  CAF_CHECK(!cfg.idempotent());
  producer p{conn, cfg};
  auto f = p.send(producer_record{.topic = "t", .value = std::string_view{"v"}});
  CAF_CHECK(wait(f).ok());
  std::lock_guard lock{st->mtx};
  CAF_CHECK_EQUAL(st->init_producer_id_requests, 0);
  CAF_REQUIRE_EQUAL(st->attempts.size(), 1u);
  CAF_CHECK_EQUAL(st->attempts[0].producer_id, -1);
  CAF_CHECK_EQUAL(st->attempts[0].base_sequence, -1);
}

CAF_TEST(a batch that fails for good bumps the epoch and restarts the sequences) {
  st->add_topic("t", 1);
  st->fail_next_produces = 1;
  st->fail_code = schema::errc::corrupt_message; // not retriable
  producer p{conn, fast()};
  auto f = p.send(producer_record{.topic = "t", .value = std::string_view{"v"}});
  CAF_CHECK(!wait(f).ok());
  auto g = p.send(producer_record{.topic = "t", .value = std::string_view{"w"}});
  CAF_CHECK(wait(g).ok());
  std::lock_guard lock{st->mtx};
  CAF_REQUIRE_EQUAL(st->attempts.size(), 2u);
  CAF_CHECK_EQUAL(st->attempts[1].producer_epoch, 1);
  CAF_CHECK_EQUAL(st->attempts[1].base_sequence, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()

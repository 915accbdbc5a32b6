#define CAF_SUITE client.retry_consumer
#include <caf/test/unit_test.hpp>

#include "client/consumer.hpp"
#include "client/producer.hpp"
#include "client/retry_forwarder.hpp"
#include "client/retry_headers.hpp"
#include "filter/filter_expr.hpp"
#include "tests/client/fake_node.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

// The consumer's retry path against a fake node (tests/client/fake_node.hpp): nack moves a
// record through the retry topics to the dead-letter topic with its history in sluice.*
// headers, a record not yet due is not returned, and a nack's offset stays pending (commits
// below it) until its produce is acknowledged.

namespace {

struct seen {
  topic_partition tp;
  int64_t off = 0;
  std::string key;
  std::string value;
  std::optional<retry_info> info;
};

struct fixture : test::fake_node_fixture {
  const topic_partition src{"t", partition_id{1}};

  fixture() { st->add_topic("t", 2); }

  // Records "k<i>" -> "v<i>" for i in [0, n) to t/1.
  void produce(int n) {
    producer p{conn};
    for (int i = 0; i < n; ++i) {
      auto k = "k" + std::to_string(i);
      auto v = "v" + std::to_string(i);
      std::vector<store::record_header> own{{"trace", k}};
      CAF_REQUIRE(p.send(producer_record{src.topic, k, v, src.partition, no_timestamp, own}, nullptr).ok());
    }
    CAF_REQUIRE(p.flush(5s));
  }

  consumer_config config(std::vector<std::chrono::milliseconds> backoffs, int32_t max_attempts) {
    consumer_config c;
    c.group_id = "g";
    c.fetch_max_wait = 20ms;
    c.retry_backoff = 5ms;
    c.retry = {std::move(backoffs), max_attempts};
    return c;
  }

  // Waits (bounded) until `topic`/1 holds `n` records.
  void await_records(const std::string& topic, size_t n) {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock{st->mtx};
        if (st->topics.count(topic) && st->topics[topic].size() > 1 && st->topics[topic][1].log_end.value >= static_cast<int64_t>(n))
          return;
      }
      std::this_thread::sleep_for(10ms);
    }
    CAF_FAIL(topic << "/1 did not get " << n << " records");
  }
};

// Polls until `n` records arrived (at most 5 s); with `nack`, nacks each with `why`.
std::vector<seen> take(consumer& c, size_t n, const char* why = nullptr) {
  std::vector<seen> out;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  std::vector<store::record_header> headers;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto recs = c.poll(50ms);
    if (!recs)
      CAF_FAIL("poll: " << recs.err().to_string());
    recs->for_each([&](const topic_partition& tp, const store::record_view& r) {
      headers.clear();
      CAF_REQUIRE(store::decode_headers(r, headers));
      auto info = decode_retry_info(headers);
      CAF_REQUIRE(info);
      out.push_back({tp, r.off.value, std::string{*r.key}, std::string{*r.value}, *info});
      if (why)
        CAF_REQUIRE(c.nack(tp, r, why));
    });
  }
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(retry_consumer_tests, fixture)

CAF_TEST(nacks go through every retry level to the dead-letter topic) {
  produce(3);
  consumer c{conn, config({0ms, 0ms}, 3)};
  c.assign({src});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto first = take(c, 3);
  CAF_REQUIRE_EQUAL(first.size(), 3u);
  CAF_REQUIRE(!first[1].info); // a source record has no history
  // Only v1 fails; the topics appear with the source's partition count.
  {
    CAF_REQUIRE(c.seek(src, offset{1}).ok());
    auto again = c.poll(1s);
    CAF_REQUIRE(again);
    bool nacked = false;
    again->for_each([&](const topic_partition& tp, const store::record_view& r) {
      if (r.off.value == 1) {
        CAF_REQUIRE(c.nack(tp, r, "attempt 1 failed"));
        nacked = true;
      }
    });
    CAF_REQUIRE(nacked);
  }
  for (auto t : {"g.t.retry-1", "g.t.retry-2", "g.t.dlq"}) {
    std::lock_guard lock{st->mtx};
    CAF_REQUIRE(st->topics.count(t));
    CAF_CHECK_EQUAL(st->topics[t].size(), 2u);
  }
  {
    std::lock_guard lock{st->mtx};
    CAF_CHECK(!st->topics.count("g.t.retry-3"));
  }
  await_records("g.t.retry-1", 1);
  const topic_partition r1{"g.t.retry-1", partition_id{1}}, r2{"g.t.retry-2", partition_id{1}},
    dlq{"g.t.dlq", partition_id{1}};
  c.assign({r1, r2, dlq});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto second = take(c, 1, "attempt 2 failed");
  CAF_REQUIRE_EQUAL(second.size(), 1u);
  CAF_CHECK(second[0].tp == r1);
  CAF_CHECK_EQUAL(second[0].key, "k1"); // key and value kept: same partition, same order
  CAF_CHECK_EQUAL(second[0].value, "v1");
  CAF_REQUIRE(second[0].info);
  CAF_CHECK_EQUAL(second[0].info->original_topic, "t");
  CAF_CHECK_EQUAL(second[0].info->original_partition.value, 1);
  CAF_CHECK_EQUAL(second[0].info->original_offset.value, 1);
  CAF_CHECK_EQUAL(second[0].info->attempts, 1);
  CAF_CHECK_EQUAL(second[0].info->error, "attempt 1 failed");
  auto third = take(c, 1, "attempt 3 failed");
  CAF_REQUIRE_EQUAL(third.size(), 1u);
  CAF_CHECK(third[0].tp == r2);
  CAF_CHECK_EQUAL(third[0].info->attempts, 2);
  CAF_CHECK_EQUAL(third[0].info->first_failure, second[0].info->first_failure);
  auto dead = take(c, 1);
  CAF_REQUIRE_EQUAL(dead.size(), 1u);
  CAF_CHECK(dead[0].tp == dlq);
  CAF_CHECK_EQUAL(dead[0].value, "v1");
  CAF_CHECK_EQUAL(dead[0].info->attempts, 3);
  CAF_CHECK_EQUAL(dead[0].info->error, "attempt 3 failed");
  CAF_CHECK_EQUAL(dead[0].info->original_offset.value, 1);
  // Nothing else went anywhere.
  CAF_CHECK_EQUAL(st->records_in("g.t.retry-1", 1), 1u);
  CAF_CHECK_EQUAL(st->records_in("g.t.retry-2", 1), 1u);
  CAF_CHECK_EQUAL(st->records_in("g.t.dlq", 1), 1u);
  CAF_CHECK_EQUAL(st->records_in("g.t.dlq", 0), 0u);
}

CAF_TEST(a retry record is not returned before it is due) {
  produce(2);
  consumer c{conn, config({60s}, 2)};
  c.assign({src});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  CAF_REQUIRE_EQUAL(take(c, 2, "later").size(), 2u);
  await_records("g.t.retry-1", 2);
  const topic_partition r1{"g.t.retry-1", partition_id{1}};
  // Another member of g, which assigns the retry topic itself (nothing nacked, nothing subscribed).
  c.close();
  consumer d{conn, config({60s}, 2)};
  d.assign({r1});
  CAF_REQUIRE(d.seek_to_beginning().ok());
  // Due in a minute: five polls return nothing and the position stays at the held record.
  // Until a fetch found the record and held the partition there (the position is known).
  result<consumer_records> recs = consumer_records{};
  for (int i = 0; i < 50 && !d.position(r1); ++i) {
    recs = d.poll(100ms);
    CAF_REQUIRE(recs);
    CAF_CHECK(recs->empty());
  }
  CAF_REQUIRE(d.position(r1));
  auto fetches_before = [&] {
    std::lock_guard lock{st->mtx};
    return st->fetch_requests_at[1];
  }();
  for (int i = 0; i < 5; ++i) {
    recs = d.poll(100ms);
    CAF_REQUIRE(recs);
    CAF_CHECK(recs->empty());
  }
  CAF_CHECK_EQUAL(d.position(r1).value_or(offset{-1}).value, 0);
  // Held means not fetched: no request went out while the polls waited (at most one that was
  // already on its way).
  std::lock_guard lock{st->mtx};
  CAF_CHECK_LESS_OR_EQUAL(st->fetch_requests_at[1] - fetches_before, 1);
}

CAF_TEST(a due retry record is returned at once) {
  produce(1);
  consumer c{conn, config({0ms}, 2)};
  c.assign({src});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  CAF_REQUIRE_EQUAL(take(c, 1, "now").size(), 1u);
  await_records("g.t.retry-1", 1);
  c.assign({{"g.t.retry-1", partition_id{1}}});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto got = take(c, 1);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].value, "v0");
}

CAF_TEST(nack needs a policy and the policy a group) {
  produce(1);
  consumer_config off;
  consumer plain{conn, off};
  plain.assign({src});
  CAF_REQUIRE(plain.seek_to_beginning().ok());
  auto recs = plain.poll(2s);
  CAF_REQUIRE(recs);
  CAF_REQUIRE(!recs->empty());
  recs->for_each([&](const topic_partition& tp, const store::record_view& r) {
    auto st = plain.nack(tp, r, "x");
    CAF_REQUIRE(!st);
    CAF_CHECK(st.err().message.find("needs a retry policy") != std::string::npos);
  });
  auto no_group = config({1s}, 2);
  no_group.group_id.clear();
  consumer c{conn, no_group};
  auto p = c.poll(10ms);
  CAF_REQUIRE(!p);
  CAF_CHECK(p.err().message.find("needs a group id") != std::string::npos);
  auto bad = config({}, 3);
  consumer d{conn, bad};
  CAF_CHECK(!d.subscribe({"t"}));
}

CAF_TEST(a nack pends until its produce is acknowledged and commits stay below it) {
  produce(4);
  retry_forwarder f{conn, "g", retry_policy{{0ms}, 3}};
  CAF_REQUIRE(f.prepare("t"));
  consumer c{conn, config({0ms}, 3)};
  c.assign({src});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto recs = c.poll(2s);
  CAF_REQUIRE(recs);
  {
    std::lock_guard lock{st->mtx};
    st->fail_code = schema::errc::not_enough_replicas; // retriable: the producer sends again
    st->fail_next_produces = 4;
  }
  recs->for_each([&](const topic_partition& tp, const store::record_view& r) {
    if (r.off.value == 2)
      CAF_REQUIRE(f.nack(tp, r, "x", timestamp_ms{1}));
  });
  // The first produce is refused, so the nack of offset 2 is still pending here.
  offset_map commit{{src, offset{4}}, {{"t", partition_id{0}}, offset{9}}};
  f.clamp(commit);
  CAF_CHECK_EQUAL(commit[src].value, 2);
  CAF_CHECK_EQUAL((commit[{"t", partition_id{0}}].value), 9);
  CAF_CHECK_EQUAL(f.pending(), 1u);
  CAF_REQUIRE(f.flush(10s));
  CAF_CHECK_EQUAL(f.pending(), 0u);
  offset_map after{{src, offset{4}}};
  f.clamp(after);
  CAF_CHECK_EQUAL(after[src].value, 4);
  CAF_CHECK(!f.take_failure());
  // A produce that finally fails: reported once, and the offset stays pending.
  {
    std::lock_guard lock{st->mtx};
    st->fail_code = schema::errc::corrupt_message;
    st->fail_next_produces = 1;
  }
  recs->for_each([&](const topic_partition& tp, const store::record_view& r) {
    if (r.off.value == 3)
      CAF_REQUIRE(f.nack(tp, r, "y", timestamp_ms{1}));
  });
  (void)f.flush(10s);
  auto failure = f.take_failure();
  CAF_REQUIRE(failure);
  CAF_CHECK(failure->message.find("offset 3 to g.t.retry-1") != std::string::npos);
  CAF_CHECK(!f.take_failure());
  offset_map stuck{{src, offset{4}}};
  f.clamp(stuck);
  CAF_CHECK_EQUAL(stuck[src].value, 3);
}

CAF_TEST_FIXTURE_SCOPE_END()

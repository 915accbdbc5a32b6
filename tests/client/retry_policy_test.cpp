#define CAF_SUITE client.retry_policy
#include <caf/test/unit_test.hpp>

#include "client/retry_headers.hpp"
#include "client/retry_hold.hpp"
#include "client/retry_policy.hpp"
#include "filter/filter_expr.hpp"

#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

retry_policy policy(std::vector<std::chrono::milliseconds> backoffs, int32_t max_attempts) {
  return retry_policy{std::move(backoffs), max_attempts};
}

void check_invalid(const retry_policy& p, const std::string& what) {
  auto st = validate(p);
  CAF_REQUIRE(!st);
  CAF_CHECK(st.err().code == errc::invalid_argument);
  if (st.err().message.find(what) == std::string::npos)
    CAF_FAIL("'" << st.err().message << "' does not mention '" << what << "'");
}

} // namespace

CAF_TEST(validation) {
  CAF_CHECK(validate(retry_policy{}));                // off
  CAF_CHECK(validate(policy({}, 1)));                 // straight to the dead-letter topic
  CAF_CHECK(validate(policy({1s, 5s, 30s}, 4)));
  CAF_CHECK(validate(policy({0ms}, 100)));
  check_invalid(policy({1s}, -1), "max attempts");
  check_invalid(policy({1s}, 101), "max attempts");
  check_invalid(policy({}, 2), "needs at least one retry backoff");
  check_invalid(policy({-1ms}, 3), "retry backoff -1 ms");
  check_invalid(policy({retry_backoff_limit + 1ms}, 3), "retry backoff");
  check_invalid(policy(std::vector<std::chrono::milliseconds>(33, 1ms), 3), "at most 32");
}

CAF_TEST(levels and topic names) {
  CAF_CHECK_EQUAL(retry_levels(retry_policy{}), 0);
  CAF_CHECK_EQUAL(retry_levels(policy({1s, 5s, 30s}, 1)), 0);
  CAF_CHECK_EQUAL(retry_levels(policy({1s, 5s, 30s}, 3)), 2); // two retries: two levels
  CAF_CHECK_EQUAL(retry_levels(policy({1s, 5s, 30s}, 4)), 3);
  CAF_CHECK_EQUAL(retry_levels(policy({1s, 5s, 30s}, 9)), 3); // the last level is reused
  CAF_CHECK_EQUAL(retry_topic_name("g", "orders", 2), "g.orders.retry-2");
  CAF_CHECK_EQUAL(dead_letter_topic_name("g", "orders"), "g.orders.dlq");
  auto ref = parse_retry_topic("g", "g.orders.retry-12");
  CAF_REQUIRE(ref);
  CAF_CHECK_EQUAL(ref->source_topic, "orders");
  CAF_CHECK_EQUAL(ref->level, 12);
  auto dotted = parse_retry_topic("my.group", "my.group.a.b.retry-1"); // dots in group and topic
  CAF_REQUIRE(dotted);
  CAF_CHECK_EQUAL(dotted->source_topic, "a.b");
  for (auto name : {"g.orders", "g.orders.dlq", "h.orders.retry-1", "g.orders.retry-", "g.orders.retry-0",
                    "g.orders.retry-01", "g.orders.retry-1x", "g..retry-1", "g.retry-1", "g"})
    if (parse_retry_topic("g", name))
      CAF_FAIL(name << " parsed as a retry topic of group g");
}

CAF_TEST(names must be legal topic names) {
  auto p = policy({1s}, 3);
  CAF_CHECK(validate_retry_names(p, "workers-1", "orders"));
  auto spaced = validate_retry_names(p, "my group", "orders");
  CAF_REQUIRE(!spaced);
  CAF_CHECK(spaced.err().message.find("outside [a-zA-Z0-9._-]") != std::string::npos);
  auto too_long = validate_retry_names(p, std::string(240, 'g'), "orders");
  CAF_REQUIRE(!too_long);
  CAF_CHECK(too_long.err().message.find("longer than 249") != std::string::npos);
}

CAF_TEST(next destination follows the schedule then dead-letters) {
  auto p = policy({1s, 5s, 30s}, 4);
  const timestamp_ms now{1'000'000};
  auto first = next_destination(p, "g", "orders", 1, now);
  CAF_CHECK_EQUAL(first.topic, "g.orders.retry-1");
  CAF_CHECK(!first.dead_letter);
  CAF_CHECK_EQUAL(first.level, 1);
  CAF_CHECK_EQUAL(first.due.value, 1'001'000);
  auto second = next_destination(p, "g", "orders", 2, now);
  CAF_CHECK_EQUAL(second.topic, "g.orders.retry-2");
  CAF_CHECK_EQUAL(second.due.value, 1'005'000);
  auto third = next_destination(p, "g", "orders", 3, now);
  CAF_CHECK_EQUAL(third.topic, "g.orders.retry-3");
  CAF_CHECK_EQUAL(third.due.value, 1'030'000);
  auto last = next_destination(p, "g", "orders", 4, now);
  CAF_CHECK_EQUAL(last.topic, "g.orders.dlq");
  CAF_CHECK(last.dead_letter);
  CAF_CHECK_EQUAL(last.attempts, 4);
  CAF_CHECK_EQUAL(last.due.value, now.value);
  // More attempts than backoffs: the last level again, with its backoff.
  auto reuse = policy({1s, 5s}, 5);
  CAF_CHECK_EQUAL(next_destination(reuse, "g", "t", 3, now).topic, "g.t.retry-2");
  CAF_CHECK_EQUAL(next_destination(reuse, "g", "t", 4, now).due.value, 1'005'000);
  CAF_CHECK(next_destination(reuse, "g", "t", 5, now).dead_letter);
  // max_attempts 1: the first nack dead-letters.
  CAF_CHECK(next_destination(policy({}, 1), "g", "t", 1, now).dead_letter);
}

CAF_TEST(retry headers round trip and keep the own headers of the record) {
  retry_info info{"orders", partition_id{3}, offset{42}, 2, "boom: no such customer", timestamp_ms{1000},
                  timestamp_ms{6000}};
  std::vector<store::record_header> own{{"tags", "a,b"}, {"sluice.attempts", "1"}, {"trace", "x"}};
  retry_headers h{info, own};
  auto v = h.view();
  CAF_REQUIRE_EQUAL(v.size(), 2u + 7u); // the old sluice.attempts is replaced, not kept
  CAF_CHECK_EQUAL(v[0].key, "tags");
  CAF_CHECK_EQUAL(v[1].key, "trace");
  auto decoded = decode_retry_info(v);
  CAF_REQUIRE(decoded);
  CAF_REQUIRE(decoded->has_value());
  CAF_CHECK(**decoded == info);
  auto plain = without_retry_headers(v);
  CAF_REQUIRE_EQUAL(plain.size(), 2u);
  CAF_CHECK_EQUAL(plain[1].value, "x");
  // No history: nullopt; a broken one: an error naming the header.
  auto none = decode_retry_info(std::span<const store::record_header>{own}.first(1)); // tags only
  CAF_REQUIRE(none);
  CAF_CHECK(!none->has_value());
  std::vector<store::record_header> broken(v.begin(), v.end());
  for (auto& hd : broken)
    if (hd.key == retry_header::original_offset)
      hd.value = "12x";
  auto bad = decode_retry_info(broken);
  CAF_REQUIRE(!bad);
  CAF_CHECK(bad.err().message.find("sluice.original.offset") != std::string::npos);
  std::vector<store::record_header> partial{{"sluice.attempts", "2"}};
  auto missing = decode_retry_info(partial);
  CAF_REQUIRE(!missing);
  CAF_CHECK(missing.err().message.find("sluice.original.topic is missing") != std::string::npos);
}

namespace {

// A retry topic batch at `base`: records due at the given times (-1: no retry headers).
std::vector<std::byte> retry_batch(int64_t base, std::vector<int64_t> dues) {
  store::batch_builder b;
  for (size_t i = 0; i < dues.size(); ++i) {
    auto v = "v" + std::to_string(base + static_cast<int64_t>(i));
    if (dues[i] < 0) {
      b.add(timestamp_ms{1}, std::nullopt, std::string_view{v});
      continue;
    }
    retry_info info{"t", partition_id{0}, offset{7}, 1, "e", timestamp_ms{0}, timestamp_ms{dues[i]}};
    retry_headers h{info, {}};
    b.add(timestamp_ms{1}, std::nullopt, std::string_view{v}, h.view());
  }
  auto bytes = b.finish();
  store::set_base_offset(bytes, offset{base});
  return bytes;
}

fetched_chunk chunk_of(std::initializer_list<std::vector<std::byte>> batches, offset from) {
  store::byte_buffer buf;
  for (auto& p : batches)
    buf.insert(buf.end(), p.begin(), p.end());
  auto c = make_chunk({"g.t.retry-1", partition_id{0}}, 0, std::move(buf), from);
  CAF_REQUIRE(c.ok());
  return std::move(*c);
}

std::vector<int64_t> offsets_of(fetched_chunk c) {
  std::vector<fetched_chunk> v;
  v.push_back(std::move(c));
  consumer_records recs{std::move(v)};
  std::vector<int64_t> out;
  recs.for_each([&](const topic_partition&, const store::record_view& r) { out.push_back(r.off.value); });
  CAF_CHECK_EQUAL(recs.count(), out.size());
  return out;
}

} // namespace

CAF_TEST(records not yet due are held back from the first one on) {
  auto c = chunk_of({retry_batch(0, {100, 200, -1}), retry_batch(3, {300, 400})}, offset{0});
  CAF_CHECK(!first_not_due(c, timestamp_ms{400})); // everything due
  auto hold = first_not_due(c, timestamp_ms{250});
  CAF_REQUIRE(hold);
  CAF_CHECK_EQUAL(hold->at.value, 3);
  CAF_CHECK_EQUAL(hold->due.value, 300);
  cut_chunk(c, hold->at);
  CAF_CHECK_EQUAL(c.next.value, 3);
  CAF_CHECK_EQUAL(c.record_count, 3u);
  CAF_CHECK_EQUAL(offsets_of(c), (std::vector<int64_t>{0, 1, 2}));
}

CAF_TEST(a hold inside a batch and past the position) {
  auto c = chunk_of({retry_batch(10, {100, 200, 300, 400})}, offset{11});
  auto hold = first_not_due(c, timestamp_ms{250});
  CAF_REQUIRE(hold);
  CAF_CHECK_EQUAL(hold->at.value, 12);
  cut_chunk(c, hold->at);
  CAF_CHECK_EQUAL(c.record_count, 1u);
  CAF_CHECK_EQUAL(offsets_of(c), (std::vector<int64_t>{11}));
  // Held at its very first record: nothing left to show.
  auto d = chunk_of({retry_batch(10, {500, 600})}, offset{10});
  auto first = first_not_due(d, timestamp_ms{0});
  CAF_REQUIRE(first);
  CAF_CHECK_EQUAL(first->at.value, 10);
  cut_chunk(d, first->at);
  CAF_CHECK_EQUAL(d.record_count, 0u);
  CAF_CHECK(d.batches.empty());
  CAF_CHECK(offsets_of(std::move(d)).empty());
}

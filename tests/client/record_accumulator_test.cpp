#define CAF_SUITE client.record_accumulator
#include <caf/test/unit_test.hpp>

#include "client/murmur2.hpp"
#include "client/record_accumulator.hpp"
#include "store/batch_format.hpp"

#include <map>
#include <string>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

using acc_t = record_accumulator;

const steady_clock::time_point t0{};
const std::string value100(100, 'v');

acc_t::record rec(std::optional<std::string_view> key = std::nullopt,
                  std::string_view value = value100) {
  return {timestamp_ms{1000}, key, value, {}};
}

acc_t::append_result add(acc_t& acc, acc_t::topic& t, std::optional<int32_t> p,
                         steady_clock::time_point now = t0,
                         std::optional<std::string_view> key = std::nullopt) {
  delivery_callback none;
  std::optional<partition_id> part;
  if (p)
    part = partition_id{*p};
  return acc.append(t, part, rec(key), none, now);
}

uint32_t records_in(const std::vector<producer_batch>& batches) {
  uint32_t n = 0;
  for (auto& b : batches)
    n += b.record_count;
  return n;
}

} // namespace

CAF_TEST(a batch is sealed before a record would take it past batch size) {
  acc_t acc{{1000, 1h, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 1);
  for (int i = 0; i < 25; ++i)
    CAF_REQUIRE(add(acc, t, 0).status == acc_t::outcome::appended);
  CAF_CHECK_GREATER(acc.ready_batches(), 1u);
  auto batches = acc.drain(t0, 100, true);
  CAF_CHECK_EQUAL(records_in(batches), 25u);
  for (auto& b : batches) {
    CAF_CHECK_LESS_OR_EQUAL(b.bytes.size(), 1000u);
    auto h = store::validate_batch(b.bytes);
    CAF_REQUIRE(h.ok());
    CAF_CHECK_EQUAL(h->record_count, b.record_count);
  }
  // Every full batch holds as many records as fit: 8 records of ~110 bytes in 1000.
  CAF_CHECK_EQUAL(batches.front().record_count, 8u);
}

CAF_TEST(a record larger than batch size gets a batch of its own) {
  acc_t acc{{200, 1h, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 1);
  std::string big(500, 'x');
  delivery_callback none;
  CAF_REQUIRE(add(acc, t, 0).status == acc_t::outcome::appended);
  CAF_REQUIRE(acc.append(t, partition_id{0}, rec(std::nullopt, big), none, t0).status
              == acc_t::outcome::appended);
  CAF_REQUIRE(add(acc, t, 0).status == acc_t::outcome::appended);
  auto batches = acc.drain(t0, 10, true);
  CAF_REQUIRE_EQUAL(batches.size(), 3u);
  CAF_CHECK_GREATER(batches[1].bytes.size(), 500u);
}

CAF_TEST(linger holds a batch until it runs out) {
  acc_t acc{{1 << 16, 10ms, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 1);
  auto r = add(acc, t, 0, t0);
  CAF_CHECK(r.wake_sender); // a new batch starts its linger clock
  CAF_CHECK(!add(acc, t, 0, t0 + 1ms).wake_sender);
  CAF_CHECK(acc.next_linger_deadline() == t0 + 10ms);
  CAF_CHECK(acc.drain(t0 + 9ms, 10, false).empty());
  auto batches = acc.drain(t0 + 10ms, 10, false);
  CAF_REQUIRE_EQUAL(batches.size(), 1u);
  CAF_CHECK_EQUAL(batches[0].record_count, 2u);
  CAF_CHECK(batches[0].created == t0);
  CAF_CHECK(!acc.next_linger_deadline());
  CAF_CHECK(!acc.has_open_batches());
}

CAF_TEST(linger zero makes any open batch ready) {
  acc_t acc{{1 << 16, 0ms, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 1);
  add(acc, t, 0, t0);
  CAF_CHECK_EQUAL(acc.drain(t0, 10, false).size(), 1u);
}

CAF_TEST(flush drains open batches regardless of linger) {
  acc_t acc{{1 << 16, 1h, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 3);
  add(acc, t, 0);
  add(acc, t, 2);
  CAF_CHECK(acc.drain(t0, 10, false).empty());
  CAF_CHECK_EQUAL(acc.drain(t0, 10, true).size(), 2u);
}

CAF_TEST(batches are per partition) {
  acc_t acc{{1 << 16, 1h, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 2);
  add(acc, t, 0);
  add(acc, t, 1);
  add(acc, t, 0);
  auto batches = acc.drain(t0, 10, true);
  CAF_REQUIRE_EQUAL(batches.size(), 2u);
  std::map<int32_t, uint32_t> per;
  for (auto& b : batches)
    per[b.partition.value] += b.record_count;
  CAF_CHECK_EQUAL(per[0], 2u);
  CAF_CHECK_EQUAL(per[1], 1u);
}

CAF_TEST(drain hands out at most max batches oldest first) {
  acc_t acc{{300, 1h, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 1);
  for (int i = 0; i < 12; ++i)
    add(acc, t, 0, t0 + std::chrono::milliseconds{i});
  auto first = acc.drain(t0, 2, false);
  CAF_REQUIRE_EQUAL(first.size(), 2u);
  CAF_CHECK(first[0].created < first[1].created);
  auto rest = acc.drain(t0, 100, true);
  CAF_CHECK_EQUAL(records_in(first) + records_in(rest), 12u);
}

CAF_TEST(buffer memory bounds open and unreleased batches) {
  acc_t acc{{1000, 1h, 2000}, 1};
  auto& t = acc.set_topic("t", 3);
  CAF_CHECK(add(acc, t, 0).status == acc_t::outcome::appended);
  CAF_CHECK(add(acc, t, 1).status == acc_t::outcome::appended);
  CAF_CHECK_EQUAL(acc.buffered_bytes(), 2000u);
  auto full = add(acc, t, 2);
  CAF_CHECK(full.status == acc_t::outcome::no_memory);
  CAF_CHECK(add(acc, t, 0).status == acc_t::outcome::appended); // room in an open batch
  auto batches = acc.drain(t0, 1, true);
  CAF_REQUIRE_EQUAL(batches.size(), 1u);
  CAF_CHECK(add(acc, t, 2).status == acc_t::outcome::no_memory); // sealed still counts
  acc.release(batches[0].reserved_bytes);
  CAF_CHECK(add(acc, t, 2).status == acc_t::outcome::appended);
}

CAF_TEST(records that can never fit are refused) {
  acc_t acc{{1000, 1h, 4096}, 1};
  auto& t = acc.set_topic("t", 1);
  std::string huge(5000, 'x');
  delivery_callback none;
  CAF_CHECK(acc.append(t, std::nullopt, rec(std::nullopt, huge), none, t0).status
            == acc_t::outcome::too_large);
  CAF_CHECK(add(acc, t, 1).status == acc_t::outcome::bad_partition);
  CAF_CHECK(add(acc, t, -1).status == acc_t::outcome::bad_partition);
  CAF_CHECK_EQUAL(acc.buffered_bytes(), 0u);
}

CAF_TEST(callbacks keep their record index and are moved only on append) {
  acc_t acc{{1 << 16, 1h, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 1);
  int calls = 0;
  delivery_callback cb = [&](const delivery_report&) { ++calls; };
  delivery_callback none;
  acc.append(t, partition_id{0}, rec(), cb, t0);
  CAF_CHECK(!cb); // moved into the batch
  acc.append(t, partition_id{0}, rec(), none, t0);
  delivery_callback cb2 = [&](const delivery_report&) { ++calls; };
  acc.append(t, partition_id{0}, rec(), cb2, t0);
  auto batches = acc.drain(t0, 1, true);
  CAF_REQUIRE_EQUAL(batches[0].callbacks.size(), 2u);
  CAF_CHECK_EQUAL(batches[0].callbacks[0].first, 0u);
  CAF_CHECK_EQUAL(batches[0].callbacks[1].first, 2u);
  delivery_callback kept = [&](const delivery_report&) { ++calls; };
  acc_t tiny{{1000, 1h, 1000}, 1};
  auto& t2 = tiny.set_topic("t", 2);
  tiny.append(t2, partition_id{0}, rec(), none, t0);
  CAF_CHECK(tiny.append(t2, partition_id{1}, rec(), kept, t0).status == acc_t::outcome::no_memory);
  CAF_CHECK(static_cast<bool>(kept));
}

CAF_TEST(keyed records go to the murmur2 partition) {
  acc_t acc{{1 << 16, 1h, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 7);
  for (std::string key : {"21", "foobar", "abc", "a-little-bit-long-string"}) {
    auto r = add(acc, t, std::nullopt, t0, key);
    CAF_CHECK_EQUAL(r.partition, key_partition(key, 7));
  }
}

CAF_TEST(keyless records stick to one partition until its batch is full) {
  acc_t acc{{1000, 1h, 1 << 20}, 5};
  auto& t = acc.set_topic("t", 4);
  auto first = add(acc, t, std::nullopt).partition;
  for (int i = 0; i < 7; ++i) // 8 records fill a 1000-byte batch
    CAF_CHECK_EQUAL(add(acc, t, std::nullopt).partition, first);
  // The ninth would open a new batch on the sticky partition: it seals the full one and
  // goes to another partition (KIP-480), where the following records stick.
  auto next = add(acc, t, std::nullopt).partition;
  CAF_CHECK_NOT_EQUAL(next, first);
  CAF_CHECK_EQUAL(add(acc, t, std::nullopt).partition, next);
  auto batches = acc.drain(t0, 1, false);
  CAF_REQUIRE_EQUAL(batches.size(), 1u);
  CAF_CHECK_EQUAL(batches[0].partition, first);
  CAF_CHECK_EQUAL(batches[0].record_count, 8u);
}

CAF_TEST(a lingered batch moves the sticky partition too) {
  acc_t acc{{1 << 16, 5ms, 1 << 20}, 9};
  auto& t = acc.set_topic("t", 3);
  auto first = add(acc, t, std::nullopt, t0).partition;
  CAF_CHECK_EQUAL(acc.drain(t0 + 5ms, 10, false).size(), 1u);
  CAF_CHECK_NOT_EQUAL(add(acc, t, std::nullopt, t0 + 6ms).partition, first);
}

CAF_TEST(partition counts only grow) {
  acc_t acc{{1 << 16, 1h, 1 << 20}, 1};
  auto& t = acc.set_topic("t", 2);
  CAF_CHECK_EQUAL(acc.partitions(t), 2);
  acc.set_topic("t", 5);
  CAF_CHECK_EQUAL(acc.partitions(t), 5);
  acc.set_topic("t", 3);
  CAF_CHECK_EQUAL(acc.partitions(t), 5);
  CAF_CHECK(add(acc, t, 4).status == acc_t::outcome::appended);
  CAF_CHECK(acc.find_topic("t") == &t);
  CAF_CHECK(acc.find_topic("u") == nullptr);
}

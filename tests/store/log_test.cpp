#define CAF_SUITE store.log
#include <caf/test/unit_test.hpp>

#include "tests/store/log_helpers.hpp"

#include <random>

using namespace sluice;
using namespace sluice::store;
using namespace sluice::test;

namespace {

struct fixture {
  temp_dir dir;
  manual_clock clock;
  log_config config;

  std::unique_ptr<partition_log> open() {
    auto l = partition_log::open(dir.path() / "p0", config, clock.fn());
    if (!l)
      CAF_FAIL("open failed: " << l.err().to_string());
    return std::move(*l);
  }

  static append_result append(partition_log& l, size_t n, const std::string& prefix, int64_t ts = 1000) {
    auto b = make_batch(n, prefix, ts);
    auto r = l.append(b);
    if (!r)
      CAF_FAIL("append failed: " << r.err().to_string());
    return *r;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(log_tests, fixture)

CAF_TEST(a new log is empty and starts at offset zero) {
  auto l = open();
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{0});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
  auto r = l->read(offset{0}, 1024);
  CAF_REQUIRE(r.ok());
  CAF_CHECK(r->bytes.empty());
}

CAF_TEST(appends assign consecutive offsets across batches) {
  auto l = open();
  auto a = append(*l, 3, "a");
  auto b = append(*l, 2, "b");
  CAF_CHECK_EQUAL(a.base_offset, offset{0});
  CAF_CHECK_EQUAL(a.last_offset, offset{2});
  CAF_CHECK_EQUAL(b.base_offset, offset{3});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{5});
  auto all = read_all(*l);
  CAF_REQUIRE_EQUAL(all.size(), 5u);
  CAF_CHECK_EQUAL(all[3].value, "b-0");
  CAF_CHECK_EQUAL(all[4].off, 4);
}

CAF_TEST(one append call may carry several batches) {
  auto l = open();
  auto x = make_batch(2, "x");
  auto y = make_batch(3, "y");
  std::vector<std::byte> both = x;
  both.insert(both.end(), y.begin(), y.end());
  auto r = l->append(both, leader_epoch{4});
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->batch_count, 2u);
  CAF_CHECK_EQUAL(r->last_offset, offset{4});
  auto rd = l->read(offset{0}, 1 << 20);
  CAF_REQUIRE(rd.ok());
  auto h = validate_batch(bytes_view{rd->bytes}.subspan(x.size()));
  CAF_REQUIRE(h.ok());
  CAF_CHECK_EQUAL(h->base_offset, offset{2});
  CAF_CHECK_EQUAL(h->epoch, leader_epoch{4});
}

CAF_TEST(a bad batch in a multi batch append writes nothing) {
  auto l = open();
  auto x = make_batch(2, "x");
  auto y = make_batch(3, "y");
  y.back() ^= std::byte{1};
  std::vector<std::byte> both = x;
  both.insert(both.end(), y.begin(), y.end());
  auto r = l->append(both);
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_batch);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
  CAF_CHECK_EQUAL(l->size_bytes(), 0u);
}

CAF_TEST(trailing garbage after the last batch is rejected) {
  auto l = open();
  auto x = make_batch(2, "x");
  x.push_back(std::byte{0});
  CAF_CHECK_EQUAL(l->append(x).code(), errc::corrupt_batch);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
}

CAF_TEST(a batch above max message bytes is refused) {
  config.max_batch_bytes = 200;
  auto l = open();
  auto big = make_batch(50, "big");
  auto r = l->append(big);
  CAF_CHECK_EQUAL(r.code(), errc::record_too_large);
  CAF_CHECK(r.err().message.find("max.message.bytes") != std::string::npos);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
}

CAF_TEST(reads outside the log are offset out of range) {
  config.segment_bytes = 300;
  config.retention_bytes = 0;
  auto l = open();
  for (int i = 0; i < 10; ++i)
    append(*l, 5, "r" + std::to_string(i));
  CAF_REQUIRE(l->apply_retention().ok());
  auto start = l->log_start_offset();
  CAF_REQUIRE(start > offset{0});
  auto below = l->read(start - 1, 1024);
  CAF_CHECK_EQUAL(below.code(), errc::offset_out_of_range);
  CAF_CHECK(below.err().message.find("outside the log") != std::string::npos);
  CAF_CHECK_EQUAL(l->read(l->log_end_offset() + 1, 1024).code(), errc::offset_out_of_range);
  CAF_CHECK(l->read(l->log_end_offset(), 1024).ok());
}

CAF_TEST(a read inside a batch returns the whole batch from its base) {
  auto l = open();
  append(*l, 10, "a");
  auto r = l->read(offset{7}, 1 << 20);
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->first_offset, offset{0});
  CAF_CHECK_EQUAL(r->next_offset, offset{10});
  CAF_CHECK_EQUAL(r->batch_count, 1u);
}

CAF_TEST(max bytes cuts at whole batches but never returns nothing) {
  auto l = open();
  for (int i = 0; i < 5; ++i)
    append(*l, 20, "m" + std::to_string(i));
  auto one = l->read(offset{0}, 1);
  CAF_REQUIRE(one.ok());
  CAF_CHECK_EQUAL(one->batch_count, 1u);
  CAF_CHECK_EQUAL(one->next_offset, offset{20});
  auto batch_size = one->bytes.size();
  auto two = l->read(offset{0}, 2 * batch_size + batch_size / 2);
  CAF_REQUIRE(two.ok());
  CAF_CHECK_EQUAL(two->batch_count, 2u);
  CAF_CHECK_EQUAL(two->bytes.size() % batch_size, 0u);
}

CAF_TEST(segments roll at segment bytes and reads cross the boundaries) {
  config.segment_bytes = 1000;
  auto l = open();
  for (int i = 0; i < 40; ++i)
    append(*l, 4, "s" + std::to_string(i));
  CAF_CHECK_GREATER(l->segment_count(), 3u);
  auto bases = l->segment_bases();
  for (size_t i = 1; i < bases.size(); ++i)
    CAF_CHECK_GREATER(bases[i], bases[i - 1]);
  auto all = read_all(*l);
  CAF_REQUIRE_EQUAL(all.size(), 160u);
  for (size_t i = 0; i < all.size(); ++i) {
    CAF_CHECK_EQUAL(all[i].off, static_cast<int64_t>(i));
    CAF_CHECK_EQUAL(all[i].value, "s" + std::to_string(i / 4) + "-" + std::to_string(i % 4));
  }
  // Reads starting exactly on each segment base.
  for (auto b : bases) {
    auto r = l->read(b, 1 << 20);
    CAF_REQUIRE(r.ok());
    CAF_CHECK_EQUAL(r->first_offset, b);
  }
}

CAF_TEST(a reused read result reads sequentially and after seeks) {
  config.segment_bytes = 900;
  auto l = open();
  for (int i = 0; i < 30; ++i)
    append(*l, 3, "q" + std::to_string(i));
  read_result r;
  std::vector<int64_t> firsts;
  for (offset pos{0}; pos < l->log_end_offset(); pos = r.next_offset) {
    CAF_REQUIRE(l->read(pos, 250, r).ok());
    CAF_REQUIRE_GREATER(r.batch_count, 0u);
    CAF_CHECK_EQUAL(r.first_offset, pos);
    CAF_CHECK(validate_batch(r.bytes).ok());
    firsts.push_back(pos.value);
  }
  CAF_CHECK_EQUAL(r.next_offset, offset{90});
  // A seek back into the middle of a batch after sequential reads.
  CAF_REQUIRE(l->read(offset{31}, 1, r).ok());
  CAF_CHECK_EQUAL(r.first_offset, offset{30});
  CAF_REQUIRE(l->read(offset{90}, 1, r).ok());
  CAF_CHECK(r.bytes.empty());
}

CAF_TEST(segments roll after segment ms) {
  config.segment_ms = 1000;
  auto l = open();
  append(*l, 1, "a");
  clock.now_ms += 500;
  append(*l, 1, "b");
  CAF_CHECK_EQUAL(l->segment_count(), 1u);
  clock.now_ms += 600;
  append(*l, 1, "c");
  CAF_CHECK_EQUAL(l->segment_count(), 2u);
  auto bases = l->segment_bases();
  CAF_CHECK_EQUAL(bases.back(), offset{2});
  clock.now_ms += 1000;
  CAF_REQUIRE(l->tick().ok());
  CAF_CHECK_EQUAL(l->segment_count(), 3u);
  CAF_REQUIRE(l->tick().ok());
  CAF_CHECK_EQUAL(l->segment_count(), 3u); // an empty active segment does not roll
}

CAF_TEST(retention by time deletes whole expired segments but never the active one) {
  config.segment_bytes = 500;
  config.retention_ms = 10'000;
  auto l = open();
  for (int i = 0; i < 10; ++i)
    append(*l, 4, "old" + std::to_string(i), clock.now_ms);
  auto old_end = l->log_end_offset();
  clock.now_ms += 20'000;
  for (int i = 0; i < 10; ++i)
    append(*l, 4, "new" + std::to_string(i), clock.now_ms);
  auto before = l->segment_count();
  auto deleted = l->apply_retention();
  CAF_REQUIRE(deleted.ok());
  CAF_CHECK_GREATER(*deleted, 0u);
  CAF_CHECK_EQUAL(l->segment_count(), before - *deleted);
  CAF_CHECK_LESS_OR_EQUAL(l->log_start_offset(), old_end);
  for (auto& r : read_all(*l))
    if (r.off >= old_end.value)
      CAF_CHECK(r.value.starts_with("new"));
  clock.now_ms += 1'000'000;
  CAF_REQUIRE(l->apply_retention().ok());
  CAF_CHECK_EQUAL(l->segment_count(), 1u);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{80});
}

CAF_TEST(retention by bytes keeps the log under the limit) {
  config.segment_bytes = 400;
  config.retention_ms = -1;
  config.retention_bytes = 1000;
  auto l = open();
  for (int i = 0; i < 30; ++i)
    append(*l, 4, "b" + std::to_string(i));
  CAF_REQUIRE(l->apply_retention().ok());
  CAF_CHECK_LESS_OR_EQUAL(l->size_bytes(), 1000u + 400u);
  CAF_CHECK_GREATER(l->log_start_offset(), offset{0});
  auto all = read_all(*l);
  CAF_REQUIRE(!all.empty());
  CAF_CHECK_EQUAL(all.front().off, l->log_start_offset().value);
  CAF_CHECK_EQUAL(all.back().off, 119);
}

CAF_TEST(offset for timestamp finds the first record at or after it) {
  config.segment_bytes = 600;
  config.index_interval_bytes = 100;
  auto l = open();
  // Batch i holds timestamps 10*i .. 10*i+4 (offsets 5*i .. 5*i+4).
  for (int i = 0; i < 60; ++i)
    append(*l, 5, "t", 10 * i);
  CAF_CHECK_GREATER(l->segment_count(), 3u);
  for (int64_t ts = 0; ts < 600; ts += 3) {
    int64_t batch = ts / 10, within = ts % 10;
    int64_t want = within <= 4 ? 5 * batch + within : 5 * (batch + 1);
    auto o = l->offset_for_timestamp(timestamp_ms{ts});
    CAF_REQUIRE(o.ok());
    CAF_CHECK_EQUAL(o->value, want);
  }
  auto past = l->offset_for_timestamp(timestamp_ms{10'000});
  CAF_REQUIRE(past.ok());
  CAF_CHECK_EQUAL(*past, l->log_end_offset());
  auto before = l->offset_for_timestamp(timestamp_ms{-5});
  CAF_REQUIRE(before.ok());
  CAF_CHECK_EQUAL(*before, offset{0});
}

CAF_TEST(offset for timestamp with out of order timestamps) {
  auto l = open();
  append(*l, 1, "a", 500);
  append(*l, 1, "b", 100);
  append(*l, 1, "c", 700);
  auto o = l->offset_for_timestamp(timestamp_ms{200});
  CAF_REQUIRE(o.ok());
  CAF_CHECK_EQUAL(*o, offset{0});
  o = l->offset_for_timestamp(timestamp_ms{600});
  CAF_REQUIRE(o.ok());
  CAF_CHECK_EQUAL(*o, offset{2});
}

CAF_TEST(one hundred thousand small batches then random reads) {
  config.segment_bytes = 1 << 20;
  auto l = open();
  const int n = 100'000;
  for (int i = 0; i < n; ++i) {
    batch_builder b(128);
    auto v = std::to_string(i);
    b.add(timestamp_ms{i}, std::nullopt, std::string_view{v});
    auto bytes = b.finish();
    CAF_REQUIRE(l->append(bytes).ok());
  }
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{n});
  CAF_CHECK_GREATER(l->segment_count(), 3u);
  std::mt19937_64 rng{42};
  for (int i = 0; i < 2000; ++i) {
    auto o = static_cast<int64_t>(rng() % n);
    auto r = l->read(offset{o}, 1);
    CAF_REQUIRE(r.ok());
    CAF_REQUIRE_EQUAL(r->batch_count, 1u);
    record_reader rr{r->bytes};
    record_view rec;
    CAF_REQUIRE(rr.next(rec));
    CAF_CHECK_EQUAL(rec.off.value, o);
    CAF_CHECK_EQUAL(*rec.value, std::to_string(o));
  }
  for (int i = 0; i < 200; ++i) {
    auto ts = static_cast<int64_t>(rng() % n);
    auto o = l->offset_for_timestamp(timestamp_ms{ts});
    CAF_REQUIRE(o.ok());
    CAF_CHECK_EQUAL(o->value, ts);
  }
}

CAF_TEST(flush every n messages moves the recovery point) {
  config.flush = flush_policy::every_messages(10);
  auto l = open();
  append(*l, 4, "a");
  CAF_CHECK_EQUAL(l->recovery_point(), offset{0});
  append(*l, 4, "b");
  append(*l, 4, "c");
  CAF_CHECK_EQUAL(l->recovery_point(), offset{12});
}

CAF_TEST(flush always syncs on every append) {
  config.flush = flush_policy::always();
  auto l = open();
  append(*l, 1, "a");
  CAF_CHECK_EQUAL(l->recovery_point(), offset{1});
  append(*l, 1, "b");
  CAF_CHECK_EQUAL(l->recovery_point(), offset{2});
}

CAF_TEST(flush every ms is driven by tick) {
  config.flush = flush_policy::every_ms(100);
  auto l = open();
  append(*l, 1, "a");
  CAF_CHECK_EQUAL(l->recovery_point(), offset{0});
  clock.now_ms += 50;
  CAF_REQUIRE(l->tick().ok());
  CAF_CHECK_EQUAL(l->recovery_point(), offset{0});
  clock.now_ms += 60;
  CAF_REQUIRE(l->tick().ok());
  CAF_CHECK_EQUAL(l->recovery_point(), offset{1});
}

CAF_TEST(flush never leaves the recovery point until close) {
  auto l = open();
  append(*l, 5, "a");
  CAF_REQUIRE(l->tick().ok());
  CAF_CHECK_EQUAL(l->recovery_point(), offset{0});
  CAF_REQUIRE(l->close().ok());
  CAF_CHECK_EQUAL(l->recovery_point(), offset{5});
  auto late = make_batch(1, "late");
  CAF_CHECK_EQUAL(l->append(late).code(), errc::invalid_argument);
}

CAF_TEST(a clean close and reopen scans nothing and continues the offsets) {
  config.segment_bytes = 700;
  {
    auto l = open();
    for (int i = 0; i < 20; ++i)
      append(*l, 3, "c" + std::to_string(i));
    CAF_REQUIRE(l->close().ok());
  }
  auto l = open();
  CAF_CHECK_EQUAL(l->recovery().segments_scanned, 0u);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{60});
  auto a = append(*l, 2, "after");
  CAF_CHECK_EQUAL(a.base_offset, offset{60});
  auto all = read_all(*l);
  CAF_REQUIRE_EQUAL(all.size(), 62u);
  CAF_CHECK_EQUAL(all[61].value, "after-1");
}

CAF_TEST(invalid configs are refused) {
  config.segment_bytes = 0;
  CAF_CHECK_EQUAL(partition_log::open(dir.path() / "x", config, clock.fn()).code(), errc::invalid_argument);
  config.segment_bytes = uint64_t{4} << 30;
  CAF_CHECK_EQUAL(partition_log::open(dir.path() / "x", config, clock.fn()).code(), errc::invalid_argument);
}

CAF_TEST_FIXTURE_SCOPE_END()

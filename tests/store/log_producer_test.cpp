#define CAF_SUITE store.log_producers
#include <caf/test/unit_test.hpp>

#include "store/producer_snapshot.hpp"
#include "tests/store/log_helpers.hpp"

#include <fstream>

using namespace sluice;
using namespace sluice::store;
using namespace sluice::test;
namespace fs = std::filesystem;

namespace {

// `n` records of producer `pid` at `epoch` from sequence `seq`.
std::vector<std::byte> idem_batch(int64_t pid, int16_t epoch, int32_t seq, size_t n = 10,
                                  const std::string& prefix = "r") {
  batch_builder b;
  for (size_t i = 0; i < n; ++i) {
    auto v = prefix + "-" + std::to_string(seq + static_cast<int32_t>(i));
    b.add(timestamp_ms{1000}, std::nullopt, std::string_view{v});
  }
  return b.finish(pid, epoch, seq);
}

struct fixture {
  temp_dir dir;
  log_config cfg;

  std::unique_ptr<partition_log> open() {
    auto l = partition_log::open(dir.path(), cfg);
    if (!l)
      CAF_FAIL("open: " << l.err().to_string());
    return std::move(*l);
  }

  static result<append_result> append(partition_log& l, std::vector<std::byte> b,
                                      int32_t epoch = 0) {
    return l.append(b, leader_epoch{epoch});
  }

  static int32_t last_seq(const partition_log& l, int64_t pid) {
    auto* e = l.producers().find(producer_id{pid});
    return e ? e->last_seq() : -2;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(log_producer_tests, fixture)

CAF_TEST(a duplicate batch is answered with the original offsets and not written) {
  auto l = open();
  CAF_REQUIRE(append(*l, make_batch(5, "plain")).ok());
  auto first = append(*l, idem_batch(1, 0, 0));
  CAF_REQUIRE(first.ok());
  CAF_CHECK_EQUAL(first->base_offset, offset{5});
  CAF_REQUIRE(append(*l, idem_batch(1, 0, 10)).ok());
  auto dup = append(*l, idem_batch(1, 0, 0));
  CAF_REQUIRE(dup.ok());
  CAF_CHECK(dup->duplicate);
  CAF_CHECK_EQUAL(dup->base_offset, offset{5});
  CAF_CHECK_EQUAL(dup->last_offset, offset{14});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{25});
  CAF_CHECK_EQUAL(read_all(*l).size(), 25u);
}

CAF_TEST(out of order and fenced batches are refused and change nothing) {
  auto l = open();
  CAF_REQUIRE(append(*l, idem_batch(1, 2, 0)).ok());
  auto gap = append(*l, idem_batch(1, 2, 20));
  CAF_CHECK_EQUAL(gap.code(), errc::out_of_order_sequence);
  auto stale = append(*l, idem_batch(1, 1, 10));
  CAF_CHECK_EQUAL(stale.code(), errc::producer_fenced);
  auto bad = append(*l, idem_batch(1, -1, 0));
  CAF_CHECK_EQUAL(bad.code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{10});
  CAF_CHECK_EQUAL(last_seq(*l, 1), 9);
}

CAF_TEST(a retry older than the window is found in the log) {
  auto l = open();
  for (int i = 0; i < 8; ++i)
    CAF_REQUIRE(append(*l, idem_batch(1, 0, i * 10)).ok());
  auto old = append(*l, idem_batch(1, 0, 10));
  CAF_REQUIRE(old.ok());
  CAF_CHECK(old->duplicate);
  CAF_CHECK_EQUAL(old->base_offset, offset{10});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{80});
  // Behind the last sequence but never appended as such: refused.
  CAF_CHECK_EQUAL(append(*l, idem_batch(1, 0, 10, 5)).code(), errc::out_of_order_sequence);
}

CAF_TEST(an idempotent batch must come alone) {
  auto l = open();
  auto two = idem_batch(1, 0, 0);
  auto more = idem_batch(1, 0, 10);
  two.insert(two.end(), more.begin(), more.end());
  auto r = append(*l, two);
  CAF_CHECK_EQUAL(r.code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
}

CAF_TEST(the state survives a clean restart through the close snapshot) {
  {
    auto l = open();
    CAF_REQUIRE(append(*l, idem_batch(1, 0, 0)).ok());
    CAF_REQUIRE(append(*l, idem_batch(2, 4, 0)).ok());
    CAF_REQUIRE(l->close().ok());
  }
  CAF_CHECK(fs::exists(dir / producer_snapshot_name(offset{20})));
  auto l = open();
  CAF_CHECK_EQUAL(l->producer_snapshot(), offset{20});
  CAF_CHECK_EQUAL(last_seq(*l, 1), 9);
  auto dup = append(*l, idem_batch(1, 0, 0));
  CAF_REQUIRE(dup.ok());
  CAF_CHECK(dup->duplicate);
  CAF_CHECK_EQUAL(append(*l, idem_batch(2, 3, 10)).code(), errc::producer_fenced);
}

CAF_TEST(the state is rebuilt from the log after a crash without snapshot) {
  {
    auto l = open();
    CAF_REQUIRE(append(*l, idem_batch(1, 0, 0)).ok());
    CAF_REQUIRE(append(*l, idem_batch(1, 0, 10)).ok());
    // destroyed without close(): a crash
  }
  CAF_CHECK(list_producer_snapshots(dir.path())->empty());
  auto l = open();
  CAF_CHECK_EQUAL(last_seq(*l, 1), 19);
  CAF_CHECK(append(*l, idem_batch(1, 0, 10))->duplicate);
  // Recovery snapshots what it replayed, so the next open starts there.
  CAF_CHECK_EQUAL(l->producer_snapshot(), offset{20});
}

CAF_TEST(a crash after a snapshot replays only the headers after it) {
  cfg.segment_bytes = 400; // about two batches per segment: rolls take snapshots
  {
    auto l = open();
    for (int i = 0; i < 6; ++i)
      CAF_REQUIRE(append(*l, idem_batch(1, 0, i * 10)).ok());
    CAF_REQUIRE(l->segment_count() > 1);
    CAF_CHECK(l->producer_snapshot() > offset{0});
  }
  auto l = open();
  CAF_CHECK_EQUAL(last_seq(*l, 1), 59);
  CAF_CHECK(append(*l, idem_batch(1, 0, 50))->duplicate);
  CAF_CHECK(append(*l, idem_batch(1, 0, 60)).ok());
  CAF_CHECK_LESS_OR_EQUAL(list_producer_snapshots(dir.path())->size(), cfg.producer_snapshots_kept);
}

CAF_TEST(a damaged snapshot is removed and the state rebuilt from the log) {
  {
    auto l = open();
    CAF_REQUIRE(append(*l, idem_batch(1, 0, 0)).ok());
    CAF_REQUIRE(l->close().ok());
  }
  {
    std::ofstream f{dir / producer_snapshot_name(offset{10}), std::ios::binary | std::ios::trunc};
    f << "garbage";
  }
  auto l = open();
  CAF_CHECK_EQUAL(last_seq(*l, 1), 9);
  CAF_CHECK(!l->recovery().notes.empty());
}

CAF_TEST(a snapshot past the log end after a torn tail is dropped) {
  {
    auto l = open();
    CAF_REQUIRE(append(*l, idem_batch(1, 0, 0)).ok());
    CAF_REQUIRE(append(*l, idem_batch(1, 0, 10)).ok());
    CAF_REQUIRE(l->close().ok());
  }
  // Cut the last batch off the segment as a torn write would.
  auto seg = dir / "00000000000000000000.log";
  auto size = fs::file_size(seg);
  fs::resize_file(seg, size - 10);
  fs::remove(dir / "recovery-point.checkpoint");
  auto l = open();
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{10});
  CAF_CHECK_EQUAL(last_seq(*l, 1), 9);
  CAF_CHECK(!fs::exists(dir / producer_snapshot_name(offset{20})));
  // The lost batch goes again as new.
  auto again = append(*l, idem_batch(1, 0, 10));
  CAF_REQUIRE(again.ok());
  CAF_CHECK(!again->duplicate);
}

CAF_TEST(truncation rolls the state back) {
  cfg.segment_bytes = 400;
  auto l = open();
  for (int i = 0; i < 5; ++i)
    CAF_REQUIRE(append(*l, idem_batch(1, 0, i * 10)).ok());
  CAF_REQUIRE(l->truncate_to(offset{30}).ok());
  CAF_CHECK_EQUAL(last_seq(*l, 1), 29);
  CAF_CHECK(l->producer_snapshot() <= offset{30});
  // Batch 3 is gone, so it is new again; batch 2 is still a duplicate.
  CAF_CHECK(append(*l, idem_batch(1, 0, 20))->duplicate);
  auto again = append(*l, idem_batch(1, 0, 30));
  CAF_REQUIRE(again.ok());
  CAF_CHECK(!again->duplicate);
  CAF_CHECK_EQUAL(again->base_offset, offset{30});
}

CAF_TEST(a follower builds the state of the leader from the batches it copies) {
  temp_dir other;
  auto leader = open();
  CAF_REQUIRE(append(*leader, idem_batch(1, 0, 0)).ok());
  CAF_REQUIRE(append(*leader, idem_batch(1, 0, 10)).ok());
  CAF_REQUIRE(append(*leader, idem_batch(2, 1, 0)).ok());
  auto follower = partition_log::open(other.path(), cfg);
  CAF_REQUIRE(follower.ok());
  auto all = leader->read(offset{0}, 1 << 20);
  CAF_REQUIRE(all.ok());
  CAF_REQUIRE((*follower)->append_replicated(all->bytes).ok());
  CAF_CHECK((*follower)->producers() == leader->producers());
  // Promoted, it answers the retry of the last batch as a duplicate.
  CAF_CHECK(append(**follower, idem_batch(2, 1, 0), 1)->duplicate);
}

CAF_TEST(reset empties the state) {
  auto l = open();
  CAF_REQUIRE(append(*l, idem_batch(1, 0, 0)).ok());
  CAF_REQUIRE(l->close().ok());
  l = open();
  CAF_REQUIRE(l->reset_to(offset{100}).ok());
  CAF_CHECK_EQUAL(l->producers().size(), 0u);
  CAF_CHECK(list_producer_snapshots(dir.path())->empty());
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE store.log_txn
#include <caf/test/unit_test.hpp>

#include "store/crc32c.hpp"
#include "store/file.hpp"
#include "store/producer_snapshot.hpp"
#include "tests/store/log_helpers.hpp"

#include <cstring>

using namespace sluice;
using namespace sluice::store;
using namespace sluice::test;
namespace fs = std::filesystem;
namespace bf = sluice::store::batch_format;

namespace {

// `n` transactional records of producer `pid` at `epoch` from sequence `seq`.
std::vector<std::byte> txn_batch(int64_t pid, int16_t epoch, int32_t seq, size_t n = 10) {
  batch_builder b;
  for (size_t i = 0; i < n; ++i)
    b.add(timestamp_ms{1000}, std::nullopt, std::string_view{"t"});
  return b.finish(pid, epoch, seq, bf::attr_transactional);
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

  static void append(partition_log& l, std::vector<std::byte> b) {
    auto r = l.append(b, leader_epoch{0});
    if (!r)
      CAF_FAIL("append: " << r.err().to_string());
  }

  static offset mark(partition_log& l, int64_t pid, int16_t epoch, bool commit) {
    auto r = l.append_marker(producer_id{pid}, producer_epoch{epoch},
                             {commit ? control_type::commit : control_type::abort, 1},
                             leader_epoch{0});
    if (!r)
      CAF_FAIL("marker: " << r.err().to_string());
    return r->base_offset;
  }

  // Producer 1 commits [0, 10), producer 2 aborts [11, 21) with its marker at 21 (after
  // producer 1's at 10), producer 3 leaves [22, 32) open: LSO 22, one aborted entry.
  static void three_transactions(partition_log& l) {
    append(l, txn_batch(1, 0, 0));
    CAF_REQUIRE_EQUAL(mark(l, 1, 0, true), offset{10});
    append(l, txn_batch(2, 0, 0));
    CAF_REQUIRE_EQUAL(mark(l, 2, 0, false), offset{21});
    append(l, txn_batch(3, 0, 0));
  }

  static void check_three(const partition_log& l) {
    CAF_CHECK_EQUAL(l.last_stable_offset(offset{100}), offset{22});
    CAF_CHECK_EQUAL(l.producers().open_transactions(), 1u);
    auto aborted = l.aborted_transactions(offset{0}, offset{100});
    CAF_REQUIRE_EQUAL(aborted.size(), 1u);
    CAF_CHECK(aborted[0] == (aborted_txn{producer_id{2}, offset{11}, offset{21}}));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(log_txn_tests, fixture)

CAF_TEST(a marker is appended as a control batch at the next offset) {
  auto l = open();
  append(*l, txn_batch(1, 0, 0));
  CAF_CHECK_EQUAL(mark(*l, 1, 0, true), offset{10});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{11});
  auto r = l->read(offset{10}, 1 << 20);
  CAF_REQUIRE(r.ok());
  auto h = validate_batch(r->bytes);
  CAF_REQUIRE(h.ok());
  CAF_CHECK(h->is_control());
  CAF_CHECK_EQUAL(h->base_offset, offset{10});
  auto m = parse_control_batch(r->bytes);
  CAF_REQUIRE(m.ok());
  CAF_CHECK(m->type == control_type::commit);
}

CAF_TEST(the last stable offset is the high watermark without open transactions) {
  auto l = open();
  append(*l, make_batch(5, "plain"));
  CAF_CHECK_EQUAL(l->last_stable_offset(offset{3}), offset{3});
}

CAF_TEST(the last stable offset stops at an open transaction) {
  auto l = open();
  append(*l, make_batch(5, "plain"));
  append(*l, txn_batch(1, 0, 0));
  CAF_CHECK_EQUAL(l->last_stable_offset(offset{15}), offset{5});
  CAF_CHECK_EQUAL(l->last_stable_offset(offset{4}), offset{4});
  mark(*l, 1, 0, true);
  CAF_CHECK_EQUAL(l->last_stable_offset(offset{16}), offset{16});
}

CAF_TEST(a marker needs no sequence and the sequence of the producer goes on) {
  auto l = open();
  append(*l, txn_batch(1, 0, 0));
  mark(*l, 1, 0, false);
  append(*l, txn_batch(1, 0, 10));
  CAF_CHECK_EQUAL(l->producers().find(producer_id{1})->last_seq(), 19);
  CAF_CHECK_EQUAL(l->last_stable_offset(offset{100}), offset{11});
}

CAF_TEST(a marker of an older producer epoch is fenced and writes nothing) {
  auto l = open();
  append(*l, txn_batch(1, 2, 0));
  auto r = l->append_marker(producer_id{1}, producer_epoch{1}, {control_type::commit, 0},
                            leader_epoch{0});
  CAF_CHECK_EQUAL(r.code(), errc::producer_fenced);
  CAF_CHECK_EQUAL(r.err().message,
                  "producer 1: a marker of epoch 1 is fenced: the partition has seen epoch 2");
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{10});
}

CAF_TEST(a marker of a newer producer epoch bumps it) {
  auto l = open();
  append(*l, txn_batch(1, 0, 0));
  mark(*l, 1, 1, false);
  CAF_CHECK_EQUAL(l->producers().find(producer_id{1})->epoch, producer_epoch{1});
  auto b = txn_batch(1, 0, 10);
  auto zombie = l->append(b, leader_epoch{0});
  CAF_CHECK_EQUAL(zombie.code(), errc::producer_fenced);
}

CAF_TEST(a control batch sent by a client is refused) {
  auto l = open();
  auto b = make_control_batch(1, 0, {control_type::commit, 0}, timestamp_ms{0});
  auto r = l->append(b, leader_epoch{0});
  CAF_CHECK_EQUAL(r.code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(r.err().message, "producer 1: a control batch is written only by the partition "
                                   "leader for a transaction marker, never sent by a client");
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
}

CAF_TEST(a corrupt control record is refused by every append) {
  auto l = open();
  batch_builder bb;
  bb.add(timestamp_ms{0}, std::string_view{"\0\0\0\7", 4}, std::string_view{"\0\0\0\0\0\0", 6});
  auto b = bb.finish(1, 0, -1, bf::attr_txn_control);
  auto r = l->append_replicated(b);
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_batch);
  CAF_CHECK_EQUAL(r.err().message, "batch 0: control batch at offset 0: unknown control record type 7");
  CAF_CHECK_EQUAL(l->append(b, leader_epoch{0}).code(), errc::corrupt_batch);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
}

CAF_TEST(a follower applies the control batches it copies) {
  temp_dir other;
  auto leader = open();
  three_transactions(*leader);
  auto follower = partition_log::open(other.path(), cfg);
  CAF_REQUIRE(follower.ok());
  auto all = leader->read(offset{0}, 1 << 20);
  CAF_REQUIRE(all.ok());
  CAF_REQUIRE((*follower)->append_replicated(all->bytes).ok());
  CAF_CHECK((*follower)->producers() == leader->producers());
  check_three(**follower);
}

CAF_TEST(transactions survive a clean restart) {
  {
    auto l = open();
    three_transactions(*l);
    check_three(*l);
    CAF_REQUIRE(l->close().ok());
  }
  auto l = open();
  check_three(*l);
  CAF_CHECK(l->recovery().notes.empty());
}

CAF_TEST(transactions are rebuilt from the log after a crash without snapshot) {
  {
    auto l = open();
    three_transactions(*l);
    // No close: a crash.
  }
  CAF_CHECK(list_producer_snapshots(dir.path())->empty());
  auto l = open();
  check_three(*l);
}

CAF_TEST(transactions replay after a snapshot taken at a roll) {
  cfg.segment_bytes = 200; // a roll after about each batch
  {
    auto l = open();
    three_transactions(*l);
    CAF_CHECK(l->producer_snapshot() > offset{0});
  }
  auto l = open();
  check_three(*l);
}

CAF_TEST(a snapshot of the older format is refused and the state rebuilt from the log) {
  {
    auto l = open();
    three_transactions(*l);
    CAF_REQUIRE(l->close().ok());
  }
  auto path = dir / producer_snapshot_name(offset{32});
  auto bytes = read_whole_file(path);
  CAF_REQUIRE(bytes.ok());
  (*bytes)[4] = std::byte{1};
  auto body = bytes->size() - 4;
  auto crc = crc32c::value(bytes->data(), body);
  std::memcpy(bytes->data() + body, &crc, sizeof crc);
  CAF_REQUIRE(write_file_atomic(path, *bytes).ok());
  auto l = open();
  check_three(*l);
  CAF_REQUIRE(!l->recovery().notes.empty());
  CAF_CHECK_EQUAL(l->recovery().notes.front(),
                  "00000000000000000032.snapshot: format version 1, this Sluice reads version 2; "
                  "removing it");
}

CAF_TEST(truncation before a marker reopens its transaction) {
  auto l = open();
  three_transactions(*l);
  CAF_REQUIRE(l->truncate_to(offset{21}).ok()); // producer 2's abort marker goes
  CAF_CHECK_EQUAL(l->last_stable_offset(offset{100}), offset{11});
  CAF_CHECK(l->aborted_transactions(offset{0}, offset{100}).empty());
  CAF_REQUIRE(l->truncate_to(offset{11}).ok());
  CAF_CHECK_EQUAL(l->last_stable_offset(offset{100}), offset{100});
}

CAF_TEST(truncation and a restart give the same state) {
  cfg.segment_bytes = 200;
  auto l = open();
  three_transactions(*l);
  append(*l, txn_batch(4, 0, 0));
  mark(*l, 4, 0, false);
  CAF_REQUIRE(l->truncate_to(offset{32}).ok());
  check_three(*l);
  CAF_REQUIRE(l->close().ok());
  l = open();
  check_three(*l);
}

CAF_TEST(retention prunes aborted transactions and the stable offset stays in the log) {
  manual_clock clock;
  cfg.segment_bytes = 200;
  cfg.retention_bytes = 1;
  auto opened = partition_log::open(dir.path(), cfg, clock.fn());
  CAF_REQUIRE(opened.ok());
  auto& l = **opened;
  append(l, txn_batch(1, 0, 0));
  mark(l, 1, 0, false);    // aborted [0, 10]
  append(l, txn_batch(2, 0, 0)); // open from 11
  append(l, make_batch(10, "later"));
  append(l, make_batch(10, "last"));
  CAF_CHECK_EQUAL(l.aborted_transactions(offset{0}, offset{100}).size(), 1u);
  auto deleted = l.apply_retention();
  CAF_REQUIRE(deleted.ok());
  CAF_REQUIRE(l.log_start_offset() > offset{11});
  CAF_CHECK(l.producers().aborted().empty());
  CAF_CHECK_EQUAL(l.last_stable_offset(offset{100}), l.log_start_offset());
}

CAF_TEST_FIXTURE_SCOPE_END()

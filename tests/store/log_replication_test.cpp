#define CAF_SUITE store.log_replication
#include <caf/test/unit_test.hpp>

#include "store/checkpoint.hpp"
#include "store/leader_epoch_format.hpp"
#include "store/segment_format.hpp"
#include "tests/store/log_helpers.hpp"

#include <fstream>

using namespace sluice;
using namespace sluice::store;
using namespace sluice::test;
namespace fs = std::filesystem;

namespace {

epoch_entry entry(int32_t epoch, int64_t start) { return {leader_epoch{epoch}, offset{start}}; }

struct fixture {
  temp_dir dir;
  manual_clock clock;
  log_config config;
  fs::path pdir = dir.path() / "p0";

  fixture() { config.index_interval_bytes = 128; }

  std::unique_ptr<partition_log> open(const fs::path& p) {
    auto l = partition_log::open(p, config, clock.fn());
    if (!l)
      CAF_FAIL("open " << p << " failed: " << l.err().to_string());
    return std::move(*l);
  }
  std::unique_ptr<partition_log> open() { return open(pdir); }

  // Appends `n` batches of 10 records "<prefix><i>-<r>" in `epoch`.
  static void append(partition_log& l, size_t n, const std::string& prefix, int32_t epoch = 0) {
    for (size_t i = 0; i < n; ++i) {
      auto b = make_batch(10, prefix + std::to_string(i));
      if (auto r = l.append(b, leader_epoch{epoch}); !r)
        CAF_FAIL("append failed: " << r.err().to_string());
    }
  }

  // The raw batches of [from, log end), as a follower would fetch them.
  static std::vector<std::byte> fetch(const partition_log& l, offset from) {
    std::vector<std::byte> out;
    while (from < l.log_end_offset()) {
      auto r = l.read(from, 1 << 20);
      if (!r || r->bytes.empty())
        CAF_FAIL("fetch at " << from << " failed");
      out.insert(out.end(), r->bytes.begin(), r->bytes.end());
      from = r->next_offset;
    }
    return out;
  }

  static std::vector<int64_t> offsets(const partition_log& l) {
    std::vector<int64_t> out;
    for (auto& r : read_all(l))
      out.push_back(r.off);
    return out;
  }

  static std::vector<int64_t> range(int64_t from, int64_t to) {
    std::vector<int64_t> out;
    for (auto o = from; o < to; ++o)
      out.push_back(o);
    return out;
  }

  fs::path seg_file(offset base, std::string_view suffix) const {
    return pdir / (segment_format::file_stem(base.value) + std::string{suffix});
  }
  fs::path epoch_file() const { return pdir / leader_epoch_format::file_name; }

  // Values, not references into temporaries, for CAF_CHECK_EQUAL.
  static size_t retain(partition_log& l) {
    auto n = l.apply_retention();
    if (!n)
      CAF_FAIL("retention failed: " << n.err().to_string());
    return *n;
  }
  std::vector<epoch_entry> stored_epochs() const {
    auto c = leader_epoch_cache::load(epoch_file());
    if (!c)
      CAF_FAIL("loading the epoch file failed: " << c.err().to_string());
    return c->entries();
  }
  offset stored_recovery_point() const {
    auto rp = read_recovery_point(pdir);
    if (!rp)
      CAF_FAIL("reading the checkpoint failed: " << rp.err().to_string());
    return *rp;
  }

  // Segments of 4 batches of 10 records (prefixes up to 3 characters).
  void four_batches_per_segment() { config.segment_bytes = 4 * make_batch(10, "s0").size() + 40; }

  // A log of 12 batches of 10 records over segments of 4 batches: [0,40) [40,80) [80,120).
  std::unique_ptr<partition_log> three_segments() {
    four_batches_per_segment();
    auto l = open();
    append(*l, 12, "s");
    if (l->segment_bases() != std::vector{offset{0}, offset{40}, offset{80}})
      CAF_FAIL("unexpected segments");
    return l;
  }

  // Every batch of the log, checked for the epoch history's and offsets' agreement.
  static void check_epochs_match_batches(const partition_log& l) {
    auto bytes = fetch(l, l.log_start_offset());
    size_t pos = 0;
    while (pos < bytes.size()) {
      auto h = validate_batch(bytes_view{bytes}.subspan(pos));
      CAF_REQUIRE(h.ok());
      CAF_CHECK_EQUAL(l.epochs().epoch_at(h->base_offset), h->epoch);
      pos += h->size_bytes();
    }
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(log_replication_tests, fixture)

// --- truncate_to --------------------------------------------------------------

CAF_TEST(truncate to the middle of a segment cuts at that batch) {
  auto l = three_segments();
  CAF_REQUIRE(l->truncate_to(offset{60}).ok());
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{60});
  CAF_CHECK_EQUAL(l->segment_bases(), (std::vector{offset{0}, offset{40}}));
  CAF_CHECK_EQUAL(offsets(*l), range(0, 60));
  CAF_CHECK(!fs::exists(seg_file(offset{80}, ".log")));
  CAF_CHECK(!fs::exists(seg_file(offset{80}, ".index")));
}

CAF_TEST(truncate to a segment boundary keeps that segment empty) {
  auto l = three_segments();
  CAF_REQUIRE(l->truncate_to(offset{80}).ok());
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{80});
  CAF_CHECK_EQUAL(l->segment_bases(), (std::vector{offset{0}, offset{40}, offset{80}}));
  CAF_CHECK_EQUAL(fs::file_size(seg_file(offset{80}, ".log")), 0u);
  CAF_CHECK_EQUAL(offsets(*l), range(0, 80));
}

CAF_TEST(truncate across several segments deletes every later one) {
  auto l = three_segments();
  CAF_REQUIRE(l->truncate_to(offset{20}).ok());
  CAF_CHECK_EQUAL(l->segment_bases(), (std::vector{offset{0}}));
  CAF_CHECK_EQUAL(offsets(*l), range(0, 20));
  CAF_CHECK(!fs::exists(seg_file(offset{40}, ".log")));
  CAF_CHECK(!fs::exists(seg_file(offset{80}, ".timeindex")));
}

CAF_TEST(truncate to the log start empties the log) {
  auto l = three_segments();
  CAF_REQUIRE(l->truncate_to(offset{0}).ok());
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{0});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
  CAF_CHECK_EQUAL(l->size_bytes(), 0u);
  CAF_CHECK(l->epochs().entries().empty());
}

CAF_TEST(truncate to the log end changes nothing) {
  auto l = three_segments();
  auto size = l->size_bytes();
  CAF_REQUIRE(l->truncate_to(offset{120}).ok());
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{120});
  CAF_CHECK_EQUAL(l->size_bytes(), size);
}

CAF_TEST(truncate inside a batch is refused and changes nothing) {
  auto l = three_segments();
  auto size = l->size_bytes();
  auto r = l->truncate_to(offset{65});
  CAF_CHECK_EQUAL(r.code(), errc::invalid_argument);
  CAF_CHECK(r.err().message.find("inside the batch [60, 69]") != std::string::npos);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{120});
  CAF_CHECK_EQUAL(l->size_bytes(), size);
  CAF_CHECK_EQUAL(l->segment_count(), 3u);
  CAF_CHECK_EQUAL(offsets(*l), range(0, 120));
}

CAF_TEST(truncate past the log end is out of range) {
  auto l = three_segments();
  CAF_CHECK_EQUAL(l->truncate_to(offset{121}).code(), errc::offset_out_of_range);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{120});
}

CAF_TEST(truncate below the log start is out of range) {
  config.retention_bytes = 0;
  auto l = three_segments();
  CAF_REQUIRE_EQUAL(retain(*l), 2u);
  CAF_REQUIRE_EQUAL(l->log_start_offset(), offset{80});
  auto r = l->truncate_to(offset{40});
  CAF_CHECK_EQUAL(r.code(), errc::offset_out_of_range);
  CAF_CHECK(r.err().message.find("[80, 120]") != std::string::npos);
  CAF_CHECK_EQUAL(offsets(*l), range(80, 120));
}

CAF_TEST(append after truncate continues at the new end) {
  auto l = three_segments();
  CAF_REQUIRE(l->truncate_to(offset{50}).ok());
  auto b = make_batch(5, "new");
  auto r = l->append(b, leader_epoch{1});
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->base_offset, offset{50});
  auto all = read_all(*l);
  CAF_REQUIRE_EQUAL(all.size(), 55u);
  CAF_CHECK_EQUAL(all[49].value, "s4-9");
  CAF_CHECK_EQUAL(all[50].value, "new-0");
  CAF_CHECK_EQUAL(all[54].off, 54);
}

CAF_TEST(appends after truncate to a boundary roll as before) {
  auto l = three_segments();
  CAF_REQUIRE(l->truncate_to(offset{40}).ok());
  append(*l, 6, "t");
  CAF_CHECK_EQUAL(l->segment_bases(), (std::vector{offset{0}, offset{40}, offset{80}}));
  CAF_CHECK_EQUAL(offsets(*l), range(0, 100));
}

CAF_TEST(reopen after truncate and close never shows the tail) {
  {
    auto l = three_segments();
    CAF_REQUIRE(l->truncate_to(offset{60}).ok());
    CAF_REQUIRE(l->close().ok());
  }
  auto l = open();
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{60});
  CAF_CHECK_EQUAL(offsets(*l), range(0, 60));
  CAF_CHECK_EQUAL(l->recovery().indexes_rebuilt, 0u);
}

CAF_TEST(reopen after truncate without close never shows the tail) {
  {
    auto l = three_segments();
    CAF_REQUIRE(l->close().ok());
  }
  {
    auto l = open();
    CAF_REQUIRE_EQUAL(l->recovery_point(), offset{120});
    CAF_REQUIRE(l->truncate_to(offset{60}).ok());
    // The checkpoint on disk no longer trusts anything past the new end.
    CAF_CHECK_LESS_OR_EQUAL(stored_recovery_point(), offset{60});
  } // dropped as a crash leaves it
  auto l = open();
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{60});
  CAF_CHECK_EQUAL(offsets(*l), range(0, 60));
}

CAF_TEST(a crash after truncate and new appends verifies the new batches) {
  {
    auto l = three_segments();
    CAF_REQUIRE(l->close().ok());
  }
  auto seg = seg_file(offset{40}, ".log");
  {
    auto l = open();
    CAF_REQUIRE(l->truncate_to(offset{60}).ok());
    append(*l, 1, "n", 1);
  } // crash: the new batch was never flushed, the old checkpoint said 120
  // Its records did not reach the disk intact; only a CRC check can tell.
  {
    std::fstream f{seg, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(static_cast<std::streamoff>(fs::file_size(seg) - 5));
    f.put('!');
  }
  auto l = open();
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{60});
  CAF_CHECK_EQUAL(offsets(*l), range(0, 60));
  CAF_CHECK_EQUAL(l->epochs().latest_epoch(), leader_epoch{0});
}

CAF_TEST(truncate trims the indexes so lookups stay exact) {
  auto l = three_segments();
  CAF_REQUIRE(l->truncate_to(offset{50}).ok());
  append(*l, 2, "x", 0);
  for (int64_t o = 0; o < 70; o += 3) {
    auto r = l->read(offset{o}, 1);
    CAF_REQUIRE(r.ok());
    CAF_CHECK_EQUAL(r->first_offset, offset{o - o % 10});
  }
  CAF_REQUIRE(l->close().ok());
  auto again = open();
  CAF_CHECK_EQUAL(again->recovery().indexes_rebuilt, 0u);
  CAF_CHECK_EQUAL(offsets(*again), range(0, 70));
}

CAF_TEST(truncate recomputes the segment max timestamp) {
  config.segment_bytes = 2 * make_batch(10, "early", 1000).size() + 8;
  config.retention_ms = clock.now_ms - 5000; // deletes segments whose max is below 5000
  auto l = open();
  auto early = make_batch(10, "early", 1000);
  auto late = make_batch(10, "late_", 9000);
  auto again = make_batch(10, "again", 1500);
  CAF_REQUIRE(l->append(early).ok());
  CAF_REQUIRE(l->append(late).ok());
  CAF_REQUIRE(l->truncate_to(offset{10}).ok());
  CAF_REQUIRE(l->append(again).ok());
  auto last = make_batch(10, "again", 1500);
  CAF_REQUIRE(l->append(last).ok()); // rolls: the first segment may now go
  CAF_REQUIRE_EQUAL(l->segment_count(), 2u);
  CAF_CHECK_EQUAL(retain(*l), 1u);
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{20});
}

CAF_TEST(truncate drops the epochs of the cut tail) {
  four_batches_per_segment();
  auto l = open();
  append(*l, 3, "a", 1);
  append(*l, 3, "b", 2);
  append(*l, 3, "c", 5);
  CAF_REQUIRE_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0), entry(2, 30), entry(5, 60)}));
  CAF_REQUIRE(l->truncate_to(offset{40}).ok());
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0), entry(2, 30)}));
  CAF_CHECK_EQUAL(stored_epochs(), l->epochs().entries());
}

// A replica that led an epoch without writing (an empty log after a restart, acting on a stale
// leadership) and then follows: the leader's batches of older epochs must fit after truncating
// to its log end, which drops the unused epoch.
CAF_TEST(truncate to the log end drops an epoch that began there unused) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 2, "a", 0);
  auto follower = open();
  CAF_REQUIRE(follower->assign_epoch(leader_epoch{1}).ok());
  CAF_REQUIRE_EQUAL(follower->epochs().entries(), (std::vector{entry(1, 0)}));
  CAF_CHECK(!follower->append_replicated(fetch(*leader, offset{0})).ok()); // epoch 0 after 1
  CAF_REQUIRE(follower->truncate_to(offset{0}).ok());
  CAF_CHECK(follower->epochs().entries().empty());
  CAF_CHECK(stored_epochs().empty());
  CAF_REQUIRE(follower->append_replicated(fetch(*leader, offset{0})).ok());
  CAF_CHECK_EQUAL(follower->epochs().entries(), leader->epochs().entries());
}

// --- reset_to -----------------------------------------------------------------

CAF_TEST(reset below the log start empties the log there) {
  config.retention_bytes = 0;
  auto l = three_segments();
  CAF_REQUIRE_EQUAL(retain(*l), 2u);
  CAF_REQUIRE(l->reset_to(offset{30}).ok());
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{30});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{30});
  CAF_CHECK_EQUAL(l->segment_bases(), (std::vector{offset{30}}));
  CAF_CHECK(l->epochs().entries().empty());
  CAF_CHECK(!fs::exists(seg_file(offset{80}, ".log")));
}

CAF_TEST(reset above the log end starts the log there) {
  auto l = three_segments();
  CAF_REQUIRE(l->reset_to(offset{500}).ok());
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{500});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{500});
  CAF_CHECK_EQUAL(l->segment_bases(), (std::vector{offset{500}}));
  auto b = make_batch(3, "r");
  auto r = l->append(b, leader_epoch{7});
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->base_offset, offset{500});
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(7, 500)}));
}

CAF_TEST(reset to an existing segment base keeps no batch) {
  auto l = three_segments();
  CAF_REQUIRE(l->reset_to(offset{40}).ok());
  CAF_CHECK_EQUAL(l->segment_bases(), (std::vector{offset{40}}));
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{40});
  CAF_CHECK_EQUAL(l->size_bytes(), 0u);
}

CAF_TEST(reset survives a crash) {
  {
    auto l = three_segments();
    CAF_REQUIRE(l->reset_to(offset{1000}).ok());
  }
  auto l = open();
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{1000});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{1000});
  CAF_CHECK(l->epochs().entries().empty());
  CAF_CHECK_EQUAL(stored_recovery_point(), offset{1000});
}

CAF_TEST(reset to a negative offset is refused) {
  auto l = three_segments();
  CAF_CHECK_EQUAL(l->reset_to(offset{-1}).code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{120});
}

// --- append_replicated ----------------------------------------------------------

CAF_TEST(replicated batches keep their offsets and epochs) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 2, "a", 3);
  append(*leader, 2, "b", 4);
  auto follower = open();
  auto r = follower->append_replicated(fetch(*leader, offset{0}));
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->base_offset, offset{0});
  CAF_CHECK_EQUAL(r->last_offset, offset{39});
  CAF_CHECK_EQUAL(r->batch_count, 4u);
  CAF_CHECK_EQUAL(r->record_count, 40u);
  CAF_CHECK(fetch(*follower, offset{0}) == fetch(*leader, offset{0}));
  CAF_CHECK_EQUAL(follower->epochs().entries(), (std::vector{entry(3, 0), entry(4, 20)}));
}

CAF_TEST(replicated appends continue one fetch after another) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 3, "a", 1);
  auto follower = open();
  CAF_REQUIRE(follower->append_replicated(fetch(*leader, offset{0})).ok());
  append(*leader, 2, "b", 2);
  CAF_REQUIRE(follower->append_replicated(fetch(*leader, offset{30})).ok());
  CAF_CHECK(fetch(*follower, offset{0}) == fetch(*leader, offset{0}));
  CAF_CHECK_EQUAL(follower->epochs().entries(), leader->epochs().entries());
}

CAF_TEST(a replicated batch after a gap is refused) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 3, "a");
  auto follower = open();
  auto r = follower->append_replicated(fetch(*leader, offset{10}));
  CAF_CHECK_EQUAL(r.code(), errc::invalid_argument);
  CAF_CHECK(r.err().message.find("gap") != std::string::npos);
  CAF_CHECK_EQUAL(follower->log_end_offset(), offset{0});
  CAF_CHECK_EQUAL(follower->size_bytes(), 0u);
}

CAF_TEST(a replicated batch overlapping the log is refused) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 3, "a");
  auto follower = open();
  CAF_REQUIRE(follower->append_replicated(fetch(*leader, offset{0})).ok());
  auto size = follower->size_bytes();
  auto r = follower->append_replicated(fetch(*leader, offset{20}));
  CAF_CHECK_EQUAL(r.code(), errc::invalid_argument);
  CAF_CHECK(r.err().message.find("overlaps") != std::string::npos);
  CAF_CHECK_EQUAL(follower->size_bytes(), size);
}

CAF_TEST(replicated batches that skip an offset between them are refused whole) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 3, "a");
  auto first = fetch(*leader, offset{0});
  auto third = fetch(*leader, offset{20});
  first.resize(first.size() - third.size() * 2); // batch 0 only
  first.insert(first.end(), third.begin(), third.end());
  auto follower = open();
  auto r = follower->append_replicated(first);
  CAF_CHECK_EQUAL(r.code(), errc::invalid_argument);
  CAF_CHECK(r.err().message.find("batch 1") != std::string::npos);
  CAF_CHECK_EQUAL(follower->size_bytes(), 0u);
}

CAF_TEST(a corrupt replicated batch writes nothing) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 3, "a", 2);
  auto bytes = fetch(*leader, offset{0});
  bytes.back() ^= std::byte{0x20};
  auto follower = open();
  auto r = follower->append_replicated(bytes);
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_batch);
  CAF_CHECK(r.err().message.find("batch 2") != std::string::npos);
  CAF_CHECK_EQUAL(follower->size_bytes(), 0u);
  CAF_CHECK(follower->epochs().entries().empty());
  CAF_CHECK(!fs::exists(epoch_file()));
}

CAF_TEST(an oversize replicated batch is refused) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 1, "a");
  config.max_batch_bytes = 100;
  auto follower = open();
  auto r = follower->append_replicated(fetch(*leader, offset{0}));
  CAF_CHECK_EQUAL(r.code(), errc::record_too_large);
  CAF_CHECK_EQUAL(follower->size_bytes(), 0u);
}

CAF_TEST(a replicated batch of an older epoch is refused) {
  auto leader = open(dir.path() / "leader");
  append(*leader, 1, "a", 2);
  auto follower = open();
  auto b = make_batch(10, "f");
  CAF_REQUIRE(follower->append(b, leader_epoch{5}).ok());
  auto old = fetch(*leader, offset{0});
  set_base_offset(old, offset{10});
  auto r = follower->append_replicated(old);
  CAF_CHECK_EQUAL(r.code(), errc::stale_epoch);
  CAF_CHECK_EQUAL(follower->log_end_offset(), offset{10});
}

CAF_TEST(an empty replicated append is refused) {
  auto follower = open();
  CAF_CHECK_EQUAL(follower->append_replicated({}).code(), errc::invalid_argument);
}

// --- the epoch history the log keeps --------------------------------------------

CAF_TEST(leader appends record where each epoch starts) {
  auto l = open();
  append(*l, 2, "a", 0);
  append(*l, 1, "b", 0);
  append(*l, 2, "c", 3);
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(0, 0), entry(3, 30)}));
  CAF_CHECK_EQUAL(l->end_offset_for(leader_epoch{0}), (epoch_end{leader_epoch{0}, offset{30}}));
  CAF_CHECK_EQUAL(l->end_offset_for(leader_epoch{3}), (epoch_end{leader_epoch{3}, offset{50}}));
  check_epochs_match_batches(*l);
}

CAF_TEST(a leader append in an older epoch is stale and writes nothing) {
  auto l = open();
  append(*l, 1, "a", 4);
  auto b = make_batch(2, "old");
  auto r = l->append(b, leader_epoch{3});
  CAF_CHECK_EQUAL(r.code(), errc::stale_epoch);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{10});
}

CAF_TEST(assign epoch records the log end before any append) {
  auto l = open();
  append(*l, 2, "a", 1);
  CAF_REQUIRE(l->assign_epoch(leader_epoch{2}).ok());
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0), entry(2, 20)}));
  CAF_CHECK_EQUAL(l->end_offset_for(leader_epoch{1}), (epoch_end{leader_epoch{1}, offset{20}}));
  append(*l, 1, "b", 2);
  CAF_CHECK_EQUAL(l->epochs().entries().size(), 2u);
}

CAF_TEST(the epoch history survives a reopen) {
  {
    auto l = open();
    append(*l, 2, "a", 1);
    append(*l, 2, "b", 6);
  } // even without close: the history was written before its batches
  auto l = open();
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0), entry(6, 20)}));
}

CAF_TEST(a missing epoch file is rebuilt from the batch headers) {
  four_batches_per_segment();
  std::vector<epoch_entry> before;
  {
    auto l = open();
    append(*l, 3, "a", 1);
    append(*l, 3, "b", 2);
    append(*l, 3, "c", 4);
    before = l->epochs().entries();
    CAF_REQUIRE(l->close().ok());
  }
  CAF_REQUIRE(fs::remove(epoch_file()));
  auto l = open();
  CAF_CHECK_EQUAL(l->epochs().entries(), before);
  CAF_CHECK(fs::exists(epoch_file()));
}

CAF_TEST(a corrupt epoch file is rebuilt with a note) {
  {
    auto l = open();
    append(*l, 2, "a", 1);
    append(*l, 2, "b", 3);
    CAF_REQUIRE(l->close().ok());
  }
  std::ofstream{epoch_file(), std::ios::binary | std::ios::trunc} << "garbage";
  auto l = open();
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0), entry(3, 20)}));
  auto& notes = l->recovery().notes;
  CAF_CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
    return n.find("rebuilding") != std::string::npos;
  }));
  CAF_CHECK(leader_epoch_cache::load(epoch_file()).ok());
}

CAF_TEST(an epoch file that disagrees with the log is rebuilt) {
  {
    auto l = open();
    append(*l, 2, "a", 1);
    CAF_REQUIRE(l->close().ok());
  }
  leader_epoch_cache wrong{epoch_file()};
  CAF_REQUIRE(wrong.assign(leader_epoch{0}, offset{0}).ok());
  CAF_REQUIRE(wrong.flush().ok());
  auto l = open();
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0)}));
}

CAF_TEST(recovery of a torn tail drops the epoch it started) {
  {
    auto l = open();
    append(*l, 3, "a", 1);
    append(*l, 1, "b", 2);
  } // crash
  auto seg = seg_file(offset{0}, ".log");
  fs::resize_file(seg, fs::file_size(seg) - 10);
  auto l = open();
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{30});
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0)}));
  CAF_CHECK_EQUAL(stored_epochs(), l->epochs().entries());
  // The follower's next epoch query and append see the cut log.
  CAF_CHECK_EQUAL(l->end_offset_for(leader_epoch{2}), (epoch_end{leader_epoch{1}, offset{30}}));
  append(*l, 1, "c", 2);
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0), entry(2, 30)}));
}

CAF_TEST(an epoch history left past the log end by a crash is trimmed on open) {
  {
    auto l = open();
    append(*l, 4, "a", 1);
    CAF_REQUIRE(l->close().ok());
  }
  // As if epoch 2 was recorded at 40 but its batches never reached the disk.
  leader_epoch_cache ahead{epoch_file()};
  CAF_REQUIRE(ahead.assign(leader_epoch{1}, offset{0}).ok());
  CAF_REQUIRE(ahead.assign(leader_epoch{2}, offset{40}).ok());
  CAF_REQUIRE(ahead.flush().ok());
  auto l = open();
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0)}));
}

CAF_TEST(an interrupted epoch file write leaves a temp file that open removes) {
  {
    auto l = open();
    append(*l, 1, "a", 1);
    CAF_REQUIRE(l->close().ok());
  }
  auto tmp = epoch_file();
  tmp += ".tmp";
  std::ofstream{tmp, std::ios::binary} << "half";
  auto l = open();
  CAF_CHECK(!fs::exists(tmp));
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(1, 0)}));
}

CAF_TEST(retention moves the first epoch start up) {
  config.retention_bytes = 0;
  four_batches_per_segment();
  auto l = open();
  append(*l, 6, "a", 1);
  append(*l, 6, "b", 2);
  CAF_REQUIRE_EQUAL(retain(*l), 2u);
  CAF_CHECK_EQUAL(l->epochs().entries(), (std::vector{entry(2, 80)}));
  CAF_CHECK_EQUAL(stored_epochs(), l->epochs().entries());
}

CAF_TEST_FIXTURE_SCOPE_END()

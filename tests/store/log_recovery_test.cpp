#define CAF_SUITE store.log_recovery
#include <caf/test/unit_test.hpp>

#include "store/checkpoint.hpp"
#include "store/index.hpp"
#include "store/segment_format.hpp"
#include "tests/store/log_helpers.hpp"

#include <fstream>
#include <random>

using namespace sluice;
using namespace sluice::store;
using namespace sluice::test;
namespace fs = std::filesystem;

namespace {

struct fixture {
  temp_dir dir;
  manual_clock clock;
  log_config config;
  fs::path pdir = dir.path() / "p0";

  std::unique_ptr<partition_log> open(const fs::path& p) {
    auto l = partition_log::open(p, config, clock.fn());
    if (!l)
      CAF_FAIL("open failed: " << l.err().to_string());
    return std::move(*l);
  }
  std::unique_ptr<partition_log> open() { return open(pdir); }

  // Writes `n` batches of `records` each; returns the byte size of each batch.
  // With close=false the log is dropped as a crash would leave it.
  std::vector<size_t> write(size_t n, size_t records, bool close) {
    auto l = open();
    std::vector<size_t> sizes;
    for (size_t i = 0; i < n; ++i) {
      auto b = make_batch(records, "b" + std::to_string(i), 1000 + 100 * static_cast<int64_t>(i));
      sizes.push_back(b.size());
      if (auto r = l->append(b); !r)
        CAF_FAIL("append failed: " << r.err().to_string());
    }
    if (close)
      CAF_REQUIRE(l->close().ok());
    return sizes;
  }

  fs::path seg_file(int64_t base, std::string_view suffix) const {
    return pdir / (segment_format::file_stem(base) + std::string{suffix});
  }

  static void copy_dir(const fs::path& from, const fs::path& to) {
    fs::remove_all(to);
    fs::copy(from, to, fs::copy_options::recursive);
  }

  static void flip_byte(const fs::path& p, uint64_t pos) {
    std::fstream f{p, std::ios::in | std::ios::out | std::ios::binary};
    f.seekg(static_cast<std::streamoff>(pos));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(pos));
    f.put(static_cast<char>(c ^ 0x40));
  }

  static void write_file(const fs::path& p, const std::string& data) {
    std::ofstream f{p, std::ios::binary | std::ios::trunc};
    f << data;
  }
};

// Expected values of records in whole batches [0, batches).
std::vector<std::string> expected_values(size_t batches, size_t records) {
  std::vector<std::string> v;
  for (size_t i = 0; i < batches; ++i)
    for (size_t r = 0; r < records; ++r)
      v.push_back("b" + std::to_string(i) + "-" + std::to_string(r));
  return v;
}

std::vector<std::string> values(const std::vector<read_record>& rs) {
  std::vector<std::string> v;
  for (auto& r : rs)
    v.push_back(r.value);
  return v;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(log_recovery_tests, fixture)

CAF_TEST(a cut inside the last batch at 200 seeded positions keeps exactly the whole batches) {
  const size_t n = 8, records = 40;
  for (bool closed : {false, true}) {
    fs::remove_all(pdir);
    auto sizes = write(n, records, closed);
    auto pristine = dir.path() / "pristine";
    copy_dir(pdir, pristine);
    auto seg = seg_file(0, segment_format::log_suffix);
    auto full = fs::file_size(seg);
    CAF_REQUIRE_GREATER(sizes.back(), 200u);
    std::mt19937_64 rng{closed ? 7u : 3u};
    for (int i = 0; i < 200; ++i) {
      copy_dir(pristine, pdir);
      // Keep 1 .. size-1 bytes of the last batch.
      auto keep = 1 + rng() % (sizes.back() - 1);
      auto cut_at = full - sizes.back() + keep;
      fs::resize_file(seg, cut_at);
      auto l = open();
      CAF_CHECK_EQUAL(l->log_end_offset(), offset{static_cast<int64_t>((n - 1) * records)});
      CAF_CHECK_EQUAL(l->recovery().bytes_truncated, keep);
      auto got = values(read_all(*l));
      if (got != expected_values(n - 1, records))
        CAF_FAIL("closed=" << closed << " cut at " << cut_at << ": wrong records after recovery");
      // The log continues right after the last whole batch.
      auto b = make_batch(1, "next");
      auto a = l->append(b);
      CAF_REQUIRE(a.ok());
      CAF_CHECK_EQUAL(a->base_offset, offset{static_cast<int64_t>((n - 1) * records)});
    }
  }
}

CAF_TEST(a flipped byte inside batch k keeps only the batches before k) {
  const size_t n = 10, records = 20;
  auto sizes = write(n, records, false);
  auto pristine = dir.path() / "pristine";
  copy_dir(pdir, pristine);
  std::mt19937_64 rng{11};
  for (size_t k = 0; k < n; ++k) {
    copy_dir(pristine, pdir);
    uint64_t start = 0;
    for (size_t i = 0; i < k; ++i)
      start += sizes[i];
    // Anywhere in the batch: header, CRC field or records.
    auto pos = start + rng() % sizes[k];
    flip_byte(seg_file(0, segment_format::log_suffix), pos);
    auto l = open();
    auto got = values(read_all(*l));
    if (got != expected_values(k, records))
      CAF_FAIL("flip in batch " << k << " at byte " << pos << " kept " << got.size()
                                << " records");
    CAF_CHECK_EQUAL(l->log_end_offset(), offset{static_cast<int64_t>(k * records)});
    CAF_CHECK_EQUAL(l->recovery().notes.empty(), false);
  }
}

CAF_TEST(corruption in an early segment drops every later segment) {
  config.segment_bytes = 1500;
  write(40, 10, false);
  auto bases_before = open()->segment_bases();
  CAF_REQUIRE_GREATER(bases_before.size(), 3u);
  // Reopening above recovered and checkpointed everything; corrupt the second
  // segment's first batch and drop the checkpoint, as after a crash.
  fs::remove(pdir / "recovery-point.checkpoint");
  flip_byte(seg_file(bases_before[1].value, segment_format::log_suffix), 30);
  auto l = open();
  CAF_CHECK_EQUAL(l->log_end_offset(), bases_before[1]);
  CAF_CHECK_EQUAL(l->recovery().segments_deleted, bases_before.size() - 2);
  CAF_CHECK(!fs::exists(seg_file(bases_before[2].value, segment_format::log_suffix)));
  CAF_CHECK(!fs::exists(seg_file(bases_before[2].value, segment_format::index_suffix)));
}

CAF_TEST(a corrupt header below the recovery point is caught and cut) {
  config.segment_bytes = 1500;
  write(40, 10, true);
  std::vector<offset> bases;
  {
    auto l = open();
    bases = l->segment_bases();
    CAF_REQUIRE_GREATER(bases.size(), 3u);
    CAF_CHECK_EQUAL(l->recovery().segments_scanned, 0u);
  }
  // The checkpoint trusts segment 1; overwrite its first batch's length field.
  {
    std::fstream f{seg_file(bases[1].value, segment_format::log_suffix),
                   std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(8);
    f.write("\xff\xff\xff\x7f", 4);
  }
  auto direct = segment::open_trusted(pdir, bases[1], config.index_interval_bytes);
  CAF_CHECK_EQUAL(direct.code(), errc::corrupt_batch);
  CAF_CHECK(direct.err().message.find(segment_format::file_stem(bases[1].value)) != std::string::npos);
  auto l = open();
  CAF_CHECK_EQUAL(l->log_end_offset(), bases[1]);
  for (auto& r : read_all(*l))
    CAF_CHECK_LESS(r.off, bases[1].value);
}

CAF_TEST(deleted index files are rebuilt and lookups are identical) {
  config.segment_bytes = 4000;
  config.index_interval_bytes = 256;
  write(60, 10, true);
  std::vector<std::vector<read_record>> reads_before;
  std::vector<int64_t> ts_before;
  std::vector<offset> bases;
  auto probe = [&](partition_log& l, std::vector<std::vector<read_record>>& reads,
                   std::vector<int64_t>& ts) {
    for (int64_t o = 0; o < l.log_end_offset().value; o += 7)
      reads.push_back(read_all(l, offset{o}, 700));
    for (int64_t t = 900; t < 7100; t += 37)
      ts.push_back(l.offset_for_timestamp(timestamp_ms{t})->value);
  };
  {
    auto l = open();
    bases = l->segment_bases();
    probe(*l, reads_before, ts_before);
  }
  CAF_REQUIRE_GREATER(bases.size(), 2u);
  for (auto b : bases) {
    fs::remove(seg_file(b.value, segment_format::index_suffix));
    fs::remove(seg_file(b.value, segment_format::time_index_suffix));
  }
  auto l = open();
  CAF_CHECK_EQUAL(l->recovery().indexes_rebuilt, bases.size());
  for (auto b : bases) {
    CAF_CHECK(fs::exists(seg_file(b.value, segment_format::index_suffix)));
    CAF_CHECK(fs::exists(seg_file(b.value, segment_format::time_index_suffix)));
    CAF_CHECK_GREATER(fs::file_size(seg_file(b.value, segment_format::index_suffix)), 0u);
  }
  std::vector<std::vector<read_record>> reads_after;
  std::vector<int64_t> ts_after;
  probe(*l, reads_after, ts_after);
  CAF_CHECK(ts_after == ts_before);
  CAF_REQUIRE_EQUAL(reads_after.size(), reads_before.size());
  for (size_t i = 0; i < reads_after.size(); ++i)
    CAF_CHECK(values(reads_after[i]) == values(reads_before[i]));
}

CAF_TEST(an index entry pointing past the segment end is a typed error and gets rebuilt) {
  config.index_interval_bytes = 128;
  write(30, 10, true);
  auto idx_path = seg_file(0, segment_format::index_suffix);
  auto seg_size = fs::file_size(seg_file(0, segment_format::log_suffix));
  {
    std::ofstream f{idx_path, std::ios::binary | std::ios::app};
    uint32_t rel = 299, pos = static_cast<uint32_t>(seg_size + 4096);
    f.write(reinterpret_cast<const char*>(&rel), 4);
    f.write(reinterpret_cast<const char*>(&pos), 4);
  }
  auto direct = offset_index::load(idx_path, seg_size, seg_size);
  CAF_CHECK_EQUAL(direct.code(), errc::corrupt_index);
  CAF_CHECK(direct.err().message.find("past the segment end") != std::string::npos);
  auto l = open();
  CAF_CHECK_EQUAL(l->recovery().indexes_rebuilt, 1u);
  CAF_CHECK_EQUAL(values(read_all(*l)), expected_values(30, 10));
  auto mid = l->read(offset{155}, 1);
  CAF_REQUIRE(mid.ok());
  CAF_CHECK_EQUAL(mid->first_offset, offset{150});
}

CAF_TEST(an index of a size that is not a multiple of the entry is corrupt) {
  write(3, 5, true);
  auto idx_path = seg_file(0, segment_format::index_suffix);
  write_file(idx_path, "abc");
  CAF_CHECK_EQUAL(offset_index::load(idx_path, 1000, 1000).code(), errc::corrupt_index);
  auto l = open();
  CAF_CHECK_EQUAL(values(read_all(*l)), expected_values(3, 5));
}

CAF_TEST(a foreign file in the partition directory is refused) {
  write(2, 2, true);
  write_file(pdir / "notes.txt", "hello");
  auto l = partition_log::open(pdir, config, clock.fn());
  CAF_CHECK_EQUAL(l.code(), errc::foreign_file);
  CAF_CHECK(l.err().message.find("notes.txt") != std::string::npos);
  // Nothing was touched: removing the stranger makes the log open intact.
  fs::remove(pdir / "notes.txt");
  CAF_CHECK_EQUAL(values(read_all(*open())), expected_values(2, 2));
}

CAF_TEST(a subdirectory in the partition directory is refused) {
  write(1, 1, true);
  fs::create_directory(pdir / "00000000000000000000.log.d");
  CAF_CHECK_EQUAL(partition_log::open(pdir, config, clock.fn()).code(), errc::foreign_file);
}

CAF_TEST(a corrupt checkpoint is reported and everything is verified) {
  write(5, 4, true);
  write_file(pdir / "recovery-point.checkpoint", std::string(20, 'x'));
  CAF_CHECK_EQUAL(read_recovery_point(pdir).code(), errc::corrupt_checkpoint);
  auto l = open();
  CAF_CHECK_EQUAL(l->recovery().segments_scanned, 1u);
  CAF_CHECK_EQUAL(values(read_all(*l)), expected_values(5, 4));
  // Recovery rewrote a good checkpoint.
  auto rp = read_recovery_point(pdir);
  CAF_REQUIRE(rp.ok());
  CAF_CHECK_EQUAL(*rp, offset{20});
}

CAF_TEST(a checkpoint of the wrong size is corrupt) {
  fs::create_directories(pdir);
  write_file(pdir / "recovery-point.checkpoint", "short");
  CAF_CHECK_EQUAL(read_recovery_point(pdir).code(), errc::corrupt_checkpoint);
}

CAF_TEST(checkpoint round trips) {
  fs::create_directories(pdir);
  auto missing = read_recovery_point(pdir);
  CAF_REQUIRE(missing.ok());
  CAF_CHECK_EQUAL(missing.value(), offset{0});
  CAF_REQUIRE(write_recovery_point(pdir, offset{123456789}).ok());
  auto written = read_recovery_point(pdir);
  CAF_REQUIRE(written.ok());
  CAF_CHECK_EQUAL(written.value(), offset{123456789});
}

CAF_TEST(leftovers of interrupted work are removed) {
  write(2, 2, true);
  write_file(pdir / "recovery-point.checkpoint.tmp", "partial");
  write_file(pdir / (segment_format::file_stem(77) + ".log.deleted"), "old");
  write_file(pdir / (segment_format::file_stem(500) + ".index"), "");
  auto l = open();
  CAF_CHECK(!fs::exists(pdir / "recovery-point.checkpoint.tmp"));
  CAF_CHECK(!fs::exists(pdir / (segment_format::file_stem(77) + ".log.deleted")));
  CAF_CHECK(!fs::exists(pdir / (segment_format::file_stem(500) + ".index")));
  CAF_CHECK_EQUAL(values(read_all(*l)), expected_values(2, 2));
}

CAF_TEST(a segment whose name does not match its first batch is cut) {
  write(3, 2, true);
  // Pretend the only segment starts at 100 while its batches say 0.
  fs::rename(seg_file(0, ".log"), seg_file(100, ".log"));
  fs::remove(seg_file(0, ".index"));
  fs::remove(seg_file(0, ".timeindex"));
  fs::remove(pdir / "recovery-point.checkpoint");
  auto l = open();
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{100});
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{100});
  CAF_CHECK_GREATER(l->recovery().bytes_truncated, 0u);
}

CAF_TEST(an empty segment file recovers as an empty log) {
  fs::create_directories(pdir);
  write_file(seg_file(0, ".log"), "");
  auto l = open();
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{0});
  auto b = make_batch(1, "x");
  CAF_CHECK(l->append(b).ok());
}

CAF_TEST(a log directory that is a regular file is an io error) {
  write_file(dir.path() / "plain", "x");
  auto l = partition_log::open(dir.path() / "plain", config, clock.fn());
  CAF_CHECK_EQUAL(l.code(), errc::io_error);
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE store.drop_behind
#include <caf/test/unit_test.hpp>

#include "store/drop_behind.hpp"
#include "store/segment_format.hpp"
#include "tests/store/log_helpers.hpp"

#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <fcntl.h>
#include <unistd.h>

using namespace sluice;
using namespace sluice::store;
using namespace sluice::test;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t MiB = 1u << 20;

// One batch of a single ~64 KiB record.
std::vector<std::byte> big_batch(char fill) {
  batch_builder b;
  std::string v(64 * 1024, fill);
  b.add(timestamp_ms{1000}, std::nullopt, std::string_view{v});
  return b.finish();
}

// How many of the pages of [from, to) of `path` are in the page cache (mincore); -1 when the
// file cannot be mapped.
long resident_pages(const fs::path& path, uint64_t from, uint64_t to) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  auto size = static_cast<size_t>(fs::file_size(path));
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED)
    return -1;
  auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((size + page - 1) / page);
  long n = -1;
  if (::mincore(m, size, in.data()) == 0) {
    n = 0;
    for (auto p = from / page; p < (to + page - 1) / page && p < in.size(); ++p)
      n += in[p] & 1;
  }
  ::munmap(m, size);
  return n;
}

bool on_tmpfs(const fs::path& p) {
  struct statfs s {};
  return ::statfs(p.c_str(), &s) == 0 && s.f_type == TMPFS_MAGIC;
}

struct fixture {
  temp_dir dir;
  manual_clock clock;
  log_config config;
  fs::path pdir = dir.path() / "p0";
  std::unique_ptr<partition_log> log;

  fixture() {
    auto l = partition_log::open(pdir, config, clock.fn());
    if (!l)
      CAF_FAIL("open failed: " << l.err().to_string());
    log = std::move(*l);
  }

  // Appends 64 KiB batches until the active segment holds at least `bytes`.
  void fill(uint64_t bytes, char fill = 'a') {
    auto b = big_batch(fill);
    while (log->size_bytes() < bytes) {
      auto copy = b;
      if (auto r = log->append(copy, leader_epoch{0}); !r)
        CAF_FAIL("append failed: " << r.err().to_string());
    }
  }

  fs::path first_segment() const {
    return pdir / (segment_format::file_stem(0) + std::string{segment_format::log_suffix});
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(drop_behind_tests, fixture)

CAF_TEST(off by default: no hint is given) {
  fill(12 * MiB);
  CAF_CHECK_EQUAL(log->page_cache().window(), 0u);
  CAF_CHECK_EQUAL(log->page_cache().started(), 0u);
  CAF_CHECK_EQUAL(log->page_cache().dropped(), 0u);
}

CAF_TEST(writeback starts every chunk and pages older than the window are dropped) {
  log->set_page_cache_window(8 * MiB);
  fill(30 * MiB);
  auto size = log->size_bytes();
  auto& pc = log->page_cache();
  // Writeback was started up to within a chunk of the end...
  CAF_CHECK_LESS_OR_EQUAL(pc.started(), size);
  CAF_CHECK_LESS(size - pc.started(), drop_behind::chunk);
  // ...and what lies more than the window behind it was dropped, a chunk at a time.
  CAF_CHECK_LESS_OR_EQUAL(pc.dropped() + 8 * MiB, pc.started());
  CAF_CHECK_GREATER_OR_EQUAL(pc.dropped() + 8 * MiB + drop_behind::chunk, pc.started());
  // The content is what was written.
  auto all = read_all(*log);
  CAF_REQUIRE(!all.empty());
  CAF_CHECK_EQUAL(all.front().value, std::string(64 * 1024, 'a'));
  CAF_CHECK_EQUAL(static_cast<int64_t>(all.size()), log->log_end_offset().value);
}

CAF_TEST(dropped pages leave the page cache once written back) {
  if (on_tmpfs(pdir)) {
    CAF_MESSAGE("skipped: tmpfs keeps every page (its pages are its only copy)");
    return;
  }
  log->set_page_cache_window(8 * MiB);
  fill(16 * MiB);
  // Everything up to here is clean after the flush, so a drop in it cannot meet a page still
  // dirty or under writeback.
  CAF_REQUIRE(log->flush());
  auto clean = log->size_bytes();
  auto before = log->page_cache().dropped();
  fill(clean + 2 * drop_behind::chunk, 'b');
  auto after = std::min(log->page_cache().dropped(), clean);
  CAF_REQUIRE_GREATER(after, before + MiB);
  // Whole pages only: a large folio straddling the edge of one drop's range stays.
  auto pages = static_cast<long>((after - before) / 4096);
  auto resident = resident_pages(first_segment(), before, after);
  CAF_MESSAGE(resident << " of " << pages << " pages dropped behind are still cached");
  CAF_CHECK_LESS(resident, pages / 20);
  // The newest window stays cached.
  CAF_CHECK_GREATER(resident_pages(first_segment(), log->size_bytes() - MiB, log->size_bytes()), 0);
  // A dropped page reads back from disk as written.
  auto r = log->read(offset{0}, 1);
  CAF_REQUIRE(r);
  auto all = read_all(*log);
  CAF_CHECK_EQUAL(all.front().value, std::string(64 * 1024, 'a'));
  CAF_CHECK_EQUAL(all.back().value, std::string(64 * 1024, 'b'));
}

CAF_TEST(a roll starts over in the new segment) {
  config.segment_bytes = 10 * MiB;
  log.reset();
  auto l = partition_log::open(dir.path() / "p1", config, clock.fn());
  CAF_REQUIRE(l);
  log = std::move(*l);
  log->set_page_cache_window(2 * MiB);
  fill(9 * MiB);
  CAF_CHECK_GREATER(log->page_cache().dropped(), 0u);
  // Past segment.bytes: the next append rolls; positions are of the new segment from then on.
  fill(log->size_bytes() + 2 * MiB);
  CAF_REQUIRE_EQUAL(log->segment_count(), 2u);
  CAF_CHECK_LESS(log->page_cache().started(), 3 * MiB);
  CAF_CHECK_LESS(log->page_cache().dropped(), 3 * MiB);
}

CAF_TEST(a truncation below the hints pulls them back) {
  log->set_page_cache_window(2 * MiB);
  fill(12 * MiB);
  CAF_REQUIRE_GREATER(log->page_cache().dropped(), 4 * MiB);
  CAF_REQUIRE(log->truncate_to(offset{10}));
  fill(log->size_bytes() + 1, 'c');
  CAF_CHECK_LESS_OR_EQUAL(log->page_cache().started(), log->size_bytes());
  CAF_CHECK_LESS_OR_EQUAL(log->page_cache().dropped(), log->page_cache().started());
  auto all = read_all(*log);
  CAF_REQUIRE_EQUAL(all.size(), 11u);
  CAF_CHECK_EQUAL(all.back().value, std::string(64 * 1024, 'c'));
}

CAF_TEST(switching it off keeps what is cached from then on) {
  log->set_page_cache_window(2 * MiB);
  fill(8 * MiB);
  auto dropped = log->page_cache().dropped();
  log->set_page_cache_window(0);
  fill(20 * MiB);
  CAF_CHECK_EQUAL(log->page_cache().dropped(), dropped);
}

CAF_TEST_FIXTURE_SCOPE_END()

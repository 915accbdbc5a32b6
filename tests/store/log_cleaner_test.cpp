#define CAF_SUITE store.log_cleaner
#include <caf/test/unit_test.hpp>

#include "store/cleaner_format.hpp"
#include "store/offset_map.hpp"
#include "tests/store/log_helpers.hpp"

#include <map>
#include <optional>

using namespace sluice;
using namespace sluice::store;
using namespace sluice::test;
namespace fs = std::filesystem;
namespace bf = sluice::store::batch_format;

namespace {

using kv = std::pair<std::string, std::optional<std::string>>; // nullopt value: a tombstone

std::vector<std::byte> kv_batch(const std::vector<kv>& records, int64_t ts, int64_t pid = -1,
                                int32_t seq = -1, uint16_t attributes = 0) {
  batch_builder b;
  for (auto& [k, v] : records)
    b.add(timestamp_ms{ts}, std::string_view{k},
          v ? std::optional<std::string_view>{*v} : std::nullopt);
  return b.finish(pid, pid >= 0 ? 0 : -1, seq, attributes);
}

struct record {
  int64_t off;
  std::string key;
  std::optional<std::string> value;
};

// Every record of the log, start to end, through read() as a consumer reads (next_offset on).
std::vector<record> records_of(const partition_log& l, offset from = offset{-1}) {
  std::vector<record> out;
  auto pos = from.value < 0 ? l.log_start_offset() : from;
  for (int guard = 0; pos < l.log_end_offset() && guard < 100000; ++guard) {
    auto r = l.read(pos, 1 << 20);
    if (!r)
      CAF_FAIL("read at " << pos.value << ": " << r.err().to_string());
    if (r->bytes.empty())
      break;
    size_t p = 0;
    while (p < r->bytes.size()) {
      bytes_view rest{r->bytes.data() + p, r->bytes.size() - p};
      auto h = validate_batch(rest);
      CAF_REQUIRE(h.ok());
      if (!h->is_control()) {
        record_reader rr{rest.first(h->size_bytes())};
        record_view rec;
        while (rr.next(rec))
          if (rec.off >= pos)
            out.push_back({rec.off.value, std::string{rec.key.value_or("")},
                           rec.value ? std::optional<std::string>{std::string{*rec.value}}
                                     : std::nullopt});
        CAF_REQUIRE(!rr.error_state());
      }
      p += h->size_bytes();
    }
    pos = r->next_offset;
  }
  return out;
}

// key -> the value of its last record (tombstones included), as a compacted topic promises.
std::map<std::string, std::optional<std::string>> latest_of(const std::vector<record>& rs) {
  std::map<std::string, std::optional<std::string>> out;
  for (auto& r : rs)
    out[r.key] = r.value;
  return out;
}

// Returned by value: CAF_CHECK_EQUAL keeps references to its arguments past the statement.
std::optional<std::string> latest_value(const std::vector<record>& rs, const std::string& key) {
  std::optional<std::string> v;
  for (auto& r : rs)
    if (r.key == key)
      v = r.value;
  return v;
}

size_t count_key(const std::vector<record>& rs, const std::string& key) {
  size_t n = 0;
  for (auto& r : rs)
    n += r.key == key;
  return n;
}

bool dir_has(const fs::path& dir, std::string_view part) {
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(part) != std::string::npos)
      return true;
  return false;
}

struct fixture {
  temp_dir dir;
  manual_clock clock;
  log_config cfg;
  size_t map_bytes = 1 << 20;

  fixture() {
    cfg.compacted = true;
    cfg.segment_bytes = 1024;
    cfg.index_interval_bytes = 256;
    cfg.min_cleanable_dirty_ratio = 0;
    cfg.delete_retention_ms = 10'000;
  }

  std::unique_ptr<partition_log> open() {
    auto l = partition_log::open(dir.path(), cfg, clock.fn());
    if (!l)
      CAF_FAIL("open: " << l.err().to_string());
    return std::move(*l);
  }

  static offset append(partition_log& l, std::vector<std::byte> b) {
    auto r = l.append(b, leader_epoch{0});
    if (!r)
      CAF_FAIL("append: " << r.err().to_string());
    return r->base_offset;
  }

  // `rounds` updates of keys k0..k<keys-1>, one batch of `per_batch` records at a time; the
  // value says which round wrote it ("r<round>").
  void updates(partition_log& l, int keys, int rounds, int per_batch = 4) {
    std::vector<kv> batch;
    for (int r = 0; r < rounds; ++r)
      for (int k = 0; k < keys; ++k) {
        batch.push_back({"k" + std::to_string(k), "r" + std::to_string(r)});
        if (static_cast<int>(batch.size()) == per_batch) {
          append(l, kv_batch(batch, clock.now_ms));
          batch.clear();
        }
      }
    if (!batch.empty())
      append(l, kv_batch(batch, clock.now_ms));
  }

  // One plan -> clean -> install round below `uncleanable` (log end when unset); false when
  // there was nothing to clean.
  bool clean(partition_log& l, std::optional<offset> uncleanable = std::nullopt) {
    auto job = l.plan_cleaning(uncleanable.value_or(l.log_end_offset()), map_bytes);
    if (!job)
      CAF_FAIL("plan: " << job.err().to_string());
    if (!*job)
      return false;
    auto r = clean_log(**job);
    if (!r)
      CAF_FAIL("clean: " << r.err().to_string());
    auto st = l.install_cleaned(*r);
    if (!st)
      CAF_FAIL("install: " << st.err().to_string());
    return true;
  }
};

} // namespace

CAF_TEST(offset_map keeps the latest offset per key and fills up to its capacity) {
  offset_map m{16 * 10};
  CAF_CHECK_EQUAL(m.slots(), 10u);
  CAF_CHECK_EQUAL(m.capacity(), 9u);
  m.put("a", offset{3});
  m.put("b", offset{4});
  m.put("a", offset{7});
  CAF_CHECK_EQUAL(m.get("a"), std::optional{offset{7}});
  CAF_CHECK_EQUAL(m.get("b"), std::optional{offset{4}});
  CAF_CHECK(!m.get("c"));
  CAF_CHECK_EQUAL(m.size(), 2u);
  for (int i = 0; i < 7; ++i)
    m.put("x" + std::to_string(i), offset{10 + i});
  CAF_CHECK(m.full());
  for (int i = 0; i < 7; ++i)
    CAF_CHECK_EQUAL(m.get("x" + std::to_string(i)), std::optional{offset{10 + i}});
  m.clear();
  CAF_CHECK_EQUAL(m.size(), 0u);
  CAF_CHECK(!m.get("a"));
}

CAF_TEST_FIXTURE_SCOPE(log_cleaner_tests, fixture)

CAF_TEST(cleaning keeps the latest record per key across segments and keeps offsets) {
  auto l = open();
  updates(*l, 10, 30);
  auto before = records_of(*l);
  auto segments_before = l->segment_count();
  auto size_before = l->size_bytes();
  auto end = l->log_end_offset();
  CAF_REQUIRE_GREATER(segments_before, 5u);
  CAF_REQUIRE(clean(*l));
  auto after = records_of(*l);
  CAF_CHECK_EQUAL(l->log_end_offset(), end);
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{0});
  CAF_CHECK_LESS(l->size_bytes(), size_before);
  CAF_CHECK_LESS(l->segment_count(), segments_before);
  CAF_CHECK(latest_of(after) == latest_of(before));
  // Each surviving record sits at the offset it had (the value says which round wrote it,
  // and round r of key k was at offset 10r + k).
  for (auto& r : after)
    CAF_CHECK_EQUAL(r.value, "r" + std::to_string(r.off / 10));
  // Below the active segment every key appears once; the active segment is never cleaned.
  auto active_base = l->segment_bases().back();
  for (int k = 0; k < 10; ++k) {
    size_t below = 0;
    for (auto& r : after)
      below += r.key == "k" + std::to_string(k) && offset{r.off} < active_base;
    CAF_CHECK_LESS_OR_EQUAL(below, 1u);
  }
  CAF_CHECK_EQUAL(l->cleaner().cleanings, 1u);
  CAF_CHECK_GREATER(l->cleaner().records_removed, 200u);
  CAF_CHECK(!dir_has(dir.path(), ".cleaned"));
  CAF_CHECK(!dir_has(dir.path(), "cleaner.swap"));
  // A reopened log (clean stop and crash) has the same records: gaps are trusted.
  CAF_REQUIRE(l->close().ok());
  l.reset();
  l = open();
  CAF_CHECK_EQUAL(records_of(*l).size(), after.size());
  CAF_CHECK_EQUAL(l->log_end_offset(), end);
  l.reset(); // no close: recovery scans the active segment
  l = open();
  CAF_CHECK_EQUAL(records_of(*l).size(), after.size());
  CAF_CHECK(l->recovery().notes.empty() || l->recovery().segments_deleted == 0);
}

CAF_TEST(nothing above the uncleanable offset and no active segment is cleaned) {
  auto l = open();
  updates(*l, 4, 40);
  auto bases = l->segment_bases();
  CAF_REQUIRE_GREATER(bases.size(), 4u);
  // Below the third segment only: the rest keeps every record.
  auto bound = bases[2];
  CAF_REQUIRE(clean(*l, bound));
  auto after = records_of(*l);
  size_t above = 0;
  for (auto& r : after)
    above += offset{r.off} >= bound;
  CAF_CHECK_EQUAL(above, static_cast<size_t>(l->log_end_offset().value - bound.value));
  CAF_CHECK_EQUAL(l->cleaner().cleaned_to, bound);
  // Nothing dirty below the bound any more: no job.
  auto job = l->plan_cleaning(bound, map_bytes);
  CAF_REQUIRE(job.ok());
  CAF_CHECK(!*job);
  // A log that is not compacted is never planned.
  cfg.compacted = false;
  temp_dir other;
  auto plain = partition_log::open(other.path(), cfg, clock.fn());
  CAF_REQUIRE(plain.ok());
  updates(**plain, 4, 40);
  auto none = (*plain)->plan_cleaning((*plain)->log_end_offset(), map_bytes);
  CAF_REQUIRE(none.ok());
  CAF_CHECK(!*none);
}

CAF_TEST(tombstones stay until delete.retention.ms then go with every older record of the key) {
  auto l = open();
  updates(*l, 6, 10);
  append(*l, kv_batch({{"k1", std::nullopt}, {"k2", std::nullopt}}, clock.now_ms));
  updates(*l, 2, 30); // k0 and k1 again: k1 lives on after its tombstone
  append(*l, kv_batch({{"k3", std::nullopt}}, clock.now_ms));
  updates(*l, 1, 40); // enough k0 to roll past the tombstones
  CAF_REQUIRE(clean(*l));
  auto after = records_of(*l);
  auto latest = latest_of(after);
  CAF_CHECK_EQUAL(latest["k1"], std::optional<std::string>{"r29"});
  // Young tombstones stay, and every older record of their key is gone.
  CAF_CHECK_EQUAL(count_key(after, "k2"), 1u);
  CAF_CHECK(latest.count("k2") == 1 && !latest["k2"]);
  CAF_CHECK_EQUAL(count_key(after, "k3"), 1u);
  CAF_CHECK_EQUAL(l->cleaner().tombstones_removed, 0u);
  // delete.retention.ms later, the next cleaning (new dirty data) drops them.
  clock.now_ms += cfg.delete_retention_ms + 1;
  updates(*l, 1, 40);
  CAF_REQUIRE(clean(*l));
  after = records_of(*l);
  CAF_CHECK_EQUAL(count_key(after, "k2"), 0u);
  CAF_CHECK_EQUAL(count_key(after, "k3"), 0u);
  CAF_CHECK_EQUAL(l->cleaner().tombstones_removed, 2u);
  CAF_CHECK_EQUAL(latest_value(after, "k4"), std::optional<std::string>{"r9"});
}

CAF_TEST(a compacted log refuses a record without a key and writes nothing) {
  auto l = open();
  append(*l, kv_batch({{"a", "1"}}, clock.now_ms));
  batch_builder b;
  b.add(timestamp_ms{clock.now_ms}, std::string_view{"b"}, std::string_view{"2"});
  b.add(timestamp_ms{clock.now_ms}, std::nullopt, std::string_view{"3"});
  auto bytes = b.finish();
  auto r = l->append(bytes, leader_epoch{0});
  CAF_REQUIRE(!r);
  CAF_CHECK_EQUAL(r.code(), errc::invalid_record);
  CAF_CHECK(r.err().message.find("has no key") != std::string::npos);
  CAF_CHECK_EQUAL(l->log_end_offset(), offset{1});
  // The same batch in a log that is not compacted is fine.
  temp_dir other;
  auto plain_cfg = cfg;
  plain_cfg.compacted = false;
  auto plain = partition_log::open(other.path(), plain_cfg, clock.fn());
  CAF_REQUIRE(plain.ok());
  batch_builder c;
  c.add(timestamp_ms{clock.now_ms}, std::nullopt, std::string_view{"3"});
  auto bytes3 = c.finish();
  CAF_CHECK((*plain)->append(bytes3, leader_epoch{0}).ok());
}

CAF_TEST(a read at an offset compacted away returns the next batch after it) {
  auto l = open();
  updates(*l, 3, 60, 1); // one record per batch: offset o holds key k(o % 3)
  CAF_REQUIRE(clean(*l));
  auto after = records_of(*l);
  // Offset 0 (k0, round 0) was superseded: a read there starts at the next surviving batch.
  auto r = l->read(offset{0}, 1 << 20);
  CAF_REQUIRE(r.ok());
  CAF_REQUIRE(!r->bytes.empty());
  CAF_CHECK_GREATER(r->first_offset, offset{0});
  CAF_CHECK_EQUAL(r->first_offset, offset{after.front().off});
  // The same from inside any gap: the first record read is the first one at or after it.
  for (int64_t o = 0; o < l->log_end_offset().value; o += 7) {
    auto from = records_of(*l, offset{o});
    std::optional<int64_t> want;
    for (auto& rec : after)
      if (rec.off >= o) {
        want = rec.off;
        break;
      }
    if (want)
      CAF_CHECK_EQUAL(from.front().off, *want);
  }
}

CAF_TEST(a gap at the end of the cleaned range reads as nothing until the next append) {
  auto l = open();
  updates(*l, 1, 80, 1);
  append(*l, kv_batch({{"k0", std::nullopt}}, clock.now_ms)); // k0 deleted at 80
  // Roll so that the active segment is empty, then clean everything closed.
  cfg.segment_ms = 0;
  l->close().ok();
  l.reset();
  auto c = cfg;
  c.segment_ms = 1;
  auto reopened = partition_log::open(dir.path(), c, clock.fn());
  CAF_REQUIRE(reopened.ok());
  l = std::move(*reopened);
  clock.now_ms += cfg.delete_retention_ms + 1;
  CAF_REQUIRE(l->tick().ok());
  auto end = l->log_end_offset();
  CAF_REQUIRE_EQUAL(end, offset{81});
  CAF_REQUIRE_EQUAL(l->segment_bases().back(), end);
  CAF_REQUIRE(clean(*l));
  // Every record went (the tombstone too, being old enough): the log is one gap up to 81.
  CAF_CHECK(records_of(*l).empty());
  CAF_CHECK_EQUAL(l->log_start_offset(), offset{0});
  CAF_CHECK_EQUAL(l->log_end_offset(), end);
  auto r = l->read(offset{3}, 1 << 20);
  CAF_REQUIRE(r.ok());
  CAF_CHECK(r->bytes.empty());
  append(*l, kv_batch({{"k0", "new"}}, clock.now_ms));
  auto got = records_of(*l, offset{3});
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got.front().off, 81);
  CAF_CHECK_EQUAL(got.front().value, std::optional<std::string>{"new"});
}

CAF_TEST(an offset map smaller than the keys cleans in several passes) {
  map_bytes = 16 * 20; // 18 keys
  auto l = open();
  updates(*l, 100, 4, 2);
  auto before = latest_of(records_of(*l));
  auto end_before = l->log_end_offset();
  int passes = 0;
  while (passes < 100 && clean(*l))
    ++passes;
  CAF_CHECK_GREATER(passes, 2);
  CAF_CHECK_LESS(passes, 100);
  auto after = records_of(*l);
  CAF_CHECK(latest_of(after) == before);
  // Every key at most once below the active segment (whose records the map never covers).
  auto active_base = l->segment_bases().back();
  std::map<std::string, int> seen;
  for (auto& r : after)
    if (offset{r.off} < active_base)
      CAF_CHECK_EQUAL(++seen[r.key], 1);
  CAF_CHECK_GREATER(seen.size(), 50u);
  CAF_CHECK_EQUAL(l->log_end_offset(), end_before);
  // A batch with more keys than the whole map is an error that says what to raise.
  map_bytes = 16 * 2;
  updates(*l, 50, 1, 50);
  updates(*l, 1, 60, 1);
  auto job = l->plan_cleaning(l->log_end_offset(), map_bytes);
  CAF_REQUIRE(job.ok() && *job);
  auto r = clean_log(**job);
  CAF_REQUIRE(!r);
  CAF_CHECK(r.err().message.find("log.cleaner.dedupe.buffer.size") != std::string::npos);
}

CAF_TEST(aborted records never supersede committed ones and markers stay) {
  auto l = open();
  auto txn = bf::attr_transactional;
  append(*l, kv_batch({{"a", "committed"}, {"b", "committed"}}, clock.now_ms, 7, 0, txn));
  auto commit = l->append_marker(producer_id{7}, producer_epoch{0}, {control_type::commit, 1},
                                 leader_epoch{0});
  CAF_REQUIRE(commit.ok());
  append(*l, kv_batch({{"a", "aborted"}}, clock.now_ms, 7, 2, txn));
  auto abort = l->append_marker(producer_id{7}, producer_epoch{0}, {control_type::abort, 1},
                                leader_epoch{0});
  CAF_REQUIRE(abort.ok());
  updates(*l, 3, 60); // keys k*, enough to roll past the transactions
  auto lso = l->last_stable_offset(l->log_end_offset());
  CAF_REQUIRE(clean(*l, lso));
  auto after = records_of(*l);
  auto latest = latest_of(after);
  CAF_CHECK_EQUAL(latest["a"], std::optional<std::string>{"committed"});
  CAF_CHECK_EQUAL(count_key(after, "a"), 1u);
  // Both markers are still in the log.
  size_t markers = 0;
  auto r = l->read(offset{0}, 1 << 20);
  CAF_REQUIRE(r.ok());
  for (size_t p = 0; p < r->bytes.size();) {
    auto h = decode_header(bytes_view{r->bytes.data() + p, r->bytes.size() - p});
    CAF_REQUIRE(h.ok());
    markers += h->is_control();
    p += h->size_bytes();
  }
  CAF_CHECK_EQUAL(markers, 2u);
  // An open transaction holds the bound: below its first offset only.
  append(*l, kv_batch({{"open", "x"}}, clock.now_ms, 8, 0, txn));
  auto first_open = l->log_end_offset() - 1;
  updates(*l, 3, 60);
  CAF_CHECK_EQUAL(l->last_stable_offset(l->log_end_offset()), first_open);
}

CAF_TEST(a follower takes the compacted batches of its leader with their gaps) {
  auto l = open();
  updates(*l, 3, 60, 1);
  CAF_REQUIRE(clean(*l));
  temp_dir fdir;
  auto follower = partition_log::open(fdir.path(), cfg, clock.fn());
  CAF_REQUIRE(follower.ok());
  offset pos{0};
  for (int guard = 0; pos < l->log_end_offset() && guard < 1000; ++guard) {
    auto r = l->read(pos, 1 << 20);
    CAF_REQUIRE(r.ok());
    if (r->bytes.empty())
      break;
    auto a = (*follower)->append_replicated(r->bytes);
    if (!a)
      CAF_FAIL("append_replicated: " << a.err().to_string());
    pos = r->next_offset;
  }
  CAF_CHECK_EQUAL((*follower)->log_end_offset(), l->log_end_offset());
  CAF_CHECK_EQUAL(records_of(**follower).size(), records_of(*l).size());
  // The follower cleans its own replica too.
  CAF_CHECK(!clean(**follower) || true);
  // A log that is not compacted refuses the gap.
  auto plain_cfg = cfg;
  plain_cfg.compacted = false;
  temp_dir pdir;
  auto plain = partition_log::open(pdir.path(), plain_cfg, clock.fn());
  CAF_REQUIRE(plain.ok());
  auto r = l->read(offset{0}, 1 << 20);
  CAF_REQUIRE(r.ok());
  auto a = (*plain)->append_replicated(r->bytes);
  CAF_CHECK(!a);
}

CAF_TEST(a log that changed while it was cleaned drops the cleaning) {
  auto l = open();
  updates(*l, 5, 40);
  auto job = l->plan_cleaning(l->log_end_offset(), map_bytes);
  CAF_REQUIRE(job.ok() && *job);
  auto r = clean_log(**job);
  CAF_REQUIRE(r.ok());
  CAF_CHECK(dir_has(dir.path(), ".cleaned"));
  // A follower's truncation into the cleaned range, meanwhile.
  auto bases = l->segment_bases();
  CAF_REQUIRE(l->truncate_to(bases[1]).ok());
  auto st = l->install_cleaned(*r);
  CAF_REQUIRE(!st);
  CAF_CHECK_EQUAL(st.code(), errc::invalid_argument);
  CAF_CHECK(!dir_has(dir.path(), ".cleaned"));
  CAF_CHECK_EQUAL(l->log_end_offset(), bases[1]);
  CAF_CHECK_EQUAL(records_of(*l).size(), static_cast<size_t>(bases[1].value));
}

CAF_TEST(a crash at each step of the swap leaves the old or the new log and never a mix) {
  // Reference: the same data cleaned without a crash.
  std::vector<record> cleaned;
  std::vector<record> original;
  {
    auto l = open();
    updates(*l, 8, 40);
    original = records_of(*l);
    CAF_REQUIRE(clean(*l));
    cleaned = records_of(*l);
  }
  CAF_REQUIRE_LESS(cleaned.size(), original.size());
  int steps_seen = 0;
  for (int crash_at = 0; crash_at < 64; ++crash_at) {
    fs::remove_all(dir.path());
    fs::create_directories(dir.path());
    auto l = open();
    updates(*l, 8, 40);
    auto job = l->plan_cleaning(l->log_end_offset(), map_bytes);
    CAF_REQUIRE(job.ok() && *job);
    auto r = clean_log(**job);
    CAF_REQUIRE(r.ok());
    int step = 0;
    std::string crashed_after;
    l->set_crash_hook([&](std::string_view name) {
      if (step++ == crash_at) {
        crashed_after = name;
        return true;
      }
      return false;
    });
    auto st = l->install_cleaned(*r);
    if (st) {
      // Every step passed without the hook firing: all of them were tried.
      steps_seen = step;
      break;
    }
    CAF_MESSAGE("crashed after " << crashed_after);
    l.reset(); // the process dies: no close
    l = open();
    auto got = records_of(*l);
    // Every hook call comes after the commit point (cleaner.swap written): recovery
    // finishes the swap. (A crash before it is the case after this loop.)
    CAF_CHECK_EQUAL(got.size(), cleaned.size());
    CAF_CHECK(latest_of(got) == latest_of(original));
    CAF_CHECK(!dir_has(dir.path(), ".cleaned"));
    CAF_CHECK(!dir_has(dir.path(), "cleaner.swap"));
    // And the log works on: append, clean again.
    updates(*l, 8, 5);
    CAF_CHECK(clean(*l));
    CAF_CHECK_EQUAL(latest_value(records_of(*l), "k0"), std::optional<std::string>{"r4"});
  }
  CAF_CHECK_GREATER(steps_seen, 5);
  // Before the commit point (cleaned files written, no cleaner.swap): rolled back on open.
  fs::remove_all(dir.path());
  fs::create_directories(dir.path());
  {
    auto l = open();
    updates(*l, 8, 40);
    auto job = l->plan_cleaning(l->log_end_offset(), map_bytes);
    CAF_REQUIRE(job.ok() && *job);
    CAF_REQUIRE(clean_log(**job).ok());
    CAF_CHECK(dir_has(dir.path(), ".cleaned"));
  }
  auto l = open();
  CAF_CHECK(!dir_has(dir.path(), ".cleaned"));
  CAF_CHECK_EQUAL(records_of(*l).size(), original.size());
}

CAF_TEST_FIXTURE_SCOPE_END()

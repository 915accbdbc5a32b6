#include "store/log_cleaner.hpp"

#include "store/batch.hpp"
#include "store/batch_scanner.hpp"
#include "store/byte_buffer.hpp"
#include "store/offset_map.hpp"
#include "store/segment.hpp"
#include "store/segment_format.hpp"

#include <chrono>
#include <map>
#include <unistd.h>

namespace sluice::store {

namespace sf = segment_format;

namespace {

// Aborted transactions by producer: [first offset, marker offset) ranges (KIP-98). A
// transactional data batch in one of them belongs to an aborted transaction.
class aborted_ranges {
public:
  explicit aborted_ranges(const std::vector<aborted_txn>& all) {
    for (auto& a : all)
      by_producer_[a.id.value].emplace_back(a.first_offset, a.last_offset);
  }
  bool contains(const batch_header& h) const {
    if (!h.is_transactional() || h.is_control() || by_producer_.empty())
      return false;
    auto it = by_producer_.find(h.producer_id);
    if (it == by_producer_.end())
      return false;
    for (auto& [first, marker] : it->second)
      if (first <= h.base_offset && h.base_offset < marker)
        return true;
    return false;
  }

private:
  std::map<int64_t, std::vector<std::pair<offset, offset>>> by_producer_;
};

// Batches are written in chunks of about this much (one write and index update per chunk).
constexpr size_t write_chunk_bytes = 1u << 20;

// Step 1: the key map from job.first_dirty on. Returns where it stopped (map_end): the
// range's end when everything fit, else the first batch that did not.
result<offset> build_map(const cleaning_job& job, const aborted_ranges& aborted, offset_map& map) {
  bool mapped_any = false;
  for (auto& src : job.segments) {
    if (src.end <= job.first_dirty)
      continue;
    batch_scanner scan{src.log, 0, src.size, true};
    batch_scanner::item it;
    while (scan.next(it)) {
      auto& h = it.header;
      if (h.base_offset < job.first_dirty || h.is_control() || aborted.contains(h))
        continue;
      if (map.size() + h.record_count > map.capacity()) {
        if (!mapped_any)
          return make_error(errc::invalid_argument,
                            "the cleaner's offset map holds " + std::to_string(map.capacity())
                              + " keys, but the batch at offset "
                              + std::to_string(h.base_offset.value) + " has "
                              + std::to_string(h.record_count)
                              + " records: raise log.cleaner.dedupe.buffer.size");
        return h.base_offset;
      }
      record_reader r{it.bytes};
      record_view rec;
      while (r.next(rec))
        if (rec.key)
          map.put(*rec.key, rec.off);
      if (r.error_state())
        return *r.error_state();
      mapped_any = true;
    }
    if (scan.stop_reason())
      return *scan.stop_reason();
  }
  return job.segments.back().end;
}

// Adjacent sources [first, last) rewritten into one new segment: their sizes sum to at most
// segment.bytes (at least one source), and relative offsets fit the u32 indexes.
std::vector<std::pair<size_t, size_t>> group_sources(const cleaning_job& job, size_t count) {
  std::vector<std::pair<size_t, size_t>> groups;
  size_t first = 0;
  uint64_t bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    auto& s = job.segments[i];
    bool fits = bytes + s.size <= job.segment_bytes
                && s.end - job.segments[first].base < int64_t{UINT32_MAX} - 1;
    if (i > first && !fits) {
      groups.emplace_back(first, i);
      first = i;
      bytes = 0;
    }
    bytes += s.size;
  }
  groups.emplace_back(first, count);
  return groups;
}

struct rewriter {
  const cleaning_job& job;
  const aborted_ranges& aborted;
  const offset_map& map;
  offset map_end;
  cleaning_stats& stats;
  byte_buffer out;
  std::vector<batch_header> headers;
  std::vector<std::string_view> kept;

  // Whether the record stays (see log_cleaner.hpp).
  bool keep(const record_view& rec) {
    if (rec.off >= map_end || !rec.key)
      return true;
    auto latest = map.get(*rec.key);
    if (latest && *latest > rec.off)
      return false;
    if (!rec.value && rec.timestamp.value < job.now_ms - job.delete_retention_ms) {
      ++stats.tombstones_removed;
      return false;
    }
    return true;
  }

  status batch(const batch_header& h, bytes_view bytes) {
    stats.records_read += h.record_count;
    if (h.is_control())
      return add_whole(bytes);
    if (aborted.contains(h)) {
      stats.records_removed += h.record_count;
      return {};
    }
    kept.clear();
    record_reader r{bytes};
    record_view rec;
    while (r.next(rec))
      if (keep(rec))
        kept.push_back(rec.raw);
    if (r.error_state())
      return *r.error_state();
    stats.records_removed += h.record_count - kept.size();
    if (kept.size() == h.record_count)
      return add_whole(bytes);
    if (kept.empty())
      return {};
    auto at = out.size();
    append_batch_subset(bytes, kept, out);
    return add_header(at);
  }

  status add_whole(bytes_view bytes) {
    auto at = out.size();
    out.insert(out.end(), bytes.begin(), bytes.end());
    return add_header(at);
  }

  status add_header(size_t at) {
    auto h = decode_header(bytes_view{out.data() + at, out.size() - at});
    if (!h)
      return h.err();
    headers.push_back(*h);
    return {};
  }

  status flush_to(segment& seg) {
    if (out.empty())
      return {};
    SLUICE_TRY(seg.append(out, headers));
    out.clear();
    headers.clear();
    return {};
  }
};

} // namespace

void remove_cleaned(const std::filesystem::path& dir, const std::vector<offset>& bases) {
  for (auto b : bases)
    for (auto suffix : {sf::log_suffix, sf::index_suffix, sf::time_index_suffix}) {
      auto p = dir / (sf::file_stem(b.value) + std::string{suffix} + std::string{sf::cleaned_suffix});
      ::unlink(p.c_str());
    }
}

result<cleaning_result> clean_log(const cleaning_job& job) {
  auto started = std::chrono::steady_clock::now();
  if (job.segments.empty())
    return make_error(errc::invalid_argument, "a cleaning job without segments");
  cleaning_result res;
  aborted_ranges aborted{job.aborted};
  offset_map map{job.map_bytes};
  auto map_end = build_map(job, aborted, map);
  if (!map_end)
    return map_end.err();

  // Step 2: every segment holding offsets below map_end is rewritten.
  size_t count = 0;
  while (count < job.segments.size() && job.segments[count].base < *map_end)
    ++count;
  auto groups = group_sources(job, count);
  rewriter w{job, aborted, map, *map_end, res.stats, {}, {}, {}};
  w.out.reserve(write_chunk_bytes + (64u << 10));
  for (auto [first, last] : groups) {
    auto base = job.segments[first].base;
    remove_cleaned(job.dir, {base}); // a leftover of a cleaning that was never installed
    res.swap.bases.push_back(base);
    auto seg = segment::create(job.dir, base, job.index_interval_bytes, true, sf::cleaned_suffix);
    if (!seg) {
      remove_cleaned(job.dir, res.swap.bases);
      return seg.err();
    }
    auto st = [&]() -> status {
      for (size_t i = first; i < last; ++i) {
        auto& src = job.segments[i];
        res.stats.bytes_read += src.size;
        res.replaced.emplace_back(src.base, src.size);
        batch_scanner scan{src.log, 0, src.size, true};
        batch_scanner::item it;
        while (scan.next(it)) {
          SLUICE_TRY(w.batch(it.header, it.bytes));
          if (w.out.size() >= write_chunk_bytes)
            SLUICE_TRY(w.flush_to(*seg));
        }
        if (scan.stop_reason())
          return *scan.stop_reason();
      }
      SLUICE_TRY(w.flush_to(*seg));
      SLUICE_TRY(seg->seal());
      SLUICE_TRY(seg->sync_all());
      res.stats.bytes_written += seg->size();
      return {};
    }();
    if (!st) {
      remove_cleaned(job.dir, res.swap.bases);
      return st.err();
    }
    // A group with nothing left is no segment (its old ones just go), except the first: it
    // keeps the log start where it was.
    if (seg->empty() && first > 0) {
      remove_cleaned(job.dir, {base});
      res.swap.bases.pop_back();
    }
  }
  if (auto st = sync_directory(job.dir); !st) {
    remove_cleaned(job.dir, res.swap.bases);
    return st.err();
  }
  res.swap.replaced_from = job.segments.front().base;
  res.swap.replaced_to = job.segments[count - 1].end;
  res.swap.after.first_dirty = *map_end;
  res.swap.after.cleaned_to = res.swap.replaced_to;
  res.stats.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  return res;
}

} // namespace sluice::store

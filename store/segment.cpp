#include "store/segment.hpp"

#include "store/batch_scanner.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace sluice::store {

namespace sf = segment_format;

std::filesystem::path segment::path_of(const std::filesystem::path& dir, offset base,
                                       std::string_view suffix, std::string_view extra) {
  return dir / (sf::file_stem(base.value) + std::string{suffix} + std::string{extra});
}

// A segment over `log` with fresh, empty index files (create and recovery).
result<segment> segment::with_new_indexes(const std::filesystem::path& dir, offset base,
                                          uint32_t index_interval_bytes, file log, bool sparse,
                                          std::string_view extra) {
  auto idx = offset_index::create(path_of(dir, base, sf::index_suffix, extra));
  if (!idx)
    return idx.err();
  auto tidx = time_index::create(path_of(dir, base, sf::time_index_suffix, extra));
  if (!tidx)
    return tidx.err();
  segment s;
  s.log_ = std::move(log);
  s.index_ = std::move(*idx);
  s.time_index_ = std::move(*tidx);
  s.dir_ = dir;
  s.base_ = base;
  s.next_ = base;
  s.index_interval_bytes_ = index_interval_bytes;
  s.sparse_ = sparse;
  return s;
}

result<segment> segment::create(const std::filesystem::path& dir, offset base,
                                uint32_t index_interval_bytes, bool sparse,
                                std::string_view extra_suffix) {
  auto log = file::open(path_of(dir, base, sf::log_suffix, extra_suffix),
                        file::mode::create_read_write);
  if (!log)
    return log.err();
  auto sz = log->size();
  if (!sz)
    return sz.err();
  if (*sz != 0)
    return make_error(errc::invalid_argument,
                      log->path().string() + ": refusing to create a segment over a non-empty file");
  return with_new_indexes(dir, base, index_interval_bytes, std::move(*log), sparse, extra_suffix);
}

result<segment> segment::open_trusted(const std::filesystem::path& dir, offset base,
                                      uint32_t index_interval_bytes, bool sparse) {
  auto log = file::open(path_of(dir, base, sf::log_suffix), file::mode::read_write);
  if (!log)
    return log.err();
  auto sz = log->size();
  if (!sz)
    return sz.err();
  if (*sz > sf::max_segment_bytes)
    return make_error(errc::corrupt_batch, log->path().string() + ": segment larger than 2 GiB");
  // A relative offset can never exceed the segment's byte size (every record takes bytes).
  auto idx = offset_index::load(path_of(dir, base, sf::index_suffix), *sz, *sz);
  if (!idx)
    return idx.err();
  auto tidx = time_index::load(path_of(dir, base, sf::time_index_suffix), *sz, *sz);
  if (!tidx)
    return tidx.err();
  segment s;
  s.log_ = std::move(*log);
  s.index_ = std::move(*idx);
  s.time_index_ = std::move(*tidx);
  s.dir_ = dir;
  s.base_ = base;
  s.next_ = base;
  s.size_ = *sz;
  s.index_interval_bytes_ = index_interval_bytes;
  s.sparse_ = sparse;
  if (s.size_ == 0)
    return s;
  // The first header gives the segment's first timestamp and must carry its base.
  batch_scanner first{s.log_, 0, s.size_, false, batch_format::header_size};
  batch_scanner::item it;
  if (!first.next(it) && first.stop_reason())
    return *first.stop_reason();
  if (!s.follows(it.header.base_offset, base))
    return make_error(errc::corrupt_batch, s.path().string() + ": first batch has offset "
                                             + std::to_string(it.header.base_offset.value)
                                             + ", file name says "
                                             + std::to_string(base.value));
  s.first_ts_ = it.header.first_timestamp;
  // Walk the tail after the last index entry: it must end exactly at the file end.
  uint64_t tail = 0;
  if (auto last = s.index_.last())
    tail = last->position;
  batch_scanner scan{s.log_, tail, s.size_, false};
  offset expect = tail == 0 ? base : offset{-1};
  while (scan.next(it)) {
    if (expect.value >= 0 && !s.follows(it.header.base_offset, expect))
      return make_error(errc::corrupt_batch,
                        s.path().string() + " at position " + std::to_string(it.position)
                          + ": batch offset " + std::to_string(it.header.base_offset.value)
                          + " where " + std::to_string(expect.value) + " was expected");
    if (tail != 0 && it.position == tail
        && it.header.base_offset != base + s.index_.last()->relative_offset)
      return make_error(errc::corrupt_index, s.index_.path().string()
                                               + ": last entry does not point at its batch");
    expect = it.header.next_offset();
    s.next_ = expect;
    s.last_batch_base_ = it.header.base_offset;
    if (it.header.max_timestamp > s.max_ts_)
      s.max_ts_ = it.header.max_timestamp;
  }
  if (scan.stop_reason())
    return *scan.stop_reason();
  if (auto t = s.time_index_.last(); t && timestamp_ms{t->max_timestamp} > s.max_ts_)
    s.max_ts_ = timestamp_ms{t->max_timestamp};
  return s;
}

result<segment> segment::open_recovering(const std::filesystem::path& dir, offset base,
                                         uint32_t index_interval_bytes,
                                         segment_recovery& report, bool sparse) {
  auto log = file::open(path_of(dir, base, sf::log_suffix), file::mode::read_write);
  if (!log)
    return log.err();
  auto s = with_new_indexes(dir, base, index_interval_bytes, std::move(*log), sparse, {});
  if (!s)
    return s;
  SLUICE_TRY(s->rebuild(true, &report));
  return s;
}

status segment::rebuild(bool verify_crc, segment_recovery* report) {
  auto sz = log_.size();
  if (!sz)
    return sz.err();
  uint64_t end = std::min<uint64_t>(*sz, sf::max_segment_bytes);
  batch_scanner scan{log_, 0, end, verify_crc};
  batch_scanner::item it;
  std::optional<error> reason;
  while (scan.next(it)) {
    if (!follows(it.header.base_offset, next_)) {
      reason = make_error(errc::corrupt_batch,
                          path().string() + " at position " + std::to_string(it.position)
                            + ": batch offset " + std::to_string(it.header.base_offset.value)
                            + " where " + std::to_string(next_.value) + " was expected");
      break;
    }
    index_batch(it.position, it.header);
    size_ = it.position + it.header.size_bytes();
  }
  if (!reason && scan.stop_reason())
    reason = scan.stop_reason();
  if (reason && reason->code == errc::io_error)
    return *reason;
  if (size_ < *sz) {
    SLUICE_TRY(log_.truncate(size_));
    SLUICE_TRY(log_.sync_data());
  }
  if (report) {
    report->valid_bytes = size_;
    report->truncated_bytes = *sz - size_;
    if (size_ < *sz)
      report->reason = reason;
  }
  SLUICE_TRY(index_.flush());
  return time_index_.flush();
}

void segment::index_batch(uint64_t position, const batch_header& h) {
  if (size_ == 0 && position == 0)
    first_ts_ = h.first_timestamp;
  if (bytes_since_index_ >= index_interval_bytes_) {
    index_.append({static_cast<uint32_t>(h.base_offset - base_), static_cast<uint32_t>(position)});
    bytes_since_index_ = 0;
  }
  bytes_since_index_ += h.size_bytes();
  bytes_since_time_index_ += h.size_bytes();
  if (h.max_timestamp > max_ts_)
    max_ts_ = h.max_timestamp;
  if (bytes_since_time_index_ >= index_interval_bytes_) {
    auto last = time_index_.last();
    if (!last || max_ts_.value > last->max_timestamp) {
      time_index_.append({max_ts_.value, static_cast<uint32_t>(h.base_offset - base_)});
      bytes_since_time_index_ = 0;
    }
  }
  last_batch_base_ = h.base_offset;
  next_ = h.next_offset();
}

status segment::append(bytes_view batches, std::span<const batch_header> headers) {
  SLUICE_TRY(log_.write_at(size_, batches));
  uint64_t pos = size_;
  for (auto& h : headers) {
    index_batch(pos, h);
    pos += h.size_bytes();
  }
  size_ = pos;
  return {};
}

result<segment::batch_location> segment::locate(offset from) const {
  uint64_t start = 0;
  // A sparse segment's first batch may start after base_ (and after `from`).
  if (from > base_)
    if (auto e = index_.floor(static_cast<uint64_t>(from - base_)))
      start = e->position;
  batch_scanner scan{log_, start, size_, false, 16 * 1024};
  batch_scanner::item it;
  while (scan.next(it))
    if (it.header.last_offset() >= from)
      return batch_location{it.position, it.header};
  if (scan.stop_reason())
    return *scan.stop_reason();
  return make_error(errc::offset_out_of_range,
                    path().string() + ": offset " + std::to_string(from.value) + " not found");
}

result<uint64_t> segment::position_of_batch(offset o) const {
  if (o == next_ || (sparse_ && o > next_))
    return size_;
  if (o < base_ || o > next_)
    return make_error(errc::offset_out_of_range,
                      path().string() + ": offset " + std::to_string(o.value) + " is outside ["
                        + std::to_string(base_.value) + ", " + std::to_string(next_.value) + "]");
  auto loc = locate(o);
  if (!loc)
    return loc.err();
  // In a sparse segment an offset in a gap cuts before the batch after it.
  if (sparse_ && loc->header.base_offset > o)
    return loc->position;
  if (loc->header.base_offset != o)
    return make_error(errc::invalid_argument,
                      path().string() + ": offset " + std::to_string(o.value)
                        + " lies inside the batch ["
                        + std::to_string(loc->header.base_offset.value) + ", "
                        + std::to_string(loc->header.last_offset().value) + "]");
  return loc->position;
}

status segment::truncate_to(offset o) {
  auto pos = position_of_batch(o);
  if (!pos)
    return pos.err();
  if (*pos == size_)
    return {};
  SLUICE_TRY(log_.truncate(*pos));
  SLUICE_TRY(log_.sync_data());
  // Entries name batch starts, so every one at or after `o` points at or past the cut.
  auto rel = static_cast<uint64_t>(o - base_);
  SLUICE_TRY(index_.truncate_while([rel](const offset_entry& e) { return e.relative_offset >= rel; }));
  SLUICE_TRY(time_index_.truncate_while([rel](const time_entry& e) { return e.relative_offset >= rel; }));
  SLUICE_TRY(index_.sync());
  SLUICE_TRY(time_index_.sync());
  size_ = *pos;
  next_ = o;
  read_hint_offset_ = offset{-1};
  return recompute_tail();
}

status segment::recompute_tail() {
  max_ts_ = no_timestamp;
  last_batch_base_ = base_;
  bytes_since_index_ = size_ - (index_.last() ? index_.last()->position : 0);
  bytes_since_time_index_ = size_;
  if (size_ == 0) {
    first_ts_ = no_timestamp;
    return {};
  }
  // A time entry holds the largest timestamp up to its batch; later batches are scanned.
  uint64_t from = 0;
  if (auto t = time_index_.last()) {
    auto loc = locate(base_ + t->relative_offset);
    if (!loc)
      return loc.err();
    from = loc->position;
    max_ts_ = timestamp_ms{t->max_timestamp};
    bytes_since_time_index_ = size_ - (from + loc->header.size_bytes());
  }
  batch_scanner scan{log_, from, size_, false};
  batch_scanner::item it;
  while (scan.next(it)) {
    if (it.header.max_timestamp > max_ts_)
      max_ts_ = it.header.max_timestamp;
    last_batch_base_ = it.header.base_offset;
  }
  if (scan.stop_reason())
    return *scan.stop_reason();
  return {};
}

status segment::scan_headers(const std::function<void(const batch_header&)>& visit) const {
  return scan_batches([&](const batch_header& h, bytes_view) { visit(h); });
}

status segment::scan_batches(const std::function<void(const batch_header&, bytes_view)>& visit) const {
  batch_scanner scan{log_, 0, size_, false};
  batch_scanner::item it;
  while (scan.next(it))
    visit(it.header, it.bytes);
  if (scan.stop_reason())
    return *scan.stop_reason();
  return {};
}

result<batch_header> segment::last_batch_header() const {
  if (size_ == 0)
    return make_error(errc::invalid_argument, path().string() + ": empty segment has no last batch");
  auto loc = locate(last_batch_base_);
  if (!loc)
    return loc.err();
  return loc->header;
}

status segment::read(offset from, size_t max_bytes, read_result& out) const {
  out.bytes.clear();
  out.batch_count = 0;
  out.first_offset = out.next_offset = from;
  // An empty segment holds nothing, whatever `from` (a sparse log's gap may lie before it).
  if (from >= next_ || size_ == 0)
    return {};
  uint64_t pos;
  if (from == read_hint_offset_) {
    pos = read_hint_position_;
  } else {
    auto loc = locate(from);
    if (!loc)
      return loc.err();
    pos = loc->position;
  }
  uint64_t avail = size_ - pos;
  // Capacity in whole 8-byte words: a fetch reply is this buffer, and capnp references it
  // in place only after padding it to a word boundary (schema::encode_referencing).
  auto want = static_cast<size_t>(std::min<uint64_t>(avail, std::max<size_t>(max_bytes, batch_format::header_size)));
  out.bytes.reserve((want + 7) / 8 * 8);
  out.bytes.resize(want);
  auto got = log_.read_at(pos, out.bytes);
  if (!got)
    return got.err();
  auto first = decode_header(bytes_view{out.bytes.data(), *got});
  if (!first)
    return make_error(errc::corrupt_batch, path().string() + " at position " + std::to_string(pos)
                                             + ": " + first.err().message);
  if (first->size_bytes() > *got) {
    // The first batch alone exceeds max_bytes: return it whole anyway (KIP-74).
    if (first->size_bytes() > avail)
      return make_error(errc::corrupt_batch, path().string() + " at position "
                                               + std::to_string(pos) + ": batch runs past the end");
    out.bytes.reserve((first->size_bytes() + 7) / 8 * 8);
    out.bytes.resize(first->size_bytes());
    got = log_.read_at(pos, out.bytes);
    if (!got)
      return got.err();
  }
  // Keep whole batches only; a header that does not decode ends the read there
  // (the caller gets what precedes it, or the error if nothing does).
  size_t keep = 0;
  offset next = first->base_offset;
  while (keep + batch_format::header_size <= *got) {
    auto h = decode_header(bytes_view{out.bytes.data() + keep, *got - keep});
    if (!h || !follows(h->base_offset, next)) {
      if (out.batch_count == 0)
        return make_error(errc::corrupt_batch,
                          path().string() + " at position " + std::to_string(pos + keep)
                            + ": " + (h ? "offset out of sequence" : h.err().message));
      break;
    }
    if (keep + h->size_bytes() > *got)
      break;
    keep += h->size_bytes();
    next = h->next_offset();
    ++out.batch_count;
  }
  out.bytes.resize(keep);
  out.first_offset = first->base_offset;
  out.next_offset = next;
  if (next < next_) {
    read_hint_offset_ = next;
    read_hint_position_ = pos + keep;
  }
  return {};
}

result<std::optional<offset>> segment::offset_for_timestamp(timestamp_ms ts) const {
  if (size_ == 0 || max_ts_ < ts)
    return std::optional<offset>{};
  uint64_t start = 0;
  // The last entry whose max is still below ts: nothing up to its batch qualifies.
  const auto& es = time_index_.entries();
  auto it = std::lower_bound(es.begin(), es.end(), ts.value,
                             [](const time_entry& e, int64_t t) { return e.max_timestamp < t; });
  if (it != es.begin()) {
    auto after = base_ + (it - 1)->relative_offset + 1;
    if (after >= next_)
      return std::optional<offset>{};
    auto loc = locate(after);
    if (!loc)
      return loc.err();
    start = loc->position;
  }
  batch_scanner scan{log_, start, size_, false};
  batch_scanner::item b;
  while (scan.next(b)) {
    if (b.header.max_timestamp < ts)
      continue;
    record_reader r{b.bytes};
    record_view rec;
    while (r.next(rec))
      if (rec.timestamp >= ts)
        return std::optional<offset>{rec.off};
    if (r.error_state())
      return *r.error_state();
  }
  if (scan.stop_reason())
    return *scan.stop_reason();
  return std::optional<offset>{};
}

status segment::flush() {
  SLUICE_TRY(index_.flush());
  SLUICE_TRY(time_index_.flush());
  return log_.sync_data();
}

status segment::sync_all() {
  SLUICE_TRY(flush());
  SLUICE_TRY(index_.sync());
  return time_index_.sync();
}

status segment::seal() {
  auto last = time_index_.last();
  if (size_ > 0 && (!last || max_ts_.value > last->max_timestamp))
    time_index_.append({max_ts_.value, static_cast<uint32_t>(last_batch_base_ - base_)});
  SLUICE_TRY(index_.flush());
  return time_index_.flush();
}

status segment::install_cleaned(const std::filesystem::path& dir, offset base) {
  for (auto suffix : {sf::index_suffix, sf::time_index_suffix, sf::log_suffix}) {
    auto from = path_of(dir, base, suffix, sf::cleaned_suffix);
    auto to = path_of(dir, base, suffix);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
      return make_error(errc::io_error, "rename " + from.string() + " to " + to.string() + ": "
                                          + std::strerror(errno));
  }
  return {};
}

bool segment::has_cleaned_log(const std::filesystem::path& dir, offset base) {
  std::error_code ec;
  return std::filesystem::exists(path_of(dir, base, sf::log_suffix, sf::cleaned_suffix), ec);
}

status segment::remove_files(const std::filesystem::path& dir, offset base) {
  // The .log goes first: index files without a .log are removed as leftovers on open.
  for (auto suffix : {sf::log_suffix, sf::index_suffix, sf::time_index_suffix}) {
    auto p = path_of(dir, base, suffix);
    if (::unlink(p.c_str()) != 0 && errno != ENOENT)
      return make_error(errc::io_error, "unlink " + p.string() + ": " + std::strerror(errno));
  }
  return {};
}

} // namespace sluice::store

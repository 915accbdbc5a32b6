#include "store/partition_log.hpp"

#include "store/checkpoint.hpp"
#include "store/checkpoint_format.hpp"
#include "store/cleaner_format.hpp"
#include "store/leader_epoch_format.hpp"
#include "store/producer_snapshot.hpp"

#include <chrono>
#include <set>

namespace sluice::store {

namespace sf = segment_format;
namespace fs = std::filesystem;

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

partition_log::partition_log(fs::path dir, log_config config, clock_fn clock)
  : dir_(std::move(dir)), config_(config), clock_(std::move(clock)),
    epochs_(dir_ / leader_epoch_format::file_name) {}

partition_log::~partition_log() = default;

result<std::unique_ptr<partition_log>> partition_log::open(const fs::path& dir, log_config config, clock_fn clock) {
  if (config.segment_bytes == 0 || config.segment_bytes > sf::max_segment_bytes)
    return make_error(errc::invalid_argument, "segment.bytes must be in (0, 2 GiB]");
  if (config.index_interval_bytes == 0)
    return make_error(errc::invalid_argument, "index.interval.bytes must be positive");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return make_error(errc::io_error, "create directory " + dir.string() + ": " + ec.message());
  if (!fs::is_directory(dir, ec))
    return make_error(errc::io_error, dir.string() + " is not a directory");
  std::unique_ptr<partition_log> l{new partition_log(dir, config, std::move(clock))};
  SLUICE_TRY(l->load());
  return l;
}

status partition_log::load() {
  SLUICE_TRY(load_cleaner());
  std::set<int64_t> bases;
  std::vector<fs::path> leftovers;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name == checkpoint_format::file_name || name == leader_epoch_format::file_name
        || name == cleaner_format::checkpoint_name)
      continue;
    if (name == std::string{checkpoint_format::file_name} + std::string{sf::tmp_suffix}
        || name == std::string{leader_epoch_format::file_name} + std::string{sf::tmp_suffix}
        || name == std::string{cleaner_format::checkpoint_name} + std::string{sf::tmp_suffix}
        || name == std::string{cleaner_format::swap_name} + std::string{sf::tmp_suffix}) {
      leftovers.push_back(it->path());
      continue;
    }
    auto parsed = sf::parse_file_name(name);
    if (!parsed || !it->is_regular_file())
      return make_error(errc::foreign_file, "partition directory " + dir_.string()
                                              + " holds a file Sluice did not write: " + name);
    if (parsed->kind == sf::file_kind::log)
      bases.insert(parsed->base_offset);
    else if (parsed->kind == sf::file_kind::leftover || parsed->kind == sf::file_kind::cleaned)
      leftovers.push_back(it->path()); // .cleaned: a cleaning whose swap never committed
  }
  if (ec)
    return make_error(errc::io_error, "list " + dir_.string() + ": " + ec.message());
  // Index files whose .log is gone are leftovers of an interrupted delete.
  for (auto it = fs::directory_iterator(dir_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    auto parsed = sf::parse_file_name(it->path().filename().string());
    if (parsed && parsed->kind != sf::file_kind::log && parsed->kind != sf::file_kind::cleaned
        && parsed->kind != sf::file_kind::leftover
        && parsed->kind != sf::file_kind::producer_snapshot && !bases.contains(parsed->base_offset))
      leftovers.push_back(it->path());
  }
  for (auto& p : leftovers) {
    fs::remove(p, ec);
    report_.notes.push_back("removed leftover " + p.filename().string());
  }

  auto rp = read_recovery_point(dir_);
  if (rp) {
    report_.recovery_point = *rp;
  } else {
    report_.notes.push_back(rp.err().message + "; verifying every segment");
  }
  const offset trusted_below = rp ? *rp : offset{0};
  report_.segments = bases.size();

  bool cut = false; // a truncation happened: later segments are beyond the valid log
  bool scanned = false;
  std::optional<offset> expect_base;
  for (auto it = bases.begin(); it != bases.end(); ++it) {
    offset base{*it};
    auto name = sf::file_stem(base.value) + std::string{sf::log_suffix};
    // Only the cleaner leaves gaps between segments, and only below cleaned_to; anywhere
    // else a gap is a lost segment and the log ends before it.
    bool gap_ok = expect_base && base > *expect_base && base <= cleaned_.cleaned_to;
    if (!cut && expect_base && base != *expect_base && !gap_ok) {
      report_.notes.push_back(name + " starts at " + std::to_string(base.value) + " but the log ends at "
                              + std::to_string(expect_base->value) + "; dropping it and what follows");
      cut = true;
    }
    if (cut) {
      SLUICE_TRY(segment::remove_files(dir_, base));
      ++report_.segments_deleted;
      continue;
    }
    auto next_it = std::next(it);
    bool last = next_it == bases.end();
    bool trusted = last ? trusted_below > base : offset{*next_it} <= trusted_below;
    bool sparse = config_.compacted || base < cleaned_.cleaned_to;
    std::optional<segment> seg;
    if (trusted) {
      auto s = segment::open_trusted(dir_, base, config_.index_interval_bytes, sparse);
      if (s && (!last || s->next_offset() <= trusted_below)) {
        seg.emplace(std::move(*s));
      } else {
        if (!s) {
          report_.notes.push_back(s.err().message + "; verifying the segment");
          ++report_.indexes_rebuilt;
        }
      }
    }
    if (!seg) {
      segment_recovery rec;
      auto s = segment::open_recovering(dir_, base, config_.index_interval_bytes, rec, sparse);
      if (!s)
        return s.err();
      ++report_.segments_scanned;
      scanned = true;
      if (rec.truncated_bytes > 0) {
        report_.bytes_truncated += rec.truncated_bytes;
        report_.notes.push_back("truncated " + std::to_string(rec.truncated_bytes) + " bytes: "
                                + (rec.reason ? rec.reason->message : std::string{"?"}));
        cut = true;
      }
      seg.emplace(std::move(*s));
    }
    expect_base = seg->next_offset();
    segments_.emplace(base, std::move(*seg));
  }
  if (segments_.empty()) {
    auto s = segment::create(dir_, offset{0}, config_.index_interval_bytes, config_.compacted);
    if (!s)
      return s.err();
    segments_.emplace(offset{0}, std::move(*s));
  }
  restart_active_clock();
  last_checkpoint_ms_ = clock_();
  checkpointed_ = trusted_below;
  recovery_point_ = std::min(trusted_below, log_end_offset());
  if (trusted_below > log_end_offset())
    report_.notes.push_back("checkpoint says " + std::to_string(trusted_below.value)
                            + " but the log ends at " + std::to_string(log_end_offset().value));
  if (scanned || !rp) {
    // What recovery verified is made durable so the next open need not scan it.
    SLUICE_TRY(flush());
    SLUICE_TRY(write_checkpoint());
  }
  SLUICE_TRY(load_epochs());
  return load_producers();
}

status partition_log::load_producers() {
  auto listed = list_producer_snapshots(dir_);
  if (!listed)
    return listed.err();
  snapshots_ = std::move(*listed);
  // Snapshots past a tail that recovery cut describe batches that are gone.
  SLUICE_TRY(drop_snapshots_after(log_end_offset()));
  auto replayed_from = snapshots_.empty() ? log_start_offset() : snapshots_.back();
  SLUICE_TRY(rebuild_producers());
  if (replayed_from < log_end_offset()) {
    report_.notes.push_back("idempotent producer state rebuilt from the log after offset "
                            + std::to_string(replayed_from.value) + " ("
                            + std::to_string(producers_.size()) + " producers)");
    SLUICE_TRY(snapshot_producers());
  }
  return {};
}

status partition_log::rebuild_producers() {
  producers_.clear();
  offset from = log_start_offset();
  while (!snapshots_.empty()) {
    auto at = snapshots_.back();
    auto s = read_producer_snapshot(dir_, at);
    if (s) {
      producers_ = std::move(*s);
      from = std::max(at, log_start_offset());
      break;
    }
    report_.notes.push_back(s.err().message + "; removing it");
    SLUICE_TRY(remove_producer_snapshot(dir_, at));
    snapshots_.pop_back();
  }
  return replay_producers(from);
}

// Reads the headers of every segment holding offsets at or after `from` (the first one
// whole, skipping the batches below `from`).
status partition_log::replay_producers(offset from) {
  for (auto& [_, seg] : segments_) {
    if (seg.next_offset() <= from)
      continue;
    SLUICE_TRY(seg.scan_batches([&](const batch_header& h, bytes_view bytes) {
      if (h.base_offset < from)
        return;
      if (!h.is_control()) {
        producers_.apply(h);
        return;
      }
      // Appends validated every marker; one that does not parse now was damaged on disk
      // below the recovery point and changes nothing.
      auto m = parse_control_batch(bytes);
      producers_.apply(h, m ? std::optional{*m} : std::nullopt);
    }));
  }
  return {};
}

result<std::optional<producer_batch_info>>
partition_log::find_producer_batch(int64_t pid, int16_t epoch, int32_t first_seq,
                                   int32_t last_seq) const {
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    std::optional<producer_batch_info> found;
    SLUICE_TRY(it->second.scan_headers([&](const batch_header& h) {
      if (h.producer_id == pid && h.producer_epoch == epoch && h.base_sequence == first_seq
          && last_sequence(h.base_sequence, h.last_offset_delta) == last_seq)
        found = producer_batch_info{first_seq, last_seq, h.base_offset, h.last_offset(),
                                    h.max_timestamp};
    }));
    if (found)
      return found;
  }
  return std::optional<producer_batch_info>{};
}

status partition_log::snapshot_producers() {
  auto end = log_end_offset();
  if (snapshots_.empty() || snapshots_.back() < end) {
    SLUICE_TRY(write_producer_snapshot(dir_, producers_, end));
    snapshots_.push_back(end);
  }
  while (snapshots_.size() > std::max<size_t>(1, config_.producer_snapshots_kept)) {
    SLUICE_TRY(remove_producer_snapshot(dir_, snapshots_.front()));
    snapshots_.erase(snapshots_.begin());
  }
  return {};
}

status partition_log::drop_snapshots_after(offset o) {
  while (!snapshots_.empty() && snapshots_.back() > o) {
    SLUICE_TRY(remove_producer_snapshot(dir_, snapshots_.back()));
    snapshots_.pop_back();
  }
  return {};
}

void partition_log::restart_active_clock() {
  active_created_ms_ = active().empty() ? clock_() : active().first_timestamp().value;
}

status partition_log::load_epochs() {
  auto loaded = leader_epoch_cache::load(epochs_.path());
  if (!loaded) {
    if (loaded.code() == errc::io_error)
      return loaded.err();
    if (loaded.code() != errc::not_found)
      report_.notes.push_back(loaded.err().message + "; rebuilding it from the log");
    return rebuild_epochs();
  }
  epochs_ = std::move(*loaded);
  // The history is written before the batches it describes, so after a crash
  // it may run past a tail that recovery cut, or start before segments that
  // retention deleted.
  if (epochs_.truncate_from_end(log_end_offset()))
    report_.notes.push_back("leader-epoch history trimmed to the log end "
                            + std::to_string(log_end_offset().value));
  epochs_.truncate_from_start(log_start_offset());
  auto match = epochs_match_log();
  if (!match)
    return match.err();
  if (!*match) {
    report_.notes.push_back(epochs_.path().string()
                            + " disagrees with the last batch's epoch; rebuilding it from the log");
    return rebuild_epochs();
  }
  return epochs_.flush();
}

result<bool> partition_log::epochs_match_log() const {
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    if (it->second.empty())
      continue;
    auto h = it->second.last_batch_header();
    if (!h)
      return h.err();
    return epochs_.epoch_at(h->base_offset) == h->epoch;
  }
  return true;
}

// Reads every batch header: as long as a scan of the whole log, so it runs
// only when the history file is missing, damaged or stale.
status partition_log::rebuild_epochs() {
  leader_epoch_cache rebuilt{epochs_.path()};
  std::optional<error> bad;
  for (auto& [_, seg] : segments_) {
    SLUICE_TRY(seg.scan_headers([&](const batch_header& h) {
      auto latest = rebuilt.latest_epoch();
      if (bad || (latest && h.epoch <= *latest))
        return;
      // Epochs below zero (from outside Sluice) are not history; skip them.
      if (h.epoch < leader_epoch{0})
        return;
      if (auto r = rebuilt.assign(h.epoch, h.base_offset); !r)
        bad = r.err();
    }));
  }
  if (bad)
    return *bad;
  epochs_ = std::move(rebuilt);
  return epochs_.flush();
}

status partition_log::write_checkpoint() {
  SLUICE_TRY(write_recovery_point(dir_, recovery_point_));
  checkpointed_ = recovery_point_;
  last_checkpoint_ms_ = clock_();
  return {};
}

const segment* partition_log::segment_for(offset o) const {
  auto it = segments_.upper_bound(o);
  if (it == segments_.begin())
    return nullptr;
  return &std::prev(it)->second;
}

offset partition_log::log_start_offset() const { return segments_.begin()->first; }

uint64_t partition_log::size_bytes() const {
  uint64_t total = 0;
  for (auto& [_, s] : segments_)
    total += s.size();
  return total;
}

std::vector<offset> partition_log::segment_bases() const {
  std::vector<offset> out;
  for (auto& [b, _] : segments_)
    out.push_back(b);
  return out;
}

result<partition_log::validated> partition_log::validate(bytes_view batches) {
  if (closed_)
    return make_error(errc::invalid_argument, dir_.string() + ": append to a closed log");
  if (batches.empty())
    return make_error(errc::invalid_argument, "append of zero bytes");
  if (batches.size() > sf::max_segment_bytes / 2)
    return make_error(errc::record_too_large, "append of " + std::to_string(batches.size())
                                                + " bytes exceeds 1 GiB");
  auto& headers = scratch_headers_;
  headers.clear();
  validated v;
  size_t pos = 0;
  while (pos < batches.size()) {
    auto h = validate_batch(batches.subspan(pos));
    if (!h)
      return make_error(h.code(), "batch " + std::to_string(headers.size()) + ": "
                                    + h.err().message);
    if (h->size_bytes() > config_.max_batch_bytes)
      return make_error(errc::record_too_large,
                        "batch of " + std::to_string(h->size_bytes())
                          + " bytes exceeds max.message.bytes "
                          + std::to_string(config_.max_batch_bytes));
    if (h->is_control())
      if (auto m = parse_control_batch(batches.subspan(pos, h->size_bytes())); !m)
        return make_error(m.code(), "batch " + std::to_string(headers.size()) + ": "
                                      + m.err().message);
    headers.push_back(*h);
    pos += h->size_bytes();
    v.records += h->record_count;
    v.offsets += int64_t{h->last_offset_delta} + 1;
  }
  return v;
}

status partition_log::write(bytes_view batches, const validated& v) {
  // The history must cover an epoch before any of its batches can be on disk.
  if (auto st = epochs_.flush(); !st) {
    epochs_.truncate_from_end(log_end_offset() + 1);
    return st;
  }
  auto now = clock_();
  auto& act = active();
  bool full = act.size() + batches.size() > config_.segment_bytes;
  // Relative offsets in the indexes are u32.
  bool offsets_overflow = (log_end_offset() - act.base_offset()) + v.offsets
                          > int64_t{UINT32_MAX} - 1;
  bool old = config_.segment_ms >= 0 && now - active_created_ms_ >= config_.segment_ms;
  if (!act.empty() && (full || offsets_overflow || old))
    SLUICE_TRY(roll());
  if (auto st = active().append(batches, scratch_headers_); !st) {
    // Entries past the log end would describe batches that never landed.
    epochs_.truncate_from_end(log_end_offset() + 1);
    return st;
  }
  drop_behind_.on_append(active());
  return maybe_flush(v.records);
}

result<append_result> partition_log::append(std::span<std::byte> batches, leader_epoch epoch) {
  auto v = validate(batches);
  if (!v)
    return v.err();
  if (config_.compacted)
    SLUICE_TRY(check_keys(batches));
  auto latest = epochs_.latest_epoch();
  if (latest && epoch < *latest)
    return make_error(errc::stale_epoch, "append in epoch " + std::to_string(epoch.value)
                                           + " to a log at epoch " + std::to_string(latest->value));
  for (auto& h : scratch_headers_) {
    // A plain batch needs no check; a control or transactional one without a producer id is
    // refused by check().
    if (h.producer_id < 0 && (h.attributes & batch_format::attr_txn_control) == 0)
      continue;
    if (h.producer_id >= 0 && scratch_headers_.size() > 1)
      return make_error(errc::invalid_argument,
                        "a batch of idempotent producer " + std::to_string(h.producer_id)
                          + " must be the only batch of its append, not one of "
                          + std::to_string(scratch_headers_.size()));
    auto c = producers_.check(h);
    switch (c.verdict) {
      case producer_verdict::append: break;
      case producer_verdict::duplicate: {
        append_result dup;
        dup.base_offset = c.original.first_offset;
        dup.last_offset = c.original.last_offset;
        dup.batch_count = 1;
        dup.record_count = h.record_count;
        dup.duplicate = true;
        return dup;
      }
      case producer_verdict::old_duplicate: {
        auto found = find_producer_batch(h.producer_id, h.producer_epoch, h.base_sequence,
                                         last_sequence(h.base_sequence, h.last_offset_delta));
        if (!found)
          return found.err();
        if (!*found)
          return make_error(errc::out_of_order_sequence, c.reason + " and not in the log");
        append_result dup;
        dup.base_offset = (*found)->first_offset;
        dup.last_offset = (*found)->last_offset;
        dup.batch_count = 1;
        dup.record_count = h.record_count;
        dup.duplicate = true;
        return dup;
      }
      case producer_verdict::out_of_order: return make_error(errc::out_of_order_sequence, c.reason);
      case producer_verdict::fenced: return make_error(errc::producer_fenced, c.reason);
      case producer_verdict::invalid: return make_error(errc::invalid_argument, c.reason);
    }
  }
  return append_validated(batches, *v, epoch);
}

// Kafka's INVALID_RECORD for a compacted topic: the cleaner keeps the latest record per key,
// so a record without one could never be superseded nor told apart.
status partition_log::check_keys(bytes_view batches) const {
  size_t pos = 0;
  for (size_t i = 0; i < scratch_headers_.size(); ++i) {
    auto& h = scratch_headers_[i];
    auto batch = batches.subspan(pos, h.size_bytes());
    pos += h.size_bytes();
    if (h.is_control())
      continue;
    record_reader r{batch};
    record_view rec;
    uint32_t n = 0;
    while (r.next(rec)) {
      if (!rec.key)
        return make_error(errc::invalid_record,
                          "record " + std::to_string(n) + " of batch " + std::to_string(i)
                            + " has no key; a compacted topic (cleanup.policy=compact) keeps the"
                              " latest record per key and refuses records without one");
      ++n;
    }
    if (r.error_state())
      return *r.error_state();
  }
  return {};
}

result<append_result> partition_log::append_marker(producer_id id, producer_epoch producer_epoch,
                                                   const control_record& marker,
                                                   leader_epoch epoch) {
  auto c = producers_.check_marker(id, producer_epoch);
  if (c.verdict == producer_verdict::fenced)
    return make_error(errc::producer_fenced, c.reason);
  if (c.verdict != producer_verdict::append)
    return make_error(errc::invalid_argument, c.reason);
  auto batch = make_control_batch(id.value, producer_epoch.value, marker, timestamp_ms{clock_()});
  auto v = validate(batch);
  if (!v)
    return v.err();
  auto latest = epochs_.latest_epoch();
  if (latest && epoch < *latest)
    return make_error(errc::stale_epoch, "marker in epoch " + std::to_string(epoch.value)
                                           + " to a log at epoch " + std::to_string(latest->value));
  return append_validated(batch, *v, epoch);
}

result<append_result> partition_log::append_validated(std::span<std::byte> batches,
                                                      const validated& v, leader_epoch epoch) {
  auto latest = epochs_.latest_epoch();
  if (!latest || epoch != *latest) {
    auto a = epochs_.assign(epoch, log_end_offset());
    if (!a)
      return a.err();
  }
  offset next = log_end_offset();
  append_result res;
  res.base_offset = next;
  size_t pos = 0;
  for (auto& h : scratch_headers_) {
    auto b = batches.subspan(pos, h.size_bytes());
    set_base_offset(b, next);
    set_leader_epoch(b, epoch);
    h.base_offset = next;
    h.epoch = epoch;
    next = h.next_offset();
    pos += h.size_bytes();
  }
  SLUICE_TRY(write(batches, v));
  apply_producers(batches);
  res.last_offset = next - 1;
  res.batch_count = scratch_headers_.size();
  res.record_count = v.records;
  return res;
}

void partition_log::apply_producers(bytes_view batches) {
  size_t pos = 0;
  for (auto& h : scratch_headers_) {
    if (h.is_control()) {
      // validate() parsed it already: control batches are rare, parsing again is cheaper than
      // keeping the markers of every append.
      auto m = parse_control_batch(batches.subspan(pos, h.size_bytes()));
      producers_.apply(h, m ? std::optional{*m} : std::nullopt);
    } else {
      producers_.apply(h);
    }
    pos += h.size_bytes();
  }
}

offset partition_log::last_stable_offset(offset hw) const {
  auto first_unstable = producers_.first_unstable_offset(hw);
  if (!first_unstable)
    return hw;
  return std::min(hw, std::max(*first_unstable, log_start_offset()));
}

result<append_result> partition_log::append_replicated(std::span<const std::byte> batches) {
  auto v = validate(batches);
  if (!v)
    return v.err();
  offset next = log_end_offset();
  auto latest = epochs_.latest_epoch();
  for (size_t i = 0; i < scratch_headers_.size(); ++i) {
    auto& h = scratch_headers_[i];
    auto which = "batch " + std::to_string(i) + " at offset " + std::to_string(h.base_offset.value);
    // The leader's compacted log has gaps, and its batches arrive with them.
    bool gap_ok = config_.compacted && h.base_offset > next;
    if (h.base_offset != next && !gap_ok)
      return make_error(errc::invalid_argument,
                        which + (h.base_offset < next ? " overlaps" : " leaves a gap after")
                          + " the log, which continues at " + std::to_string(next.value));
    if (h.epoch < leader_epoch{0} || (latest && h.epoch < *latest))
      return make_error(errc::stale_epoch, which + " has epoch " + std::to_string(h.epoch.value)
                                             + " after epoch "
                                             + std::to_string(latest ? latest->value : -1));
    latest = h.epoch;
    next = h.next_offset();
  }
  for (auto& h : scratch_headers_) {
    auto a = epochs_.assign(h.epoch, h.base_offset);
    if (!a) {
      epochs_.truncate_from_end(log_end_offset() + 1);
      return a.err();
    }
  }
  append_result res;
  res.base_offset = scratch_headers_.front().base_offset;
  res.last_offset = next - 1;
  res.batch_count = scratch_headers_.size();
  res.record_count = v->records;
  SLUICE_TRY(write(batches, *v));
  apply_producers(batches);
  return res;
}

status partition_log::roll() {
  auto& old = active();
  SLUICE_TRY(old.seal());
  drop_behind_.on_seal(old);
  if (config_.flush.mode != flush_policy::kind::never)
    SLUICE_TRY(flush());
  auto base = old.next_offset();
  auto s = segment::create(dir_, base, config_.index_interval_bytes, config_.compacted);
  if (!s)
    return s.err();
  segments_.emplace(base, std::move(*s));
  active_created_ms_ = clock_();
  // Kafka's snapshot at each roll: recovery replays at most the active segment's headers.
  return snapshot_producers();
}

status partition_log::maybe_flush(uint64_t appended_records) {
  unflushed_records_ += appended_records;
  auto now = clock_();
  if (oldest_unflushed_ms_ < 0)
    oldest_unflushed_ms_ = now;
  const auto& f = config_.flush;
  bool due = false;
  switch (f.mode) {
    case flush_policy::kind::never: break;
    case flush_policy::kind::always: due = true; break;
    case flush_policy::kind::every_messages: due = unflushed_records_ >= f.messages; break;
    case flush_policy::kind::every_ms: due = now - oldest_unflushed_ms_ >= f.interval_ms; break;
  }
  return due ? flush() : status{};
}

status partition_log::flush() {
  // Segments from the one holding the recovery point onwards may hold unsynced data.
  for (auto it = segments_.begin(); it != segments_.end(); ++it) {
    auto next = std::next(it);
    if (next != segments_.end() && next->first <= recovery_point_)
      continue;
    SLUICE_TRY(it->second.flush());
  }
  recovery_point_ = log_end_offset();
  unflushed_records_ = 0;
  oldest_unflushed_ms_ = -1;
  return {};
}

status partition_log::tick() {
  auto now = clock_();
  if (config_.flush.mode == flush_policy::kind::every_ms && oldest_unflushed_ms_ >= 0
      && now - oldest_unflushed_ms_ >= config_.flush.interval_ms)
    SLUICE_TRY(flush());
  if (config_.segment_ms >= 0 && !active().empty() && now - active_created_ms_ >= config_.segment_ms)
    SLUICE_TRY(roll());
  if (recovery_point_ != checkpointed_ && now - last_checkpoint_ms_ >= config_.checkpoint_interval_ms)
    SLUICE_TRY(write_checkpoint());
  if (config_.producer_id_expiration_ms >= 0)
    producers_.expire(timestamp_ms{now}, config_.producer_id_expiration_ms);
  return {};
}

status partition_log::close() {
  if (closed_)
    return {};
  SLUICE_TRY(active().seal());
  SLUICE_TRY(flush());
  SLUICE_TRY(write_checkpoint());
  SLUICE_TRY(snapshot_producers());
  closed_ = true;
  return {};
}

result<read_result> partition_log::read(offset from, size_t max_bytes) const {
  read_result out;
  SLUICE_TRY(read(from, max_bytes, out));
  return out;
}

status partition_log::read(offset from, size_t max_bytes, read_result& out) const {
  auto start = log_start_offset();
  auto end = log_end_offset();
  if (from < start || from > end)
    return make_error(errc::offset_out_of_range,
                      "offset " + std::to_string(from.value) + " is outside the log ["
                        + std::to_string(start.value) + ", " + std::to_string(end.value) + "]");
  auto* s = segment_for(from);
  // `from` may sit at the end of a segment whose successor starts there, or (a compacted
  // log) in a gap before empty segments.
  while (s && (from >= s->next_offset() || s->empty()) && from < end) {
    auto it = segments_.upper_bound(s->base_offset());
    if (it == segments_.end())
      break; // the empty active segment: nothing to read yet
    s = &it->second;
  }
  if (!s)
    return make_error(errc::offset_out_of_range, "no segment holds offset "
                                                   + std::to_string(from.value));
  return s->read(from, max_bytes, out);
}

result<offset> partition_log::offset_for_timestamp(timestamp_ms ts) const {
  for (auto& [_, s] : segments_) {
    if (s.max_timestamp() < ts)
      continue;
    auto o = s.offset_for_timestamp(ts);
    if (!o)
      return o.err();
    if (*o)
      return **o;
  }
  return log_end_offset();
}

result<size_t> partition_log::apply_retention() {
  size_t deleted = 0;
  auto st = delete_retained(deleted);
  // Also after a failure: what was deleted is gone.
  if (deleted > 0)
    producers_.prune_aborted(log_start_offset());
  if (deleted > 0 && epochs_.truncate_from_start(log_start_offset()))
    SLUICE_TRY(epochs_.flush());
  if (!st)
    return st.err();
  return deleted;
}

status partition_log::delete_retained(size_t& deleted) {
  auto now = clock_();
  while (segments_.size() > 1 && config_.retention_ms >= 0
         && segments_.begin()->second.max_timestamp().value < now - config_.retention_ms) {
    SLUICE_TRY(remove_segment(segments_.begin()));
    ++deleted;
  }
  while (segments_.size() > 1 && config_.retention_bytes >= 0
         && size_bytes() - segments_.begin()->second.size()
              >= static_cast<uint64_t>(config_.retention_bytes)) {
    SLUICE_TRY(remove_segment(segments_.begin()));
    ++deleted;
  }
  return {};
}

status partition_log::remove_segment(std::map<offset, segment>::iterator it) {
  SLUICE_TRY(it->second.remove());
  segments_.erase(it);
  return {};
}

status partition_log::lower_recovery_point(offset o) {
  recovery_point_ = std::min(recovery_point_, o);
  if (checkpointed_ > o)
    SLUICE_TRY(write_checkpoint());
  return {};
}

status partition_log::truncate_to(offset o) {
  if (closed_)
    return make_error(errc::invalid_argument, dir_.string() + ": truncate of a closed log");
  if (o == log_end_offset()) {
    // No record to cut, but an epoch started here without a record (a leadership that wrote
    // nothing) goes: the leader's batches from here on may carry older epochs.
    epochs_.truncate_from_end(o);
    return epochs_.flush();
  }
  if (o < log_start_offset() || o > log_end_offset())
    return make_error(errc::offset_out_of_range,
                      dir_.string() + ": cannot truncate to " + std::to_string(o.value)
                        + ", outside the log [" + std::to_string(log_start_offset().value) + ", "
                        + std::to_string(log_end_offset().value) + "]");
  // The segment holding `o`, or starting at it.
  auto holder = std::prev(segments_.upper_bound(o));
  auto pos = holder->second.position_of_batch(o);
  if (!pos)
    return pos.err();
  SLUICE_TRY(lower_recovery_point(o));
  SLUICE_TRY(lower_cleaner_checkpoint(o));
  SLUICE_TRY(drop_snapshots_after(o));
  // From the back, so a crash midway leaves a contiguous prefix.
  bool deleted = false;
  while (std::prev(segments_.end()) != holder) {
    SLUICE_TRY(remove_segment(std::prev(segments_.end())));
    deleted = true;
  }
  SLUICE_TRY(holder->second.truncate_to(o));
  if (deleted)
    SLUICE_TRY(sync_directory(dir_));
  restart_active_clock();
  epochs_.truncate_from_end(o);
  SLUICE_TRY(epochs_.flush());
  return rebuild_producers();
}

status partition_log::reset_to(offset o) {
  if (closed_)
    return make_error(errc::invalid_argument, dir_.string() + ": reset of a closed log");
  if (o < offset{0})
    return make_error(errc::invalid_argument, "cannot reset the log to offset "
                                                + std::to_string(o.value));
  SLUICE_TRY(lower_recovery_point(o));
  // No gaps between segments are trusted from here: a crash midway then leaves a prefix.
  SLUICE_TRY(lower_cleaner_checkpoint(offset{0}));
  SLUICE_TRY(drop_snapshots_after(offset{-1}));
  producers_.clear();
  // The new segment comes first, so the log never has no segment. If a crash
  // leaves it behind others, recovery cuts the log at the gap in front of it.
  if (!segments_.contains(o)) {
    auto s = segment::create(dir_, o, config_.index_interval_bytes, config_.compacted);
    if (!s)
      return s.err();
    segments_.emplace(o, std::move(*s));
    SLUICE_TRY(sync_directory(dir_));
  }
  while (std::prev(segments_.end())->first != o)
    SLUICE_TRY(remove_segment(std::prev(segments_.end())));
  SLUICE_TRY(std::prev(segments_.end())->second.truncate_to(o));
  while (segments_.begin()->first != o)
    SLUICE_TRY(remove_segment(segments_.begin()));
  SLUICE_TRY(sync_directory(dir_));
  epochs_.clear();
  SLUICE_TRY(epochs_.flush());
  recovery_point_ = o;
  SLUICE_TRY(write_checkpoint());
  unflushed_records_ = 0;
  oldest_unflushed_ms_ = -1;
  restart_active_clock();
  return {};
}

status partition_log::assign_epoch(leader_epoch epoch) {
  if (closed_)
    return make_error(errc::invalid_argument, dir_.string() + ": assign_epoch on a closed log");
  auto a = epochs_.assign(epoch, log_end_offset());
  if (!a)
    return a.err();
  return epochs_.flush();
}

} // namespace sluice::store

namespace sluice::store {

// -- log compaction (store/log_cleaner.hpp) ------------------------------------------------

status partition_log::load_cleaner() {
  auto swap = read_cleaner_swap(dir_);
  if (!swap)
    return swap.err();
  if (*swap) {
    // The swap committed: finish it. New segments whose .log.cleaned is gone are in place;
    // every other old segment of the replaced range goes.
    auto& s = **swap;
    std::vector<offset> old;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir_, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      auto parsed = sf::parse_file_name(it->path().filename().string());
      if (parsed && parsed->kind == sf::file_kind::log && offset{parsed->base_offset} >= s.replaced_from
          && offset{parsed->base_offset} < s.replaced_to)
        old.push_back(offset{parsed->base_offset});
    }
    if (ec)
      return make_error(errc::io_error, "list " + dir_.string() + ": " + ec.message());
    for (auto b : s.bases)
      if (segment::has_cleaned_log(dir_, b))
        SLUICE_TRY(segment::install_cleaned(dir_, b));
    for (auto b : old)
      if (std::find(s.bases.begin(), s.bases.end(), b) == s.bases.end())
        SLUICE_TRY(segment::remove_files(dir_, b));
    SLUICE_TRY(sync_directory(dir_));
    SLUICE_TRY(write_cleaner_checkpoint(dir_, s.after));
    SLUICE_TRY(remove_cleaner_swap(dir_));
    report_.notes.push_back("finished an interrupted cleaner swap of offsets ["
                            + std::to_string(s.replaced_from.value) + ", "
                            + std::to_string(s.replaced_to.value) + ") into "
                            + std::to_string(s.bases.size()) + " segment(s)");
  }
  auto c = read_cleaner_checkpoint(dir_);
  if (c) {
    cleaned_ = *c;
  } else {
    // Without it, gaps between segments cannot be told from lost segments: trust them all
    // rather than cut a compacted log, and clean it from the start again.
    report_.notes.push_back(c.err().message + "; cleaning starts over");
    cleaned_ = {offset{0}, offset{std::numeric_limits<int64_t>::max()}};
  }
  cleaner_.first_dirty = cleaned_.first_dirty;
  cleaner_.cleaned_to = cleaned_.cleaned_to;
  return {};
}

status partition_log::lower_cleaner_checkpoint(offset o) {
  if (cleaned_.first_dirty <= o && cleaned_.cleaned_to <= o)
    return {};
  cleaned_.first_dirty = std::min(cleaned_.first_dirty, o);
  cleaned_.cleaned_to = std::min(cleaned_.cleaned_to, o);
  cleaner_.first_dirty = cleaned_.first_dirty;
  cleaner_.cleaned_to = cleaned_.cleaned_to;
  return write_cleaner_checkpoint(dir_, cleaned_);
}

offset partition_log::end_of(const segment& s) const {
  auto it = segments_.upper_bound(s.base_offset());
  return it == segments_.end() ? s.next_offset() : it->first;
}

std::vector<const segment*> partition_log::cleanable(offset uncleanable, int64_t now) const {
  std::vector<const segment*> out;
  for (auto it = segments_.begin(); std::next(it) != segments_.end(); ++it) {
    if (std::next(it)->first > uncleanable)
      break;
    if (config_.min_compaction_lag_ms > 0
        && it->second.max_timestamp().value > now - config_.min_compaction_lag_ms)
      break;
    out.push_back(&it->second);
  }
  return out;
}

double partition_log::dirty_ratio_of(const std::vector<const segment*>& segs,
                                     offset first_dirty) const {
  uint64_t total = 0, dirty = 0;
  for (auto* s : segs) {
    total += s->size();
    if (end_of(*s) > first_dirty)
      dirty += s->size();
  }
  return total == 0 ? 0.0 : static_cast<double>(dirty) / static_cast<double>(total);
}

double partition_log::dirty_ratio(offset uncleanable) const {
  if (!config_.compacted)
    return 0;
  return dirty_ratio_of(cleanable(uncleanable, clock_()),
                        std::max(cleaned_.first_dirty, log_start_offset()));
}

result<std::optional<cleaning_job>> partition_log::plan_cleaning(offset uncleanable,
                                                                 size_t map_bytes) {
  if (!config_.compacted || closed_)
    return std::optional<cleaning_job>{};
  auto now = clock_();
  auto segs = cleanable(uncleanable, now);
  auto first_dirty = std::max(cleaned_.first_dirty, log_start_offset());
  cleaner_.dirty_ratio = dirty_ratio_of(segs, first_dirty);
  if (segs.empty() || end_of(*segs.back()) <= first_dirty
      || cleaner_.dirty_ratio < config_.min_cleanable_dirty_ratio)
    return std::optional<cleaning_job>{};
  cleaning_job job;
  job.dir = dir_;
  job.first_dirty = first_dirty;
  job.now_ms = now;
  job.delete_retention_ms = config_.delete_retention_ms;
  job.segment_bytes = config_.segment_bytes;
  job.index_interval_bytes = config_.index_interval_bytes;
  job.map_bytes = map_bytes;
  job.dirty_ratio = cleaner_.dirty_ratio;
  for (auto* s : segs) {
    auto f = file::open(s->path(), file::mode::read_only);
    if (!f)
      return f.err();
    job.segments.push_back({s->base_offset(), end_of(*s), s->size(), std::move(*f)});
  }
  job.aborted = producers_.aborted_transactions(log_start_offset(), job.segments.back().end);
  return std::optional<cleaning_job>{std::move(job)};
}

status partition_log::crash_point(std::string_view step) {
  if (crash_hook_ && crash_hook_(step))
    return make_error(errc::io_error, "simulated crash after " + std::string{step});
  return {};
}

status partition_log::install_cleaned(const cleaning_result& r) {
  const auto& sw = r.swap;
  // The replaced segments must be exactly the ones cleaned: retention or a truncation may
  // have removed or cut them since, and the active segment is never replaced.
  bool same = !closed_;
  auto it = segments_.lower_bound(sw.replaced_from);
  for (auto& [base, size] : r.replaced) {
    if (!same || it == segments_.end() || it->first != base || it->second.size() != size
        || std::next(it) == segments_.end()) {
      same = false;
      break;
    }
    ++it;
  }
  if (!same || it == segments_.end() || it->first != sw.replaced_to) {
    remove_cleaned(dir_, sw.bases);
    return make_error(errc::invalid_argument,
                      dir_.string() + ": the log changed while offsets ["
                        + std::to_string(sw.replaced_from.value) + ", "
                        + std::to_string(sw.replaced_to.value)
                        + ") were cleaned; the cleaning is dropped");
  }
  // Commit point: from here recovery finishes the swap.
  SLUICE_TRY(write_cleaner_swap(dir_, sw));
  SLUICE_TRY(crash_point("cleaner.swap written"));
  for (auto b : sw.bases) {
    SLUICE_TRY(segment::install_cleaned(dir_, b));
    SLUICE_TRY(crash_point("renamed " + sf::file_stem(b.value) + ".cleaned"));
  }
  for (auto& [base, _] : r.replaced) {
    if (std::find(sw.bases.begin(), sw.bases.end(), base) != sw.bases.end())
      continue;
    SLUICE_TRY(segment::remove_files(dir_, base));
    SLUICE_TRY(crash_point("removed " + sf::file_stem(base.value)));
  }
  SLUICE_TRY(sync_directory(dir_));
  SLUICE_TRY(crash_point("directory synced"));
  SLUICE_TRY(write_cleaner_checkpoint(dir_, sw.after));
  SLUICE_TRY(crash_point("checkpoint written"));
  SLUICE_TRY(remove_cleaner_swap(dir_));
  SLUICE_TRY(crash_point("cleaner.swap removed"));
  // The old segment objects read the old files through their own descriptors until here.
  segments_.erase(segments_.lower_bound(sw.replaced_from), segments_.lower_bound(sw.replaced_to));
  for (auto b : sw.bases) {
    auto s = segment::open_trusted(dir_, b, config_.index_interval_bytes, true);
    if (!s) {
      segment_recovery rec;
      s = segment::open_recovering(dir_, b, config_.index_interval_bytes, rec, true);
      if (!s)
        return s.err();
    }
    segments_.emplace(b, std::move(*s));
  }
  cleaned_ = sw.after;
  cleaner_.first_dirty = cleaned_.first_dirty;
  cleaner_.cleaned_to = cleaned_.cleaned_to;
  cleaner_.last_clean_ms = clock_();
  ++cleaner_.cleanings;
  cleaner_.bytes_removed += r.stats.bytes_read - std::min(r.stats.bytes_read, r.stats.bytes_written);
  cleaner_.records_removed += r.stats.records_removed;
  cleaner_.tombstones_removed += r.stats.tombstones_removed;
  cleaner_.last_error.clear();
  return {};
}

} // namespace sluice::store

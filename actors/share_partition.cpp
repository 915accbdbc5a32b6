#include "actors/share_partition.hpp"

#include <algorithm>

namespace sluice::actors {

using schema::errc;

namespace {

bool finished(share_record_state s) {
  return s == share_record_state::acknowledged || s == share_record_state::archived;
}

bool same_state(const share_range& a, const share_range& b) {
  return a.state == b.state && a.delivery_count == b.delivery_count && a.member == b.member
         && a.deadline_ms == b.deadline_ms;
}

share_range finished_range(offset first, offset last, share_record_state s) {
  return {first, last, s, 0, {}, 0};
}

std::string str(offset o) { return std::to_string(o.value); }

} // namespace

share_partition::share_partition(share_config cfg, offset start)
  : cfg_(cfg), start_(start), end_(start) {}

schema::result<share_partition> share_partition::load(share_config cfg, const share_snapshot& s) {
  auto bad = [](std::string why) { return schema::error{errc::invalid_request, "share state: " + std::move(why)}; };
  if (s.start.value < 0 || s.end < s.start)
    return bad("end " + str(s.end) + " below start " + str(s.start));
  offset next = s.start;
  std::vector<share_range> ranges;
  for (auto& r : s.ranges) {
    if (r.first != next || r.last < r.first)
      return bad("range " + str(r.first) + ".." + str(r.last) + " does not follow offset " + str(next));
    if (r.state == share_record_state::acquired)
      return bad("an acquired range is never stored");
    if (r.delivery_count < 0)
      return bad("a negative delivery count");
    ranges.push_back({r.first, r.last, r.state, r.delivery_count, {}, 0});
    next = r.last + 1;
  }
  if (next != s.end)
    return bad("the ranges end at " + str(next) + ", not at " + str(s.end));
  share_partition out{cfg, s.start};
  out.end_ = s.end;
  out.ranges_ = std::move(ranges);
  out.finish_prefix();
  return out;
}

share_counts share_partition::counts() const {
  share_counts c;
  for (auto& r : ranges_) {
    auto n = r.last - r.first + 1;
    switch (r.state) {
      case share_record_state::available: c.available += n; break;
      case share_record_state::acquired: c.acquired += n; break;
      case share_record_state::acknowledged: c.acknowledged += n; break;
      case share_record_state::archived: c.archived += n; break;
    }
  }
  return c;
}

std::optional<offset> share_partition::next_fetch_offset(int64_t now_ms) {
  expire(now_ms);
  for (auto& r : ranges_)
    if (r.state == share_record_state::available)
      return r.first;
  if (end_ - start_ < cfg_.max_in_flight)
    return end_;
  return std::nullopt;
}

std::vector<acquired_range> share_partition::acquire(const std::string& member, offset from,
                                                     std::span<const offset_range> present,
                                                     offset scanned_end, int32_t max_records,
                                                     int64_t now_ms) {
  expire(now_ms);
  std::vector<acquired_range> out;
  int64_t remaining = std::max(max_records, 0);
  auto deadline = now_ms + cfg_.lock_duration_ms;
  // Redeliveries first: available in-flight records the read found.
  struct piece {
    offset first, last;
    int16_t count;
  };
  std::vector<piece> candidates;
  for (auto& r : ranges_) {
    if (r.state != share_record_state::available)
      continue;
    for (auto& p : present) {
      auto a = std::max({r.first, p.first, from});
      auto b = std::min({r.last, p.last, scanned_end - 1});
      if (a <= b)
        candidates.push_back({a, b, r.delivery_count});
    }
  }
  for (auto& c : candidates) {
    if (remaining == 0)
      break;
    if (c.count >= cfg_.delivery_count_limit) {
      assign(c.first, c.last, finished_range(c.first, c.last, share_record_state::archived));
      continue;
    }
    auto last = std::min(c.last, c.first + (remaining - 1));
    auto count = static_cast<int16_t>(c.count + 1);
    assign(c.first, last, {c.first, last, share_record_state::acquired, count, member, deadline});
    out.push_back({c.first, last, count});
    remaining -= last - c.first + 1;
  }
  // Then records never delivered, past end_, within the window.
  if (from <= end_) {
    bool stopped = false;
    for (auto& p : present) {
      if (p.last < end_ || p.first >= scanned_end)
        continue;
      if (remaining == 0) {
        stopped = true;
        break;
      }
      auto first = std::max(p.first, end_);
      if (first > end_) // a gap: nothing to deliver there
        append(finished_range(end_, first - 1, share_record_state::archived));
      finish_prefix();
      auto window_last = start_ + (cfg_.max_in_flight - 1);
      auto last = std::min({p.last, scanned_end - 1, first + (remaining - 1), window_last});
      if (last < first) {
        stopped = true;
        break;
      }
      append({first, last, share_record_state::acquired, 1, member, deadline});
      out.push_back({first, last, 1});
      remaining -= last - first + 1;
      if (last < p.last) {
        stopped = true;
        break;
      }
    }
    if (!stopped && scanned_end > end_) // a trailing gap (a control batch, say)
      append(finished_range(end_, scanned_end - 1, share_record_state::archived));
  }
  finish_prefix();
  return out;
}

schema::status share_partition::acknowledge(const std::string& member, std::span<const share_ack> acks,
                                            int64_t now_ms) {
  for (size_t i = 0; i < acks.size(); ++i) {
    auto& a = acks[i];
    if (a.first > a.last)
      return schema::error{errc::invalid_request, "acknowledgement range " + str(a.first) + ".."
                                                    + str(a.last) + " ends before it starts"};
    if (i > 0 && a.first <= acks[i - 1].last)
      return schema::error{errc::invalid_request,
                           "acknowledgement ranges out of order or overlapping at offset " + str(a.first)};
  }
  expire(now_ms);
  for (auto& a : acks) {
    if (a.first < start_ || a.last >= end_)
      return schema::error{errc::invalid_record_state,
                           "offsets " + str(a.first) + ".." + str(a.last) + " are not in flight ("
                             + str(start_) + ".." + str(end_ - 1) + ")"};
    for (auto& r : ranges_) {
      if (r.last < a.first || r.first > a.last)
        continue;
      if (r.state != share_record_state::acquired || r.member != member) {
        auto o = std::max(r.first, a.first);
        std::string why = r.state == share_record_state::acquired ? "acquired by another member"
                                                                   : to_string(r.state);
        return schema::error{errc::invalid_record_state, "offset " + str(o) + " is not held by member '"
                                                           + member + "' (" + why + ")"};
      }
    }
  }
  for (auto& a : acks) {
    if (a.type == share_ack_type::accept) {
      assign(a.first, a.last, finished_range(a.first, a.last, share_record_state::acknowledged));
    } else if (a.type == share_ack_type::reject) {
      assign(a.first, a.last, finished_range(a.first, a.last, share_record_state::archived));
    } else {
      // Release keeps each record's delivery count; pieces of different counts stay apart.
      std::vector<share_range> pieces;
      for (auto& r : ranges_)
        if (r.last >= a.first && r.first <= a.last)
          pieces.push_back({std::max(r.first, a.first), std::min(r.last, a.last), r.state,
                            r.delivery_count, {}, 0});
      for (auto& p : pieces) {
        end_lock(p);
        assign(p.first, p.last, p);
      }
    }
  }
  finish_prefix();
  return {};
}

void share_partition::end_lock(share_range& r) {
  r.member.clear();
  r.deadline_ms = 0;
  if (r.delivery_count >= cfg_.delivery_count_limit) {
    r.state = share_record_state::archived;
    r.delivery_count = 0;
  } else {
    r.state = share_record_state::available;
  }
}

int64_t share_partition::release_member(const std::string& member) {
  int64_t n = 0;
  for (auto& r : ranges_)
    if (r.state == share_record_state::acquired && r.member == member) {
      n += r.last - r.first + 1;
      end_lock(r);
    }
  if (n > 0)
    finish_prefix();
  return n;
}

int64_t share_partition::expire(int64_t now_ms) {
  int64_t n = 0;
  for (auto& r : ranges_)
    if (r.state == share_record_state::acquired && r.deadline_ms <= now_ms) {
      n += r.last - r.first + 1;
      end_lock(r);
    }
  if (n > 0)
    finish_prefix();
  return n;
}

void share_partition::advance_to(offset log_start) {
  if (log_start <= start_)
    return;
  if (log_start >= end_) {
    ranges_.clear();
    start_ = end_ = log_start;
    return;
  }
  assign(start_, log_start - 1, finished_range(start_, log_start - 1, share_record_state::archived));
  finish_prefix();
}

share_snapshot share_partition::snapshot() const {
  share_snapshot s{start_, end_, {}};
  for (auto& r : ranges_) {
    auto state = r.state == share_record_state::acquired ? share_record_state::available : r.state;
    auto& b = s.ranges;
    // Neighbouring acquired and available ranges of one count read back as one.
    if (!b.empty() && b.back().state == state && b.back().delivery_count == r.delivery_count)
      b.back().last = r.last;
    else
      b.push_back({r.first, r.last, state, r.delivery_count});
  }
  return s;
}

void share_partition::assign(offset first, offset last, const share_range& r) {
  std::vector<share_range> out;
  out.reserve(ranges_.size() + 2);
  for (auto& x : ranges_) {
    if (x.last < first || x.first > last) {
      out.push_back(x);
      continue;
    }
    if (x.first < first) {
      auto head = x;
      head.last = first - 1;
      out.push_back(std::move(head));
    }
    auto mid = r;
    mid.first = std::max(x.first, first);
    mid.last = std::min(x.last, last);
    out.push_back(std::move(mid));
    if (x.last > last) {
      auto tail = x;
      tail.first = last + 1;
      out.push_back(std::move(tail));
    }
  }
  ranges_ = std::move(out);
  merge();
}

void share_partition::append(share_range r) {
  r.first = end_;
  end_ = r.last + 1;
  ranges_.push_back(std::move(r));
  merge();
}

void share_partition::finish_prefix() {
  merge();
  size_t n = 0;
  while (n < ranges_.size() && finished(ranges_[n].state)) {
    start_ = ranges_[n].last + 1;
    ++n;
  }
  ranges_.erase(ranges_.begin(), ranges_.begin() + static_cast<std::ptrdiff_t>(n));
  if (ranges_.empty())
    start_ = end_;
}

void share_partition::merge() {
  if (ranges_.size() < 2)
    return;
  size_t w = 0;
  for (size_t i = 1; i < ranges_.size(); ++i) {
    if (same_state(ranges_[w], ranges_[i]) && ranges_[w].last + 1 == ranges_[i].first)
      ranges_[w].last = ranges_[i].last;
    else if (++w != i)
      ranges_[w] = std::move(ranges_[i]); // never onto itself: a self-moved string is empty
  }
  ranges_.resize(w + 1);
}

} // namespace sluice::actors

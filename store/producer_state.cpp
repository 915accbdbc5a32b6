#include "store/producer_state.hpp"

#include <algorithm>
#include <limits>

namespace sluice::store {

namespace {

constexpr int64_t seq_space = int64_t{std::numeric_limits<int32_t>::max()} + 1;

std::string describe(producer_id id) { return "producer " + std::to_string(id.value); }

} // namespace

const char* to_string(producer_verdict v) noexcept {
  switch (v) {
    case producer_verdict::append: return "append";
    case producer_verdict::duplicate: return "duplicate";
    case producer_verdict::old_duplicate: return "old_duplicate";
    case producer_verdict::out_of_order: return "out_of_order";
    case producer_verdict::fenced: return "fenced";
    case producer_verdict::invalid: return "invalid";
  }
  return "?";
}

int32_t last_sequence(int32_t first, uint32_t last_offset_delta) {
  return static_cast<int32_t>((int64_t{first} + int64_t{last_offset_delta}) % seq_space);
}

bool in_sequence(int32_t last, int32_t next) {
  return int64_t{next} == int64_t{last} + 1 || (next == 0 && last == std::numeric_limits<int32_t>::max());
}

producer_check producer_state::check(const batch_header& h) const {
  producer_check out;
  if (h.is_control()) {
    out.verdict = producer_verdict::invalid;
    out.reason = describe(producer_id{h.producer_id})
                 + ": a control batch is written only by the partition leader for a "
                   "transaction marker, never sent by a client";
    return out;
  }
  if (h.producer_id < 0) {
    if (h.is_transactional()) {
      out.verdict = producer_verdict::invalid;
      out.reason = "a transactional batch needs a producer id, got "
                   + std::to_string(h.producer_id);
    }
    return out;
  }
  producer_id id{h.producer_id};
  producer_epoch epoch{h.producer_epoch};
  if (h.producer_epoch < 0 || h.base_sequence < 0) {
    out.verdict = producer_verdict::invalid;
    out.reason = describe(id) + ": an idempotent batch needs epoch and sequence >= 0, got epoch "
                 + std::to_string(h.producer_epoch) + " sequence " + std::to_string(h.base_sequence);
    return out;
  }
  auto it = producers_.find(id);
  if (it == producers_.end())
    return out;
  const auto& e = it->second;
  if (epoch < e.epoch) {
    out.verdict = producer_verdict::fenced;
    out.reason = describe(id) + " epoch " + std::to_string(epoch.value)
                 + " is fenced: the partition has seen epoch " + std::to_string(e.epoch.value);
    return out;
  }
  if (epoch > e.epoch) {
    if (h.base_sequence != 0) {
      out.verdict = producer_verdict::out_of_order;
      out.reason = describe(id) + " starts epoch " + std::to_string(epoch.value) + " at sequence "
                   + std::to_string(h.base_sequence) + ", not 0";
    }
    return out;
  }
  // Only a marker was seen at this epoch (it bumped the epoch, or the producer's batches
  // expired): the next sequence is unknown, so any is taken, as Kafka does.
  if (e.batches.empty())
    return out;
  auto last = last_sequence(h.base_sequence, h.last_offset_delta);
  auto dup = std::find_if(e.batches.begin(), e.batches.end(), [&](const producer_batch_info& b) {
    return b.first_seq == h.base_sequence && b.last_seq == last;
  });
  if (dup != e.batches.end()) {
    out.verdict = producer_verdict::duplicate;
    out.original = *dup;
    return out;
  }
  // How far the producer's last sequence is ahead of this batch's last, modulo the wrap.
  auto behind = ((int64_t{e.last_seq()} - int64_t{last}) % seq_space + seq_space) % seq_space;
  if (!in_sequence(e.last_seq(), h.base_sequence) && behind > 0 && behind < seq_space / 2) {
    out.verdict = producer_verdict::old_duplicate;
    out.reason = describe(id) + " epoch " + std::to_string(epoch.value) + ": sequence "
                 + std::to_string(h.base_sequence) + " is older than the "
                 + std::to_string(e.batches.size()) + " batches kept (last sequence "
                 + std::to_string(e.last_seq()) + ")";
    return out;
  }
  if (!in_sequence(e.last_seq(), h.base_sequence)) {
    out.verdict = producer_verdict::out_of_order;
    out.reason = describe(id) + " epoch " + std::to_string(epoch.value) + ": sequence "
                 + std::to_string(h.base_sequence) + " does not follow "
                 + std::to_string(e.last_seq());
  }
  return out;
}

producer_check producer_state::check_marker(producer_id id, producer_epoch epoch) const {
  producer_check out;
  if (epoch.value < 0) {
    out.verdict = producer_verdict::invalid;
    out.reason = describe(id) + ": a transaction marker needs an epoch >= 0, got "
                 + std::to_string(epoch.value);
    return out;
  }
  auto* e = find(id);
  if (e && epoch < e->epoch) {
    out.verdict = producer_verdict::fenced;
    out.reason = describe(id) + ": a marker of epoch " + std::to_string(epoch.value)
                 + " is fenced: the partition has seen epoch " + std::to_string(e->epoch.value);
  }
  return out;
}

void producer_state::apply(const batch_header& h, const std::optional<control_record>& marker) {
  if (h.producer_id < 0 || h.producer_epoch < 0)
    return;
  producer_id id{h.producer_id};
  producer_epoch epoch{h.producer_epoch};
  if (h.is_control()) {
    if (!marker)
      return;
    auto& e = producers_[id];
    if (epoch < e.epoch)
      return;
    if (epoch != e.epoch) {
      e.epoch = epoch;
      e.batches.clear();
    }
    e.coordinator_epoch = marker->coordinator_epoch;
    e.marker_timestamp = std::max(e.marker_timestamp, h.max_timestamp);
    end_transaction(id, e, marker->type, h.base_offset);
    return;
  }
  if (h.base_sequence < 0)
    return;
  auto& e = producers_[id];
  if (epoch < e.epoch)
    return;
  if (epoch != e.epoch) {
    e.epoch = epoch;
    e.batches.clear();
  }
  e.batches.push_back({h.base_sequence, last_sequence(h.base_sequence, h.last_offset_delta),
                       h.base_offset, h.last_offset(), h.max_timestamp});
  while (e.batches.size() > batches_kept)
    e.batches.pop_front();
  if (h.is_transactional() && !e.in_transaction()) {
    e.txn_first_offset = h.base_offset;
    open_.emplace(h.base_offset, id);
  }
}

void producer_state::end_transaction(producer_id id, producer_entry& e, control_type type,
                                     offset marker) {
  if (!e.in_transaction())
    return; // nothing of this producer to drop: a retried marker, or one for an empty txn
  open_.erase(e.txn_first_offset);
  unreplicated_.insert_or_assign(e.txn_first_offset, marker);
  if (type == control_type::abort)
    aborted_.push_back({id, e.txn_first_offset, marker});
  e.txn_first_offset = offset{-1};
}

size_t producer_state::expire(timestamp_ms now, int64_t max_age_ms) {
  return std::erase_if(producers_, [&](const auto& kv) {
    return !kv.second.in_transaction() && kv.second.last_timestamp().value < now.value - max_age_ms;
  });
}

std::optional<offset> producer_state::first_unstable_offset(offset hw) const {
  std::optional<offset> out;
  if (!open_.empty())
    out = open_.begin()->first;
  // In first-offset order: the first one not yet replicated is the smallest.
  for (auto& [first, marker] : unreplicated_) {
    if (out && first >= *out)
      break;
    if (marker >= hw) {
      out = first;
      break;
    }
  }
  return out;
}

void producer_state::on_high_watermark(offset hw) {
  std::erase_if(unreplicated_, [&](const auto& kv) { return kv.second < hw; });
}

size_t producer_state::prune_aborted(offset log_start) {
  auto end = std::find_if(aborted_.begin(), aborted_.end(),
                          [&](const aborted_txn& a) { return a.last_offset >= log_start; });
  auto n = static_cast<size_t>(end - aborted_.begin());
  aborted_.erase(aborted_.begin(), end);
  return n;
}

std::vector<aborted_txn> producer_state::aborted_transactions(offset from, offset upto) const {
  std::vector<aborted_txn> out;
  auto it = std::lower_bound(aborted_.begin(), aborted_.end(), from,
                             [](const aborted_txn& a, offset o) { return a.last_offset < o; });
  for (; it != aborted_.end(); ++it)
    if (it->first_offset < upto)
      out.push_back(*it);
  return out;
}

void producer_state::restore(producer_id id, producer_entry e) {
  if (auto old = producers_.find(id); old != producers_.end() && old->second.in_transaction())
    open_.erase(old->second.txn_first_offset);
  if (e.in_transaction())
    open_.emplace(e.txn_first_offset, id);
  producers_.insert_or_assign(id, std::move(e));
}

const producer_entry* producer_state::find(producer_id id) const {
  auto it = producers_.find(id);
  return it == producers_.end() ? nullptr : &it->second;
}

} // namespace sluice::store

#include "actors/delay_scheduler.hpp"

#include "store/batch.hpp"

#include <algorithm>
#include <map>

namespace sluice::actors {

namespace dl = store::delayed;
using schema::errc;

delay_outcome classify_delivery_error(errc e) {
  switch (e) {
    case errc::none: return delay_outcome::delivered;
    case errc::invalid_request:
    case errc::corrupt_message:
    case errc::record_too_large:
    case errc::invalid_topic: return delay_outcome::refused;
    default: return delay_outcome::retry;
  }
}

void delay_effects::append(delay_effects&& o) {
  appends.insert(appends.end(), o.appends.begin(), o.appends.end());
  want_producer_id = want_producer_id || o.want_producer_id;
  for (auto& d : o.deliveries)
    deliveries.push_back(std::move(d));
  for (auto& e : o.errors)
    errors.push_back(std::move(e));
}

delay_scheduler::delay_scheduler(delay_store& store, partition_id p, delay_limits limits)
  : store_(store), p_(p), limits_(limits) {}

schema::status delay_scheduler::load() {
  auto s = store_.state(p_);
  if (!s)
    return s.err();
  state_ = std::move(*s);
  return {};
}

schema::status delay_scheduler::on_log(offset from, std::span<const std::byte> batches,
                                       offset high_watermark) {
  hw_ = high_watermark;
  if (!batches.empty()) {
    auto s = store_.index(p_, from, batches);
    if (!s)
      return s.err();
    state_ = std::move(*s);
  }
  if (control_in_flight_ && control_at_.value >= 0 && state_.indexed_through > control_at_)
    control_in_flight_ = false;
  if (state_.pid.value >= 0)
    pid_asked_ms_ = -1;
  if (delivery_ && (state_.open.done || delivery_->slot_id != state_.open.id))
    delivery_.reset(); // done (by this leader or, before it, another): nothing left to send
  return {};
}

void delay_scheduler::control(dl::control_record c, int64_t now_ms, delay_effects& fx) {
  fx.appends.push_back(c);
  control_in_flight_ = true;
  control_at_ = offset{-1};
  control_since_ms_ = now_ms;
}

void delay_scheduler::on_appended(offset last) {
  if (!control_in_flight_)
    return;
  if (last.value < 0) {
    control_in_flight_ = false;
    return;
  }
  control_at_ = last;
  if (state_.indexed_through > last)
    control_in_flight_ = false;
}

delay_effects delay_scheduler::tick(int64_t now_ms) {
  delay_effects fx;
  if (control_in_flight_ && now_ms - control_since_ms_ > limits_.control_timeout_ms) {
    control_in_flight_ = false;
    fx.errors.push_back(std::string{dl::topic} + "-" + std::to_string(p_.value)
                        + ": a control record did not show in the log in time; appending again");
  }
  if (state_.pid.value < 0) {
    if (caught_up() && !control_in_flight_
        && (pid_asked_ms_ < 0 || now_ms - pid_asked_ms_ > limits_.control_timeout_ms)) {
      pid_asked_ms_ = now_ms;
      fx.want_producer_id = true;
    }
    return fx;
  }
  if (!state_.open.done) {
    if (!delivery_ || delivery_->slot_id != state_.open.id) {
      if (auto st = start_delivery(now_ms, fx); !st) {
        fx.errors.push_back(st.err().to_string());
        return fx;
      }
    } else {
      send_ready(now_ms, fx);
    }
    if (delivery_complete() && !control_in_flight_)
      control({dl::control_kind::done, {state_.open.id, 0, 0, 0}}, now_ms, fx);
    return fx;
  }
  if (control_in_flight_ || !caught_up())
    return fx;
  auto next = store_.next_due(p_);
  if (!next) {
    fx.errors.push_back(next.err().to_string());
    return fx;
  }
  next_due_ms_ = *next;
  if (!*next || **next > now_ms)
    return fx;
  auto count = store_.due_count(p_, now_ms, state_.indexed_through, limits_.max_slot_records,
                                limits_.max_slot_bytes);
  if (!count) {
    fx.errors.push_back(count.err().to_string());
    return fx;
  }
  if (*count > 0)
    control({dl::control_kind::slot, {state_.open.id + 1, now_ms, state_.indexed_through.value, *count}},
            now_ms, fx);
  return fx;
}

delay_effects delay_scheduler::on_producer_id(producer_id id, int64_t now_ms) {
  delay_effects fx;
  if (state_.pid.value >= 0 || id.value < 0 || control_in_flight_)
    return fx;
  control({dl::control_kind::pid, {id.value, 0, 0, 0}}, now_ms, fx);
  return fx;
}

// The open slot's members, per target in (deliver-at, offset) order, cut into batches by
// count and payload size: the cut depends only on the members, so a repeat after a failover
// sends the same sequence ranges.
schema::status delay_scheduler::start_delivery(int64_t now_ms, delay_effects& fx) {
  auto entries = store_.open_entries(p_);
  if (!entries)
    return entries.err();
  slot_delivery d;
  d.slot_id = state_.open.id;
  std::map<std::pair<std::string, int32_t>, size_t> index;
  std::vector<std::vector<const delay_entry*>> members;
  for (auto& e : *entries) {
    auto [it, fresh] = index.emplace(std::pair{e.topic, e.partition.value}, d.targets.size());
    if (fresh) {
      d.targets.push_back({e.topic, e.partition, {}, 0, 0, 0, 0});
      members.emplace_back();
    }
    members[it->second].push_back(&e);
    max_lateness_ms_ = std::max(max_lateness_ms_, now_ms - e.deliver_at_ms);
  }
  std::vector<store::record_header> headers;
  for (size_t t = 0; t < d.targets.size(); ++t) {
    auto& q = d.targets[t];
    auto seq = store_.next_sequence(p_, q.topic, q.partition);
    if (!seq)
      return seq.err();
    int64_t next_seq = *seq;
    auto& list = members[t];
    for (size_t i = 0; i < list.size();) {
      store::batch_builder b;
      size_t bytes = 0;
      uint32_t n = 0;
      for (; i < list.size() && n < limits_.max_batch_records; ++i, ++n) {
        auto& e = *list[i];
        if (n > 0 && bytes + e.payload_bytes() > limits_.max_batch_bytes)
          break;
        bytes += e.payload_bytes();
        headers.clear();
        for (auto& [k, v] : e.headers)
          headers.push_back({k, v});
        b.add(timestamp_ms{now_ms},
              e.key ? std::optional<std::string_view>{*e.key} : std::nullopt,
              e.value ? std::optional<std::string_view>{*e.value} : std::nullopt, headers);
      }
      auto base = static_cast<int32_t>(next_seq);
      auto bytes_out = std::make_shared<const std::vector<std::byte>>(
        b.finish(state_.pid.value, 0, base));
      q.batches.push_back({base, n, std::move(bytes_out)});
      next_seq = (next_seq + n) % (int64_t{INT32_MAX} + 1);
    }
  }
  delivery_ = std::move(d);
  send_ready(now_ms, fx);
  return {};
}

void delay_scheduler::send_ready(int64_t now_ms, delay_effects& fx) {
  if (!delivery_)
    return;
  for (auto& q : delivery_->targets) {
    if (q.in_flight || q.next >= q.batches.size() || now_ms < q.retry_at_ms)
      continue;
    auto& b = q.batches[q.next];
    q.in_flight = ++next_delivery_id_;
    fx.deliveries.push_back({q.in_flight, q.topic, q.partition, b.base_sequence, b.records, b.bytes});
  }
}

bool delay_scheduler::delivery_complete() const {
  if (!delivery_)
    return false;
  return std::ranges::all_of(delivery_->targets, [](const target_queue& q) {
    return !q.in_flight && q.next >= q.batches.size();
  });
}

delay_effects delay_scheduler::on_delivery(uint64_t id, delay_outcome o, int64_t now_ms) {
  delay_effects fx;
  if (!delivery_)
    return fx;
  auto q = std::ranges::find(delivery_->targets, id, &target_queue::in_flight);
  if (q == delivery_->targets.end() || id == 0)
    return fx;
  q->in_flight = 0;
  auto& b = q->batches[q->next];
  auto where = q->topic + "-" + std::to_string(q->partition.value);
  if (o == delay_outcome::retry && ++q->attempts >= limits_.max_attempts)
    o = delay_outcome::refused;
  switch (o) {
    case delay_outcome::delivered:
      ++q->next;
      q->attempts = 0;
      q->retry_at_ms = 0;
      break;
    case delay_outcome::retry:
      ++retries_;
      q->retry_at_ms = now_ms + limits_.retry_backoff_ms;
      break;
    case delay_outcome::refused:
      dropped_ += b.records;
      fx.errors.push_back(std::to_string(b.records) + " delayed record(s) for " + where
                          + " dropped: the target refused them or stayed unavailable");
      ++q->next;
      q->attempts = 0;
      q->retry_at_ms = 0;
      break;
  }
  send_ready(now_ms, fx);
  if (delivery_complete() && !control_in_flight_)
    control({dl::control_kind::done, {state_.open.id, 0, 0, 0}}, now_ms, fx);
  return fx;
}

delay_scheduler_status delay_scheduler::status() const {
  delay_scheduler_status s;
  s.partition = p_.value;
  s.indexed_through = state_.indexed_through.value;
  s.high_watermark = hw_.value;
  s.producer_id = state_.pid.value;
  s.pending = state_.pending;
  s.next_due_ms = next_due_ms_.value_or(-1);
  if (state_.open.id == 0)
    s.open_slot = "none";
  else
    s.open_slot = "id=" + std::to_string(state_.open.id) + " end=" + std::to_string(state_.open.end_ms)
                  + " members=" + std::to_string(state_.open.members)
                  + (state_.open.done ? " done" : " delivering");
  s.delivered = state_.delivered;
  if (delivery_)
    for (auto& q : delivery_->targets)
      s.batches_in_flight += q.in_flight ? 1 : 0;
  s.retries = retries_;
  s.dropped = dropped_;
  s.skipped = state_.skipped;
  s.max_lateness_ms = max_lateness_ms_;
  return s;
}

} // namespace sluice::actors

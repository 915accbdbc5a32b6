#pragma once

// What the delivery scheduler's tests (actors/delay_scheduler_test.cpp, sim/delay_sim_test.cpp)
// run it against: a `__delayed` partition log held in memory as real record batches, and
// target partitions that judge each delivery with the real idempotent-producer state
// (store/producer_state.hpp), as a partition leader does.

#include "actors/delay_scheduler.hpp"
#include "store/batch.hpp"
#include "store/delayed_format.hpp"
#include "store/producer_state.hpp"

#include <map>
#include <string>
#include <vector>

namespace sluice::test {

namespace dl = store::delayed;

// The committed log of one __delayed partition.
struct delay_log {
  std::vector<std::vector<std::byte>> batches;
  offset end{0};

  // Appends a batch built with relative offsets; returns the offset of its last record.
  offset append(std::vector<std::byte> b) {
    store::set_base_offset(b, end);
    auto h = store::decode_header(b);
    end = h->next_offset();
    batches.push_back(std::move(b));
    return offset{end.value - 1};
  }

  // A client's delayed record for (topic, partition), value `value`, sent at `ts`.
  offset append_delayed(const std::string& topic, int32_t partition, const std::string& value,
                        int64_t ts, int64_t deliver_at) {
    auto to = dl::deliver_to_value(topic, partition_id{partition});
    auto at = std::to_string(deliver_at);
    store::record_header hs[] = {{dl::deliver_to_header, to}, {dl::deliver_at_header, at}};
    store::batch_builder b;
    b.add(timestamp_ms{ts}, std::nullopt, std::string_view{value}, hs);
    return append(b.finish());
  }

  // The scheduler's control records, as the delay manager appends them.
  offset append_control(const std::vector<dl::control_record>& cs, int64_t ts) {
    store::batch_builder b;
    for (auto& c : cs) {
      auto v = dl::encode_control_value(c);
      store::record_header h{dl::control_header, dl::control_name(c.kind)};
      b.add(timestamp_ms{ts}, std::nullopt, std::string_view{v}, {&h, 1});
    }
    return append(b.finish());
  }

  // Whole batches holding offsets >= from, at most `max_batches` of them.
  std::vector<std::byte> read(offset from, size_t max_batches = SIZE_MAX) const {
    std::vector<std::byte> out;
    size_t n = 0;
    for (auto& b : batches) {
      auto h = store::decode_header(b);
      if (h->next_offset() <= from)
        continue;
      if (n++ == max_batches)
        break;
      out.insert(out.end(), b.begin(), b.end());
    }
    return out;
  }
};

// One target partition: appends what its producer state lets through.
struct delay_target {
  struct written {
    std::string value;
    int64_t at_ms;
  };
  store::producer_state producers;
  std::vector<written> log;
  offset end{0};
  size_t duplicates = 0;
  size_t out_of_order = 0;

  actors::delay_outcome produce(const std::vector<std::byte>& batch, int64_t now_ms) {
    auto h = store::validate_batch(batch);
    if (!h)
      return actors::delay_outcome::refused;
    auto check = producers.check(*h);
    switch (check.verdict) {
      case store::producer_verdict::duplicate:
      case store::producer_verdict::old_duplicate: ++duplicates; return actors::delay_outcome::delivered;
      case store::producer_verdict::out_of_order: ++out_of_order; return actors::delay_outcome::retry;
      case store::producer_verdict::fenced:
      case store::producer_verdict::invalid: return actors::delay_outcome::refused;
      case store::producer_verdict::append: break;
    }
    auto copy = batch;
    store::set_base_offset(copy, end);
    auto placed = store::decode_header(copy);
    producers.apply(*placed);
    end = placed->next_offset();
    store::record_reader reader{copy};
    store::record_view r;
    while (reader.next(r))
      log.push_back({std::string{r.value.value_or("")}, now_ms});
    return actors::delay_outcome::delivered;
  }
};

} // namespace sluice::test

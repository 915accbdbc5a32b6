#pragma once

// The producer's record accumulator: records go straight into one open store::batch_builder
// per partition; a batch is sealed when the next record would take it past batch.size, when it
// has been open for linger.ms, or on flush, and then waits in the ready queue for the sender.
// Everything it holds counts against buffer.memory until the sender releases it.
//
// Plain C++, no CAF, no threads, no clock: the producer calls it under its mutex and passes
// the time in, so tests drive it directly.

#include "client/delivery.hpp"
#include "client/producer_batch.hpp"
#include "client/sticky_partition.hpp"
#include "store/batch.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::client {

class record_accumulator {
public:
  struct limits {
    size_t batch_bytes = 64 * 1024;     // batch.size: seal before a record would exceed it
    std::chrono::milliseconds linger{5}; // linger.ms: the longest a batch waits to fill
    size_t buffer_bytes = 32u << 20;    // buffer.memory: open + ready + in-flight batches
  };

  struct record {
    timestamp_ms timestamp{0};
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    std::span<const store::record_header> headers;
  };

  enum class outcome {
    appended,
    no_memory,     // buffer.memory is full: wait for release() and try again
    too_large,     // the record alone exceeds buffer.memory or the largest batch
    bad_partition, // an explicit partition outside [0, partitions)
  };

  struct append_result {
    outcome status = outcome::appended;
    partition_id partition{-1};
    bool wake_sender = false; // a batch was opened (its linger clock started) or sealed
  };

  // Per-topic state: partition count, sticky partition, one open batch per partition.
  class topic;

  explicit record_accumulator(limits l, uint64_t seed = std::random_device{}());
  ~record_accumulator();
  record_accumulator(const record_accumulator&) = delete;
  record_accumulator& operator=(const record_accumulator&) = delete;

  topic* find_topic(std::string_view name);
  // Adds the topic or raises its partition count (counts never shrink).
  topic& set_topic(std::string_view name, int32_t partitions);
  int32_t partitions(const topic& t) const;

  // Picks the partition (explicit, else murmur2 of the key, else the sticky one) and appends.
  // `cb` is moved from only when the record was appended.
  append_result append(topic& t, std::optional<partition_id> partition, const record& r,
                       delivery_callback& cb, steady_clock::time_point now);

  // Up to `max_batches` batches to send, oldest first: sealed full ones, then open ones whose
  // linger has passed, or every open one when `flush` is set.
  std::vector<producer_batch> drain(steady_clock::time_point now, size_t max_batches, bool flush);

  // When the oldest open batch's linger runs out; nullopt when none is open.
  std::optional<steady_clock::time_point> next_linger_deadline();

  // A batch the sender finished with (acked or failed) gives its reservation back.
  void release(size_t reserved_bytes);

  size_t buffered_bytes() const { return buffered_bytes_; }
  size_t ready_batches() const { return ready_.size(); }
  bool has_open_batches() const { return open_count_ > 0; }

  // What one record costs in a batch at most (record_v2 framing with worst-case varints).
  static size_t record_bytes_bound(const record& r);

private:
  struct opened {
    topic* t;
    int32_t partition;
    uint64_t seq;
  };

  void seal(topic& t, int32_t partition);
  bool pop_stale_front();

  struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  limits limits_;
  std::unordered_map<std::string, std::unique_ptr<topic>, string_hash, std::equal_to<>> topics_;
  std::deque<producer_batch> ready_;
  std::deque<opened> opened_; // in opening order, so the front has the earliest linger deadline
  size_t buffered_bytes_ = 0;
  size_t open_count_ = 0;
  uint64_t next_seq_ = 0;
  std::mt19937_64 rng_;
};

} // namespace sluice::client

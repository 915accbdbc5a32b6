#pragma once

// What a node counts of one kind of request on its hot path (issue 11, Prometheus metrics):
// how many, how many failed, the record bytes they carried and a histogram of the time from
// arrival to answer. Owned by one actor (the node), so plain counters: one record() per
// request (a batch of records), a few additions and a search over 16 bounds, no lock.

#include "schema/inspect.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace sluice::actors {

class request_meter {
public:
  explicit request_meter(std::string kind) : kind_(std::move(kind)) {}

  void record(std::chrono::steady_clock::duration took, uint64_t bytes, bool failed) noexcept {
    auto us = static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
    ++count_;
    errors_ += failed ? 1 : 0;
    bytes_ += bytes;
    latency_sum_us_ += us;
    auto& bounds = schema::latency_bounds_us;
    ++buckets_[static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), us) - bounds.begin())];
  }

  schema::request_stats stats() const {
    return {kind_, count_, errors_, bytes_, latency_sum_us_, {buckets_.begin(), buckets_.end()}};
  }

private:
  std::string kind_;
  uint64_t count_ = 0;
  uint64_t errors_ = 0;
  uint64_t bytes_ = 0;
  uint64_t latency_sum_us_ = 0;
  // buckets_[i] counts latencies in (bound[i-1], bound[i]]; the last, those above every bound.
  std::array<uint64_t, schema::latency_bounds_us.size() + 1> buckets_{};
};

} // namespace sluice::actors

#pragma once

// A log-bucketed histogram of latencies (HdrHistogram's layout, in miniature): values below
// 2^sub_bucket_bits are counted exactly; above, every power of two is split into
// 2^sub_bucket_bits equal buckets, so a reported percentile is within 1/32 (3.1%) of a value
// that was recorded. Fixed size (15 KiB), no allocation on record(), unit agnostic (perf
// records microseconds). Not thread safe: keep one per thread and merge().

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::client {

class latency_histogram {
public:
  static constexpr int sub_bucket_bits = 5;
  static constexpr uint64_t sub_buckets = uint64_t{1} << sub_bucket_bits;
  static constexpr size_t bucket_count = (64 - sub_bucket_bits + 1) * sub_buckets;

  void record(uint64_t value) noexcept;
  void merge(const latency_histogram& other) noexcept;

  uint64_t count() const noexcept { return count_; }
  uint64_t min() const noexcept { return count_ ? min_ : 0; }
  uint64_t max() const noexcept { return max_; }

  // The smallest value v such that `percent` (0..100) of the recorded values are <= v, up to
  // the bucket width; the exact max for 100. 0 when nothing was recorded.
  uint64_t percentile(double percent) const noexcept;

  // Exposed for tests: the bucket of a value and the value range a bucket covers.
  static size_t bucket_of(uint64_t value) noexcept;
  static uint64_t bucket_low(size_t bucket) noexcept;
  static uint64_t bucket_high(size_t bucket) noexcept;

private:
  std::array<uint64_t, bucket_count> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

} // namespace sluice::client

#include "client/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sluice::client {

size_t latency_histogram::bucket_of(uint64_t value) noexcept {
  if (value < sub_buckets)
    return static_cast<size_t>(value);
  // msb >= sub_bucket_bits: the top sub_bucket_bits + 1 bits pick the bucket.
  int msb = std::bit_width(value) - 1;
  int shift = msb - sub_bucket_bits;
  uint64_t mantissa = value >> shift; // in [sub_buckets, 2 * sub_buckets)
  return static_cast<size_t>((shift + 1) * sub_buckets + (mantissa - sub_buckets));
}

uint64_t latency_histogram::bucket_low(size_t bucket) noexcept {
  if (bucket < sub_buckets)
    return bucket;
  auto shift = static_cast<int>(bucket / sub_buckets) - 1;
  uint64_t mantissa = sub_buckets + bucket % sub_buckets;
  return mantissa << shift;
}

uint64_t latency_histogram::bucket_high(size_t bucket) noexcept {
  if (bucket < sub_buckets)
    return bucket;
  auto shift = static_cast<int>(bucket / sub_buckets) - 1;
  return bucket_low(bucket) + ((uint64_t{1} << shift) - 1);
}

void latency_histogram::record(uint64_t value) noexcept {
  ++counts_[bucket_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  for (size_t i = 0; i < bucket_count; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t latency_histogram::percentile(double percent) const noexcept {
  if (count_ == 0)
    return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  // The rank (1-based) of the value asked for: at least the first, at most the last.
  auto rank = static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return std::clamp(bucket_high(i), min_, max_);
  }
  return max_;
}

} // namespace sluice::client

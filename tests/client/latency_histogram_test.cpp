#define CAF_SUITE client.latency_histogram
#include <caf/test/unit_test.hpp>

#include "client/latency_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace sluice::client;

namespace {

// The exact percentile of a sorted sample, by the same rank rule (nearest rank).
uint64_t exact(const std::vector<uint64_t>& sorted, double percent) {
  auto rank = static_cast<size_t>(std::ceil(percent / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

} // namespace

CAF_TEST(empty histogram reports zeros) {
  latency_histogram h;
  CAF_CHECK_EQUAL(h.count(), 0u);
  CAF_CHECK_EQUAL(h.percentile(50), 0u);
  CAF_CHECK_EQUAL(h.percentile(99), 0u);
  CAF_CHECK_EQUAL(h.max(), 0u);
  CAF_CHECK_EQUAL(h.min(), 0u);
}

CAF_TEST(small values are exact) {
  latency_histogram h;
  for (uint64_t v = 1; v <= 100; ++v)
    h.record(v);
  CAF_CHECK_EQUAL(h.count(), 100u);
  CAF_CHECK_EQUAL(h.percentile(50), 50u);
  CAF_CHECK_EQUAL(h.percentile(99), 99u);
  CAF_CHECK_EQUAL(h.percentile(100), 100u);
  CAF_CHECK_EQUAL(h.percentile(0), 1u);
  CAF_CHECK_EQUAL(h.max(), 100u);
  CAF_CHECK_EQUAL(h.min(), 1u);
}

CAF_TEST(one value is every percentile) {
  latency_histogram h;
  h.record(123456789);
  CAF_CHECK_EQUAL(h.percentile(1), 123456789u);
  CAF_CHECK_EQUAL(h.percentile(50), 123456789u);
  CAF_CHECK_EQUAL(h.percentile(99.9), 123456789u);
}

CAF_TEST(large values stay within one bucket width) {
  std::mt19937_64 rng{11};
  std::lognormal_distribution<double> dist{8.0, 2.0}; // latencies spread over decades
  std::vector<uint64_t> values;
  latency_histogram h;
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9}) {
    auto want = exact(values, p);
    auto got = h.percentile(p);
    CAF_CHECK_GREATER_OR_EQUAL(got, want);
    CAF_CHECK_LESS_OR_EQUAL(static_cast<double>(got), static_cast<double>(want) * (1.0 + 1.0 / 32) + 1);
  }
  CAF_CHECK_EQUAL(h.max(), values.back());
  CAF_CHECK_EQUAL(h.percentile(100), values.back());
}

CAF_TEST(merge equals recording everything in one) {
  latency_histogram a, b, all;
  for (uint64_t v = 0; v < 5000; v += 7) {
    (v % 2 ? a : b).record(v * 1000);
    all.record(v * 1000);
  }
  a.merge(b);
  CAF_CHECK_EQUAL(a.count(), all.count());
  CAF_CHECK_EQUAL(a.max(), all.max());
  CAF_CHECK_EQUAL(a.min(), all.min());
  for (double p : {50.0, 99.0})
    CAF_CHECK_EQUAL(a.percentile(p), all.percentile(p));
}

CAF_TEST(buckets tile the whole range) {
  CAF_CHECK_EQUAL(latency_histogram::bucket_low(0), 0u);
  for (size_t b = 0; b + 1 < latency_histogram::bucket_count; ++b) {
    CAF_REQUIRE_EQUAL(latency_histogram::bucket_of(latency_histogram::bucket_low(b)), b);
    CAF_REQUIRE_EQUAL(latency_histogram::bucket_of(latency_histogram::bucket_high(b)), b);
    CAF_REQUIRE_EQUAL(latency_histogram::bucket_low(b + 1), latency_histogram::bucket_high(b) + 1);
  }
  CAF_CHECK_EQUAL(latency_histogram::bucket_of(UINT64_MAX), latency_histogram::bucket_count - 1);
  CAF_CHECK_EQUAL(latency_histogram::bucket_high(latency_histogram::bucket_count - 1), UINT64_MAX);
}

#define CAF_SUITE client.sticky_partition
#include <caf/test/unit_test.hpp>

#include "client/sticky_partition.hpp"

#include <set>

using namespace sluice;
using namespace sluice::client;

CAF_TEST(stays on one partition until its batch is sealed) {
  std::mt19937_64 rng{42};
  sticky_partition s;
  auto first = s.current(8, rng);
  for (int i = 0; i < 100; ++i)
    CAF_CHECK_EQUAL(s.current(8, rng), first);
  s.on_batch_sealed(partition_id{(first.value + 1) % 8}, 8, rng); // another partition's batch
  CAF_CHECK_EQUAL(s.current(8, rng), first);
  s.on_batch_sealed(first, 8, rng);
  CAF_CHECK_NOT_EQUAL(s.current(8, rng), first);
}

CAF_TEST(moves to a different partition each time and reaches them all) {
  std::mt19937_64 rng{7};
  sticky_partition s;
  std::set<int32_t> seen;
  auto prev = s.current(5, rng);
  seen.insert(prev.value);
  for (int i = 0; i < 200; ++i) {
    s.on_batch_sealed(prev, 5, rng);
    auto next = s.current(5, rng);
    CAF_CHECK_NOT_EQUAL(next, prev);
    CAF_CHECK(next.value >= 0 && next.value < 5);
    seen.insert(next.value);
    prev = next;
  }
  CAF_CHECK_EQUAL(seen.size(), 5u);
}

CAF_TEST(single partition topic) {
  std::mt19937_64 rng{1};
  sticky_partition s;
  CAF_CHECK_EQUAL(s.current(1, rng).value, 0);
  s.on_batch_sealed(partition_id{0}, 1, rng);
  CAF_CHECK_EQUAL(s.current(1, rng).value, 0);
}

CAF_TEST(a shrunk partition count picks again) {
  std::mt19937_64 rng{3};
  sticky_partition s;
  for (int i = 0; i < 50; ++i) {
    auto p = s.current(100, rng);
    s.on_batch_sealed(p, 100, rng);
  }
  CAF_CHECK(s.current(2, rng).value < 2);
}

#define CAF_SUITE kafka.response_queue
#include <caf/test/unit_test.hpp>

#include "kafka/response_queue.hpp"

#include <vector>

using namespace sluice::kafka;

namespace {

response_queue::bytes one(int v) { return {std::byte(v)}; }

std::vector<int> drain(response_queue& q) {
  std::vector<int> out;
  q.flush([&](const response_queue::bytes& b) { out.push_back(std::to_integer<int>(b[0])); });
  return out;
}

} // namespace

CAF_TEST(responses leave in request order whatever order they complete in) {
  response_queue q;
  auto a = q.open(), b = q.open(), c = q.open();
  q.complete(c, one(3));
  CAF_CHECK(drain(q).empty());
  q.complete(b, one(2));
  CAF_CHECK(drain(q).empty());
  q.complete(a, one(1));
  CAF_CHECK_EQUAL(drain(q), (std::vector<int>{1, 2, 3}));
  CAF_CHECK_EQUAL(q.in_flight(), 0u);
}

CAF_TEST(an empty response holds its place and is not written) {
  response_queue q;
  auto a = q.open(), b = q.open();
  q.complete(b, one(2));
  q.complete(a, {});
  CAF_CHECK_EQUAL(drain(q), (std::vector<int>{2}));
}

CAF_TEST(completing an unknown or flushed slot is ignored and a slot is filled once) {
  response_queue q;
  auto a = q.open();
  q.complete(a, one(1));
  q.complete(a, one(9));
  CAF_CHECK_EQUAL(drain(q), (std::vector<int>{1}));
  q.complete(a, one(5));
  q.complete(42, one(5));
  auto b = q.open();
  CAF_CHECK_EQUAL(b, 1u);
  CAF_CHECK(drain(q).empty());
  CAF_CHECK_EQUAL(q.in_flight(), 1u);
}

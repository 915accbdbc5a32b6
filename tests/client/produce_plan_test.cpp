#define CAF_SUITE client.produce_plan
#include <caf/test/unit_test.hpp>

#include "client/produce_plan.hpp"

#include <map>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::client;

namespace {

plan_batch b(std::string_view topic, int partition, size_t bytes, std::optional<link_id> link) {
  return {topic, partition_id{partition}, bytes, link};
}

std::function<size_t(link_id)> slots(std::map<link_id, size_t> free) {
  return [free](link_id l) {
    auto i = free.find(l);
    return i == free.end() ? size_t{0} : i->second;
  };
}

// The plan as "link:[i,j] link:[k]" for compact checks.
std::string show(const std::vector<planned_request>& plan) {
  std::string out;
  for (auto& r : plan) {
    if (!out.empty())
      out += ' ';
    out += std::to_string(r.link) + ":[";
    for (size_t k = 0; k < r.batches.size(); ++k)
      out += (k ? "," : "") + std::to_string(r.batches[k]);
    out += ']';
  }
  return out;
}

} // namespace

CAF_TEST(one request carries one batch per partition and the next ones go in later requests) {
  std::vector<plan_batch> q{b("t", 0, 10, 0), b("t", 1, 10, 0), b("t", 0, 10, 0), b("t", 0, 10, 0)};
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{0, 16}}), 1000)), "0:[0,1] 0:[2] 0:[3]");
}

CAF_TEST(batches go to their leaders link each within its own slots) {
  std::vector<plan_batch> q{b("t", 0, 10, 1), b("t", 1, 10, 2), b("t", 2, 10, 1), b("t", 0, 10, 1),
                            b("t", 1, 10, 2), b("t", 1, 10, 2)};
  // Link 1 has room for one request, link 2 for two.
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{1, 1}, {2, 2}}), 1000)), "1:[0,2] 2:[1] 2:[4]");
}

CAF_TEST(a batch without a route stays and so do the later ones of its partition) {
  std::vector<plan_batch> q{b("t", 0, 10, std::nullopt), b("t", 1, 10, 0), b("t", 0, 10, 0), b("u", 0, 10, 0)};
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{0, 16}}), 1000)), "0:[1,3]");
}

CAF_TEST(a full link keeps the rest queued in order) {
  std::vector<plan_batch> q{b("t", 0, 10, 0), b("t", 0, 10, 0), b("t", 0, 10, 0), b("t", 1, 10, 0)};
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{0, 2}}), 1000)), "0:[0,3] 0:[1]");
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{0, 0}}), 1000)), "");
}

CAF_TEST(requests stay within max request size and a larger batch goes alone) {
  std::vector<plan_batch> q{b("t", 0, 600, 0), b("t", 1, 600, 0), b("t", 2, 300, 0), b("t", 3, 2000, 0)};
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{0, 16}}), 1000)), "0:[0,2] 0:[1] 0:[3]");
}

CAF_TEST(a later small batch never overtakes an earlier one of its partition) {
  // Partition 1's first batch does not fit request 0; its second, small one would, but must
  // go after it.
  std::vector<plan_batch> q{b("t", 0, 900, 0), b("t", 1, 500, 0), b("t", 1, 50, 0)};
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{0, 16}}), 1000)), "0:[0] 0:[1] 0:[2]");
  // Without a slot for it, the small one stays too.
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{0, 1}}), 1000)), "0:[0]");
}

CAF_TEST(partitions are told apart by topic) {
  std::vector<plan_batch> q{b("a", 0, 10, 0), b("b", 0, 10, 0)};
  CAF_CHECK_EQUAL(show(plan_requests(q, slots({{0, 1}}), 1000)), "0:[0,1]");
}

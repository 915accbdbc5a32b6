#define CAF_SUITE cluster.placement
#include <caf/test/unit_test.hpp>

#include "cluster/placement.hpp"

#include <map>
#include <random>
#include <set>

using namespace sluice;
using namespace sluice::cluster;

namespace {

std::vector<broker_info> brokers(int n, int racks = 0) {
  std::vector<broker_info> out;
  for (int i = 0; i < n; ++i)
    out.push_back({node_id{i + 1}, racks > 0 ? std::optional<std::string>{"r" + std::to_string(i % racks)}
                                             : std::nullopt});
  return out;
}

std::string rack_of(const std::vector<broker_info>& bs, node_id id) {
  for (auto& b : bs)
    if (b.id == id)
      return b.rack.value_or("");
  return "?";
}

// max - min of how many times each broker appears, over `pick`ed positions.
template <class Pick>
int spread(const replica_assignment& a, int n, Pick pick) {
  std::map<int32_t, int> count;
  for (int i = 1; i <= n; ++i)
    count[i] = 0;
  for (auto& replicas : a)
    pick(replicas, count);
  auto [lo, hi] = std::ranges::minmax_element(count, {}, [](auto& kv) { return kv.second; });
  return hi->second - lo->second;
}

} // namespace

CAF_TEST(without racks leaders and replicas spread evenly) {
  std::mt19937_64 rng{7};
  for (int run = 0; run < 500; ++run) {
    int n = 1 + static_cast<int>(rng() % 9);
    int r = 1 + static_cast<int>(rng() % static_cast<uint64_t>(n));
    int parts = 1 + static_cast<int>(rng() % 100);
    placement_request req{parts, static_cast<int16_t>(r), static_cast<uint32_t>(rng()),
                          static_cast<uint32_t>(rng()), 0};
    auto a = assign_replicas(brokers(n), req);
    CAF_REQUIRE(a);
    CAF_REQUIRE_EQUAL(a->size(), static_cast<size_t>(parts));
    for (auto& replicas : *a) {
      CAF_REQUIRE_EQUAL(replicas.size(), static_cast<size_t>(r));
      CAF_CHECK_EQUAL(std::set<node_id>(replicas.begin(), replicas.end()).size(), replicas.size());
    }
    int leaders = spread(*a, n, [](auto& rs, auto& c) { ++c[rs.front().value]; });
    CAF_CHECK_LESS_OR_EQUAL(leaders, 1);
    // Followers follow Kafka's shifted walk: within one of each other when the topic covers
    // whole rounds of the broker list.
    if (parts % n == 0) {
      int all = spread(*a, n, [](auto& rs, auto& c) {
        for (auto& b : rs)
          ++c[b.value];
      });
      CAF_CHECK_LESS_OR_EQUAL(all, 1);
    }
  }
}

CAF_TEST(with racks every partition spans as many racks as it can) {
  std::mt19937_64 rng{11};
  for (int run = 0; run < 500; ++run) {
    int racks = 1 + static_cast<int>(rng() % 4);
    int n = racks + static_cast<int>(rng() % 8);
    int r = 1 + static_cast<int>(rng() % static_cast<uint64_t>(n));
    int parts = 1 + static_cast<int>(rng() % 60);
    auto bs = brokers(n, racks);
    placement_request req{parts, static_cast<int16_t>(r), static_cast<uint32_t>(rng()),
                          static_cast<uint32_t>(rng()), 0};
    auto a = assign_replicas(bs, req);
    CAF_REQUIRE(a);
    for (auto& replicas : *a) {
      CAF_REQUIRE_EQUAL(replicas.size(), static_cast<size_t>(r));
      CAF_CHECK_EQUAL(std::set<node_id>(replicas.begin(), replicas.end()).size(), replicas.size());
      std::set<std::string> spanned;
      for (auto& b : replicas)
        spanned.insert(rack_of(bs, b));
      CAF_CHECK_EQUAL(spanned.size(), static_cast<size_t>(std::min(r, racks)));
    }
    CAF_CHECK_LESS_OR_EQUAL(spread(*a, n, [](auto& rs, auto& c) { ++c[rs.front().value]; }), 1);
  }
}

CAF_TEST(added partitions continue the walk of the existing ones) {
  auto bs = brokers(3);
  auto whole = assign_replicas(bs, {9, 2, 1, 0, 0});
  auto first = assign_replicas(bs, {4, 2, 1, 0, 0});
  auto added = assign_replicas(bs, {5, 2, 1, 0, 4});
  CAF_REQUIRE(whole && first && added);
  auto joined = *first;
  joined.insert(joined.end(), added->begin(), added->end());
  CAF_CHECK(joined == *whole);
}

CAF_TEST(placement is deterministic for the same input) {
  auto a = assign_replicas(brokers(5, 2), {30, 3, 17, 4, 0});
  auto b = assign_replicas(brokers(5, 2), {30, 3, 17, 4, 0});
  CAF_REQUIRE(a && b);
  CAF_CHECK(*a == *b);
}

CAF_TEST(impossible requests are refused with the numbers in the message) {
  auto too_many = assign_replicas(brokers(2), {3, 3, 0, 0, 0});
  CAF_REQUIRE(!too_many);
  CAF_CHECK_EQUAL(too_many.err().code, schema::errc::invalid_replication_factor);
  CAF_CHECK(too_many.err().message.find("3") != std::string::npos);
  CAF_CHECK(too_many.err().message.find("2 are live") != std::string::npos);
  CAF_CHECK(!assign_replicas(brokers(2), {3, 0, 0, 0, 0}));
  CAF_CHECK(!assign_replicas({}, {1, 1, 0, 0, 0}));
  auto no_parts = assign_replicas(brokers(2), {0, 1, 0, 0, 0});
  CAF_REQUIRE(!no_parts);
  CAF_CHECK_EQUAL(no_parts.err().code, schema::errc::invalid_partitions);
  auto mixed = brokers(3, 2);
  mixed[1].rack.reset();
  auto m = assign_replicas(mixed, {1, 1, 0, 0, 0});
  CAF_REQUIRE(!m);
  CAF_CHECK_EQUAL(m.err().code, schema::errc::invalid_config);
}

CAF_TEST(a replacement goes to a broker without a replica on a free rack and otherwise to the least loaded) {
  auto all = brokers(6, 3); // racks r0: 1, 4  r1: 2, 5  r2: 3, 6
  // Broker 1 leaves a partition on 1, 2, 3: the others keep r1 and r2, so r0's broker 4 is
  // the only one on a free rack, whatever the load.
  std::vector<broker_info> candidates(all.begin() + 1, all.end());
  std::vector<broker_info> keep{all[1], all[2]};
  std::map<node_id, int32_t> load{{node_id{4}, 9}, {node_id{5}, 0}, {node_id{6}, 0}};
  CAF_CHECK(choose_replacement(candidates, keep, load) == node_id{4});
  // Without racks: the least loaded, ties to the lowest id, never one that holds a replica.
  auto bare = brokers(5);
  std::vector<broker_info> others(bare.begin() + 1, bare.end());
  std::vector<broker_info> kept{bare[1]};
  CAF_CHECK(choose_replacement(others, kept, {{node_id{3}, 4}, {node_id{4}, 2}, {node_id{5}, 2}})
            == node_id{4});
  CAF_CHECK(choose_replacement(others, kept, {}) == node_id{3});
  // Every rack taken: any rack, by load.
  std::vector<broker_info> three_racks{all[1], all[2], all[3]}; // r1 r2 r0
  std::vector<broker_info> rest{all[4], all[5]};
  CAF_CHECK(choose_replacement(rest, three_racks, {{node_id{5}, 3}, {node_id{6}, 1}}) == node_id{6});
  // Every candidate already holds a replica.
  CAF_CHECK(!choose_replacement(kept, kept, {}));
  CAF_CHECK(!choose_replacement({}, kept, {}));
}

#define CAF_SUITE actors.group_assignor
#include <caf/test/unit_test.hpp>

#include "actors/group_assignor.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

// Worked examples from Kafka's assignor docs, one edge case per test, then seeded random
// property runs: a failing run prints its seed and scenario; SLUICE_ASSIGNOR_SEED=<n> replays
// that one seed.

using namespace sluice;
using namespace sluice::actors;

namespace {

using members_t = std::vector<member_subscription>;
using revoke_map = std::map<std::string, std::vector<topic_partition_ref>>;

topic_partition_ref tp(std::string topic, int32_t p) { return {std::move(topic), partition_id{p}}; }

member_subscription member(std::string id, std::vector<std::string> topics,
                           std::vector<topic_partition_ref> owned = {}) {
  return {std::move(id), std::nullopt, std::move(topics), std::move(owned)};
}

std::string render_list(const std::vector<topic_partition_ref>& tps) {
  std::string out = "[";
  for (const auto& x : tps)
    out += (out.size() > 1 ? "," : "") + to_string(x);
  return out + "]";
}

// "C0:[t0-0,t0-1] C1:[t0-2]": one string, so a failed check shows the whole assignment.
std::string render(const std::map<std::string, std::vector<topic_partition_ref>>& a) {
  std::string out;
  for (const auto& [m, tps] : a)
    out += (out.empty() ? "" : " ") + m + ":" + render_list(tps);
  return out;
}

// The members after they applied `a`: each owns exactly what it was given (the next round's
// input in KIP-429's two-phase protocol).
members_t after(members_t members, const assignment& a) {
  for (auto& m : members)
    m.owned = a.at(m.member_id);
  return members;
}

size_t total(const assignment& a) {
  size_t n = 0;
  for (const auto& [m, tps] : a)
    n += tps.size();
  return n;
}

// Loads differ by at most one.
bool balanced(const assignment& a) {
  auto [lo, hi] = std::ranges::minmax_element(a, {}, [](const auto& e) { return e.second.size(); });
  return a.empty() || hi->second.size() - lo->second.size() <= 1;
}

const partition_counts two_by_three{{"t0", 3}, {"t1", 3}};

} // namespace

// ---- range and round robin: Kafka's worked examples -----------------------------------------

CAF_TEST(range splits each topic into contiguous ranges with the first members getting more) {
  members_t ms{member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"})};
  CAF_CHECK_EQUAL(render(assign_range(two_by_three, ms)),
                  "C0:[t0-0,t0-1,t1-0,t1-1] C1:[t0-2,t1-2]");
}

CAF_TEST(round robin deals all partitions over all members) {
  members_t ms{member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"})};
  CAF_CHECK_EQUAL(render(assign_round_robin(two_by_three, ms)),
                  "C0:[t0-0,t0-2,t1-1] C1:[t0-1,t1-0,t1-2]");
}

// RoundRobinAssignor's javadoc: t0 has 1 partition, t1 2, t2 3.
CAF_TEST(round robin skips members not subscribed to the topic) {
  partition_counts counts{{"t0", 1}, {"t1", 2}, {"t2", 3}};
  members_t ms{member("C0", {"t0"}), member("C1", {"t0", "t1"}),
               member("C2", {"t0", "t1", "t2"})};
  CAF_CHECK_EQUAL(render(assign_round_robin(counts, ms)),
                  "C0:[t0-0] C1:[t1-0] C2:[t1-1,t2-0,t2-1,t2-2]");
}

CAF_TEST(range with different subscriptions splits each topic among its subscribers only) {
  partition_counts counts{{"t0", 3}, {"t1", 2}};
  members_t ms{member("C0", {"t0"}), member("C1", {"t0", "t1"}), member("C2", {"t1"})};
  CAF_CHECK_EQUAL(render(assign_range(counts, ms)), "C0:[t0-0,t0-1] C1:[t0-2,t1-0] C2:[t1-1]");
}

CAF_TEST(range orders static members by group instance id before dynamic ones) {
  members_t ms{member("a-dynamic", {"t0"}), member("b-static", {"t0"}),
               member("c-static", {"t0"})};
  ms[1].group_instance_id = "z";
  ms[2].group_instance_id = "y";
  partition_counts counts{{"t0", 3}};
  CAF_CHECK_EQUAL(render(assign_range(counts, ms)),
                  "a-dynamic:[t0-2] b-static:[t0-1] c-static:[t0-0]");
  CAF_CHECK_EQUAL(render(assign_round_robin(counts, ms)),
                  "a-dynamic:[t0-2] b-static:[t0-1] c-static:[t0-0]");
}

CAF_TEST(no members gives an empty assignment) {
  for (auto* assign : {assign_range, assign_round_robin, assign_cooperative_sticky})
    CAF_CHECK(assign(two_by_three, {}).empty());
  CAF_CHECK(revocations({}, {}).empty());
}

CAF_TEST(more members than partitions leaves the last members empty) {
  members_t ms{member("C0", {"t0"}), member("C1", {"t0"}), member("C2", {"t0"})};
  partition_counts counts{{"t0", 2}};
  CAF_CHECK_EQUAL(render(assign_range(counts, ms)), "C0:[t0-0] C1:[t0-1] C2:[]");
  CAF_CHECK_EQUAL(render(assign_round_robin(counts, ms)), "C0:[t0-0] C1:[t0-1] C2:[]");
  auto sticky = assign_cooperative_sticky(counts, ms);
  CAF_CHECK_EQUAL(total(sticky), 2u);
  CAF_CHECK(balanced(sticky));
}

CAF_TEST(topics without a partition count are skipped) {
  members_t ms{member("C0", {"t0", "gone"})};
  partition_counts counts{{"t0", 1}};
  CAF_CHECK_EQUAL(render(assign_range(counts, ms)), "C0:[t0-0]");
  CAF_CHECK_EQUAL(render(assign_round_robin(counts, ms)), "C0:[t0-0]");
  CAF_CHECK_EQUAL(render(assign_cooperative_sticky(counts, ms)), "C0:[t0-0]");
}

CAF_TEST(output does not depend on the order members are listed in) {
  partition_counts counts{{"t0", 5}, {"t1", 4}};
  members_t ms{member("C2", {"t0", "t1"}, {tp("t0", 4)}), member("C0", {"t0"}, {tp("t1", 0)}),
               member("C1", {"t1", "t0"})};
  members_t reversed(ms.rbegin(), ms.rend());
  for (auto* assign : {assign_range, assign_round_robin, assign_cooperative_sticky})
    CAF_CHECK_EQUAL(render(assign(counts, ms)), render(assign(counts, reversed)));
}

// ---- cooperative sticky (KIP-429) -------------------------------------------------------------

CAF_TEST(cooperative first assignment of a new group is balanced with nothing to revoke) {
  members_t ms{member("C0", {"t0", "t1"}), member("C1", {"t0", "t1"}),
               member("C2", {"t0", "t1"})};
  auto a = assign_cooperative_sticky(two_by_three, ms);
  CAF_CHECK_EQUAL(total(a), 6u);
  CAF_CHECK(balanced(a));
  CAF_CHECK(revocations(ms, a).empty());
}

CAF_TEST(cooperative unmoved partitions are never revoked) {
  // Unbalanced but legal ownership: C0 keeps what balance allows, C1 keeps everything.
  members_t ms{member("C0", {"t0"}, {tp("t0", 0), tp("t0", 1), tp("t0", 2)}),
               member("C1", {"t0"}, {tp("t0", 3)})};
  auto a = assign_cooperative_sticky({{"t0", 4}}, ms);
  auto revoked = revocations(ms, a);
  CAF_CHECK_EQUAL(render(revoked), "C0:[t0-2]");
  CAF_CHECK_EQUAL(render(a), "C0:[t0-0,t0-1] C1:[t0-3]");
  // A stable, balanced group: the same input gives the same assignment and no revocation.
  auto stable = after(ms, {{"C0", {tp("t0", 0), tp("t0", 1)}}, {"C1", {tp("t0", 2), tp("t0", 3)}}});
  auto again = assign_cooperative_sticky({{"t0", 4}}, stable);
  CAF_CHECK_EQUAL(render(again), "C0:[t0-0,t0-1] C1:[t0-2,t0-3]");
  CAF_CHECK(revocations(stable, again).empty());
}

CAF_TEST(cooperative moved partition is revoked first and assigned in the follow-up round) {
  members_t ms{member("C0", {"t0"}, {tp("t0", 0), tp("t0", 1), tp("t0", 2), tp("t0", 3)}),
               member("C1", {"t0"})};
  auto first = assign_cooperative_sticky({{"t0", 4}}, ms);
  CAF_CHECK_EQUAL(render(first), "C0:[t0-0,t0-1] C1:[]");
  CAF_CHECK_EQUAL(render(revocations(ms, first)), "C0:[t0-2,t0-3]");
  auto next = after(ms, first);
  auto second = assign_cooperative_sticky({{"t0", 4}}, next);
  CAF_CHECK_EQUAL(render(second), "C0:[t0-0,t0-1] C1:[t0-2,t0-3]");
  CAF_CHECK(revocations(next, second).empty());
}

CAF_TEST(cooperative adding a member moves only what balance needs in two rounds) {
  members_t ms{member("C0", {"t0", "t1"}, {tp("t0", 0), tp("t0", 1), tp("t0", 2)}),
               member("C1", {"t0", "t1"}, {tp("t1", 0), tp("t1", 1), tp("t1", 2)}),
               member("C2", {"t0", "t1"})};
  auto first = assign_cooperative_sticky(two_by_three, ms);
  auto revoked = revocations(ms, first);
  CAF_CHECK_EQUAL(render(revoked), "C0:[t0-2] C1:[t1-2]");
  CAF_CHECK(first.at("C2").empty()); // nothing is handed over while its owner still holds it
  auto next = after(ms, first);
  auto second = assign_cooperative_sticky(two_by_three, next);
  CAF_CHECK_EQUAL(render(second), "C0:[t0-0,t0-1] C1:[t1-0,t1-1] C2:[t0-2,t1-2]");
  CAF_CHECK(revocations(next, second).empty());
}

CAF_TEST(cooperative removing a member hands its partitions out at once) {
  // C2 left: its partitions have no owner in the group, so nothing waits for a revocation.
  members_t ms{member("C0", {"t0", "t1"}, {tp("t0", 0), tp("t0", 1)}),
               member("C1", {"t0", "t1"}, {tp("t1", 0), tp("t1", 1)})};
  auto a = assign_cooperative_sticky(two_by_three, ms);
  CAF_CHECK_EQUAL(render(a), "C0:[t0-0,t0-1,t0-2] C1:[t1-0,t1-1,t1-2]");
  CAF_CHECK(revocations(ms, a).empty());
}

CAF_TEST(cooperative partition claimed by two members is withheld until both revoke) {
  members_t ms{member("C0", {"t0"}, {tp("t0", 0)}), member("C1", {"t0"}, {tp("t0", 0)})};
  auto first = assign_cooperative_sticky({{"t0", 2}}, ms);
  CAF_CHECK_EQUAL(render(revocations(ms, first)), "C0:[t0-0] C1:[t0-0]");
  CAF_CHECK_EQUAL(total(first), 1u); // t0-1 had no owner
  auto second = assign_cooperative_sticky({{"t0", 2}}, after(ms, first));
  CAF_CHECK_EQUAL(total(second), 2u);
  CAF_CHECK(balanced(second));
}

CAF_TEST(cooperative unsubscribed or deleted partitions are revoked) {
  members_t ms{member("C0", {"t1"}, {tp("t0", 0), tp("t1", 0), tp("t1", 7)}),
               member("C1", {"t0"})};
  auto a = assign_cooperative_sticky({{"t0", 1}, {"t1", 1}}, ms);
  CAF_CHECK_EQUAL(render(revocations(ms, a)), "C0:[t0-0,t1-7]");
  CAF_CHECK_EQUAL(render(a), "C0:[t1-0] C1:[]"); // t0-0 goes to C1 once C0 let it go
}

// ---- seeded random properties -----------------------------------------------------------------

namespace {

constexpr uint64_t seeds = 500;
constexpr int rounds_max = 6; // a bound on rebalances before the protocol must converge

struct scenario {
  partition_counts counts;
  members_t members;
  bool same_subscriptions = false;
  std::string text; // printed on failure
};

std::string describe(const scenario& s) {
  std::ostringstream os;
  for (const auto& [t, n] : s.counts)
    os << t << "=" << n << " ";
  for (const auto& m : s.members) {
    os << "| " << m.member_id << " subs";
    for (const auto& t : m.topics)
      os << " " << t;
    os << " owns " << render_list(m.owned) << " ";
  }
  return os.str();
}

// 0-4 topics of 0-8 partitions, 0-6 members with random subscriptions (all the same in half
// the runs) and random current ownership, including partitions of unknown topics and
// partitions claimed twice.
scenario make_scenario(uint64_t seed) {
  std::mt19937_64 rng{seed};
  auto below = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  scenario s;
  std::vector<std::string> topics;
  for (int t = below(5); t > 0; --t)
    topics.push_back("t" + std::to_string(topics.size()));
  for (const auto& t : topics)
    s.counts[t] = below(9);
  s.same_subscriptions = below(2) == 0;
  std::vector<std::string> common;
  for (const auto& t : topics)
    if (below(3) != 0)
      common.push_back(t);
  for (int m = below(7); m > 0; --m) {
    auto mem = member("m" + std::to_string(s.members.size()), common);
    if (!s.same_subscriptions) {
      mem.topics.clear();
      for (const auto& t : topics)
        if (below(2) == 0)
          mem.topics.push_back(t);
    }
    for (int o = below(4); o > 0; --o)
      mem.owned.push_back(tp("t" + std::to_string(below(5)), below(9)));
    s.members.push_back(std::move(mem));
  }
  s.text = "seed " + std::to_string(seed) + ": " + describe(s);
  return s;
}

bool subscribed(const scenario& s, const std::string& member, const std::string& topic) {
  for (const auto& m : s.members)
    if (m.member_id == member)
      return std::ranges::find(m.topics, topic) != m.topics.end();
  return false;
}

std::set<topic_partition_ref> subscribed_partitions(const scenario& s) {
  std::set<topic_partition_ref> out;
  for (const auto& m : s.members)
    for (const auto& t : m.topics)
      if (auto i = s.counts.find(t); i != s.counts.end())
        for (int32_t p = 0; p < i->second; ++p)
          out.insert(tp(t, p));
  return out;
}

// Every partition at most once, and only to a member subscribed to its topic; returns the
// partitions given. Empty string means fine.
std::string check_legal(const scenario& s, const assignment& a, std::set<topic_partition_ref>& given) {
  for (const auto& [m, tps] : a)
    for (const auto& x : tps) {
      if (!subscribed(s, m, x.topic))
        return to_string(x) + " given to unsubscribed " + m;
      if (!given.insert(x).second)
        return to_string(x) + " given twice";
    }
  return {};
}

std::string check_exactly_once(const scenario& s, const assignment& a) {
  std::set<topic_partition_ref> given;
  if (auto err = check_legal(s, a, given); !err.empty())
    return err;
  return given == subscribed_partitions(s) ? "" : "some partition is unassigned";
}

// KIP-429 safety: nothing is given to a member while another member still owns it.
std::string check_no_handover_in_flight(const scenario& s, const assignment& a) {
  for (const auto& [m, tps] : a)
    for (const auto& x : tps)
      for (const auto& other : s.members)
        if (other.member_id != m && std::ranges::find(other.owned, x) != other.owned.end())
          return to_string(x) + " given to " + m + " while " + other.member_id + " owns it";
  return {};
}

std::optional<uint64_t> replay_seed() {
  auto s = std::getenv("SLUICE_ASSIGNOR_SEED");
  return s ? std::optional{std::strtoull(s, nullptr, 0)} : std::nullopt;
}

template <class F>
void for_each_seed(F check) {
  if (auto one = replay_seed())
    return check(make_scenario(*one));
  for (uint64_t seed = 1; seed <= seeds; ++seed)
    check(make_scenario(seed));
}

// Runs cooperative rebalances (owned = previous result) until nothing is revoked; returns the
// number of rounds taken, or rounds_max + 1.
int converge(scenario& s, assignment& a, std::string& err) {
  for (int round = 1; round <= rounds_max; ++round) {
    a = assign_cooperative_sticky(s.counts, s.members);
    std::set<topic_partition_ref> given;
    err = check_legal(s, a, given);
    if (err.empty())
      err = check_no_handover_in_flight(s, a);
    if (!err.empty())
      return round;
    bool done = revocations(s.members, a).empty();
    s.members = after(s.members, a);
    if (done)
      return round;
  }
  return rounds_max + 1;
}

} // namespace

CAF_TEST(range and round robin assign every partition exactly once to a subscriber) {
  for_each_seed([](const scenario& s) {
    auto range = check_exactly_once(s, assign_range(s.counts, s.members));
    auto rr = check_exactly_once(s, assign_round_robin(s.counts, s.members));
    if (!range.empty() || !rr.empty())
      CAF_FAIL(s.text << " => range: " << range << "; round robin: " << rr);
  });
}

CAF_TEST(range and round robin are balanced when all subscriptions are the same) {
  for_each_seed([](const scenario& s) {
    if (!s.same_subscriptions)
      return;
    // Round robin balances over all topics; range only per topic.
    if (!balanced(assign_round_robin(s.counts, s.members)))
      CAF_FAIL(s.text << " => round robin unbalanced");
    for (const auto& [t, n] : s.counts) {
      partition_counts one{{t, n}};
      if (!balanced(assign_range(one, s.members)))
        CAF_FAIL(s.text << " => range unbalanced on " << t);
    }
  });
}

CAF_TEST(cooperative converges to every partition exactly once with safe handovers) {
  int two_phase_runs = 0;
  for_each_seed([&](scenario s) {
    assignment a;
    std::string err;
    int rounds = converge(s, a, err);
    two_phase_runs += rounds >= 2 ? 1 : 0;
    if (err.empty() && rounds > rounds_max)
      err = "no convergence within " + std::to_string(rounds_max) + " rounds";
    if (err.empty())
      err = check_exactly_once(s, a);
    if (!err.empty())
      CAF_FAIL(s.text << " => " << err << " (round " << rounds << ")");
  });
  // The generator must exercise the KIP-429 path, not only trivial groups.
  if (!replay_seed())
    CAF_CHECK_GREATER(two_phase_runs, 50);
  CAF_MESSAGE(two_phase_runs << " runs needed a follow-up rebalance");
}

// The common case: the follow-up round hands over everything without revoking again, and the
// converged assignment is balanced.
CAF_TEST(cooperative with the same subscriptions converges in two rounds and balances) {
  for_each_seed([](scenario s) {
    if (!s.same_subscriptions)
      return;
    assignment a;
    std::string err;
    int rounds = converge(s, a, err);
    if (err.empty() && rounds > 2)
      err = "took " + std::to_string(rounds) + " rounds";
    if (err.empty() && !balanced(a))
      err = "unbalanced: " + render(a);
    if (!err.empty())
      CAF_FAIL(s.text << " => " << err);
  });
}

namespace {

// Kafka's sticky goal with one subscription: member i of n keeps min(owned_i, floor) plus one
// more for as many of the count % n ceiling slots as there are members owning more than floor.
size_t optimal_kept(size_t partitions, const std::vector<size_t>& owned) {
  size_t floor = partitions / owned.size();
  size_t extra = partitions % owned.size();
  size_t kept = 0, above = 0;
  for (size_t o : owned) {
    kept += std::min(o, floor);
    above += o > floor ? 1 : 0;
  }
  return kept + std::min(extra, above);
}

} // namespace

CAF_TEST(cooperative keeps as many owned partitions as balance allows) {
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    std::mt19937_64 rng{seed};
    auto partitions = static_cast<int32_t>(rng() % 20);
    auto member_count = 1 + static_cast<size_t>(rng() % 5);
    members_t ms;
    for (size_t m = 0; m < member_count; ++m)
      ms.push_back(member("m" + std::to_string(m), {"t0"}));
    // Disjoint valid ownership: each partition has one random owner or none.
    for (int32_t p = 0; p < partitions; ++p)
      if (auto o = rng() % (member_count + 1); o < member_count)
        ms[o].owned.push_back(tp("t0", p));
    std::vector<size_t> owned;
    for (const auto& m : ms)
      owned.push_back(m.owned.size());
    auto a = assign_cooperative_sticky({{"t0", partitions}}, ms);
    size_t revoked = 0;
    for (const auto& [m, tps] : revocations(ms, a))
      revoked += tps.size();
    auto kept = static_cast<size_t>(std::accumulate(owned.begin(), owned.end(), size_t{0})) -
                revoked;
    if (kept != optimal_kept(static_cast<size_t>(partitions), owned))
      CAF_FAIL("seed " << seed << ": kept " << kept << " of " << render(a));
  }
}

// ---- at the sizes of real groups ---------------------------------------------------------------

namespace {

constexpr uint64_t large_seeds = 40;

// 1-50 members all subscribed to 1-4 topics of 1-500 partitions in total.
struct large_group {
  partition_counts counts;
  members_t members;
  size_t partitions = 0;
};

large_group make_large(uint64_t seed) {
  std::mt19937_64 rng{seed};
  large_group g;
  auto topics = 1 + static_cast<int>(rng() % 4);
  auto total = 1 + static_cast<int32_t>(rng() % 500);
  std::vector<std::string> names;
  for (int t = 0; t < topics; ++t) {
    auto n = t + 1 == topics ? total : static_cast<int32_t>(rng() % static_cast<uint64_t>(total + 1));
    total -= n;
    names.push_back("t" + std::to_string(t));
    g.counts[names.back()] = n;
    g.partitions += static_cast<size_t>(n);
  }
  auto members = 1 + rng() % 50;
  for (uint64_t m = 0; m < members; ++m)
    g.members.push_back(member("m" + std::to_string(100 + m), names));
  return g;
}

std::map<topic_partition_ref, std::string> owners(const members_t& ms) {
  std::map<topic_partition_ref, std::string> out;
  for (const auto& m : ms)
    for (const auto& x : m.owned)
      out[x] = m.member_id;
  return out;
}

// Cooperative rounds until nothing is revoked; the members then own the result.
void settle(large_group& g, uint64_t seed) {
  for (int round = 0; round < 3; ++round) {
    auto a = assign_cooperative_sticky(g.counts, g.members);
    bool done = revocations(g.members, a).empty();
    g.members = after(g.members, a);
    if (done)
      return;
  }
  CAF_FAIL("seed " << seed << ": no convergence in 3 rounds");
}

// How many partitions changed owner from `before` to `now`, among those owned before.
size_t moved(const std::map<topic_partition_ref, std::string>& before,
             const std::map<topic_partition_ref, std::string>& now) {
  size_t n = 0;
  for (const auto& [x, m] : before)
    if (auto it = now.find(x); it != now.end() && it->second != m)
      ++n;
  return n;
}

// With one subscription the least a rebalance can move is what balance forces members to give
// up: everything owned minus optimal_kept.
size_t least_moves(size_t partitions, const members_t& ms) {
  std::vector<size_t> owned;
  size_t total = 0;
  for (const auto& m : ms) {
    owned.push_back(m.owned.size());
    total += m.owned.size();
  }
  return total - optimal_kept(partitions, owned);
}

} // namespace

CAF_TEST(at scale range and round robin assign every partition once and balance) {
  for (uint64_t seed = 1; seed <= large_seeds; ++seed) {
    auto g = make_large(seed);
    scenario s{g.counts, g.members, true, "large seed " + std::to_string(seed)};
    auto range = assign_range(g.counts, g.members);
    auto rr = assign_round_robin(g.counts, g.members);
    auto err = check_exactly_once(s, range) + check_exactly_once(s, rr);
    if (err.empty() && !balanced(rr))
      err = "round robin unbalanced";
    for (const auto& [t, n] : g.counts)
      if (err.empty() && !balanced(assign_range({{t, n}}, g.members)))
        err = "range unbalanced on " + t;
    if (!err.empty())
      CAF_FAIL(s.text << " => " << err);
  }
}

CAF_TEST(at scale cooperative sticky balances and moves the least after a join or a leave) {
  size_t joins_that_moved = 0, members_seen = 0, partitions_seen = 0;
  for (uint64_t seed = 1; seed <= large_seeds; ++seed) {
    auto g = make_large(seed);
    settle(g, seed);
    scenario s{g.counts, g.members, true, "large seed " + std::to_string(seed)};
    auto settled = assignment{};
    for (const auto& m : g.members)
      settled[m.member_id] = m.owned;
    if (auto err = check_exactly_once(s, settled); !err.empty() || !balanced(settled))
      CAF_FAIL(s.text << " => first assignment: " << (err.empty() ? "unbalanced" : err));

    // A member joins: only what balance forces moves, and only to the newcomer.
    auto before = owners(g.members);
    g.members.push_back(member("m999", g.members.front().topics));
    auto least = least_moves(g.partitions, g.members);
    settle(g, seed);
    auto now = owners(g.members);
    if (moved(before, now) != least)
      CAF_FAIL(s.text << " => join moved " << moved(before, now) << ", least is " << least);
    joins_that_moved += least > 0 ? 1 : 0;
    members_seen = std::max(members_seen, g.members.size());
    partitions_seen = std::max(partitions_seen, g.partitions);
    for (const auto& [x, m] : before)
      if (now.at(x) != m && now.at(x) != "m999")
        CAF_FAIL(s.text << " => join moved " << to_string(x) << " between two old members");

    // A member leaves: its partitions are handed out; the others keep what balance allows.
    if (g.members.size() < 2)
      continue;
    auto gone = g.members.front().member_id;
    g.members.erase(g.members.begin());
    before = owners(g.members);
    least = least_moves(g.partitions, g.members);
    settle(g, seed);
    now = owners(g.members);
    if (moved(before, now) != least)
      CAF_FAIL(s.text << " => leave of " << gone << " moved " << moved(before, now)
                      << ", least is " << least);
    settled.clear();
    for (const auto& m : g.members)
      settled[m.member_id] = m.owned;
    scenario after_leave{g.counts, g.members, true, s.text};
    if (auto err = check_exactly_once(after_leave, settled); !err.empty() || !balanced(settled))
      CAF_FAIL(s.text << " => after the leave: " << (err.empty() ? "unbalanced" : err));
  }
  // The generator must reach the sizes it promises, and joins must move something.
  CAF_CHECK_GREATER(joins_that_moved, large_seeds / 2);
  CAF_CHECK_GREATER(members_seen, 40u);
  CAF_CHECK_GREATER(partitions_seen, 400u);
}

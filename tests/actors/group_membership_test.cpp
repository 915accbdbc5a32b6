#define CAF_SUITE actors.group_membership
#include <caf/test/unit_test.hpp>

#include <caf/deep_to_string.hpp>

#include "actors/group_membership.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

// One test per protocol case of Kafka's classic group protocol (KIP-345 static membership,
// KIP-429 cooperative rebalancing), then a seeded random driver that checks the invariants after
// every step; a failure prints its seed, and SLUICE_GROUP_SEED=<n> replays that one seed.

using namespace sluice;
using namespace sluice::actors;

namespace {

constexpr int64_t session_ms = 10'000;
constexpr int64_t rebalance_ms = 30'000;
const generation_id gen1{1};
const generation_id gen2{2};
const generation_id gen3{3};

topic_partition_ref tp(std::string topic, int32_t p) { return {std::move(topic), partition_id{p}}; }

join_request req(std::string id = "", std::optional<std::string> instance = std::nullopt,
                 std::vector<topic_partition_ref> owned = {},
                 std::vector<std::string> protocols = {range_protocol}) {
  return {std::move(id), std::move(instance), std::move(protocols), {"t"}, std::move(owned),
          session_ms, rebalance_ms};
}

std::string render(const std::vector<topic_partition_ref>& tps) {
  std::string out = "[";
  for (const auto& x : tps)
    out += (out.size() > 1 ? "," : "") + to_string(x);
  return out + "]";
}

std::string errs(const group_effects& fx) {
  std::string out;
  for (auto& j : fx.joins)
    out += j.member_id + ":" + to_string(j.error) + "@" + std::to_string(j.generation()) + " ";
  return out;
}

// A group of topic "t" with four partitions.
struct fixture {
  group_membership g{{{"t", 4}}, "m"};

  // A new member joins an empty group and syncs: it is "m-1", generation 1, stable.
  std::string first(std::optional<std::string> instance = std::nullopt,
                    std::vector<std::string> protocols = {range_protocol}) {
    auto r = g.join(req("", std::move(instance), {}, std::move(protocols)), 0);
    g.sync(r.member_id, g.generation(), 0);
    return r.member_id;
  }

  // A second member joins, the first rejoins (owning `owned`), both sync: generation 2.
  std::pair<std::string, std::string>
  two(std::optional<std::string> i1 = std::nullopt, std::optional<std::string> i2 = std::nullopt) {
    auto a = first(std::move(i1));
    auto b = g.join(req("", std::move(i2)), 1).member_id;
    g.join(req(a), 2);
    g.sync(a, gen2, 3);
    g.sync(b, gen2, 3);
    return {a, b};
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(group_membership_tests, fixture)

CAF_TEST(first member join gets generation 1 is stable after sync and gets all partitions) {
  auto r = g.join(req(), 0);
  CAF_CHECK_EQUAL(r.error, group_errc::none);
  CAF_CHECK_EQUAL(r.member_id, "m-1");
  CAF_REQUIRE_EQUAL(r.effects.joins.size(), 1u);
  CAF_CHECK_EQUAL(r.effects.joins[0].generation, gen1);
  CAF_CHECK_EQUAL(r.effects.joins[0].leader_id, "m-1");
  CAF_CHECK_EQUAL(r.effects.joins[0].protocol, range_protocol);
  CAF_CHECK_EQUAL(g.state(), group_state::completing_rebalance);
  auto s = g.sync("m-1", gen1, 1);
  CAF_CHECK_EQUAL(s.error, group_errc::none);
  CAF_CHECK_EQUAL(render(s.assignment), "[t-0,t-1,t-2,t-3]");
  CAF_CHECK_EQUAL(g.state(), group_state::stable);
}

CAF_TEST(second member join rebalances and after both rejoin generation 2 splits partitions) {
  auto a = first();
  auto b = g.join(req(), 1);
  CAF_CHECK(b.effects.joins.empty()); // parked until the first member rejoins
  CAF_CHECK_EQUAL(g.state(), group_state::preparing_rebalance);
  auto r = g.join(req(a), 2);
  CAF_CHECK_EQUAL(errs(r.effects), "m-1:none@2 m-2:none@2 ");
  CAF_CHECK_EQUAL(render(g.sync(a, gen2, 3).assignment), "[t-0,t-1]");
  CAF_CHECK_EQUAL(g.state(), group_state::completing_rebalance); // m-2 has not synced yet
  CAF_CHECK_EQUAL(render(g.sync(b.member_id, gen2, 3).assignment), "[t-2,t-3]");
  CAF_CHECK_EQUAL(g.state(), group_state::stable);
}

CAF_TEST(heartbeat during rebalance says rebalance in progress) {
  auto a = first();
  g.join(req(), 1);
  CAF_CHECK_EQUAL(g.heartbeat(a, gen1, 2), group_errc::rebalance_in_progress);
  CAF_CHECK_EQUAL(g.sync(a, gen1, 2).error, group_errc::rebalance_in_progress);
  CAF_CHECK_EQUAL(g.state(), group_state::preparing_rebalance);
}

CAF_TEST(zombie heartbeat and commit with an old generation are illegal and change nothing) {
  auto [a, b] = two();
  auto before = caf::deep_to_string(g.status());
  CAF_CHECK_EQUAL(g.heartbeat(a, gen1, 5'000), group_errc::illegal_generation);
  CAF_CHECK_EQUAL(g.validate_commit(a, gen1), group_errc::illegal_generation);
  CAF_CHECK_EQUAL(g.sync(a, gen1, 5'000).error, group_errc::illegal_generation);
  CAF_CHECK_EQUAL(caf::deep_to_string(g.status()), before);
  // The zombie heartbeat did not extend a's session: it expires 10 s after its last sync.
  g.heartbeat(b, gen2, 9'000);
  CAF_CHECK(errs(g.tick(3 + session_ms)).empty());
  CAF_CHECK_EQUAL(g.member_ids(), std::vector<std::string>{b});
  CAF_CHECK_EQUAL(g.validate_commit(b, gen2), group_errc::none);
}

CAF_TEST(unknown member gets unknown member id) {
  first();
  CAF_CHECK_EQUAL(g.heartbeat("nobody", gen1, 1), group_errc::unknown_member_id);
  CAF_CHECK_EQUAL(g.sync("nobody", gen1, 1).error, group_errc::unknown_member_id);
  CAF_CHECK_EQUAL(g.validate_commit("nobody", gen1), group_errc::unknown_member_id);
  CAF_CHECK_EQUAL(g.leave("nobody", 1).error, group_errc::unknown_member_id);
  CAF_CHECK_EQUAL(g.join(req("nobody"), 1).error, group_errc::unknown_member_id);
  CAF_CHECK_EQUAL(g.state(), group_state::stable);
  CAF_CHECK_EQUAL(g.generation(), gen1);
}

CAF_TEST(commit without a group is allowed only when the group is empty) {
  CAF_CHECK_EQUAL(g.validate_commit("", no_generation), group_errc::none);
  first();
  CAF_CHECK_EQUAL(g.validate_commit("", no_generation), group_errc::unknown_member_id);
}

CAF_TEST(session expiry removes a silent member and rebalances) {
  auto [a, b] = two();
  g.heartbeat(b, gen2, 8'000);
  CAF_CHECK(g.tick(3 + session_ms - 1).joins.empty());
  CAF_CHECK_EQUAL(g.state(), group_state::stable);
  g.tick(3 + session_ms);
  CAF_CHECK_EQUAL(g.member_ids(), std::vector<std::string>{b});
  CAF_CHECK_EQUAL(g.state(), group_state::preparing_rebalance);
  CAF_CHECK_EQUAL(errs(g.join(req(b), 10'010).effects), "m-2:none@3 ");
  CAF_CHECK_EQUAL(render(g.sync(b, gen3, 10'011).assignment), "[t-0,t-1,t-2,t-3]");
}

CAF_TEST(leave rebalances) {
  auto [a, b] = two();
  CAF_CHECK_EQUAL(g.leave(a, 10).error, group_errc::none);
  CAF_CHECK_EQUAL(g.state(), group_state::preparing_rebalance);
  CAF_CHECK_EQUAL(g.heartbeat(b, gen2, 11), group_errc::rebalance_in_progress);
  CAF_CHECK_EQUAL(errs(g.join(req(b), 12).effects), "m-2:none@3 ");
  CAF_CHECK_EQUAL(render(g.sync(b, gen3, 13).assignment), "[t-0,t-1,t-2,t-3]");
  // The last member leaving empties the group; the generation still moves on (Kafka).
  g.leave(b, 14);
  CAF_CHECK_EQUAL(g.state(), group_state::empty);
  CAF_CHECK_EQUAL(g.generation(), generation_id{4});
}

CAF_TEST(static member restart within the session timeout keeps generation and assignment) {
  auto [a, b] = two("i-a", "i-b");
  auto old = g.current_assignment().at(a);
  // The consumer restarts: a JoinGroup with no member id and its group.instance.id.
  auto r = g.join(req("", "i-a"), 5'000);
  CAF_CHECK_EQUAL(r.error, group_errc::none);
  CAF_CHECK_NOT_EQUAL(r.member_id, a);
  CAF_CHECK_EQUAL(errs(r.effects), r.member_id + ":none@2 "); // answered at once, no rebalance
  CAF_CHECK_EQUAL(g.state(), group_state::stable);
  CAF_CHECK_EQUAL(g.heartbeat(b, gen2, 5'001), group_errc::none);
  auto s = g.sync(r.member_id, gen2, 5'002);
  CAF_CHECK_EQUAL(s.error, group_errc::none);
  CAF_CHECK_EQUAL(render(s.assignment), render(old));
  CAF_CHECK_EQUAL(g.generation(), gen2);
  CAF_CHECK_EQUAL(g.leader(), r.member_id); // a led; its replacement leads
}

CAF_TEST(static member with a new member id fences the old id) {
  auto [a, b] = two("i-a", "i-b");
  auto fresh = g.join(req("", "i-a"), 5'000).member_id;
  CAF_CHECK_EQUAL(g.heartbeat(a, gen2, 5'001, "i-a"), group_errc::fenced_instance_id);
  CAF_CHECK_EQUAL(g.sync(a, gen2, 5'001, "i-a").error, group_errc::fenced_instance_id);
  CAF_CHECK_EQUAL(g.join(req(a, "i-a"), 5'001).error, group_errc::fenced_instance_id);
  CAF_CHECK_EQUAL(g.heartbeat(a, gen2, 5'001), group_errc::unknown_member_id);
  CAF_CHECK_EQUAL(g.validate_commit(a, gen2), group_errc::unknown_member_id);
  CAF_CHECK_EQUAL(g.leave(a, 5'001).error, group_errc::unknown_member_id);
  CAF_CHECK_EQUAL(g.heartbeat(fresh, gen2, 5'002, "i-a"), group_errc::none);
  CAF_CHECK_EQUAL(g.state(), group_state::stable);
}

CAF_TEST(static member restart during a rebalance fences the parked join of the old id) {
  auto [a, b] = two("i-a", "i-b");
  g.join(req(a, "i-a"), 10); // a rejoins: rebalance, b has not rejoined
  auto r = g.join(req("", "i-a"), 11);
  CAF_CHECK_EQUAL(errs(r.effects), a + ":fenced_instance_id@-1 ");
  CAF_CHECK_EQUAL(errs(g.join(req(b, "i-b"), 12).effects),
                  b + ":none@3 " + r.member_id + ":none@3 "); // in member id order
}

CAF_TEST(rebalance timeout drops members that did not rejoin) {
  auto [a, b] = two();
  auto c = g.join(req(), 100).member_id; // rebalance starts at 100
  g.join(req(a), 200);
  g.heartbeat(b, gen2, 25'000); // alive, but never rejoins
  CAF_CHECK(g.tick(100 + rebalance_ms - 1).joins.empty());
  g.heartbeat(b, gen2, 100 + rebalance_ms - 1);
  auto fx = g.tick(100 + rebalance_ms);
  CAF_CHECK_EQUAL(errs(fx), a + ":none@3 " + c + ":none@3 ");
  CAF_CHECK_EQUAL(g.member_ids(), (std::vector<std::string>{a, c}));
  CAF_CHECK_EQUAL(g.heartbeat(b, gen2, 100 + rebalance_ms), group_errc::unknown_member_id);
}

CAF_TEST(cooperative sticky join never revokes a partition that is not moving) {
  auto coop = std::vector<std::string>{cooperative_sticky_protocol};
  auto a = first(std::nullopt, coop);
  auto owned_a = g.current_assignment().at(a); // t-0..t-3
  auto b = g.join(req("", std::nullopt, {}, coop), 10).member_id;
  g.join(req(a, std::nullopt, owned_a, coop), 11);
  CAF_CHECK_EQUAL(g.protocol(), cooperative_sticky_protocol);
  auto new_a = g.sync(a, gen2, 12).assignment;
  auto new_b = g.sync(b, gen2, 12).assignment;
  CAF_CHECK(new_b.empty()); // moving partitions are only revoked in this round (KIP-429)
  std::vector<member_subscription> subs{{a, std::nullopt, {"t"}, owned_a},
                                        {b, std::nullopt, {"t"}, {}}};
  auto revoked = revocations(subs, g.current_assignment());
  CAF_REQUIRE_EQUAL(revoked.size(), 1u);
  CAF_CHECK_EQUAL(revoked.at(a).size(), 2u);
  for (auto& x : revoked.at(a))
    CAF_CHECK(std::ranges::find(new_a, x) == new_a.end()); // only what moves
  // Every member synced and something was revoked: the follow-up rebalance hands it over.
  CAF_CHECK_EQUAL(g.state(), group_state::preparing_rebalance);
  g.join(req(a, std::nullopt, new_a, coop), 13);
  g.join(req(b, std::nullopt, new_b, coop), 13);
  CAF_CHECK_EQUAL(render(g.sync(a, gen3, 14).assignment), render(new_a)); // a keeps its half
  CAF_CHECK_EQUAL(render(g.sync(b, gen3, 14).assignment), render(revoked.at(a)));
  CAF_CHECK_EQUAL(g.state(), group_state::stable);
}

CAF_TEST(a member without a shared protocol is rejected) {
  first();
  auto r = g.join(req("", std::nullopt, {}, {round_robin_protocol}), 1);
  CAF_CHECK_EQUAL(r.error, group_errc::inconsistent_group_protocol);
  CAF_CHECK_EQUAL(g.join(req("", std::nullopt, {}, {"nope"}), 1).error,
                  group_errc::inconsistent_group_protocol);
  CAF_CHECK_EQUAL(g.state(), group_state::stable);
}

CAF_TEST(only an empty group can be removed and a dead group answers nothing) {
  first();
  CAF_CHECK_EQUAL(g.remove_group(), group_errc::non_empty_group);
  g.leave("m-1", 1);
  CAF_CHECK_EQUAL(g.remove_group(), group_errc::none);
  CAF_CHECK_EQUAL(g.state(), group_state::dead);
  CAF_CHECK_EQUAL(g.join(req(), 2).error, group_errc::coordinator_not_available);
}

CAF_TEST_FIXTURE_SCOPE_END()

// ---- seeded random driver ---------------------------------------------------------------------

namespace {

constexpr uint64_t seeds = 200;
constexpr int steps = 200;
constexpr size_t clients_max = 6;

const partition_counts sim_counts{{"a", 3}, {"b", 5}};

// A consumer as the driver models it: what it believes its id, generation and partitions are.
struct sim_client {
  std::string id; // "" until a join gave it one
  std::optional<std::string> instance;
  std::vector<std::string> protocols;
  std::vector<std::string> topics;
  std::vector<topic_partition_ref> owned;
  generation_id gen = no_generation;
  generation_id synced = no_generation; // the generation whose assignment it holds
  bool parked = false;                  // a join awaits its response
  bool must_rejoin = false;
};

struct sim {
  std::mt19937_64 rng;
  group_membership g{sim_counts, "c"};
  std::vector<sim_client> clients;
  int64_t now_ms = 0;
  std::string log;

  size_t protocol_mode; // per seed: every client range, round robin, cooperative, or mixed

  explicit sim(uint64_t seed) : rng(seed), protocol_mode(below(4)) {}

  size_t below(size_t n) { return static_cast<size_t>(rng() % n); }

  sim_client make_client() {
    static const std::vector<std::vector<std::string>> lists{
      {range_protocol},
      {round_robin_protocol, range_protocol},
      {cooperative_sticky_protocol, range_protocol}};
    static const std::vector<std::vector<std::string>> subs{{"a"}, {"b"}, {"a", "b"}, {"a", "x"}};
    sim_client c;
    if (below(2) == 0)
      c.instance = "i-" + std::to_string(below(4));
    c.protocols = lists[protocol_mode < lists.size() ? protocol_mode : below(lists.size())];
    c.topics = subs[below(subs.size())];
    for (auto& other : clients) // a static member restarts with its subscription (KIP-345)
      if (c.instance && other.instance == c.instance) {
        c.protocols = other.protocols;
        c.topics = other.topics;
      }
    return c;
  }

  void apply(const group_effects& fx) {
    for (auto& j : fx.joins)
      for (auto& c : clients)
        if (c.id == j.member_id && c.parked) {
          c.parked = false;
          c.gen = j.error == group_errc::none ? j.generation : no_generation;
          if (j.error != group_errc::none)
            c.id.clear();
        }
  }

  // Kafka's consumer: an unknown or fenced member starts over as a new one; a stale generation
  // or a rebalance means rejoin.
  void react(sim_client& c, group_errc e) {
    if (e == group_errc::unknown_member_id || e == group_errc::fenced_instance_id) {
      c.id.clear();
      c.gen = no_generation;
    }
    if (e != group_errc::none)
      c.must_rejoin = true;
  }

  void join(sim_client& c) {
    join_request r{c.id, c.instance, c.protocols, c.topics, c.owned, 4'000 + int64_t(below(8'000)),
                   2'000 + int64_t(below(10'000))};
    auto res = g.join(r, now_ms);
    log += " join(" + c.id + ")=" + to_string(res.error);
    react(c, res.error);
    if (res.error == group_errc::none) {
      c.id = res.member_id;
      c.parked = true;
      c.must_rejoin = false;
    }
    apply(res.effects);
  }

  void sync(sim_client& c) {
    auto s = g.sync(c.id, c.gen, now_ms, c.instance);
    log += " sync(" + c.id + ")=" + to_string(s.error);
    react(c, s.error);
    if (s.error == group_errc::none) {
      c.owned = s.assignment;
      c.synced = c.gen;
    }
  }

  void heartbeat(sim_client& c) {
    auto e = g.heartbeat(c.id, c.gen, now_ms, c.instance);
    log += " hb(" + c.id + ")=" + to_string(e);
    react(c, e);
  }

  void leave(sim_client& c) {
    auto r = g.leave(c.id, now_ms);
    log += " leave(" + c.id + ")=" + to_string(r.error);
    apply(r.effects);
    c = make_client();
  }

  // What a well-behaved consumer does next; a parked join blocks it.
  void behave(sim_client& c) {
    if (c.parked)
      return;
    if (c.id.empty() || c.must_rejoin || c.gen == no_generation)
      return join(c);
    if (c.synced != c.gen)
      return sync(c);
    heartbeat(c);
  }

  // Mostly well-behaved clients, with churn, zombies (chaos calls with whatever the client
  // believes) and a clock that runs past sessions and rebalance timeouts.
  void step() {
    now_ms += static_cast<int64_t>(below(1'000));
    auto roll = below(100);
    if (clients.empty() || (roll < 4 && clients.size() < clients_max)) {
      clients.push_back(make_client());
      return join(clients.back());
    }
    auto& c = clients[below(clients.size())];
    if (roll < 8)
      return leave(c);
    if (roll < 20) {
      log += " tick(" + std::to_string(now_ms) + ")";
      return apply(g.tick(now_ms));
    }
    if (roll < 25)
      return commit(c);
    if (roll < 30)
      return join(c);
    if (roll < 35)
      return below(2) == 0 ? sync(c) : heartbeat(c);
    behave(c);
  }

  void commit(const sim_client& c) {
    auto before = caf::deep_to_string(g.status());
    auto e = g.validate_commit(c.id, c.gen);
    log += " commit(" + c.id + ")=" + to_string(e);
    if (caf::deep_to_string(g.status()) != before)
      log += " !!commit changed the group";
  }
};

// Returns "" when the invariants hold, else what broke.
std::string check(const sim& s, generation_id last_gen, const std::string& before_commit_check) {
  const auto& g = s.g;
  if (!before_commit_check.empty())
    return before_commit_check;
  if (g.generation() < last_gen)
    return "generation went back";
  std::map<topic_partition_ref, int> holders;
  for (auto& [m, tps] : g.current_assignment())
    for (auto& x : tps)
      if (++holders[x] > 1)
        return to_string(x) + " assigned twice";
  if (g.state() != group_state::stable)
    return {};
  auto members = g.member_ids();
  std::set<std::string> subscribed;
  for (auto& [m, tps] : g.current_assignment())
    if (std::ranges::find(members, m) == members.end())
      return "stable group assigns to non-member " + m;
  for (auto& c : s.clients)
    if (std::ranges::find(members, c.id) != members.end())
      subscribed.insert(c.topics.begin(), c.topics.end());
  for (auto& t : subscribed) {
    auto it = sim_counts.find(t);
    for (int32_t p = 0; it != sim_counts.end() && p < it->second; ++p)
      if (holders[tp(t, p)] != 1)
        return "stable but " + t + "-" + std::to_string(p) + " unassigned";
  }
  return {};
}

void run_seed(uint64_t seed) {
  sim s{seed};
  for (int i = 0; i < steps; ++i) {
    auto last_gen = s.g.generation();
    s.log.clear();
    s.step();
    auto broke = s.log.find("!!") != std::string::npos ? s.log : std::string{};
    auto err = check(s, last_gen, broke);
    if (!err.empty()) {
      CAF_FAIL("seed " << seed << " step " << i << ": " << err << " after" << s.log << " -> "
                       << caf::deep_to_string(s.g.status()));
    }
  }
}

} // namespace

CAF_TEST(random join leave heartbeat tick sync keep the group invariants) {
  if (auto one = std::getenv("SLUICE_GROUP_SEED"))
    return run_seed(std::strtoull(one, nullptr, 0));
  for (uint64_t seed = 1; seed <= seeds; ++seed)
    run_seed(seed);
}

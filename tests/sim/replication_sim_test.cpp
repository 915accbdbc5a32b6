#define CAF_SUITE sim.replication
#include <caf/test/unit_test.hpp>

#include "tests/sim/replication_cluster.hpp"

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

// The seeded simulation of partition replication (tests/sim/replication_cluster.hpp): one seed
// picks a scenario (min.insync.replicas, loss, delays, lag and session timeouts) and runs
//   1. a fault phase: acks=all produces and reads below HW, while brokers crash (kill -9: the
//      log survives) and restart and the network partitions brokers from each other and from
//      the controller;
//   2. a settle phase: everything heals and restarts; the replicas must converge on the
//      leader's log and HW, and then every acknowledged record must be at its offset and
//      every record read below a HW still there.
// A failure prints its seed; SLUICE_REPL_SEED=<n> replays it (SLUICE_REPL_TRACE=1 narrates it),
// SLUICE_REPL_SEEDS=<n> runs 1..n.

using namespace sluice;
using namespace sluice::cluster;
using namespace sluice::cluster::sim;

namespace {

constexpr uint64_t seeds = 3000;
constexpr int64_t settle_limit_ms = 20'000;

struct scenario {
  std::mt19937_64 rng;
  explicit scenario(uint64_t seed) : rng(seed ^ 0x4e91'ca7eULL) {}
  int64_t between(int64_t lo, int64_t hi) { return lo + int64_t(rng() % uint64_t(hi - lo + 1)); }
  bool one_in(int64_t n) { return rng() % uint64_t(n) == 0; }
};

struct totals {
  size_t acked = 0, refused = 0, elections = 0, truncations = 0, shrinks = 0, expands = 0;
};

std::string run_seed(uint64_t seed, totals& sum, bool trace = false) {
  scenario s{seed};
  repl_options o;
  o.brokers = s.one_in(4) ? 5 : 3;
  o.min_insync = int32_t(s.between(1, 2));
  o.lag_time_max_ms = s.between(50, 300);
  o.session_timeout_ms = s.between(100, 400);
  o.drop = double(s.between(0, 15)) / 100.0;
  o.delay_max_ms = s.between(1, 30);
  o.max_fetch_records = size_t(s.between(4, 64)); // records per fetch round trip
  o.trace = trace;
  repl_cluster c{seed, o};
  int64_t crash_one_in = s.between(200, 3000);
  int64_t partition_one_in = s.between(100, 2000);
  int64_t fault_ms = s.between(1'000, 4'000);
  std::vector<int64_t> down_until(o.brokers, -1);
  for (int64_t t = 0; t < fault_ms && c.failure().empty(); ++t) {
    c.run_for(1);
    if (s.one_in(3))
      c.produce();
    if (s.one_in(40))
      c.consume();
    for (size_t i = 0; i < o.brokers; ++i) {
      node_id id{int32_t(i + 1)};
      if (down_until[i] < 0 && s.one_in(crash_one_in)) {
        c.crash(id);
        down_until[i] = t + s.between(0, 800);
      } else if (down_until[i] >= 0 && t >= down_until[i]) {
        c.restart(id);
        down_until[i] = -1;
      }
    }
    if (s.one_in(partition_one_in)) {
      if (s.one_in(2)) {
        c.heal();
      } else {
        std::vector<int> g;
        for (size_t i = 0; i <= o.brokers; ++i)
          g.push_back(int(s.rng() % 3));
        c.partition(g);
      }
    }
  }
  c.heal();
  c.calm();
  for (size_t i = 0; i < o.brokers; ++i)
    c.restart(node_id{int32_t(i + 1)});
  c.produce(); // the cluster takes writes again
  int64_t waited = 0;
  auto settle = [&] {
    while (c.failure().empty() && !c.converged() && waited < settle_limit_ms) {
      c.run_for(50);
      waited += 50;
    }
  };
  settle();
  c.run_for(500); // late messages of the fault phase must not break anything either
  c.consume();
  settle();
  c.check_final();
  sum.acked += c.acked();
  sum.refused += c.refused();
  sum.elections += c.elections();
  sum.truncations += c.truncations();
  sum.shrinks += c.shrinks();
  sum.expands += c.expands();
  if (trace)
    std::cerr << c.trace_log() << c.describe();
  if (!c.failure().empty())
    return c.failure();
  if (!c.converged())
    return "the replicas did not converge within " + std::to_string(settle_limit_ms)
           + " ms of a healed cluster";
  return {};
}

// Jepsen 2013's first steps: `n` records sent 5 ms apart, ...
void produce_spaced(repl_cluster& c, int n) {
  for (int i = 0; i < n; ++i) {
    c.produce();
    c.run_for(5);
  }
}

// ... then the leader keeps the controller but loses both followers, until the ISR is the
// leader alone. Returns the leader.
node_id isolate_leader_until_isr_shrinks(repl_cluster& c, const repl_options& o) {
  auto leader = *c.metadata().leader;
  std::vector<int> g(o.brokers + 1, 1);
  g[size_t(leader.value - 1)] = 0;
  g[o.brokers] = 0;
  c.partition(g);
  c.run_for(o.lag_time_max_ms * 3);
  CAF_REQUIRE_EQUAL(c.metadata().isr.size(), 1u);
  return leader;
}

} // namespace

CAF_TEST(seeded runs lose no acknowledged record and converge once healed) {
  totals sum;
  if (auto one = std::getenv("SLUICE_REPL_SEED")) {
    auto seed = std::strtoull(one, nullptr, 0);
    auto err = run_seed(seed, sum, std::getenv("SLUICE_REPL_TRACE") != nullptr);
    if (!err.empty())
      CAF_FAIL("seed " << seed << ": " << err);
    return;
  }
  uint64_t count = seeds;
  if (auto n = std::getenv("SLUICE_REPL_SEEDS"))
    count = std::strtoull(n, nullptr, 0);
  size_t failures = 0;
  for (uint64_t seed = 1; seed <= count && failures < 5; ++seed) {
    auto err = run_seed(seed, sum);
    if (!err.empty()) {
      ++failures;
      CAF_ERROR("seed " << seed << ": " << err << "\n  replay, from the build dir: SLUICE_REPL_SEED="
                        << seed << " ./tests/sluice-tests-sim -s '^sim\\.replication$'");
    }
  }
  CAF_MESSAGE(count << " seeds: " << sum.acked << " acknowledged, " << sum.refused
                    << " refused for min.insync, " << sum.elections << " leader elections, "
                    << sum.truncations << " follower truncations, " << sum.shrinks
                    << " ISR shrinks, " << sum.expands << " expansions");
  CAF_CHECK_EQUAL(failures, 0u);
  // Not vacuous: the faults made leaders change, followers truncate and the ISR move.
  CAF_CHECK_GREATER(sum.acked, 0u);
  CAF_CHECK_GREATER(sum.elections, 0u);
  CAF_CHECK_GREATER(sum.truncations, 0u);
  CAF_CHECK_GREATER(sum.shrinks, 0u);
  CAF_CHECK_GREATER(sum.expands, 0u);
  CAF_CHECK_GREATER(sum.refused, 0u);
}

// Jepsen's 2013 Kafka scenario: the ISR shrinks to the leader alone, then the leader dies. With
// min.insync.replicas=2 the lone leader refuses acks=all writes, and with unclean election off
// nobody outside the ISR takes over: the partition waits offline for the old leader, and no
// acknowledged record is lost.
CAF_TEST(isr shrunk to the leader then the leader dies loses nothing with min insync 2) {
  repl_options o;
  o.min_insync = 2;
  repl_cluster c{42, o};
  produce_spaced(c, 50);
  c.run_for(300);
  auto acked_before = c.acked();
  CAF_REQUIRE_GREATER(acked_before, 0u);
  auto leader = isolate_leader_until_isr_shrinks(c, o);
  produce_spaced(c, 20);
  c.run_for(100);
  CAF_CHECK_EQUAL(c.acked(), acked_before); // refused: ISR 1 < min.insync 2
  CAF_CHECK_GREATER(c.refused(), 0u);
  c.crash(leader);
  c.run_for(o.session_timeout_ms * 2);
  CAF_CHECK(!c.metadata().leader); // offline: no ISR member is alive
  c.heal();
  c.restart(leader);
  for (int i = 0; i < 400 && !c.converged(); ++i)
    c.run_for(50);
  CAF_CHECK_EQUAL(c.metadata().leader, std::optional<node_id>{leader});
  c.check_final();
  CAF_CHECK_EQUAL(c.failure(), "");
  c.produce();
  c.run_for(500);
  CAF_CHECK_GREATER(c.acked(), acked_before); // and it takes writes again
}

// The same scenario with Kafka's 2013 settings, min.insync.replicas=1 and unclean election on:
// the lone leader acknowledges writes nobody else has, dies, and a follower outside the ISR
// takes over. The partition is writable again at once, and the acknowledged writes are gone:
// the risk unclean.leader.election.enable=true takes (README, "Failover").
CAF_TEST(unclean election after the isr shrank to a dead leader loses acknowledged records) {
  repl_options o;
  o.min_insync = 1;
  o.unclean = true;
  repl_cluster c{42, o};
  produce_spaced(c, 50);
  c.run_for(300);
  auto leader = isolate_leader_until_isr_shrinks(c, o);
  auto acked_before = c.acked();
  produce_spaced(c, 20);
  c.run_for(100);
  CAF_REQUIRE_GREATER(c.acked(), acked_before); // min.insync 1: the lone leader acknowledges
  c.crash(leader);
  c.heal();
  c.run_for(o.session_timeout_ms * 2);
  CAF_REQUIRE(c.metadata().leader.has_value()); // an out-of-sync follower leads at once
  CAF_CHECK_NOT_EQUAL(*c.metadata().leader, leader);
  c.restart(leader);
  for (int i = 0; i < 400 && !c.converged(); ++i)
    c.run_for(50);
  c.check_final();
  CAF_MESSAGE("what the checker found: " << c.failure());
  CAF_CHECK(c.failure().find("is lost") != std::string::npos
            || c.failure().find("truncates") != std::string::npos);
}

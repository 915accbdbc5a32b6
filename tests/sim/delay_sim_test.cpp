#define CAF_SUITE sim.delay_scheduler
#include <caf/test/unit_test.hpp>

#include "actors/delay_scheduler.hpp"
#include "tests/actors/delay_harness.hpp"
#include "tests/store/temp_dir.hpp"

#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <random>
#include <set>

// The seeded simulation of delayed delivery (actors/delay_scheduler.hpp): three nodes, each
// with its own LMDB index of one shared __delayed partition log, one of them leading at a
// time. One seed picks a scenario and runs
//   1. a fault phase: producers add records due 1..20 s later (some arriving after their
//      deliver-at passed); the leader crashes (memory and answers lost, index kept) or
//      leadership moves to another node, which catches its index up from the log; reads of
//      the log stop part way; appends fail, or land with their answer lost; deliveries fail,
//      land with their answer lost, land twice, or land late from a deposed leader; control
//      records a deposed leader appended land late;
//   2. a settle phase: no faults; every record must arrive.
// Checked throughout: every record is in its target once and never before its deliver-at;
// in the settle phase, each within 500 ms of it. A failure prints its seed;
// SLUICE_DELAY_SEED=<n> replays it, SLUICE_DELAY_SEEDS=<n> runs 1..n.

using namespace sluice;
using namespace sluice::actors;
namespace dl = store::delayed;

namespace {

constexpr uint64_t default_seeds = 60;
constexpr partition_id p0{0};

struct rng_t {
  std::mt19937_64 g;
  explicit rng_t(uint64_t seed) : g(seed * 0x9e3779b97f4a7c15ULL + 29) {}
  int64_t between(int64_t lo, int64_t hi) { return lo + int64_t(g() % uint64_t(hi - lo + 1)); }
  bool one_in(int64_t n) { return g() % uint64_t(n) == 0; }
};

struct sim_node {
  test::temp_dir dir;
  std::unique_ptr<delay_store> store;
  std::unique_ptr<delay_scheduler> core;

  sim_node() {
    auto s = delay_store::open(dir.path() / "delayed");
    if (!s)
      std::abort();
    store = std::move(*s);
  }
  void start() {
    core = std::make_unique<delay_scheduler>(*store, p0, delay_limits{});
    if (!core->load())
      std::abort();
  }
};

struct sim {
  uint64_t seed;
  rng_t rng;
  std::vector<std::unique_ptr<sim_node>> nodes;
  size_t leader = 0;
  test::delay_log log;
  std::map<std::string, test::delay_target> targets;
  int64_t now = 1'000'000;
  int64_t next_pid = 100;
  int next_record = 0;
  std::map<std::string, int64_t> due; // value -> deliver-at, of every record produced
  std::deque<delay_delivery> in_flight;  // the leader's
  std::deque<delay_delivery> zombies;    // a deposed leader's, still on their way
  std::vector<std::vector<dl::control_record>> stale_appends;
  bool faults = true;
  int64_t settle_from = 0;
  bool failed = false;

  explicit sim(uint64_t s) : seed(s), rng(s) {
    for (int i = 0; i < 3; ++i)
      nodes.push_back(std::make_unique<sim_node>());
    nodes[0]->start();
  }

  delay_scheduler& core() { return *nodes[leader]->core; }

  void fail(const std::string& what) {
    if (!failed)
      std::cerr << "delay sim seed " << seed << " (SLUICE_DELAY_SEED=" << seed << "): " << what << "\n";
    failed = true;
  }

  void produce() {
    auto n = next_record++;
    int32_t p = static_cast<int32_t>(rng.between(0, 3));
    auto topic = rng.one_in(2) ? std::string{"a"} : std::string{"b"};
    int64_t ts = now;
    int64_t at = now + rng.between(1000, 20'000);
    if (faults && rng.one_in(10)) { // arrives late: sent long ago, due already
      at = now - rng.between(0, 900);
      ts = at - 1000;
    }
    auto value = std::to_string(n) + "@" + std::to_string(at);
    due[value] = at;
    log.append_delayed(topic, p, value, ts, at);
  }

  delay_outcome land(const delay_delivery& d) {
    auto& t = targets[dl::deliver_to_value(d.topic, d.partition)];
    auto before = t.log.size();
    auto o = t.produce(*d.batch, now);
    for (auto i = before; i < t.log.size(); ++i) {
      auto& w = t.log[i];
      auto it = due.find(w.value);
      if (it == due.end())
        fail("an unknown record " + w.value);
      else if (w.at_ms < it->second)
        fail(w.value + " delivered at " + std::to_string(w.at_ms) + ", before its time");
      else if (!faults && it->second >= settle_from && w.at_ms - it->second > 500)
        fail(w.value + " delivered " + std::to_string(w.at_ms - it->second) + " ms late without faults");
    }
    return o;
  }

  void take(delay_effects fx) {
    if (fx.want_producer_id && (!faults || !rng.one_in(4)))
      take(core().on_producer_id(producer_id{next_pid++}, now));
    if (!fx.appends.empty()) {
      auto r = faults ? rng.between(0, 9) : 9;
      if (r == 0) {
        core().on_appended(offset{-1}); // refused
      } else if (r == 1) {
        log.append_control(fx.appends, now);
        core().on_appended(offset{-1}); // landed, answer lost
      } else if (r == 2) {
        stale_appends.push_back(fx.appends); // lands later, answer lost
        core().on_appended(offset{-1});
      } else {
        core().on_appended(log.append_control(fx.appends, now));
      }
    }
    for (auto& d : fx.deliveries)
      in_flight.push_back(std::move(d));
  }

  void deliver() {
    for (size_t n = in_flight.size(); n > 0 && !in_flight.empty(); --n) {
      auto d = std::move(in_flight.front());
      in_flight.pop_front();
      auto r = faults ? rng.between(0, 9) : 9;
      if (r == 0) {
        take(core().on_delivery(d.id, delay_outcome::retry, now)); // refused: not the leader
      } else if (r == 1) {
        land(d);
        take(core().on_delivery(d.id, delay_outcome::retry, now)); // landed, answer lost
      } else if (r == 2) {
        in_flight.push_back(std::move(d)); // slow
      } else {
        auto o = land(d);
        if (r == 3)
          land(d); // the network repeated it
        take(core().on_delivery(d.id, o, now));
      }
    }
  }

  void faults_step() {
    if (rng.one_in(60)) { // the leader crashes and restarts
      for (auto& d : in_flight)
        if (rng.one_in(2))
          zombies.push_back(d);
      in_flight.clear();
      nodes[leader]->start();
    } else if (rng.one_in(80)) { // leadership moves
      for (auto& d : in_flight)
        zombies.push_back(d);
      in_flight.clear();
      nodes[leader]->core.reset();
      leader = (leader + static_cast<size_t>(rng.between(1, 2))) % nodes.size();
      nodes[leader]->start();
    }
    while (!zombies.empty() && rng.one_in(3)) {
      land(zombies.front());
      zombies.pop_front();
    }
    if (!stale_appends.empty() && rng.one_in(4)) {
      log.append_control(stale_appends.front(), now);
      stale_appends.erase(stale_appends.begin());
    }
  }

  void step() {
    now += faults ? rng.between(30, 250) : 100;
    if (faults && rng.one_in(2))
      produce();
    if (faults)
      faults_step();
    auto from = core().indexed_through();
    auto max_batches = faults && rng.one_in(3) ? static_cast<size_t>(rng.between(1, 3)) : SIZE_MAX;
    if (auto st = core().on_log(from, log.read(from, max_batches), log.end); !st)
      fail("indexing: " + st.err().to_string());
    take(core().tick(now));
    deliver();
  }

  size_t delivered() const {
    size_t n = 0;
    for (auto& [_, t] : targets)
      n += t.log.size();
    return n;
  }

  void run() {
    auto steps = rng.between(300, 900);
    for (int64_t i = 0; i < steps && !failed; ++i)
      step();
    faults = false;
    for (auto& d : zombies)
      land(d);
    zombies.clear();
    for (auto& a : stale_appends)
      log.append_control(a, now);
    stale_appends.clear();
    settle_from = now + 1000; // what was due before may wait for a slot a fault held up
    int64_t latest = 0;
    for (auto& [_, at] : due)
      latest = std::max(latest, at);
    for (int guard = 0; guard < 100'000 && !failed && (now < latest + 2000 || delivered() < due.size()); ++guard)
      step();
    std::set<std::string> seen;
    for (auto& [_, t] : targets)
      for (auto& w : t.log)
        if (!seen.insert(w.value).second)
          fail(w.value + " delivered twice");
    if (seen.size() != due.size())
      fail(std::to_string(due.size() - seen.size()) + " record(s) never delivered");
  }
};

} // namespace

CAF_TEST(every record once and on time under crashes failovers and lost answers) {
  uint64_t first = 1;
  uint64_t last = default_seeds;
  if (auto* s = std::getenv("SLUICE_DELAY_SEED")) {
    first = last = std::strtoull(s, nullptr, 10);
  } else if (auto* n = std::getenv("SLUICE_DELAY_SEEDS")) {
    last = std::strtoull(n, nullptr, 10);
  }
  size_t records = 0;
  size_t duplicates = 0;
  for (auto seed = first; seed <= last; ++seed) {
    sim s{seed};
    s.run();
    CAF_REQUIRE(!s.failed);
    records += s.due.size();
    for (auto& [_, t] : s.targets)
      duplicates += t.duplicates;
  }
  CAF_MESSAGE(records << " records delivered once over " << (last - first + 1) << " seeds; "
                      << duplicates << " repeats answered as duplicates");
  CAF_CHECK_GREATER(duplicates, 0u); // the faults did force repeats
}

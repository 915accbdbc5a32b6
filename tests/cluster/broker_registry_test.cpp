#define CAF_SUITE cluster.broker_registry
#include <caf/test/unit_test.hpp>

#include "cluster/broker_registry.hpp"

#include <random>

using namespace sluice;
using namespace sluice::cluster;

namespace {

broker_registration broker(int32_t id) {
  return {node_id{id}, "127.0.0.1", static_cast<uint16_t>(9000 + id), std::nullopt};
}

std::vector<int32_t> ids(const std::vector<broker_registration>& v) {
  std::vector<int32_t> out;
  for (auto& b : v)
    out.push_back(b.id.value);
  return out;
}

} // namespace

CAF_TEST(a silent broker is fenced after the session timeout and a heartbeat unfences it) {
  broker_registry r{1000};
  auto e1 = r.register_broker(broker(1), 0);
  auto e2 = r.register_broker(broker(2), 0);
  CAF_CHECK_NOT_EQUAL(e1.value, e2.value);
  CAF_CHECK(r.tick(500).empty());
  CAF_CHECK(r.heartbeat(node_id{1}, e1, 900) == heartbeat_errc::none);
  auto fenced = r.tick(1000);
  CAF_REQUIRE_EQUAL(fenced.size(), 1u);
  CAF_CHECK_EQUAL(fenced[0].value, 2);
  CAF_CHECK_EQUAL(ids(r.alive()), std::vector<int32_t>{1});
  CAF_CHECK(r.tick(1100).empty()); // fenced once, not at every tick
  CAF_CHECK(r.heartbeat(node_id{2}, e2, 1200) == heartbeat_errc::none);
  CAF_CHECK_EQUAL(ids(r.alive()), (std::vector<int32_t>{1, 2}));
}

CAF_TEST(a zombie of an earlier registration is refused and changes nothing) {
  broker_registry r{1000};
  auto old = r.register_broker(broker(1), 0);
  auto now = r.register_broker(broker(1), 100); // the process restarted
  CAF_CHECK_GREATER(now.value, old.value);
  CAF_CHECK(r.heartbeat(node_id{1}, old, 900) == heartbeat_errc::stale_epoch);
  auto fenced = r.tick(1100); // the zombie's heartbeat did not extend the session
  CAF_CHECK_EQUAL(fenced.size(), 1u);
  CAF_CHECK(r.heartbeat(node_id{7}, now, 1100) == heartbeat_errc::unknown_broker);
  CAF_CHECK(r.brokers().at(node_id{1}).state == broker_state::fenced);
}

CAF_TEST(a new controller leader gives every broker a fresh session) {
  broker_registry r{1000};
  r.register_broker(broker(1), 0);
  r.restart_sessions(5000);
  CAF_CHECK(r.tick(5500).empty());
  CAF_CHECK_EQUAL(r.tick(6000).size(), 1u);
}

CAF_TEST(random heartbeats keep exactly the brokers heard from within the timeout alive) {
  std::mt19937_64 rng{3};
  for (int run = 0; run < 200; ++run) {
    broker_registry r{1000};
    std::map<int32_t, broker_epoch> epochs;
    std::map<int32_t, int64_t> last;
    int64_t now = 0;
    for (int32_t id = 1; id <= 5; ++id) {
      epochs[id] = r.register_broker(broker(id), now);
      last[id] = now;
    }
    for (int step = 0; step < 100; ++step) {
      now += static_cast<int64_t>(rng() % 300);
      auto id = 1 + static_cast<int32_t>(rng() % 5);
      if (rng() % 2 == 0 && r.heartbeat(node_id{id}, epochs[id], now) == heartbeat_errc::none)
        last[id] = now;
      r.tick(now);
      for (auto& [b, t] : last) {
        bool alive = r.brokers().at(node_id{b}).state == broker_state::alive;
        CAF_CHECK_EQUAL(alive, now - t < 1000);
      }
    }
  }
}

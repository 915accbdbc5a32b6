#define CAF_SUITE cluster.broker_sessions
#include <caf/test/unit_test.hpp>

#include "cluster/broker_sessions.hpp"

using namespace sluice;
using namespace sluice::cluster;

namespace {

const node_id b1{1}, b2{2}, b3{3};

} // namespace

CAF_TEST(a broker is fenced only after a whole silent session) {
  broker_sessions s{1000};
  s.restart(0);
  s.heartbeat(b1, 0);
  s.heartbeat(b2, 0);
  CAF_CHECK(s.expired({b1, b2}, 1000).empty());
  s.heartbeat(b1, 900);
  auto gone = s.expired({b1, b2}, 1001);
  CAF_REQUIRE_EQUAL(gone.size(), 1u);
  CAF_CHECK_EQUAL(gone[0], b2);
  CAF_CHECK(s.expired({b1}, 1900).empty());
  CAF_CHECK_EQUAL(s.expired({b1}, 1901).size(), 1u);
}

CAF_TEST(a new leader gives every broker a full session) {
  broker_sessions s{1000};
  s.restart(0);
  s.heartbeat(b1, 10);
  // Leadership moves away and back much later: the old times must not fence at once.
  s.restart(50'000);
  CAF_CHECK(s.expired({b1, b2, b3}, 50'999).empty());
  CAF_CHECK(!s.last_heartbeat(b1));
  auto gone = s.expired({b3, b1, b2}, 51'001);
  CAF_REQUIRE_EQUAL(gone.size(), 3u);
  CAF_CHECK(gone[0] == b1 && gone[1] == b2 && gone[2] == b3);
}

CAF_TEST(a late heartbeat never moves the time back) {
  broker_sessions s{100};
  s.restart(0);
  s.heartbeat(b1, 500);
  s.heartbeat(b1, 450);
  auto last = s.last_heartbeat(b1);
  CAF_REQUIRE(last);
  CAF_CHECK_EQUAL(*last, 500);
  CAF_CHECK(s.expired({b1}, 600).empty());
}

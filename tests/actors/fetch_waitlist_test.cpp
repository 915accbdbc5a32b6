#define CAF_SUITE actors.fetch_waitlist
#include <caf/test/unit_test.hpp>

#include "actors/fetch_waitlist.hpp"

#include <string>

using namespace sluice::actors;

namespace {

using list = fetch_waitlist<std::string>;
using ms = std::chrono::milliseconds;
const list::time_point t0{};

list::entry entry(uint64_t id, int64_t min_bytes, int64_t seen, int deadline_ms) {
  return {id, min_bytes, seen, t0 + ms{deadline_ms}, "fetch-" + std::to_string(id)};
}

} // namespace

CAF_TEST(appends complete the entries that reach min_bytes) {
  list w{8};
  w.park(entry(1, 10, 0, 100));
  w.park(entry(2, 100, 50, 100));
  auto ready = w.on_append(20);
  CAF_REQUIRE_EQUAL(ready.size(), 1u);
  CAF_CHECK_EQUAL(ready[0].payload, "fetch-1");
  CAF_CHECK(w.on_append(29).empty());
  CAF_CHECK_EQUAL(w.on_append(1).size(), 1u);
  CAF_CHECK(w.empty());
}

CAF_TEST(one timer is armed for the earliest deadline) {
  list w{8};
  CAF_CHECK(w.park(entry(1, 1, 0, 300)) == t0 + ms{300});
  CAF_CHECK(!w.park(entry(2, 1, 0, 400))); // a later deadline rides on the armed timer
  CAF_CHECK(w.park(entry(3, 1, 0, 100)) == t0 + ms{100}); // an earlier one needs its own
  std::optional<list::time_point> rearm;
  auto expired = w.on_timer(t0 + ms{100}, rearm);
  CAF_REQUIRE_EQUAL(expired.size(), 1u);
  CAF_CHECK_EQUAL(expired[0].id, 3u);
  // The 300 ms timer is still in flight: nothing to arm.
  CAF_CHECK(!rearm);
  CAF_CHECK_EQUAL(w.timers_in_flight(), 1u);
  expired = w.on_timer(t0 + ms{300}, rearm);
  CAF_CHECK_EQUAL(expired.size(), 1u);
  CAF_CHECK(rearm == t0 + ms{400});
  expired = w.on_timer(t0 + ms{400}, rearm);
  CAF_CHECK_EQUAL(expired.size(), 1u);
  CAF_CHECK(!rearm);
  CAF_CHECK(w.empty());
}

CAF_TEST(a stale timer finds nothing to do) {
  list w{8};
  w.park(entry(1, 1, 0, 100));
  CAF_CHECK(w.take(1).has_value());
  std::optional<list::time_point> rearm;
  CAF_CHECK(w.on_timer(t0 + ms{100}, rearm).empty());
  CAF_CHECK(!rearm);
  CAF_CHECK(!w.take(1).has_value());
}

CAF_TEST(the list is bounded) {
  list w{2};
  w.park(entry(1, 1, 0, 100));
  CAF_CHECK(!w.full());
  w.park(entry(2, 1, 0, 100));
  CAF_CHECK(w.full());
  CAF_CHECK_EQUAL(w.take_all().size(), 2u);
  CAF_CHECK(!w.full());
}

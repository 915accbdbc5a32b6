#define CAF_SUITE actors.share_partition
#include <caf/test/unit_test.hpp>

#include "actors/share_partition.hpp"

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

// One test per rule of the share-partition (KIP-932), then a seeded random driver that checks
// the invariants of actors/share_partition.hpp after every step; a failure prints its seed, and
// SLUICE_SHARE_SEED=<n> replays that one seed.

using namespace sluice;
using namespace sluice::actors;
using schema::errc;

namespace {

constexpr int64_t lock_ms = 1'000;

share_config cfg(int32_t limit = 3, int32_t window = 100) { return {lock_ms, limit, window}; }

offset o(int64_t v) { return offset{v}; }

std::vector<offset_range> all(int64_t first, int64_t last) { return {{o(first), o(last)}}; }

// Reads [from, to) of a log where every offset holds a record.
std::vector<acquired_range> take(share_partition& sp, const std::string& m, int32_t max, int64_t now,
                                 int64_t log_end) {
  auto from = sp.next_fetch_offset(now);
  if (!from || from->value >= log_end)
    return {};
  return sp.acquire(m, *from, all(from->value, log_end - 1), o(log_end), max, now);
}

share_ack ack(int64_t first, int64_t last, share_ack_type t = share_ack_type::accept) {
  return {o(first), o(last), t};
}

std::string check_invariants(const share_partition& sp) {
  auto next = sp.start();
  for (size_t i = 0; i < sp.ranges().size(); ++i) {
    auto& r = sp.ranges()[i];
    if (r.first != next || r.last < r.first)
      return "range " + std::to_string(i) + " does not follow " + std::to_string(next.value);
    if (i == 0 && (r.state == share_record_state::acknowledged || r.state == share_record_state::archived))
      return "finished first range";
    if (i > 0) {
      auto& p = sp.ranges()[i - 1];
      if (p.state == r.state && p.delivery_count == r.delivery_count && p.member == r.member
          && p.deadline_ms == r.deadline_ms)
        return "unmerged neighbours at " + std::to_string(r.first.value);
    }
    next = r.last + 1;
  }
  if (next != sp.end())
    return "ranges end at " + std::to_string(next.value) + ", not at end " + std::to_string(sp.end().value);
  return "";
}

} // namespace

CAF_TEST(acquire hands out new records once and up to max_records) {
  share_partition sp{cfg()};
  auto a = take(sp, "m1", 4, 0, 10);
  CAF_REQUIRE_EQUAL(a.size(), 1u);
  CAF_CHECK_EQUAL(a[0], (acquired_range{o(0), o(3), 1}));
  auto b = take(sp, "m2", 100, 0, 10);
  CAF_REQUIRE_EQUAL(b.size(), 1u);
  CAF_CHECK_EQUAL(b[0], (acquired_range{o(4), o(9), 1}));
  CAF_CHECK(take(sp, "m3", 100, 0, 10).empty());
  CAF_CHECK_EQUAL(sp.counts().acquired, 10);
  CAF_CHECK_EQUAL(check_invariants(sp), "");
}

CAF_TEST(accept advances the start offset over the finished prefix only) {
  share_partition sp{cfg()};
  take(sp, "m1", 3, 0, 6);
  take(sp, "m2", 3, 0, 6);
  CAF_REQUIRE(sp.acknowledge("m2", std::vector{ack(3, 5)}, 10));
  CAF_CHECK_EQUAL(sp.start(), o(0)); // 0..2 still acquired
  CAF_REQUIRE(sp.acknowledge("m1", std::vector{ack(0, 2)}, 10));
  CAF_CHECK_EQUAL(sp.start(), o(6));
  CAF_CHECK_EQUAL(sp.end(), o(6));
  CAF_CHECK(sp.ranges().empty());
}

CAF_TEST(release makes records available again and keeps their delivery count) {
  share_partition sp{cfg()};
  take(sp, "m1", 5, 0, 5);
  CAF_REQUIRE(sp.acknowledge("m1", std::vector{ack(1, 2, share_ack_type::release)}, 10));
  auto again = take(sp, "m2", 10, 20, 5);
  CAF_REQUIRE_EQUAL(again.size(), 1u);
  CAF_CHECK_EQUAL(again[0], (acquired_range{o(1), o(2), 2}));
}

CAF_TEST(reject archives and counts as finished) {
  share_partition sp{cfg()};
  take(sp, "m1", 2, 0, 2);
  CAF_REQUIRE(sp.acknowledge("m1", std::vector{ack(0, 0, share_ack_type::reject), ack(1, 1)}, 1));
  CAF_CHECK_EQUAL(sp.start(), o(2));
  CAF_CHECK(take(sp, "m1", 2, 2, 2).empty());
}

CAF_TEST(an expired lock makes records available with the delivery count kept) {
  share_partition sp{cfg()};
  take(sp, "m1", 3, 0, 3);
  CAF_CHECK(take(sp, "m2", 3, lock_ms - 1, 3).empty()); // still locked
  auto again = take(sp, "m2", 3, lock_ms, 3);
  CAF_REQUIRE_EQUAL(again.size(), 1u);
  CAF_CHECK_EQUAL(again[0], (acquired_range{o(0), o(2), 2}));
  // The first member's late acknowledgement is refused: the records are someone else's now.
  auto late = sp.acknowledge("m1", std::vector{ack(0, 2)}, lock_ms + 1);
  CAF_REQUIRE(!late);
  CAF_CHECK_EQUAL(late.err().code, errc::invalid_record_state);
  CAF_CHECK(sp.acknowledge("m2", std::vector{ack(0, 2)}, lock_ms + 1));
}

CAF_TEST(the delivery count limit archives a record instead of delivering it again) {
  share_partition sp{cfg(2)};
  int64_t now = 0;
  {
    auto got = take(sp, "m", 1, now, 1).at(0).delivery_count;
    CAF_CHECK_EQUAL(got, 1);
  }
  now += lock_ms;
  {
    auto got = take(sp, "m", 1, now, 1).at(0).delivery_count;
    CAF_CHECK_EQUAL(got, 2);
  }
  now += lock_ms; // the second lock expires at the limit: archived
  CAF_CHECK(take(sp, "m", 1, now, 1).empty());
  CAF_CHECK_EQUAL(sp.start(), o(1));
  // A release at the limit archives too.
  share_partition sp2{cfg(1)};
  take(sp2, "m", 1, 0, 1);
  CAF_REQUIRE(sp2.acknowledge("m", std::vector{ack(0, 0, share_ack_type::release)}, 1));
  CAF_CHECK_EQUAL(sp2.start(), o(1));
}

CAF_TEST(the in-flight window bounds acquisition until the start offset moves) {
  share_partition sp{cfg(3, 10)};
  {
    auto got = take(sp, "m", 100, 0, 50).at(0);
    CAF_CHECK_EQUAL(got, (acquired_range{o(0), o(9), 1}));
  }
  CAF_CHECK(!sp.next_fetch_offset(0));
  CAF_CHECK(take(sp, "m", 100, 0, 50).empty());
  CAF_REQUIRE(sp.acknowledge("m", std::vector{ack(0, 4)}, 1));
  {
    auto got = take(sp, "m", 100, 1, 50).at(0);
    CAF_CHECK_EQUAL(got, (acquired_range{o(10), o(14), 1}));
  }
  CAF_CHECK_EQUAL(sp.end() - sp.start(), 10);
}

CAF_TEST(offsets without a record are archived when read) {
  share_partition sp{cfg()};
  // Records at 0..1 and 5..6; 2..4 a control batch; 7..9 nothing the read returned as data.
  std::vector<offset_range> present{{o(0), o(1)}, {o(5), o(6)}};
  auto a = sp.acquire("m", o(0), present, o(10), 100, 0);
  CAF_REQUIRE_EQUAL(a.size(), 2u);
  CAF_CHECK_EQUAL(a[1], (acquired_range{o(5), o(6), 1}));
  CAF_CHECK_EQUAL(sp.end(), o(10));
  CAF_REQUIRE(sp.acknowledge("m", std::vector{ack(0, 1), ack(5, 6)}, 1));
  CAF_CHECK_EQUAL(sp.start(), o(10));
}

CAF_TEST(malformed or foreign acknowledgements are refused whole) {
  share_partition sp{cfg()};
  take(sp, "m1", 5, 0, 5);
  take(sp, "m2", 5, 0, 10);
  auto code = [&](std::vector<share_ack> acks, const std::string& m = "m1") {
    auto st = sp.acknowledge(m, acks, 1);
    return st ? errc::none : st.err().code;
  };
  CAF_CHECK_EQUAL(code({ack(3, 2)}), errc::invalid_request);
  CAF_CHECK_EQUAL(code({ack(2, 3), ack(3, 4)}), errc::invalid_request);
  CAF_CHECK_EQUAL(code({ack(3, 4), ack(0, 1)}), errc::invalid_request);
  CAF_CHECK_EQUAL(code({ack(4, 5)}), errc::invalid_record_state);  // 5 is m2's
  CAF_CHECK_EQUAL(code({ack(9, 11)}), errc::invalid_record_state); // past the end
  CAF_CHECK_EQUAL(code({ack(0, 0), ack(7, 7)}), errc::invalid_record_state);
  CAF_CHECK_EQUAL(sp.counts().acquired, 10); // nothing applied
  CAF_CHECK_EQUAL(code({ack(0, 4)}), errc::none);
  CAF_CHECK_EQUAL(code({ack(0, 0)}), errc::invalid_record_state); // acknowledged already
}

CAF_TEST(release_member frees what a member holds) {
  share_partition sp{cfg()};
  take(sp, "m1", 3, 0, 6);
  take(sp, "m2", 3, 0, 6);
  CAF_CHECK_EQUAL(sp.release_member("m1"), 3);
  {
    auto got = take(sp, "m3", 10, 1, 6).at(0);
    CAF_CHECK_EQUAL(got, (acquired_range{o(0), o(2), 2}));
  }
}

CAF_TEST(a snapshot loads as after a failover: acquired records become available) {
  share_partition sp{cfg()};
  take(sp, "m1", 4, 0, 8);
  take(sp, "m2", 4, 0, 8);
  CAF_REQUIRE(sp.acknowledge("m2", std::vector{ack(4, 5), ack(6, 6, share_ack_type::reject)}, 1));
  auto snap = sp.snapshot();
  for (auto& r : snap.ranges)
    CAF_CHECK(r.state != share_record_state::acquired);
  auto loaded = share_partition::load(cfg(), snap);
  CAF_REQUIRE(loaded);
  CAF_CHECK_EQUAL(loaded->start(), o(0));
  CAF_CHECK_EQUAL(loaded->end(), o(8));
  auto c = loaded->counts();
  CAF_CHECK_EQUAL(c.available, 5); // 0..3 and 7, delivery count 1
  CAF_CHECK_EQUAL(c.acknowledged + c.archived, 3);
  auto again = take(*loaded, "m3", 100, 2, 8);
  CAF_REQUIRE_EQUAL(again.size(), 2u);
  CAF_CHECK_EQUAL(again[0], (acquired_range{o(0), o(3), 2}));
  CAF_CHECK_EQUAL(again[1], (acquired_range{o(7), o(7), 2}));
  CAF_CHECK_EQUAL(check_invariants(*loaded), "");
}

CAF_TEST(a damaged snapshot is refused) {
  share_snapshot s{o(5), o(10), {{o(5), o(6), share_record_state::available, 1}}};
  CAF_CHECK(!share_partition::load(cfg(), s)); // ends at 7, not 10
  s.ranges.push_back({o(8), o(9), share_record_state::archived, 0});
  CAF_CHECK(!share_partition::load(cfg(), s)); // a hole at 7
  s.ranges[1].first = o(7);
  CAF_CHECK(share_partition::load(cfg(), s));
  s.ranges[0].state = share_record_state::acquired;
  CAF_CHECK(!share_partition::load(cfg(), s));
  CAF_CHECK(!share_partition::load(cfg(), {o(5), o(4), {}}));
}

CAF_TEST(advance_to drops what retention removed) {
  share_partition sp{cfg()};
  CAF_CHECK_EQUAL(sp.next_fetch_offset(0), o(0));
  sp.advance_to(o(100));
  CAF_CHECK_EQUAL(sp.start(), o(100));
  CAF_CHECK_EQUAL(sp.next_fetch_offset(0), o(100));
  take(sp, "m", 10, 0, 110);
  sp.advance_to(o(105));
  CAF_CHECK_EQUAL(sp.start(), o(105));
  CAF_CHECK_EQUAL(sp.counts().acquired, 5);
}

// Members acquire, accept, release, reject and crash (their locks expire) at random; the log
// grows. Checked after every step: the invariants, and that no offset is accepted twice; at
// the end (everyone accepting, time passing) every offset of the log is finished.
CAF_TEST(seeded random driver) {
  std::vector<uint64_t> seeds;
  if (auto env = std::getenv("SLUICE_SHARE_SEED"))
    seeds.push_back(std::strtoull(env, nullptr, 10));
  else
    for (uint64_t s = 1; s <= 200; ++s)
      seeds.push_back(s);
  for (auto seed : seeds) {
    std::mt19937_64 rng{seed};
    auto pick = [&](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
    share_partition sp{share_config{lock_ms, 4, 40}};
    std::map<std::string, std::set<int64_t>> held; // offsets each member believes it holds
    std::set<int64_t> accepted;
    int64_t now = 0, log_end = 0;
    std::string failure;
    auto step = [&](bool drain) {
      now += pick(300);
      if (!drain)
        log_end += pick(6);
      auto m = "m" + std::to_string(pick(4));
      auto what = drain ? 1 + pick(2) : pick(6);
      if (what == 0) {
        held.erase(m); // crashed: its locks expire
      } else if (what <= 2) {
        for (auto& r : take(sp, m, static_cast<int32_t>(1 + pick(8)), now, log_end))
          for (auto x = r.first.value; x <= r.last.value; ++x)
            held[m].insert(x);
        if (what == 2 || drain) {
          // Consecutive offsets make a range, each range a random type (accept when draining).
          std::vector<share_ack> acks;
          for (auto x : held[m]) {
            if (!acks.empty() && acks.back().last.value + 1 == x && pick(3) > 0) {
              acks.back().last = o(x);
              continue;
            }
            auto t = drain ? share_ack_type::accept : static_cast<share_ack_type>(1 + pick(3));
            acks.push_back({o(x), o(x), t});
          }
          auto st = sp.acknowledge(m, acks, now);
          if (st) {
            for (auto& a : acks)
              if (a.type == share_ack_type::accept)
                for (auto x = a.first.value; x <= a.last.value; ++x)
                  if (!accepted.insert(x).second)
                    failure = "offset " + std::to_string(x) + " accepted twice";
          } else if (st.err().code != errc::invalid_record_state) {
            failure = "unexpected refusal " + st.err().to_string();
          }
          held.erase(m);
        }
      } else if (what == 3) {
        sp.release_member(m);
        held.erase(m);
      }
      if (failure.empty())
        failure = check_invariants(sp);
    };
    for (int i = 0; i < 300 && failure.empty(); ++i)
      step(false);
    for (int i = 0; i < 2000 && failure.empty() && sp.start().value < log_end; ++i)
      step(true);
    if (failure.empty() && sp.start().value != log_end)
      failure = "not drained: start " + std::to_string(sp.start().value) + " log end " + std::to_string(log_end);
    if (!failure.empty())
      CAF_FAIL("seed " << seed << ": " << failure << " (replay: SLUICE_SHARE_SEED=" << seed << ")");
  }
}

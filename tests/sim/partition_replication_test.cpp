#define CAF_SUITE sim.partition_replication
#include <caf/test/unit_test.hpp>

#include "cluster/partition_follower.hpp"
#include "cluster/partition_leader.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Hand-written cases of the pure replication cores (cluster/partition_leader.hpp,
// cluster/partition_follower.hpp), one rule each, driven directly with explicit now_ms values.
// The seeded simulator (replication_sim_test.cpp) finds interleavings; these pin each rule so a
// failure names the rule that broke.
//
// Every case uses partition {n1, n2, n3} in leader epoch 5 at partition epoch (version) 10,
// led by n1; the follower cases run on n2. Log ends and HWs are plain offsets.

using namespace sluice;
using namespace sluice::cluster;

namespace {

const node_id n1{1};
const node_id n2{2};
const node_id n3{3};
const node_id n4{4};

constexpr leader_epoch epoch5{5};
constexpr int32_t version10 = 10;
constexpr int64_t lag_ms = 100;

offset off(int64_t o) { return offset{o}; }
leader_epoch ep(int32_t e) { return leader_epoch{e}; }

partition_replicas state(std::vector<node_id> isr, int32_t version = version10,
                         std::optional<node_id> leader = n1, leader_epoch epoch = epoch5,
                         std::vector<node_id> replicas = {n1, n2, n3}) {
  return {std::move(replicas), leader, epoch, std::move(isr), partition_epoch{version}};
}

leader_config cfg(int32_t min_insync = 1) { return {min_insync, lag_ms}; }

// n1 leading with `isr`, its log ending at `log_end`, HW checkpointed at `hw`, at time 0 (so
// every follower was last caught up at 0 and lags from 101 on).
partition_leader make_leader(std::vector<node_id> isr, int64_t log_end, int64_t hw = 0,
                             int32_t min_insync = 1) {
  return partition_leader{n1, state(std::move(isr)), off(log_end), off(hw), cfg(min_insync), 0};
}

partition_leader::fetch_answer fetch(partition_leader& l, node_id from, int64_t at,
                                     int64_t now_ms = 0, leader_epoch epoch = epoch5) {
  return l.on_fetch(from, epoch, off(at), now_ms);
}

// Readable renderings, so a failed check prints the whole value.
std::string ids(std::vector<node_id> v) {
  std::ranges::sort(v);
  std::string out;
  for (auto id : v)
    out += (out.empty() ? "" : ",") + std::to_string(id.value);
  return out;
}

std::string ends(const partition_leader& l) {
  std::string out;
  for (auto& [id, end] : l.follower_ends())
    out += (out.empty() ? "" : " ") + std::to_string(id.value) + ":" + std::to_string(end.value);
  return out;
}

std::string completed(partition_leader& l) {
  std::string out;
  for (auto& [id, e] : l.take_completed())
    out += (out.empty() ? "" : " ") + std::to_string(id) + ":" + to_string(e);
  return out;
}

const char* name(partition_follower::phase p) {
  switch (p) {
    case partition_follower::phase::truncating: return "truncating";
    case partition_follower::phase::fetching: return "fetching";
    case partition_follower::phase::fenced: return "fenced";
  }
  return "?";
}

std::string phase_of(const partition_follower& f) { return name(f.current()); }

// n2 following n1 in epoch 5 with its log ending at `log_end` and HW at `hw`.
partition_follower make_follower(int64_t log_end, int64_t hw = 0) {
  return partition_follower{n2, state({n1, n2, n3}), off(log_end), off(hw)};
}

// A follower past its truncation (epoch end answered with no cut), fetching.
partition_follower fetching_follower(int64_t log_end, int64_t hw = 0) {
  auto f = make_follower(log_end, hw);
  f.on_epoch_end({epoch5, off(log_end)}, off(log_end));
  return f;
}

} // namespace

// ---- leader: high watermark ----------------------------------------------------------------

CAF_TEST(leader hw starts at the checkpoint clamped to the log end) {
  // A checkpoint ahead of the log (the log lost an unsynced tail) cannot be exposed.
  auto l = make_leader({n1, n2}, 10, 15);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
}

CAF_TEST(leader hw starts at a checkpoint below the log end) {
  auto l = make_leader({n1, n2, n3}, 10, 4);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
}

CAF_TEST(leader alone in the isr moves hw with every append) {
  auto l = make_leader({n1}, 10, 4);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10)); // nobody else to wait for
  l.on_append(off(12), 1);
  CAF_CHECK_EQUAL(l.high_watermark(), off(12));
  l.on_append(off(20), 2);
  CAF_CHECK_EQUAL(l.high_watermark(), off(20));
}

CAF_TEST(leader hw is the smallest log end over the isr) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 6);
  CAF_CHECK_EQUAL(l.high_watermark(), off(0)); // n3 has not fetched yet
  fetch(l, n3, 4);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
  auto a = fetch(l, n3, 8);
  CAF_CHECK_EQUAL(a.error, repl_errc::none);
  CAF_CHECK_EQUAL(a.high_watermark, off(6)); // the answer carries the HW just computed
  fetch(l, n2, 10);
  fetch(l, n3, 10);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
}

CAF_TEST(leader hw is held by an isr member that never fetched) {
  auto l = make_leader({n1, n2, n3}, 10, 4);
  fetch(l, n2, 10);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
  l.on_append(off(14), 1);
  fetch(l, n2, 14, 1);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
}

CAF_TEST(leader hw never moves down when a member fetches below it) {
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n2, 8);
  CAF_CHECK_EQUAL(l.high_watermark(), off(8));
  fetch(l, n2, 3); // e.g. a follower that lost an unsynced tail in a crash
  CAF_CHECK_EQUAL(l.high_watermark(), off(8));
  CAF_CHECK_EQUAL(ends(l), "2:3 3:-1");
}

// ---- leader: follower progress (sluice inspect) ---------------------------------------------

CAF_TEST(leader reports the lag of each follower and the time since it was caught up) {
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n2, 10, 5); // caught up at 5
  l.on_append(off(16), 6);
  fetch(l, n2, 12, 7); // behind by 4, still last caught up at 5
  auto p = l.progress(40);
  CAF_REQUIRE_EQUAL(p.size(), 2u);
  CAF_CHECK_EQUAL(p[0].id, n2);
  CAF_CHECK_EQUAL(p[0].end, off(12));
  CAF_CHECK_EQUAL(p[0].lag_records, 4);
  CAF_CHECK_EQUAL(p[0].caught_up_ms_ago, 35);
  CAF_CHECK(p[0].in_isr);
  // n3 never fetched: lag unknown, counted from the leader's start (time 0), not in the ISR.
  CAF_CHECK_EQUAL(p[1].id, n3);
  CAF_CHECK_EQUAL(p[1].end, off(-1));
  CAF_CHECK_EQUAL(p[1].lag_records, -1);
  CAF_CHECK_EQUAL(p[1].caught_up_ms_ago, 40);
  CAF_CHECK(!p[1].in_isr);
}

// ---- leader: fetch errors ------------------------------------------------------------------
// Each starts from n2 at 6, n3 at 4 (HW 4) and sends a bad fetch from n3 at the log end: had it
// been accepted, HW would move to 6.

CAF_TEST(leader fences a fetch with an older leader epoch) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 6);
  fetch(l, n3, 4);
  auto a = fetch(l, n3, 10, 1, ep(4));
  CAF_CHECK_EQUAL(a.error, repl_errc::fenced_leader_epoch);
  CAF_CHECK_EQUAL(a.high_watermark, off(4));
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
  CAF_CHECK_EQUAL(ends(l), "2:6 3:4");
}

CAF_TEST(leader answers unknown epoch to a fetch with a newer leader epoch) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 6);
  fetch(l, n3, 4);
  auto a = fetch(l, n3, 10, 1, ep(6));
  CAF_CHECK_EQUAL(a.error, repl_errc::unknown_leader_epoch);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
  CAF_CHECK_EQUAL(ends(l), "2:6 3:4");
}

CAF_TEST(leader refuses a fetch from a node without a replica) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 6);
  fetch(l, n3, 4);
  auto a = fetch(l, n4, 10, 1);
  CAF_CHECK_EQUAL(a.error, repl_errc::not_replica);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
  CAF_CHECK_EQUAL(ends(l), "2:6 3:4");
}

CAF_TEST(leader refuses a fetch from itself) {
  // The leader is a replica but no follower: its log end is the log end, not a fetch.
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 6);
  fetch(l, n3, 4);
  auto a = fetch(l, n1, 10, 1);
  CAF_CHECK_EQUAL(a.error, repl_errc::not_replica);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
  CAF_CHECK_EQUAL(ends(l), "2:6 3:4");
}

CAF_TEST(leader refuses a fetch beyond its log end) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 6);
  fetch(l, n3, 4);
  auto a = fetch(l, n3, 11, 1);
  CAF_CHECK_EQUAL(a.error, repl_errc::offset_out_of_range);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
  CAF_CHECK_EQUAL(ends(l), "2:6 3:4");
}

CAF_TEST(leader refuses a fetch at a negative offset) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 6);
  fetch(l, n3, 4);
  auto a = fetch(l, n3, -1, 1);
  CAF_CHECK_EQUAL(a.error, repl_errc::offset_out_of_range);
  CAF_CHECK_EQUAL(ends(l), "2:6 3:4");
}

CAF_TEST(leader accepts a fetch exactly at its log end) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 10);
  auto a = fetch(l, n3, 10);
  CAF_CHECK_EQUAL(a.error, repl_errc::none);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
}

CAF_TEST(leader does not count a refused fetch at its log end as caught up) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n3, 10, 90);
  fetch(l, n2, 10, 90, ep(4)); // fenced: must not reset n2's lag clock
  l.tick(101);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(ids(p->isr), "1,3");
}

// ---- leader: acks --------------------------------------------------------------------------

CAF_TEST(leader refuses acks all while the isr is below min insync) {
  auto l = make_leader({n1}, 10, 0, 2);
  CAF_CHECK_EQUAL(l.check_produce(-1), repl_errc::not_enough_replicas);
}

CAF_TEST(leader accepts acks all with the isr at min insync) {
  auto l = make_leader({n1, n2}, 10, 0, 2);
  CAF_CHECK_EQUAL(l.check_produce(-1), repl_errc::none);
}

CAF_TEST(leader never refuses acks 0 or 1) {
  auto l = make_leader({n1}, 10, 0, 3);
  CAF_CHECK_EQUAL(l.check_produce(0), repl_errc::none);
  CAF_CHECK_EQUAL(l.check_produce(1), repl_errc::none);
}

CAF_TEST(leader completes an acks all wait once hw passes its end) {
  auto l = make_leader({n1, n2}, 10);
  l.await(1, off(5), 0);
  l.await(2, off(10), 0);
  CAF_CHECK_EQUAL(completed(l), "");
  fetch(l, n2, 7);
  CAF_CHECK_EQUAL(completed(l), "1:none"); // the later one still waits
  fetch(l, n2, 10);
  CAF_CHECK_EQUAL(completed(l), "2:none");
}

CAF_TEST(leader completes an acks all wait at once when hw already passed) {
  auto l = make_leader({n1}, 10);
  l.await(7, off(10), 0);
  CAF_CHECK_EQUAL(completed(l), "7:none");
}

CAF_TEST(leader reports not enough replicas after append when the isr shrank) {
  auto l = make_leader({n1, n2}, 10, 0, 2);
  l.await(7, off(10), 0);
  l.tick(lag_ms + 1); // n2 never caught up
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(completed(l), ""); // proposed only: n2 still holds HW
  l.on_metadata(state(p->isr, version10 + 1), lag_ms + 2);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
  CAF_CHECK_EQUAL(completed(l), "7:not_enough_replicas_after_append");
}

CAF_TEST(leader times out only the waits older than the timeout) {
  auto l = make_leader({n1, n2}, 10);
  l.await(1, off(10), 100);
  l.await(2, off(10), 150);
  l.expire(199, 100);
  CAF_CHECK_EQUAL(completed(l), "");
  l.expire(200, 100); // exactly the timeout: expired
  CAF_CHECK_EQUAL(completed(l), "1:request_timed_out");
  fetch(l, n2, 10, 201);
  CAF_CHECK_EQUAL(completed(l), "2:none");
}

// ---- leader: ISR shrink --------------------------------------------------------------------

CAF_TEST(leader proposes out a member not caught up for longer than the lag time) {
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n2, 5, 50); // fetching, but behind: the lag clock keeps running from 0
  l.tick(lag_ms);
  CAF_CHECK(!l.take_proposal().has_value()); // exactly the lag time is still in sync
  l.tick(lag_ms + 1);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(ids(p->isr), "1");
  CAF_CHECK_EQUAL(p->epoch, epoch5);
  CAF_CHECK_EQUAL(p->version, partition_epoch{version10});
  CAF_CHECK(l.proposal_in_flight());
}

CAF_TEST(leader keeps a member that caught up within the lag time) {
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n2, 10, 90);
  l.tick(150);
  CAF_CHECK(!l.take_proposal().has_value());
}

CAF_TEST(leader has one proposal in flight until it is answered) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 10, 90);
  l.tick(lag_ms + 1); // n3 lags
  auto first = l.take_proposal();
  CAF_REQUIRE(first.has_value());
  CAF_CHECK_EQUAL(ids(first->isr), "1,2");
  l.tick(500); // n2 lags now too
  CAF_CHECK(!l.take_proposal().has_value());
  l.on_metadata(state(first->isr, version10 + 1), 501); // committed
  auto second = l.take_proposal();
  CAF_REQUIRE(second.has_value());
  CAF_CHECK_EQUAL(ids(second->isr), "1");
  CAF_CHECK_EQUAL(second->version, partition_epoch{version10 + 1});
  CAF_CHECK_GREATER(second->seq, first->seq);
}

CAF_TEST(leader hw waits for a removed follower until the shrink commits) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 10, 90);
  fetch(l, n3, 4, 90);
  l.tick(lag_ms + 1);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4)); // due
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(ids(p->isr), "1,2");
  fetch(l, n2, 10, 102);
  CAF_CHECK_EQUAL(l.high_watermark(), off(4)); // in flight
  l.on_metadata(state({n1, n2, n3}), 103); // a rebroadcast is no commit
  CAF_CHECK_EQUAL(l.high_watermark(), off(4));
  l.on_metadata(state({n1, n2}, version10 + 1), 104);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
}

// ---- leader: ISR expansion -----------------------------------------------------------------

CAF_TEST(leader counts a follower in the isr from the moment its expansion is computed) {
  // The simulator's bug: counted only once sent, HW passed n3 in between, and a record
  // acknowledged then was lost when n3 became leader.
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n2, 10, 1);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
  fetch(l, n3, 10, 2); // at HW and at the epoch start: due
  CAF_CHECK(!l.proposal_in_flight());
  CAF_CHECK_EQUAL(ids(l.maximal_isr()), "1,2,3");
  l.on_append(off(15), 3);
  fetch(l, n2, 15, 4);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10)); // not past n3
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(ids(p->isr), "1,2,3");
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
  fetch(l, n3, 15, 5);
  CAF_CHECK_EQUAL(l.high_watermark(), off(15));
}

CAF_TEST(leader does not propose in a follower below hw) {
  auto l = make_leader({n1}, 10); // HW 10, epoch starts at 10
  l.on_append(off(20), 1);
  fetch(l, n3, 15, 2);
  CAF_CHECK(!l.take_proposal().has_value());
  CAF_CHECK_EQUAL(ids(l.maximal_isr()), "1");
  fetch(l, n3, 20, 3);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(ids(p->isr), "1,3");
}

CAF_TEST(leader does not propose in a follower below the epoch start) {
  // HW 4 is behind this epoch's first offset 10: at HW is not enough, the follower must hold
  // this epoch's records from the start.
  auto l = make_leader({n1, n2}, 10, 4);
  fetch(l, n3, 6, 1);
  CAF_CHECK(!l.take_proposal().has_value());
  fetch(l, n3, 10, 2);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(ids(p->isr), "1,2,3");
}

CAF_TEST(leader drops only the refused proposal and then lets hw advance) {
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n2, 10, 1);
  fetch(l, n3, 10, 2);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  l.on_append(off(15), 3);
  fetch(l, n2, 15, 4);
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
  l.on_refused(p->seq + 1, 5); // not the one in flight
  CAF_CHECK(l.proposal_in_flight());
  CAF_CHECK_EQUAL(l.high_watermark(), off(10));
  l.on_refused(p->seq, 6);
  CAF_CHECK(!l.proposal_in_flight());
  CAF_CHECK_EQUAL(l.high_watermark(), off(15));
  CAF_CHECK(!l.take_proposal().has_value()); // n3 is below HW now: not proposed again
}

CAF_TEST(leader holds a refused expansion for the backoff unless a newer state comes) {
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n2, 10, 1);
  fetch(l, n3, 10, 2);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(ids(p->isr), "1,2,3");
  auto backoff = leader_config{}.isr_refusal_backoff_ms;
  l.on_refused(p->seq, 10); // e.g. n3's broker is fenced, yet it still fetches
  for (int64_t t = 11; t < 10 + backoff; t += 7) {
    fetch(l, n2, 10, t);
    fetch(l, n3, 10, t);
    CAF_REQUIRE(!l.take_proposal().has_value());
  }
  fetch(l, n3, 10, 10 + backoff);
  auto again = l.take_proposal();
  CAF_REQUIRE(again.has_value());
  CAF_CHECK_EQUAL(ids(again->isr), "1,2,3");
  CAF_CHECK_GREATER(again->seq, p->seq);
  // Refused again, then the partition changes (another proposal committed, an unrelated
  // change): the hold ends with it.
  l.on_refused(again->seq, 10 + backoff + 1);
  fetch(l, n3, 10, 10 + backoff + 2);
  CAF_CHECK(!l.take_proposal().has_value());
  CAF_CHECK(l.on_metadata(state({n1, n2}, version10 + 1), 10 + backoff + 3));
  CAF_CHECK(!l.take_proposal().has_value()); // only a fetch of n3 adds it
  fetch(l, n3, 10, 10 + backoff + 4);
  auto after = l.take_proposal();
  CAF_REQUIRE(after.has_value());
  CAF_CHECK_EQUAL(ids(after->isr), "1,2,3");
}

CAF_TEST(leader never proposes a follower that stopped fetching) {
  // n3 fetched at the log end of an idle partition and died; the controller fenced it and
  // took it out of the ISR. However caught up it looked, nothing but a fetch brings it back.
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 10, 1);
  fetch(l, n3, 10, 1);
  CAF_CHECK(!l.take_proposal().has_value());
  CAF_CHECK(l.on_metadata(state({n1, n2}, version10 + 1), 2));
  for (int64_t t = 3; t < 2000; t += 97) {
    l.tick(t);
    fetch(l, n2, 10, t);
    CAF_REQUIRE(!l.take_proposal().has_value());
  }
  l.on_append(off(12), 2000);
  CAF_CHECK(!l.take_proposal().has_value());
  fetch(l, n3, 12, 2001); // back, and caught up
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK_EQUAL(ids(p->isr), "1,2,3");
}

CAF_TEST(leader never holds a shrink after a refused expansion) {
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n3, 10, 1);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  l.on_refused(p->seq, 2);
  l.tick(lag_ms + 1); // n2 never fetched: it lags now, and n3 is held
  auto shrink = l.take_proposal();
  CAF_REQUIRE(shrink.has_value());
  CAF_CHECK_EQUAL(ids(shrink->isr), "1");
}

// ---- leader: metadata ----------------------------------------------------------------------

CAF_TEST(leader keeps its proposal in flight on a rebroadcast of the same version) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 10, 90);
  l.tick(lag_ms + 1);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK(l.on_metadata(state({n1, n2, n3}), 102));
  CAF_CHECK(l.proposal_in_flight());
  CAF_CHECK(!l.take_proposal().has_value());
}

CAF_TEST(leader drops its proposal on a newer version and recomputes against it) {
  auto l = make_leader({n1, n2, n3}, 10);
  fetch(l, n2, 10, 90);
  l.tick(lag_ms + 1);
  auto p = l.take_proposal();
  CAF_REQUIRE(p.has_value());
  CAF_CHECK(l.on_metadata(state({n1, n2, n3}, version10 + 1), 102)); // some other change
  CAF_CHECK(!l.proposal_in_flight());
  auto again = l.take_proposal(); // n3 still lags
  CAF_REQUIRE(again.has_value());
  CAF_CHECK_EQUAL(ids(again->isr), "1,2");
  CAF_CHECK_EQUAL(again->version, partition_epoch{version10 + 1});
  CAF_CHECK_GREATER(again->seq, p->seq);
}

CAF_TEST(leader steps down on metadata with a newer epoch) {
  auto l = make_leader({n1, n2, n3}, 10);
  CAF_CHECK(!l.on_metadata(state({n1, n2, n3}, version10 + 1, n1, ep(6)), 1));
}

CAF_TEST(leader steps down on metadata naming another leader) {
  auto l = make_leader({n1, n2, n3}, 10);
  CAF_CHECK(!l.on_metadata(state({n1, n2, n3}, version10 + 1, n2), 1));
}

CAF_TEST(leader steps down on metadata naming no leader) {
  auto l = make_leader({n1, n2, n3}, 10);
  CAF_CHECK(!l.on_metadata(state({n1, n2, n3}, version10 + 1, std::nullopt), 1)); // offline
}

CAF_TEST(leader ignores metadata with an older epoch) {
  auto l = make_leader({n1, n2, n3}, 10);
  CAF_CHECK(l.on_metadata(state({n2}, version10 + 5, n2, ep(4)), 1));
  CAF_CHECK_EQUAL(l.epoch(), epoch5);
  CAF_CHECK_EQUAL(ids(l.state().isr), "1,2,3");
  CAF_CHECK_EQUAL(l.state().version, partition_epoch{version10});
}

CAF_TEST(leader ignores metadata with an older version) {
  auto l = make_leader({n1, n2}, 10);
  CAF_CHECK(l.on_metadata(state({n1, n2, n3}, version10 - 1), 1));
  CAF_CHECK_EQUAL(ids(l.state().isr), "1,2");
  CAF_CHECK_EQUAL(l.state().version, partition_epoch{version10});
}

CAF_TEST(leader tracks a replica added by reassignment) {
  auto l = make_leader({n1, n2, n3}, 10);
  CAF_CHECK(l.on_metadata(state({n1, n2, n3}, version10 + 1, n1, epoch5, {n1, n2, n3, n4}), 1));
  CAF_CHECK_EQUAL(ends(l), "2:-1 3:-1 4:-1");
  auto a = fetch(l, n4, 10, 2);
  CAF_CHECK_EQUAL(a.error, repl_errc::none);
  CAF_CHECK_EQUAL(ends(l), "2:-1 3:-1 4:10");
}

CAF_TEST(leader forgets a replica removed by reassignment) {
  auto l = make_leader({n1, n2}, 10);
  fetch(l, n3, 4);
  CAF_CHECK(l.on_metadata(state({n1, n2}, version10 + 1, n1, epoch5, {n1, n2}), 1));
  CAF_CHECK_EQUAL(ends(l), "2:-1");
  auto a = fetch(l, n3, 10, 2);
  CAF_CHECK_EQUAL(a.error, repl_errc::not_replica);
}

// ---- follower: truncation (KIP-101 / KIP-279) ----------------------------------------------

CAF_TEST(follower starts truncating) {
  auto f = make_follower(10, 4);
  CAF_CHECK_EQUAL(phase_of(f), "truncating");
  CAF_CHECK_EQUAL(f.fetch_offset(), off(10));
  CAF_CHECK_EQUAL(f.high_watermark(), off(4));
  CAF_CHECK_EQUAL(f.leader(), n1);
  CAF_CHECK_EQUAL(f.epoch(), epoch5);
}

CAF_TEST(follower hw starts clamped to its log end) {
  auto f = make_follower(10, 15);
  CAF_CHECK_EQUAL(f.high_watermark(), off(10));
}

CAF_TEST(follower keeps its log when the leader has the same epoch further) {
  auto f = make_follower(10);
  CAF_CHECK_EQUAL(f.on_epoch_end({epoch5, off(12)}, off(10)), off(10));
  CAF_CHECK_EQUAL(f.log_end(), off(10));
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
  CAF_CHECK_EQUAL(f.fetch_offset(), off(10));
}

CAF_TEST(follower cuts to where the leader ends the same epoch) {
  auto f = make_follower(10);
  CAF_CHECK_EQUAL(f.on_epoch_end({epoch5, off(8)}, off(10)), off(8));
  CAF_CHECK_EQUAL(f.fetch_offset(), off(8));
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
}

CAF_TEST(follower cuts to its own end of a lower answered epoch) {
  // Local: epoch 3 up to 6, epoch 5 from 6 to 10; the leader never had epoch 5 (or 4) and has
  // epoch 3 up to 8: the local epoch-5 records diverge.
  auto f = make_follower(10);
  CAF_CHECK_EQUAL(f.on_epoch_end({ep(3), off(8)}, off(6)), off(6));
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
}

CAF_TEST(follower cuts to the leader end of a lower answered epoch when shorter) {
  auto f = make_follower(10);
  CAF_CHECK_EQUAL(f.on_epoch_end({ep(3), off(5)}, off(6)), off(5));
}

CAF_TEST(follower cuts to the leader end when the leader has no such epoch) {
  // Epoch -1: the leader has no epoch <= ours; `end` is where its log starts. The local end
  // for the answer is meaningless then (0 here) and ignored.
  auto f = make_follower(10);
  CAF_CHECK_EQUAL(f.on_epoch_end({ep(-1), off(3)}, off(0)), off(3));
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
}

CAF_TEST(follower keeps its log when the leader has no such epoch and ends beyond it) {
  auto f = make_follower(10);
  CAF_CHECK_EQUAL(f.on_epoch_end({ep(-1), off(20)}, off(0)), off(10));
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
}

CAF_TEST(follower never cuts below zero on a negative leader end) {
  auto f = make_follower(10);
  CAF_CHECK_EQUAL(f.on_epoch_end({ep(-1), off(-1)}, off(0)), off(0));
}

CAF_TEST(follower never cuts below zero on a negative local end) {
  // The shell's history has no end for the answered epoch (-1): still no cut below 0.
  auto f = make_follower(10);
  CAF_CHECK_EQUAL(f.on_epoch_end({ep(2), off(5)}, off(-1)), off(0));
}

CAF_TEST(follower hw stays within its log end after a cut) {
  auto f = make_follower(10, 8);
  f.on_epoch_end({epoch5, off(6)}, off(10));
  CAF_CHECK_EQUAL(f.high_watermark(), off(6));
}

// ---- follower: fetch answers ---------------------------------------------------------------

CAF_TEST(follower hw is the leader hw capped by its log end) {
  auto f = fetching_follower(10);
  f.on_fetch_answer(repl_errc::none, off(7));
  CAF_CHECK_EQUAL(f.high_watermark(), off(7));
  f.on_fetch_answer(repl_errc::none, off(15)); // records 10..15 not here yet
  CAF_CHECK_EQUAL(f.high_watermark(), off(10));
  f.on_appended(off(15));
  f.on_fetch_answer(repl_errc::none, off(15));
  CAF_CHECK_EQUAL(f.high_watermark(), off(15));
  CAF_CHECK_EQUAL(f.fetch_offset(), off(15));
}

CAF_TEST(follower hw never goes down on a lagging new leader answer) {
  auto f = fetching_follower(10);
  f.on_fetch_answer(repl_errc::none, off(8));
  CAF_CHECK(f.on_metadata(state({n1, n2, n3}, version10 + 1, n3, ep(6))));
  CAF_CHECK_EQUAL(phase_of(f), "truncating");
  f.on_epoch_end({epoch5, off(10)}, off(10));
  f.on_fetch_answer(repl_errc::none, off(5)); // n3 has not learnt HW 8 yet
  CAF_CHECK_EQUAL(f.high_watermark(), off(8));
}

CAF_TEST(follower is fenced by a fenced leader epoch answer) {
  auto f = fetching_follower(10, 4);
  f.on_fetch_answer(repl_errc::fenced_leader_epoch, off(9));
  CAF_CHECK_EQUAL(phase_of(f), "fenced");
  CAF_CHECK_EQUAL(f.high_watermark(), off(4)); // an error carries no HW to learn
}

CAF_TEST(follower is fenced by a not replica answer) {
  auto f = fetching_follower(10, 4);
  f.on_fetch_answer(repl_errc::not_replica, off(9));
  CAF_CHECK_EQUAL(phase_of(f), "fenced");
  CAF_CHECK_EQUAL(f.high_watermark(), off(4));
}

CAF_TEST(follower keeps fetching after a not leader answer) {
  auto f = fetching_follower(10, 4);
  f.on_fetch_answer(repl_errc::not_leader, off(9));
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
  CAF_CHECK_EQUAL(f.high_watermark(), off(4));
}

CAF_TEST(follower keeps fetching after an unknown leader epoch answer) {
  auto f = fetching_follower(10, 4);
  f.on_fetch_answer(repl_errc::unknown_leader_epoch, off(9));
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
  CAF_CHECK_EQUAL(f.high_watermark(), off(4));
}

CAF_TEST(follower truncates again after an offset out of range answer) {
  auto f = fetching_follower(10, 4);
  f.on_fetch_answer(repl_errc::offset_out_of_range, off(9));
  CAF_CHECK_EQUAL(phase_of(f), "truncating");
  CAF_CHECK_EQUAL(f.high_watermark(), off(4));
}

// ---- follower: metadata --------------------------------------------------------------------

CAF_TEST(follower ignores metadata with an older epoch) {
  auto f = fetching_follower(10);
  CAF_CHECK(f.on_metadata(state({n1, n2, n3}, version10 - 1, n3, ep(4))));
  CAF_CHECK_EQUAL(f.epoch(), epoch5);
  CAF_CHECK_EQUAL(f.leader(), n1);
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
}

CAF_TEST(follower truncates again in a new epoch) {
  auto f = fetching_follower(10);
  CAF_CHECK(f.on_metadata(state({n1, n2, n3}, version10 + 1, n1, ep(6))));
  CAF_CHECK_EQUAL(f.epoch(), ep(6));
  CAF_CHECK_EQUAL(phase_of(f), "truncating");
}

CAF_TEST(follower truncates again under a new leader in the same epoch) {
  auto f = fetching_follower(10);
  CAF_CHECK(f.on_metadata(state({n1, n2, n3}, version10 + 1, n3)));
  CAF_CHECK_EQUAL(f.leader(), n3);
  CAF_CHECK_EQUAL(phase_of(f), "truncating");
}

CAF_TEST(follower keeps fetching on an isr change in the same epoch) {
  auto f = fetching_follower(10);
  CAF_CHECK(f.on_metadata(state({n1, n2}, version10 + 1)));
  CAF_CHECK_EQUAL(phase_of(f), "fetching");
}

CAF_TEST(follower truncates again when fenced and told the same epoch) {
  auto f = fetching_follower(10);
  f.on_fetch_answer(repl_errc::fenced_leader_epoch, off(0));
  CAF_CHECK(f.on_metadata(state({n1, n2, n3})));
  CAF_CHECK_EQUAL(phase_of(f), "truncating");
}

CAF_TEST(follower stops following when it becomes leader) {
  auto f = fetching_follower(10);
  CAF_CHECK(!f.on_metadata(state({n1, n2, n3}, version10 + 1, n2, ep(6))));
}

CAF_TEST(follower stops following when it is no longer a replica) {
  auto f = fetching_follower(10);
  CAF_CHECK(!f.on_metadata(state({n1, n3}, version10 + 1, n1, epoch5, {n1, n3, n4})));
}

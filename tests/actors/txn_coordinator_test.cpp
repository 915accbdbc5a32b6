#define CAF_SUITE actors.txn_coordinator
#include <caf/test/unit_test.hpp>

#include "actors/txn_coordinator.hpp"

#include <deque>
#include <string>
#include <vector>

// The transaction coordinator's rules, one case each, on the pure core: writes are confirmed
// by the test (or failed), markers and group offsets answered by it.

using namespace sluice;
using namespace sluice::actors;
using schema::errc;

namespace {

using tp = schema::txn_topic_partition;

struct driver {
  txn_coordinator core{txn_limits{60'000, 100, 1'000}};
  int64_t now = 1'000'000;
  txn_token tokens = 0;
  int64_t fresh = 5000;
  bool confirm = true; // writes become durable at once
  std::map<txn_token, txn_reply> replies;
  std::deque<txn_record> writes; // not yet confirmed
  std::vector<txn_record> log;   // confirmed
  std::vector<txn_markers> markers;
  std::vector<txn_group_commit> commits;

  void take(txn_effects fx) {
    for (auto& r : fx.replies) {
      CAF_CHECK(!replies.contains(r.token)); // answered once
      replies[r.token] = r;
    }
    for (auto& m : fx.markers)
      markers.push_back(m);
    for (auto& c : fx.group_commits)
      commits.push_back(c);
    for (auto& w : fx.writes)
      writes.push_back(w);
    while (confirm && !writes.empty())
      write_done();
  }

  void write_done() {
    auto w = writes.front();
    writes.pop_front();
    log.push_back(w);
    take(core.written(w.transactional_id, now));
  }

  void write_fails() {
    auto w = writes.front();
    writes.pop_front();
    take(core.write_failed(w.transactional_id, {errc::not_enough_replicas, "isr"}, now));
  }

  errc code_of(txn_token t) {
    auto a = answer(t);
    CAF_REQUIRE(a);
    return a->error.code;
  }

  std::optional<txn_reply> answer(txn_token t) {
    auto it = replies.find(t);
    if (it == replies.end())
      return std::nullopt;
    return it->second;
  }

  txn_token init_async(const std::string& id, int32_t timeout_ms = 10'000,
                       producer_id pid = no_producer_id, producer_epoch epoch = no_producer_epoch) {
    auto t = ++tokens;
    schema::init_producer_id_request r{id, pid, epoch, timeout_ms};
    std::optional<producer_id> f;
    if (core.needs_producer_id(id))
      f = producer_id{fresh++};
    take(core.init_producer_id(t, r, f, now));
    return t;
  }

  txn_reply init(const std::string& id, int32_t timeout_ms = 10'000,
                 producer_id pid = no_producer_id, producer_epoch epoch = no_producer_epoch) {
    auto t = init_async(id, timeout_ms, pid, epoch);
    auto a = answer(t);
    CAF_REQUIRE(a);
    return *a;
  }

  errc add(const std::string& id, const txn_reply& p, std::vector<tp> parts) {
    auto t = ++tokens;
    take(core.add_partitions(t, {id, p.id, p.epoch, std::move(parts)}, now));
    return answer(t) ? answer(t)->error.code : errc::unknown_server_error;
  }

  errc offsets(const std::string& id, const txn_reply& p, const std::string& group, int64_t off) {
    auto t = ++tokens;
    schema::txn_offset_commit_request r{id, p.id, p.epoch, group,
                                        {{"in", partition_id{0}, offset{off}, leader_epoch{-1}, ""}}};
    take(core.txn_offset_commit(t, r, now));
    return answer(t) ? answer(t)->error.code : errc::unknown_server_error;
  }

  txn_token end_async(const std::string& id, const txn_reply& p, bool commit) {
    auto t = ++tokens;
    take(core.end_txn(t, {id, p.id, p.epoch, commit}, now));
    return t;
  }

  errc end(const std::string& id, const txn_reply& p, bool commit) {
    auto t = end_async(id, p, commit);
    return answer(t) ? answer(t)->error.code : errc::unknown_server_error;
  }

  // Answers every marker and group commit sent so far with `o`.
  void deliver_all(delivery_outcome o = delivery_outcome::done) {
    auto ms = std::move(markers);
    markers.clear();
    auto cs = std::move(commits);
    commits.clear();
    for (auto& m : ms)
      for (auto& p : m.partitions)
        take(core.marker_result(m.transactional_id, m.id, m.epoch, p, o, now));
    for (auto& c : cs)
      take(core.offsets_result(c.transactional_id, c.id, c.epoch, c.group, o, now));
  }

  txn_state state(const std::string& id) {
    auto* m = core.find(id);
    CAF_REQUIRE(m != nullptr);
    return m->state;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(txn_coordinator_tests, driver)

CAF_TEST(init gives a new id epoch 0 and every later init bumps the epoch) {
  auto a = init("t");
  CAF_CHECK_EQUAL(a.error.code, errc::none);
  CAF_CHECK_EQUAL(a.id, producer_id{5000});
  CAF_CHECK_EQUAL(a.epoch, producer_epoch{0});
  auto b = init("t");
  CAF_CHECK_EQUAL(b.id, producer_id{5000});
  CAF_CHECK_EQUAL(b.epoch, producer_epoch{1});
  // The first incarnation is fenced.
  CAF_CHECK_EQUAL(add("t", a, {{"o", partition_id{0}}}), errc::invalid_producer_epoch);
  CAF_CHECK_EQUAL(add("t", b, {{"o", partition_id{0}}}), errc::none);
}

CAF_TEST(an invalid timeout is refused) {
  CAF_CHECK_EQUAL(init("t", 0).error.code, errc::invalid_transaction_timeout);
  CAF_CHECK_EQUAL(init("t", -5).error.code, errc::invalid_transaction_timeout);
  CAF_CHECK_EQUAL(init("t", 60'001).error.code, errc::invalid_transaction_timeout);
  CAF_CHECK(core.find("t") == nullptr);
}

CAF_TEST(requests for an unknown id are transactional_id_not_found) {
  txn_reply p{0, {}, producer_id{1}, producer_epoch{0}};
  CAF_CHECK_EQUAL(add("nobody", p, {{"o", partition_id{0}}}), errc::transactional_id_not_found);
  CAF_CHECK_EQUAL(end("nobody", p, true), errc::transactional_id_not_found);
  CAF_CHECK_EQUAL(offsets("nobody", p, "g", 1), errc::transactional_id_not_found);
}

CAF_TEST(a commit goes through prepare markers and offsets to complete) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{1}}, {"o", partition_id{0}}}), errc::none);
  CAF_CHECK_EQUAL(state("t"), txn_state::ongoing);
  CAF_CHECK_EQUAL(offsets("t", p, "g", 42), errc::none);
  CAF_CHECK_EQUAL(end("t", p, true), errc::none);
  CAF_CHECK_EQUAL(state("t"), txn_state::prepare_commit);
  CAF_REQUIRE_EQUAL(markers.size(), 1u);
  CAF_CHECK(markers[0].commit);
  CAF_CHECK_EQUAL(markers[0].partitions.size(), 2u);
  CAF_REQUIRE_EQUAL(commits.size(), 1u);
  CAF_CHECK_EQUAL(commits[0].group, "g");
  CAF_CHECK_EQUAL(commits[0].offsets.at(0).off, offset{42});
  // Meanwhile the producer's next transaction waits.
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::concurrent_transactions);
  CAF_CHECK_EQUAL(end("t", p, true), errc::concurrent_transactions);
  CAF_CHECK_EQUAL(end("t", p, false), errc::invalid_txn_state);
  deliver_all();
  CAF_CHECK_EQUAL(state("t"), txn_state::complete_commit);
  CAF_CHECK(core.find("t")->partitions.empty());
  // A retry of the decision succeeds; the other one does not.
  CAF_CHECK_EQUAL(end("t", p, true), errc::none);
  CAF_CHECK_EQUAL(end("t", p, false), errc::invalid_txn_state);
  // The next transaction starts from CompleteCommit.
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{2}}}), errc::none);
  CAF_CHECK_EQUAL(core.find("t")->partitions.size(), 1u);
}

CAF_TEST(end txn is answered only once prepare is durable) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::none);
  confirm = false;
  auto t = end_async("t", p, true);
  CAF_CHECK(!answer(t));
  CAF_CHECK(markers.empty());
  write_done();
  CAF_CHECK_EQUAL(code_of(t), errc::none);
  CAF_CHECK_EQUAL(markers.size(), 1u);
}

CAF_TEST(end without a transaction is invalid_txn_state) {
  auto p = init("t");
  CAF_CHECK_EQUAL(end("t", p, true), errc::invalid_txn_state);
  CAF_CHECK_EQUAL(end("t", p, false), errc::invalid_txn_state);
}

CAF_TEST(an abort sends abort markers and no group offsets) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::none);
  CAF_CHECK_EQUAL(offsets("t", p, "g", 42), errc::none);
  CAF_CHECK_EQUAL(end("t", p, false), errc::none);
  CAF_REQUIRE_EQUAL(markers.size(), 1u);
  CAF_CHECK(!markers[0].commit);
  CAF_CHECK(commits.empty());
  deliver_all();
  CAF_CHECK_EQUAL(state("t"), txn_state::complete_abort);
}

CAF_TEST(init over an ongoing transaction aborts it with an epoch bump first) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::none);
  auto again = init("t");
  CAF_CHECK_EQUAL(again.error.code, errc::concurrent_transactions);
  CAF_CHECK_EQUAL(state("t"), txn_state::prepare_abort);
  CAF_REQUIRE_EQUAL(markers.size(), 1u);
  CAF_CHECK_EQUAL(markers[0].epoch, producer_epoch{1}); // fences the old producer's writes
  CAF_CHECK_EQUAL(end("t", p, true), errc::invalid_producer_epoch);
  CAF_CHECK_EQUAL(init("t").error.code, errc::concurrent_transactions);
  deliver_all();
  auto last = init("t");
  CAF_CHECK_EQUAL(last.error.code, errc::none);
  CAF_CHECK_EQUAL(last.epoch, producer_epoch{2});
}

CAF_TEST(a transaction past its timeout is aborted and its producer fenced) {
  auto p = init("t", 1000);
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::none);
  now += 1000;
  take(core.tick(now));
  CAF_CHECK_EQUAL(state("t"), txn_state::ongoing);
  now += 1;
  take(core.tick(now));
  CAF_CHECK_EQUAL(state("t"), txn_state::prepare_abort);
  deliver_all();
  CAF_CHECK_EQUAL(state("t"), txn_state::complete_abort);
  CAF_CHECK_EQUAL(end("t", p, true), errc::invalid_producer_epoch);
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::invalid_producer_epoch);
}

CAF_TEST(markers refused retriably go out again after a backoff) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}, {"gone", partition_id{0}}}), errc::none);
  CAF_CHECK_EQUAL(end("t", p, true), errc::none);
  auto m = markers.at(0);
  markers.clear();
  take(core.marker_result("t", m.id, m.epoch, {"gone", partition_id{0}},
                          classify_marker_error(errc::unknown_topic_or_partition), now));
  take(core.marker_result("t", m.id, m.epoch, {"o", partition_id{0}},
                          classify_marker_error(errc::not_leader), now));
  CAF_CHECK_EQUAL(core.markers_pending(), 1u);
  take(core.tick(now + 50));
  CAF_CHECK(markers.empty());
  take(core.tick(now + 100));
  CAF_REQUIRE_EQUAL(markers.size(), 1u);
  CAF_CHECK_EQUAL(markers[0].partitions, (std::vector<tp>{{"o", partition_id{0}}}));
  deliver_all();
  CAF_CHECK_EQUAL(state("t"), txn_state::complete_commit);
}

CAF_TEST(a failed prepare fixes the decision) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::none);
  confirm = false;
  auto t = end_async("t", p, true);
  write_fails();
  CAF_CHECK_EQUAL(code_of(t), errc::coordinator_not_available);
  CAF_CHECK(markers.empty());
  confirm = true;
  // The commit may have landed: an abort is refused, the commit's retry goes through.
  CAF_CHECK_EQUAL(end("t", p, false), errc::invalid_txn_state);
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{1}}}), errc::invalid_txn_state);
  CAF_CHECK_EQUAL(end("t", p, true), errc::none);
  CAF_CHECK_EQUAL(state("t"), txn_state::prepare_commit);
}

CAF_TEST(a failed first write forgets the id) {
  confirm = false;
  auto t = init_async("t");
  write_fails();
  CAF_CHECK_EQUAL(code_of(t), errc::coordinator_not_available);
  CAF_CHECK(core.find("t") == nullptr);
  CAF_CHECK(core.needs_producer_id("t"));
}

CAF_TEST(the epoch overflows into a new producer id) {
  auto p = init("t");
  txn_metadata m = *core.find("t");
  m.epoch = producer_epoch{max_producer_epoch};
  take(core.load("t", m, now));
  CAF_CHECK(core.needs_producer_id("t"));
  auto q = init("t");
  CAF_CHECK_EQUAL(q.error.code, errc::none);
  CAF_CHECK_NOT_EQUAL(q.id, p.id);
  CAF_CHECK_EQUAL(q.epoch, producer_epoch{0});
}

CAF_TEST(a loaded prepare is driven to complete) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::none);
  CAF_CHECK_EQUAL(offsets("t", p, "g", 9), errc::none);
  txn_metadata m = *core.find("t");
  m.state = txn_state::prepare_commit;
  take(core.unload([](const std::string&) { return true; }, {errc::coordinator_not_available, "moved"}));
  CAF_CHECK(core.find("t") == nullptr);
  take(core.load("t", m, now));
  CAF_CHECK_EQUAL(markers.size(), 1u);
  CAF_CHECK_EQUAL(commits.size(), 1u);
  deliver_all();
  CAF_CHECK_EQUAL(state("t"), txn_state::complete_commit);
}

CAF_TEST(unloading answers the requests waiting on a write) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::none);
  confirm = false;
  auto t = end_async("t", p, false);
  CAF_CHECK_EQUAL(end("t", p, false), errc::concurrent_transactions);
  take(core.unload([](const std::string&) { return true; }, {errc::coordinator_not_available, "moved"}));
  CAF_CHECK_EQUAL(code_of(t), errc::coordinator_not_available);
}

CAF_TEST(bad partitions and offsets are invalid requests) {
  auto p = init("t");
  CAF_CHECK_EQUAL(add("t", p, {{"", partition_id{0}}}), errc::invalid_request);
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{-1}}}), errc::invalid_request);
  CAF_CHECK_EQUAL(offsets("t", p, "", 1), errc::invalid_group_id);
  CAF_CHECK_EQUAL(offsets("t", p, "g", -1), errc::invalid_request);
  CAF_CHECK_EQUAL(state("t"), txn_state::empty);
}

CAF_TEST(another producer id is fenced) {
  auto p = init("t");
  auto other = p;
  other.id = producer_id{p.id.value + 1};
  CAF_CHECK_EQUAL(add("t", other, {{"o", partition_id{0}}}), errc::invalid_producer_epoch);
  CAF_CHECK_EQUAL(init("t", 10'000, other.id, other.epoch).error.code, errc::invalid_producer_epoch);
  // KIP-360: the current producer may bump its own epoch.
  CAF_CHECK_EQUAL(init("t", 10'000, p.id, p.epoch).epoch, producer_epoch{1});
}

CAF_TEST(an idle id expires and starts over with a new producer id) {
  constexpr int64_t week = int64_t{7} * 24 * 3600 * 1000; // the default expiration
  auto p = init("t");
  CAF_CHECK_EQUAL(end("t", p, true), errc::invalid_txn_state); // nothing changed: still Empty
  now += week;
  take(core.tick(now));
  CAF_REQUIRE(core.find("t") != nullptr); // not past it yet
  now += 1;
  take(core.tick(now));
  CAF_CHECK(core.find("t") == nullptr);
  CAF_REQUIRE(!log.empty());
  CAF_CHECK_EQUAL(log.back().transactional_id, "t");
  CAF_CHECK(!log.back().value); // a tombstone
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::transactional_id_not_found);
  CAF_CHECK(core.needs_producer_id("t"));
  auto q = init("t");
  CAF_CHECK_EQUAL(q.error.code, errc::none);
  CAF_CHECK_EQUAL(q.id, producer_id{5001});
  CAF_CHECK_EQUAL(q.epoch, producer_epoch{0});
}

CAF_TEST(an open or ending transaction does not expire and a completed one restarts the clock) {
  constexpr int64_t week = int64_t{7} * 24 * 3600 * 1000;
  auto p = init("t", 1000);
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::none);
  now += week + 1;
  take(core.tick(now)); // the timeout aborts it; the markers stay unanswered
  CAF_CHECK_EQUAL(state("t"), txn_state::prepare_abort);
  now += week + 1;
  take(core.tick(now));
  CAF_CHECK_EQUAL(state("t"), txn_state::prepare_abort);
  deliver_all();
  CAF_CHECK_EQUAL(state("t"), txn_state::complete_abort);
  now += week;
  take(core.tick(now));
  CAF_CHECK_EQUAL(state("t"), txn_state::complete_abort);
  now += 1;
  take(core.tick(now));
  CAF_CHECK(core.find("t") == nullptr);
}

CAF_TEST(a removal that fails keeps the id and is tried again after a backoff) {
  constexpr int64_t week = int64_t{7} * 24 * 3600 * 1000;
  auto p = init("t");
  confirm = false;
  now += week + 1;
  take(core.tick(now));
  CAF_REQUIRE_EQUAL(writes.size(), 1u);
  CAF_CHECK(!writes.front().value);
  CAF_CHECK_EQUAL(code_of(init_async("t")), errc::concurrent_transactions);
  write_fails();
  CAF_REQUIRE(core.find("t") != nullptr);
  take(core.tick(now));
  CAF_CHECK(writes.empty()); // backing off
  now += 100;
  take(core.tick(now));
  CAF_REQUIRE_EQUAL(writes.size(), 1u);
  write_done();
  CAF_CHECK(core.find("t") == nullptr);
  // A removal that failed but landed is superseded by the id's next state: it is written whole.
  confirm = true;
  CAF_CHECK_EQUAL(init("t").epoch, producer_epoch{0});
  CAF_CHECK_EQUAL(add("t", p, {{"o", partition_id{0}}}), errc::invalid_producer_epoch);
}

CAF_TEST_FIXTURE_SCOPE_END()

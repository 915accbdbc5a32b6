#define CAF_SUITE cluster.raft_storage
#include <caf/test/unit_test.hpp>

#include "cluster/raft_storage.hpp"
#include "store/kv_store_format.hpp"
#include "tests/store/temp_dir.hpp"

using namespace sluice;
using namespace sluice::cluster;

namespace {

log_entry entry(int64_t term, int64_t index, std::string cmd) {
  return {raft_term{term}, log_index{index}, std::move(cmd)};
}

raft_ready ready_of(std::optional<hard_state> hard, std::optional<int64_t> truncate,
                    std::vector<log_entry> entries) {
  raft_ready r;
  r.hard = hard;
  if (truncate)
    r.truncate_from = log_index{*truncate};
  r.entries = std::move(entries);
  return r;
}

raft_ready snapshot_ready(int64_t index, int64_t term, std::string data,
                          std::optional<int64_t> truncate = std::nullopt,
                          std::vector<log_entry> entries = {},
                          std::optional<hard_state> hard = std::nullopt) {
  auto r = ready_of(hard, truncate, std::move(entries));
  r.snapshot = raft_snapshot{log_index{index}, raft_term{term}, std::move(data)};
  return r;
}

std::string key(int64_t i) {
  std::string k;
  store::kv_format::append_int(k, i);
  return k;
}

// The indexes raft_log holds, read around raft_storage (closed meanwhile: one LMDB handle per
// environment and process).
std::vector<int64_t> log_keys(const test::temp_dir& dir) {
  auto kv = store::kv_store::open(dir / "raft");
  CAF_REQUIRE(kv);
  auto log = (*kv)->db("raft_log");
  CAF_REQUIRE(log);
  std::vector<int64_t> out;
  CAF_REQUIRE((*kv)->scan_prefix(*log, "", [&](std::string_view k, std::string_view) {
    out.push_back(*store::kv_format::read_int<int64_t>(k));
    return true;
  }));
  return out;
}

// Edits the stored records directly (with raft_storage closed), as a damaged disk would.
template <class F>
void damage(const test::temp_dir& dir, F&& edit) {
  auto kv = store::kv_store::open(dir / "raft");
  CAF_REQUIRE(kv);
  auto state = (*kv)->db("raft_state");
  auto snap = (*kv)->db("raft_snapshot");
  auto log = (*kv)->db("raft_log");
  CAF_REQUIRE(state && snap && log);
  edit(**kv, *state, *snap, *log);
}

std::unique_ptr<raft_storage> open(const test::temp_dir& dir) {
  auto s = raft_storage::open(dir / "raft");
  CAF_REQUIRE(s);
  return std::move(*s);
}

} // namespace

CAF_TEST(a fresh store loads term 0 and an empty log) {
  test::temp_dir dir;
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->hard.term.value, 0);
  CAF_CHECK(!p->hard.voted_for);
  CAF_CHECK(p->log.empty());
}

CAF_TEST(hard state and entries survive a reopen with truncation included) {
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    hard_state h{raft_term{2}, node_id{3}};
    CAF_REQUIRE(s->persist(ready_of(h, std::nullopt, {entry(1, 1, ""), entry(2, 2, "create a"),
                                                      entry(2, 3, std::string{"b\0c", 3})})));
    // A new leader overwrites the uncommitted tail from index 3.
    hard_state h3{raft_term{3}, std::nullopt};
    CAF_REQUIRE(s->persist(ready_of(h3, 3, {entry(3, 3, "x"), entry(3, 4, "y")})));
  }
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->hard.term.value, 3);
  CAF_CHECK(!p->hard.voted_for);
  CAF_REQUIRE_EQUAL(p->log.size(), 4u);
  CAF_CHECK(p->log[1] == entry(2, 2, "create a"));
  CAF_CHECK(p->log[2] == entry(3, 3, "x"));
  CAF_CHECK(p->log[3] == entry(3, 4, "y"));
  // Truncating everything, then appending again.
  CAF_REQUIRE(s->persist(ready_of(std::nullopt, 1, {entry(3, 1, "z")})));
  auto q = s->load();
  CAF_REQUIRE(q);
  CAF_REQUIRE_EQUAL(q->log.size(), 1u);
  CAF_CHECK(q->log[0] == entry(3, 1, "z"));
}

CAF_TEST(an entry that does not follow the log is refused and nothing is written) {
  test::temp_dir dir;
  auto s = open(dir);
  CAF_REQUIRE(s->load());
  CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{1}, std::nullopt}, std::nullopt, {entry(1, 1, "a")})));
  auto bad = s->persist(ready_of(hard_state{raft_term{5}, std::nullopt}, std::nullopt, {entry(1, 3, "gap")}));
  CAF_CHECK(!bad);
  auto p = s->load();
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->log.size(), 1u);
  CAF_CHECK_EQUAL(p->hard.term.value, 1);
}

CAF_TEST(a damaged log refuses to load) {
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{2}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(2, 2, "b"), entry(2, 3, "c")})));
  }
  auto damage = [&](auto&& edit) {
    auto kv = store::kv_store::open(dir / "raft");
    CAF_REQUIRE(kv);
    auto log = (*kv)->db("raft_log");
    auto state = (*kv)->db("raft_state");
    CAF_REQUIRE(log && state);
    edit(**kv, *log, *state);
  };
  auto key = [](int64_t i) {
    std::string k;
    store::kv_format::append_int(k, i);
    return k;
  };
  damage([&](store::kv_store& kv, store::kv_db log, store::kv_db) { CAF_REQUIRE(kv.del(log, key(2))); });
  {
    auto s = open(dir);
    auto p = s->load();
    CAF_REQUIRE(!p);
    CAF_CHECK(p.err().message.find("gap") != std::string::npos);
  }
  damage([&](store::kv_store& kv, store::kv_db log, store::kv_db) {
    CAF_REQUIRE(kv.put(log, key(2), std::string{"\x07", 1}));
  });
  {
    auto s = open(dir);
    CAF_CHECK(!s->load());
  }
  damage([&](store::kv_store& kv, store::kv_db log, store::kv_db state) {
    CAF_REQUIRE(kv.put(log, key(2), std::string{"\x01\x80\0\0\0\0\0\0\x02", 9} + "b"));
    CAF_REQUIRE(kv.put(state, "hard", std::string{"\x01\x80\0\0\0\0\0\0\x01\x00\x80\0\0\0", 14}));
  });
  {
    auto s = open(dir);
    auto p = s->load();
    CAF_REQUIRE(!p); // the log holds term 2 but the hard state says 1
    CAF_CHECK(p.err().message.find("beyond") != std::string::npos);
  }
  damage([&](store::kv_store& kv, store::kv_db, store::kv_db state) {
    CAF_REQUIRE(kv.put(state, "hard", "junk"));
  });
  {
    auto s = open(dir);
    CAF_CHECK(!s->load());
  }
}

// ---- snapshots --------------------------------------------------------------------------------

CAF_TEST(a snapshot deletes the entries it covers and loads with the log after it) {
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{2}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(1, 2, "b"), entry(2, 3, "c"),
                                     entry(2, 4, "d"), entry(2, 5, "e")})));
    CAF_REQUIRE(s->persist(snapshot_ready(3, 2, std::string{"state\0after 3", 13})));
  }
  CAF_CHECK_EQUAL(log_keys(dir), (std::vector<int64_t>{4, 5}));
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(p);
  CAF_REQUIRE(p->snapshot.has_value());
  CAF_CHECK(*p->snapshot == (raft_snapshot{log_index{3}, raft_term{2}, std::string{"state\0after 3", 13}}));
  CAF_CHECK_EQUAL(p->log, (std::vector<log_entry>{entry(2, 4, "d"), entry(2, 5, "e")}));
  CAF_CHECK_EQUAL(p->hard.term.value, 2);
  // The loaded node restarts from it (cluster/raft.hpp checks the same invariants).
  raft_node n{node_id{1}, {node_id{1}, node_id{2}, node_id{3}}, raft_config{}, 1, *p};
  CAF_CHECK_EQUAL(n.first_index().value, 4);
  // A later snapshot in the same ready as new entries (compacted, then proposed, one drain):
  // the snapshot goes first, then the entries follow the log.
  CAF_REQUIRE(s->persist(snapshot_ready(5, 2, "state after 5", std::nullopt, {entry(2, 6, "f")})));
  p = s->load();
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->snapshot->index.value, 5);
  CAF_CHECK_EQUAL(p->snapshot->data, "state after 5");
  CAF_CHECK_EQUAL(p->log, (std::vector<log_entry>{entry(2, 6, "f")}));
}

CAF_TEST(a snapshot that covers the whole log leaves it empty) {
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{1}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(1, 2, "b")})));
    CAF_REQUIRE(s->persist(snapshot_ready(2, 1, "s2")));
  }
  CAF_CHECK(log_keys(dir).empty());
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->snapshot->index.value, 2);
  CAF_CHECK(p->log.empty());
  // The next entry is 3: not 1, not 4.
  CAF_CHECK(!s->persist(ready_of(std::nullopt, std::nullopt, {entry(1, 4, "gap")})));
  CAF_CHECK(s->persist(ready_of(std::nullopt, std::nullopt, {entry(1, 3, "c")})));
}

CAF_TEST(a snapshot beyond the last entry with its truncation replaces the log) {
  // InstallSnapshot to a follower whose log is shorter than the leader's snapshot: the ready
  // carries the new term, the snapshot and truncate_from = snapshot index + 1.
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{1}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")})));
    CAF_REQUIRE(s->persist(snapshot_ready(6, 3, "leader state after 6", 7, {},
                                          hard_state{raft_term{3}, std::nullopt})));
  }
  CAF_CHECK(log_keys(dir).empty());
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->hard.term.value, 3);
  CAF_CHECK_EQUAL(p->snapshot->index.value, 6);
  CAF_CHECK(p->log.empty());
  // Appends continue after the snapshot.
  CAF_REQUIRE(s->persist(ready_of(std::nullopt, std::nullopt, {entry(3, 7, "g")})));
  p = s->load();
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->log, (std::vector<log_entry>{entry(3, 7, "g")}));
}

CAF_TEST(a snapshot inside a conflicting log with its truncation drops the tail too) {
  // InstallSnapshot to a follower whose entry at the snapshot's index has another term.
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{2}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(2, 2, "x"), entry(2, 3, "y"),
                                     entry(2, 4, "z")})));
    CAF_REQUIRE(s->persist(snapshot_ready(2, 3, "s2", 3, {entry(3, 3, "c")},
                                          hard_state{raft_term{3}, std::nullopt})));
  }
  CAF_CHECK_EQUAL(log_keys(dir), (std::vector<int64_t>{3}));
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(p);
  CAF_CHECK_EQUAL(p->snapshot->term.value, 3);
  CAF_CHECK_EQUAL(p->log, (std::vector<log_entry>{entry(3, 3, "c")}));
}

CAF_TEST(a snapshot not beyond the persisted one is refused and nothing is written) {
  test::temp_dir dir;
  auto s = open(dir);
  CAF_REQUIRE(s->load());
  CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{1}, std::nullopt}, std::nullopt,
                                  {entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")})));
  CAF_REQUIRE(s->persist(snapshot_ready(2, 1, "s2")));
  for (int64_t index : {2, 1}) {
    auto bad = s->persist(snapshot_ready(index, 1, "older", std::nullopt, {entry(1, 4, "d")},
                                         hard_state{raft_term{7}, node_id{2}}));
    CAF_REQUIRE(!bad);
    CAF_CHECK_EQUAL(bad.err().code, schema::errc::storage_error);
    auto p = s->load();
    CAF_REQUIRE(p);
    CAF_CHECK_EQUAL(p->hard.term.value, 1); // nor the hard state of the same ready
    CAF_CHECK_EQUAL(p->snapshot->data, "s2");
    CAF_CHECK_EQUAL(p->log, (std::vector<log_entry>{entry(1, 3, "c")}));
  }
  // The store still works after a refusal.
  CAF_CHECK(s->persist(ready_of(std::nullopt, std::nullopt, {entry(1, 4, "d")})));
}

CAF_TEST(a snapshot that does not decode refuses to load) {
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{1}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(1, 2, "b")})));
    CAF_REQUIRE(s->persist(snapshot_ready(1, 1, "s1")));
  }
  // Shorter than its header, another version, and index 0 (a snapshot covers an entry).
  for (auto junk : {std::string{"\x01\x80", 2}, std::string{"\x02\x80\0\0\0\0\0\0\x01\x80\0\0\0\0\0\0\x01", 17},
                    std::string{"\x01\x80\0\0\0\0\0\0\0\x80\0\0\0\0\0\0\x01", 17}}) {
    damage(dir, [&](store::kv_store& kv, store::kv_db, store::kv_db snap, store::kv_db) {
      CAF_REQUIRE(kv.put(snap, "snap", junk));
    });
    auto s = open(dir);
    auto p = s->load();
    CAF_REQUIRE(!p);
    CAF_CHECK(p.err().message.find("snapshot does not decode") != std::string::npos);
  }
}

CAF_TEST(a log entry the snapshot covers refuses to load) {
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{1}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(1, 2, "b"), entry(1, 3, "c")})));
    CAF_REQUIRE(s->persist(snapshot_ready(2, 1, "s2")));
  }
  // Entry 2 is back: a crash between the snapshot and the deletes would leave this, were
  // they not one transaction.
  damage(dir, [&](store::kv_store& kv, store::kv_db, store::kv_db, store::kv_db log) {
    CAF_REQUIRE(kv.put(log, key(2), std::string{"\x01\x80\0\0\0\0\0\0\x01", 9} + "b"));
  });
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(!p);
  CAF_CHECK(p.err().message.find("covered by the snapshot") != std::string::npos);
}

CAF_TEST(a log entry of a term below the snapshot refuses to load) {
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{2}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(2, 2, "b"), entry(2, 3, "c")})));
    CAF_REQUIRE(s->persist(snapshot_ready(2, 2, "s2")));
  }
  damage(dir, [&](store::kv_store& kv, store::kv_db, store::kv_db, store::kv_db log) {
    CAF_REQUIRE(kv.put(log, key(3), std::string{"\x01\x80\0\0\0\0\0\0\x01", 9} + "c"));
  });
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(!p);
  CAF_CHECK(p.err().message.find("decreases") != std::string::npos);
}

CAF_TEST(a snapshot of a term beyond the hard state refuses to load) {
  test::temp_dir dir;
  {
    auto s = open(dir);
    CAF_REQUIRE(s->load());
    CAF_REQUIRE(s->persist(ready_of(hard_state{raft_term{2}, std::nullopt}, std::nullopt,
                                    {entry(1, 1, "a"), entry(2, 2, "b")})));
    CAF_REQUIRE(s->persist(snapshot_ready(2, 2, "s2")));
  }
  damage(dir, [&](store::kv_store& kv, store::kv_db state, store::kv_db, store::kv_db) {
    // Term 1, no vote.
    CAF_REQUIRE(kv.put(state, "hard", std::string{"\x01\x80\0\0\0\0\0\0\x01\x00\x80\0\0\0", 14}));
  });
  auto s = open(dir);
  auto p = s->load();
  CAF_REQUIRE(!p);
  CAF_CHECK(p.err().message.find("snapshot holds term 2") != std::string::npos);
}

CAF_TEST(what a follower persists from InstallSnapshot readies reloads as its own state) {
  // The core's readies, carried out by persist(), must leave on disk exactly the node's
  // snapshot and log (raft.hpp's invariant on ready_), through each shape of InstallSnapshot.
  test::temp_dir dir;
  auto s = open(dir);
  auto loaded = s->load();
  CAF_REQUIRE(loaded);
  const node_id n1{1}, n2{2};
  raft_node f{n2, {n1, n2, node_id{3}}, raft_config{}, 1, *loaded};
  auto check_disk = [&](const char* what) {
    CAF_MESSAGE(what);
    CAF_REQUIRE(s->persist(f.take_ready()));
    auto p = s->load();
    CAF_REQUIRE(p);
    CAF_REQUIRE(p->snapshot.has_value());
    CAF_CHECK(*p->snapshot == f.snapshot());
    CAF_CHECK_EQUAL(p->log, f.log());
    CAF_CHECK_EQUAL(p->hard.term, f.term());
  };
  std::vector<log_entry> five;
  for (int64_t i = 1; i <= 5; ++i)
    five.push_back(entry(1, i, "c" + std::to_string(i)));
  f.step({n1, n2, append_request{raft_term{1}, n1, log_index{0}, raft_term{0}, five, log_index{0}}}, 10);
  CAF_REQUIRE(s->persist(f.take_ready()));
  // Term 2 overwrites 3 and 4, then its snapshot at 3 matches the new 3: keep the tail.
  f.step({n1, n2, append_request{raft_term{2}, n1, log_index{2}, raft_term{1},
                                 {entry(2, 3, "x"), entry(2, 4, "y")}, log_index{0}}}, 11);
  f.step({n1, n2, install_snapshot_request{raft_term{2}, n1, {log_index{3}, raft_term{2}, "s3"}}}, 12);
  check_disk("matching snapshot with a truncation pending");
  // Term 3's snapshot at 4 conflicts with our entry 4 of term 2: drop the log.
  f.step({n1, n2, append_request{raft_term{3}, n1, log_index{4}, raft_term{3}, {}, log_index{0}}}, 13);
  f.step({n1, n2, install_snapshot_request{raft_term{3}, n1, {log_index{4}, raft_term{3}, "s4"}}}, 14);
  check_disk("conflicting snapshot");
  // Appends after it, then a snapshot far beyond the log.
  f.step({n1, n2, append_request{raft_term{3}, n1, log_index{4}, raft_term{3},
                                 {entry(3, 5, "e"), entry(3, 6, "f")}, log_index{0}}}, 15);
  f.step({n1, n2, install_snapshot_request{raft_term{3}, n1, {log_index{9}, raft_term{3}, "s9"}}}, 16);
  check_disk("snapshot beyond the log");
  // And a snapshot of our own, once the leader's commit index was applied.
  f.step({n1, n2, append_request{raft_term{3}, n1, log_index{9}, raft_term{3},
                                 {entry(3, 10, "j"), entry(3, 11, "k")}, log_index{11}}}, 17);
  CAF_REQUIRE(s->persist(f.take_ready()));
  f.compact(log_index{10}, "own 10");
  check_disk("compacted");
}

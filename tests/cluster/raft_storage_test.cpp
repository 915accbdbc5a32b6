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

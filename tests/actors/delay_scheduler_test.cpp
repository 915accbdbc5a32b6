#define CAF_SUITE actors.delay_scheduler
#include <caf/test/unit_test.hpp>

#include "actors/delay_scheduler.hpp"
#include "tests/actors/delay_harness.hpp"
#include "store/kv_store_format.hpp"
#include "tests/store/temp_dir.hpp"

#include <deque>
#include <memory>

// The delivery scheduler's core (actors/delay_scheduler.hpp) and its LMDB index
// (actors/delay_store.hpp), on real files: slot closing, deterministic sequences, late
// arrivals, replay after a crash at every step, failover to another node's index, refusals.

using namespace sluice;
using namespace sluice::actors;
namespace dl = store::delayed;

namespace {

constexpr partition_id p0{0};

// One node's index and scheduler over the shared log; `targets` are shared by all nodes.
struct node {
  test::temp_dir dir;
  std::unique_ptr<delay_store> store;
  std::unique_ptr<delay_scheduler> core;
  delay_limits limits;

  explicit node(delay_limits l = {}) : limits(l) { open(); }
  void open() {
    core.reset();
    store.reset();
    auto s = delay_store::open(dir.path() / "delayed");
    CAF_REQUIRE(s);
    store = std::move(*s);
    restart();
  }
  // A crash of the actor: memory and answers in flight lost, the index kept.
  void restart() {
    core = std::make_unique<delay_scheduler>(*store, p0, limits);
    CAF_REQUIRE(core->load());
  }
};

struct driver {
  test::delay_log log;
  std::map<std::string, test::delay_target> targets;
  int64_t now = 1'000'000;
  int64_t next_pid = 7000;
  std::deque<delay_delivery> in_flight;
  node* leader = nullptr;

  test::delay_target& target(const std::string& topic, partition_id p) {
    return targets[dl::deliver_to_value(topic, p)];
  }

  void read(size_t max_batches = SIZE_MAX) {
    auto from = leader->core->indexed_through();
    auto bytes = log.read(from, max_batches);
    CAF_REQUIRE(leader->core->on_log(from, bytes, log.end));
  }

  void take(delay_effects fx) {
    for (auto& e : fx.errors)
      CAF_MESSAGE("scheduler: " << e);
    if (fx.want_producer_id)
      take(leader->core->on_producer_id(producer_id{next_pid++}, now));
    if (!fx.appends.empty())
      leader->core->on_appended(log.append_control(fx.appends, now));
    for (auto& d : fx.deliveries)
      in_flight.push_back(std::move(d));
  }

  void deliver_all() {
    for (int guard = 0; !in_flight.empty() && guard < 10'000; ++guard) {
      auto d = std::move(in_flight.front());
      in_flight.pop_front();
      auto o = target(d.topic, d.partition).produce(*d.batch, now);
      take(leader->core->on_delivery(d.id, o, now));
    }
  }

  void step() {
    read();
    take(leader->core->tick(now));
    deliver_all();
    read();
  }

  void run_for(int64_t ms) {
    for (auto end = now + ms; now < end;) {
      now += 100;
      step();
    }
  }

  // Value "n@deliver_at", so checks know when each record was due.
  void add(const std::string& topic, int32_t p, int n, int64_t delay_ms) {
    log.append_delayed(topic, p, std::to_string(n) + "@" + std::to_string(now + delay_ms), now,
                       now + delay_ms);
  }

  // Every record once in its target, none before it was due; returns how many.
  size_t check_once_on_time() {
    std::set<std::string> seen;
    for (auto& [_, t] : targets)
      for (auto& w : t.log) {
        CAF_CHECK(seen.insert(w.value).second);
        auto due = std::stoll(w.value.substr(w.value.find('@') + 1));
        CAF_CHECK_GREATER_OR_EQUAL(w.at_ms, due);
      }
    return seen.size();
  }
};

} // namespace

CAF_TEST(a due record is delivered once after a pid and a slot) {
  node n;
  driver d;
  d.leader = &n;
  d.add("orders", 2, 1, 3000);
  d.step();
  auto s = n.core->status();
  CAF_CHECK_EQUAL(s.pending, 1);
  CAF_CHECK_EQUAL(s.producer_id, 7000); // asked, appended, indexed
  d.run_for(2800);
  CAF_CHECK(d.target("orders", partition_id{2}).log.empty()); // not before its time
  d.run_for(300);
  CAF_REQUIRE_EQUAL(d.target("orders", partition_id{2}).log.size(), 1u);
  CAF_CHECK_EQUAL(d.check_once_on_time(), 1u);
  s = n.core->status();
  CAF_CHECK_EQUAL(s.pending, 0);
  CAF_CHECK_EQUAL(s.delivered, 1);
  CAF_CHECK(s.open_slot.find("done") != std::string::npos);
}

CAF_TEST(sequences follow each target across slots) {
  node n;
  driver d;
  d.leader = &n;
  for (int i = 0; i < 30; ++i)
    d.add("t", i % 3, i, 1000 + 100 * i);
  d.run_for(6000);
  CAF_CHECK_EQUAL(d.check_once_on_time(), 30u);
  for (int32_t p = 0; p < 3; ++p) {
    auto seq = n.store->next_sequence(p0, "t", partition_id{p});
    CAF_REQUIRE(seq);
    CAF_CHECK_EQUAL(*seq, 10); // ten records each, over several slots
    auto* e = d.target("t", partition_id{p}).producers.find(producer_id{7000});
    CAF_REQUIRE(e != nullptr);
    CAF_CHECK_EQUAL(e->last_seq(), 9);
  }
  CAF_CHECK_EQUAL(d.targets.at("t/0").duplicates, 0u);
}

CAF_TEST(a record due on arrival goes to the next slot) {
  node n;
  driver d;
  d.leader = &n;
  d.add("t", 0, 1, 1000);
  d.run_for(1000);
  // Arrives late: its deliver-at passed (a record in flight long, or a slow index).
  d.log.append_delayed("t", 0, "2@" + std::to_string(d.now - 500), d.now - 1500, d.now - 500);
  d.run_for(300);
  CAF_CHECK_EQUAL(d.check_once_on_time(), 2u);
  CAF_CHECK_EQUAL(n.core->status().pending, 0);
}

CAF_TEST(a slot holds at most max_slot_records and the rest follow) {
  delay_limits l;
  l.max_slot_records = 7;
  l.max_batch_records = 3;
  node n{l};
  driver d;
  d.leader = &n;
  for (int i = 0; i < 40; ++i)
    d.add("t", 0, i, 1000);
  d.run_for(1100);
  d.run_for(2000);
  CAF_CHECK_EQUAL(d.check_once_on_time(), 40u);
  auto& order = d.targets.at("t/0").log;
  for (size_t i = 0; i < order.size(); ++i) // (deliver-at, offset) order: the send order
    CAF_CHECK_EQUAL(order[i].value.substr(0, order[i].value.find('@')), std::to_string(i));
}

CAF_TEST(the index replays a range again without change) {
  node n;
  driver d;
  d.leader = &n;
  for (int i = 0; i < 5; ++i)
    d.add("t", 1, i, 2000);
  d.read();
  auto before = n.store->state(p0);
  CAF_REQUIRE(before);
  auto again = n.store->index(p0, offset{0}, d.log.read(offset{0}));
  CAF_REQUIRE(again);
  CAF_CHECK(*again == *before);
  CAF_CHECK_EQUAL(again->pending, 5);
}

CAF_TEST(a slot of the wrong id or over an undone slot is ignored) {
  node n;
  driver d;
  d.leader = &n;
  d.add("t", 0, 1, 1000);
  d.add("t", 0, 2, 1000);
  d.log.append_control({{dl::control_kind::slot, {2, d.now + 5000, 10, 5}}}, d.now); // id 2 first
  d.read();
  CAF_CHECK_EQUAL(n.core->status().open_slot, "none");
  d.log.append_control({{dl::control_kind::slot, {1, d.now + 5000, 1, 5}}}, d.now); // below 1
  d.log.append_control({{dl::control_kind::slot, {2, d.now + 5000, 10, 5}}}, d.now); // 1 not done
  d.read();
  auto s = n.store->state(p0);
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->open.id, 1);
  CAF_CHECK_EQUAL(s->open.members, 1); // offset < below only
  CAF_CHECK_EQUAL(s->pending, 1);
  d.log.append_control({{dl::control_kind::done, {2, 0, 0, 0}}}, d.now); // not the open one
  d.read();
  CAF_CHECK(!n.store->state(p0)->open.done);
}

// A crash (the scheduler's memory lost, its index kept) after every k-th step of a busy run:
// every record still arrives once and never early.
CAF_TEST(replay after a crash at every step delivers once) {
  for (int k = 1; k <= 12; ++k) {
    node n;
    driver d;
    d.leader = &n;
    for (int i = 0; i < 12; ++i)
      d.add("t", i % 2, i, 1000 + 150 * i);
    int steps = 0;
    for (auto end = d.now + 5000; d.now < end;) {
      d.now += 100;
      d.read(1 + static_cast<size_t>(steps % 3)); // partial reads: crashes land mid-index too
      d.take(d.leader->core->tick(d.now));
      // Half the answers are lost with the crash: some batches landed, unacknowledged.
      if (++steps % k == 0) {
        if (!d.in_flight.empty()) {
          auto first = std::move(d.in_flight.front());
          d.target(first.topic, first.partition).produce(*first.batch, d.now);
        }
        d.in_flight.clear();
        n.restart();
      }
      d.deliver_all();
    }
    d.run_for(1000);
    CAF_CHECK_EQUAL(d.check_once_on_time(), 12u);
  }
}

CAF_TEST(a new leader catches up from the log and repeats the open slot as duplicates) {
  node a;
  node b;
  driver d;
  d.leader = &a;
  for (int i = 0; i < 10; ++i)
    d.add("t", 0, i, 1000);
  d.run_for(1000);
  // a closes a slot and delivers part of it, then loses leadership.
  d.now += 100;
  d.read();
  d.take(a.core->tick(d.now));
  d.read();
  d.take(a.core->tick(d.now));
  CAF_REQUIRE(!d.in_flight.empty());
  auto first = std::move(d.in_flight.front());
  d.in_flight.clear();
  CAF_CHECK(d.target(first.topic, first.partition).produce(*first.batch, d.now)
            == delay_outcome::delivered);
  d.leader = &b;
  d.run_for(500);
  CAF_CHECK_EQUAL(d.check_once_on_time(), 10u);
  CAF_CHECK_GREATER(d.targets.at("t/0").duplicates, 0u);
  CAF_CHECK_EQUAL(b.core->status().producer_id, a.core->status().producer_id); // first pid wins
}

CAF_TEST(a refused batch is dropped and counted and the slot completes) {
  node n;
  driver d;
  d.leader = &n;
  d.add("t", 0, 1, 1000);
  d.run_for(1000);
  d.now += 100;
  d.read();
  d.take(n.core->tick(d.now));
  d.read();
  d.take(n.core->tick(d.now));
  CAF_REQUIRE_EQUAL(d.in_flight.size(), 1u);
  auto del = std::move(d.in_flight.front());
  d.in_flight.clear();
  d.take(n.core->on_delivery(del.id, delay_outcome::refused, d.now));
  d.step();
  auto s = n.core->status();
  CAF_CHECK_EQUAL(s.dropped, 1);
  CAF_CHECK(s.open_slot.find("done") != std::string::npos);
}

CAF_TEST(retries wait for the backoff and give up after max_attempts) {
  delay_limits l;
  l.max_attempts = 3;
  node n{l};
  driver d;
  d.leader = &n;
  d.add("t", 0, 1, 1000);
  d.run_for(1000);
  int sent = 0;
  for (int i = 0; i < 20; ++i) {
    d.now += 100;
    d.read();
    d.take(n.core->tick(d.now));
    for (auto& del : d.in_flight) {
      ++sent;
      d.take(n.core->on_delivery(del.id, delay_outcome::retry, d.now));
    }
    d.in_flight.clear();
  }
  CAF_CHECK_EQUAL(sent, 3);
  CAF_CHECK_EQUAL(n.core->status().dropped, 1);
  CAF_CHECK_EQUAL(n.core->status().retries, 2);
}

CAF_TEST(index entries round trip) {
  delay_entry e{offset{42}, 99'000, "orders", partition_id{3}, std::string{"k"}, std::nullopt,
                {{"tags", "a,b"}, {std::string{dl::deliver_at_header}, "99000"}}};
  std::string key;
  store::kv_format::append_int(key, int32_t{0});
  store::kv_format::append_int(key, e.deliver_at_ms);
  store::kv_format::append_int(key, e.off.value);
  auto back = decode_delay_entry(key, encode_delay_entry(e));
  CAF_REQUIRE(back);
  CAF_CHECK(*back == e);
  CAF_CHECK(!decode_delay_entry(key, encode_delay_entry(e).substr(1)));
}

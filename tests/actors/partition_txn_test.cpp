#define CAF_SUITE actors.partition_txn
#include "tests/actors/actor_fixture.hpp"

#include "actors/partition_actor.hpp"

using namespace sluice;
using namespace sluice::actors;
using sluice::test::batch_of;
using sluice::test::records_of;
using schema::errc;
using schema::isolation_level;

namespace {

constexpr int64_t pid = 5;

// `n` transactional records of producer `pid` at epoch 0 from sequence `seq`.
std::vector<std::byte> txn_batch_of(size_t n, const std::string& prefix, int32_t seq = 0) {
  store::batch_builder b;
  for (size_t i = 0; i < n; ++i) {
    auto v = prefix + "-" + std::to_string(i);
    b.add(timestamp_ms{1000}, std::nullopt, std::string_view{v});
  }
  return b.finish(pid, 0, seq, store::batch_format::attr_transactional);
}

cluster::partition_replicas led_by(int32_t leader) {
  return {{node_id{1}, node_id{2}}, node_id{leader}, leader_epoch{1}, {node_id{1}, node_id{2}},
          cluster::partition_epoch{1}};
}

// Node 1's replica of orders-0, replicated to node 2: node 1 leads unless a test says
// otherwise, and HW moves only when the test fetches as node 2 (replicate()).
struct fixture : test::actor_fixture {
  partition_actor p;

  explicit fixture(int32_t self_id = 1) {
    partition_args args{"orders", partition_id{0}, dir / "orders-0", topic_config{},
                        std::chrono::milliseconds{0}, 16, store::system_clock_ms,
                        replication_args{node_id{self_id}, alter_partition_actor{},
                                         replica_manager_actor{}, 30'000}};
    p = spawn_partition(sys, std::move(args));
    consume();
    self->send(p, partition_states_atom_v, led_by(1));
    consume();
  }

  ~fixture() override { self->send_exit(p, caf::exit_reason::user_shutdown); }

  append_reply append(std::vector<std::byte> records) {
    self->send(p, produce_atom_v, append_request{std::move(records), schema::acks::leader});
    consume();
    return require_reply<append_reply>();
  }

  void send_marker(bool commit, int16_t epoch = 0) {
    self->send(p, write_txn_markers_atom_v, txn_marker{producer_id{pid}, producer_epoch{epoch},
                                                       commit, 7});
    consume();
  }

  // Node 2 fetches from `from` (default: the leader's log end, so HW catches up with it).
  fetch_reply replicate(int64_t from) {
    partition_fetch f{99, offset{from}, 1 << 20, 1, 0, false, node_id{2}, leader_epoch{1}};
    self->send(p, fetch_atom_v, f);
    consume();
    return require_reply<fetch_reply>();
  }

  void send_fetch(int64_t from, isolation_level iso, int32_t max_wait_ms = 0) {
    partition_fetch f{1, offset{from}, 1 << 20, 1, max_wait_ms, false};
    f.isolation = iso;
    self->send(p, fetch_atom_v, f);
    consume();
  }

  fetch_reply fetch(int64_t from, isolation_level iso) {
    send_fetch(from, iso);
    return require_reply<fetch_reply>();
  }

  std::string state() {
    self->send(p, state_atom_v);
    consume();
    return require_reply<std::string>();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(partition_txn_tests, fixture)

CAF_TEST(a marker is answered only once it is below the high watermark) {
  append(txn_batch_of(3, "t"));
  replicate(3);
  send_marker(true);
  CAF_CHECK(mailbox_empty());
  replicate(3); // node 2 has not got the marker yet
  CAF_CHECK(mailbox_empty());
  self->send(p, fetch_atom_v, partition_fetch{99, offset{4}, 1 << 20, 1, 0, false, node_id{2},
                                              leader_epoch{1}});
  consume();
  auto r = require_reply<txn_marker_reply>();
  CAF_CHECK(r.error.ok());
  CAF_CHECK_EQUAL(r.marker_offset, offset{3});
  CAF_CHECK_EQUAL(require_reply<fetch_reply>().high_watermark, offset{4});
}

CAF_TEST(a marker of an older producer epoch is invalid_producer_epoch) {
  auto b = txn_batch_of(1, "t");
  store::set_producer_fields(b, pid, 3, 0);
  append(std::move(b));
  send_marker(false, 2);
  auto r = require_reply<txn_marker_reply>();
  CAF_CHECK_EQUAL(r.error.code, errc::invalid_producer_epoch);
  CAF_CHECK_EQUAL(r.error.message, "producer 5: a marker of epoch 2 is fenced: the partition has "
                                   "seen epoch 3");
}

CAF_TEST(a marker waiting for the ISR fails when leadership moves) {
  append(txn_batch_of(1, "t"));
  send_marker(true);
  CAF_CHECK(mailbox_empty());
  auto moved = led_by(2);
  moved.epoch = leader_epoch{2};
  moved.version = cluster::partition_epoch{2};
  self->send(p, partition_states_atom_v, moved);
  consume();
  auto r = require_reply<txn_marker_reply>();
  CAF_CHECK_EQUAL(r.error.code, errc::not_leader);
  CAF_CHECK_EQUAL(r.marker_offset, offset{-1});
}

CAF_TEST(a client control batch is refused with one line) {
  auto r = append(store::make_control_batch(pid, 0, {store::control_type::commit, 0},
                                            timestamp_ms{0}));
  CAF_CHECK_EQUAL(r.error.code, errc::invalid_request);
  CAF_CHECK_EQUAL(r.error.message, "producer 5: a control batch is written only by the partition "
                                   "leader for a transaction marker, never sent by a client");
}

CAF_TEST(read_committed stops at the last stable offset) {
  append(batch_of(3, "plain"));
  append(txn_batch_of(4, "t"));
  append(batch_of(2, "after"));
  replicate(9);
  auto committed = fetch(0, isolation_level::read_committed);
  CAF_REQUIRE(committed.error.ok());
  CAF_CHECK_EQUAL(committed.high_watermark, offset{9});
  CAF_CHECK_EQUAL(committed.last_stable_offset, offset{3});
  CAF_CHECK_EQUAL(records_of(committed.records).size(), 3u);
  auto all = fetch(0, isolation_level::read_uncommitted);
  CAF_CHECK_EQUAL(all.last_stable_offset, offset{3});
  CAF_CHECK_EQUAL(records_of(all.records).size(), 9u);
  CAF_CHECK(all.aborted_transactions.empty());
}

CAF_TEST(read_committed lists the aborted transactions of what it returns) {
  append(batch_of(2, "plain"));
  append(txn_batch_of(3, "t")); // [2, 5)
  send_marker(false);           // 5
  replicate(6);
  CAF_CHECK_EQUAL(require_reply<txn_marker_reply>().marker_offset, offset{5});
  auto f = fetch(0, isolation_level::read_committed);
  CAF_CHECK_EQUAL(f.last_stable_offset, offset{6});
  CAF_CHECK_EQUAL(records_of(f.records).size(), 6u);
  CAF_REQUIRE_EQUAL(f.aborted_transactions.size(), 1u);
  CAF_CHECK_EQUAL(f.aborted_transactions[0].id, producer_id{pid});
  CAF_CHECK_EQUAL(f.aborted_transactions[0].first_offset, offset{2});
  // Past the marker nothing is aborted any more; read_uncommitted never gets the list.
  CAF_CHECK(fetch(6, isolation_level::read_committed).aborted_transactions.empty());
  CAF_CHECK(fetch(0, isolation_level::read_uncommitted).aborted_transactions.empty());
}

CAF_TEST(a parked read_committed fetch wakes when a marker commits) {
  append(txn_batch_of(3, "t"));
  replicate(3);
  send_fetch(0, isolation_level::read_committed, 10'000);
  CAF_CHECK(mailbox_empty()); // nothing stable yet: parked
  send_marker(true);
  CAF_CHECK(mailbox_empty()); // the marker is not below HW yet
  self->send(p, fetch_atom_v, partition_fetch{99, offset{4}, 1 << 20, 1, 0, false, node_id{2},
                                              leader_epoch{1}});
  consume();
  CAF_CHECK(require_reply<txn_marker_reply>().error.ok());
  auto woken = require_reply<fetch_reply>();
  CAF_CHECK_EQUAL(woken.last_stable_offset, offset{4});
  CAF_CHECK_EQUAL(records_of(woken.records).size(), 4u); // 3 records and the marker
  CAF_CHECK_EQUAL(require_reply<fetch_reply>().high_watermark, offset{4}); // node 2's
}

CAF_TEST(a parked read_committed fetch does not wake for unstable appends) {
  append(txn_batch_of(3, "t"));
  replicate(3);
  send_fetch(0, isolation_level::read_committed, 10'000);
  append(txn_batch_of(2, "more", 3));
  replicate(5);
  CAF_CHECK(mailbox_empty());
}

CAF_TEST(list offsets under read_committed answers the last stable offset) {
  append(batch_of(2, "plain"));
  append(txn_batch_of(3, "t"));
  replicate(5);
  self->send(p, list_offsets_atom_v,
             offsets_query{schema::offset_query::latest, no_timestamp, isolation_level::read_committed});
  consume();
  CAF_CHECK_EQUAL(require_reply<offsets_reply>().off, offset{2});
  self->send(p, list_offsets_atom_v, offsets_query{schema::offset_query::latest, no_timestamp});
  consume();
  CAF_CHECK_EQUAL(require_reply<offsets_reply>().off, offset{5});
}

CAF_TEST(state shows the last stable offset and open transactions) {
  append(batch_of(2, "plain"));
  append(txn_batch_of(3, "t"));
  replicate(5);
  auto s = state();
  CAF_MESSAGE(s);
  CAF_CHECK(s.find("last_stable_offset(2)") != std::string::npos);
  CAF_CHECK(s.find("open_transactions(1)") != std::string::npos);
  CAF_CHECK(s.find("txn from 2") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

struct follower_fixture : fixture {
  follower_fixture() : fixture(2) {}
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(partition_txn_follower_tests, follower_fixture)

CAF_TEST(a replica that does not lead refuses markers) {
  send_marker(true);
  auto r = require_reply<txn_marker_reply>();
  CAF_CHECK_EQUAL(r.error.code, errc::not_leader);
  CAF_CHECK_EQUAL(r.error.message, "orders-0 is led by node 1, not this one");
}

CAF_TEST(a follower applies the control batches it copies) {
  auto data = txn_batch_of(3, "t");
  auto marker = store::make_control_batch(pid, 0, {store::control_type::abort, 7}, timestamp_ms{0});
  store::set_base_offset(marker, offset{3});
  std::vector<std::byte> both = data;
  both.insert(both.end(), marker.begin(), marker.end());
  // A leader's batches carry its epoch.
  store::set_leader_epoch(std::span<std::byte>{both.data(), data.size()}, leader_epoch{1});
  store::set_leader_epoch(std::span<std::byte>{both.data() + data.size(), marker.size()},
                          leader_epoch{1});
  auto owner = std::make_shared<std::vector<std::byte>>(std::move(both));
  replica_data d;
  d.epoch = leader_epoch{1};
  d.high_watermark = offset{4};
  d.owner = owner;
  d.records = std::span<const std::byte>{*owner};
  self->send(p, replica_data_atom_v, d);
  consume();
  (void)require_reply<follower_position>();
  auto s = state();
  CAF_MESSAGE(s);
  CAF_CHECK(s.find("log_end(4)") != std::string::npos);
  CAF_CHECK(s.find("open_transactions(0)") != std::string::npos);
  CAF_CHECK(s.find("aborted_transactions(1)") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

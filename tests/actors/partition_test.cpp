#define CAF_SUITE actors.partition
#include "tests/actors/actor_fixture.hpp"

#include "actors/partition_actor.hpp"

using namespace sluice;
using namespace sluice::actors;
using sluice::test::batch_of;
using sluice::test::records_of;
using schema::errc;

namespace {

struct fixture : test::actor_fixture {
  partition_actor p;

  fixture() {
    partition_args args{"orders", partition_id{0}, dir / "orders-0", topic_config{},
                        std::chrono::milliseconds{0}, 16, store::system_clock_ms, std::nullopt};
    p = spawn_partition(sys, std::move(args));
    consume();
  }

  ~fixture() override { self->send_exit(p, caf::exit_reason::user_shutdown); }

  append_reply append(std::vector<std::byte> records, schema::acks acks = schema::acks::leader) {
    self->send(p, produce_atom_v, append_request{std::move(records), acks});
    consume();
    return require_reply<append_reply>();
  }

  void send_fetch(uint64_t id, int64_t from, int32_t min_bytes = 1, int32_t max_wait_ms = 0) {
    self->send(p, fetch_atom_v, partition_fetch{id, offset{from}, 1 << 20, min_bytes, max_wait_ms,
                                                false});
    consume();
  }

  fetch_reply fetch(int64_t from) {
    send_fetch(1, from);
    return require_reply<fetch_reply>();
  }

  offsets_reply list(schema::offset_query q, int64_t ts = -1) {
    self->send(p, list_offsets_atom_v, offsets_query{q, timestamp_ms{ts}});
    consume();
    return require_reply<offsets_reply>();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(partition_tests, fixture)

CAF_TEST(appended batches get consecutive offsets and fetch returns them) {
  auto a = append(batch_of(3, "a"));
  CAF_CHECK(a.error.ok());
  CAF_CHECK_EQUAL(a.base_offset, offset{0});
  CAF_CHECK_EQUAL(a.log_start_offset, offset{0});
  auto b = append(batch_of(2, "b"));
  CAF_CHECK_EQUAL(b.base_offset, offset{3});
  auto f = fetch(0);
  CAF_REQUIRE(f.error.ok());
  CAF_CHECK_EQUAL(f.high_watermark, offset{5});
  CAF_CHECK_EQUAL(f.log_start_offset, offset{0});
  auto got = records_of(f.records);
  CAF_REQUIRE_EQUAL(got.size(), 5u);
  CAF_CHECK_EQUAL(got[0].value, "a-0");
  CAF_CHECK_EQUAL(got[4].off, 4);
  CAF_CHECK_EQUAL(got[4].value, "b-1");
  // From the middle of a batch: the whole batch comes back (the consumer skips the rest).
  auto mid = records_of(fetch(4).records);
  CAF_REQUIRE_EQUAL(mid.size(), 2u);
  CAF_CHECK_EQUAL(mid[0].off, 3);
}

CAF_TEST(a fetch at log end waits and a later append completes it) {
  append(batch_of(2, "a"));
  send_fetch(7, 2, 1, 500);
  CAF_CHECK(mailbox_empty()); // parked, not answered
  self->send(p, produce_atom_v, append_request{batch_of(1, "late"), schema::acks::leader});
  consume();
  // The parked fetch is answered inside the append, before the append's own reply.
  auto f = require_reply<fetch_reply>();
  CAF_CHECK(f.error.ok());
  CAF_CHECK_EQUAL(f.high_watermark, offset{3});
  auto got = records_of(f.records);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].value, "late-0");
  CAF_CHECK_EQUAL(require_reply<append_reply>().base_offset, offset{2});
}

CAF_TEST(a parked fetch waits for min_bytes over several appends) {
  auto one = batch_of(1, "x");
  send_fetch(1, 0, static_cast<int32_t>(one.size() * 2), 500);
  append(batch_of(1, "x"));
  CAF_CHECK(mailbox_empty());
  self->send(p, produce_atom_v, append_request{batch_of(1, "y"), schema::acks::leader});
  consume();
  CAF_CHECK_EQUAL(records_of(require_reply<fetch_reply>().records).size(), 2u);
}

CAF_TEST(a fetch that times out returns nothing with the high watermark) {
  append(batch_of(4, "a"));
  send_fetch(1, 4, 1, 250);
  CAF_CHECK(mailbox_empty());
  advance_time(std::chrono::milliseconds{249});
  consume();
  CAF_CHECK(mailbox_empty());
  advance_time(std::chrono::milliseconds{1}); // the deadline
  consume();
  auto f = require_reply<fetch_reply>();
  CAF_CHECK(f.error.ok());
  CAF_CHECK(f.records.empty());
  CAF_CHECK_EQUAL(f.high_watermark, offset{4});
}

CAF_TEST(fetch_done answers a parked fetch at once) {
  send_fetch(42, 0, 1, 10'000);
  CAF_CHECK(mailbox_empty());
  self->send(p, fetch_done_atom_v, uint64_t{41}); // not ours: ignored
  consume();
  CAF_CHECK(mailbox_empty());
  self->send(p, fetch_done_atom_v, uint64_t{42});
  consume();
  auto f = require_reply<fetch_reply>();
  CAF_CHECK(f.error.ok());
  CAF_CHECK_EQUAL(f.high_watermark, offset{0});
}

CAF_TEST(acks 0 appends and answers nobody) {
  caf::anon_send(p, produce_atom_v, append_request{batch_of(3, "quiet"), schema::acks::none});
  consume();
  CAF_CHECK(mailbox_empty());
  auto got = records_of(fetch(0).records);
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  CAF_CHECK_EQUAL(got[2].value, "quiet-2");
}

CAF_TEST(fetch outside the log is offset_out_of_range with the bounds) {
  append(batch_of(2, "a"));
  auto above = fetch(3);
  CAF_CHECK_EQUAL(above.error.code, errc::offset_out_of_range);
  CAF_CHECK_EQUAL(above.high_watermark, offset{2});
  CAF_CHECK(above.records.empty());
  CAF_MESSAGE(above.error.to_string());
  CAF_CHECK_EQUAL(fetch(-1).error.code, errc::offset_out_of_range);
  // Out of range is answered at once, even with a long max_wait.
  send_fetch(1, 99, 1, 10'000);
  CAF_CHECK_EQUAL(require_reply<fetch_reply>().error.code, errc::offset_out_of_range);
}

CAF_TEST(list offsets earliest latest and by timestamp) {
  append(batch_of(3, "a", 1000)); // offsets 0-2, ts 1000-1002
  append(batch_of(2, "b", 2000)); // offsets 3-4, ts 2000-2001
  using q = schema::offset_query;
  CAF_CHECK_EQUAL(list(q::earliest).off, offset{0});
  CAF_CHECK_EQUAL(list(q::latest).off, offset{5});
  auto mid = list(q::by_timestamp, 1500);
  CAF_CHECK(mid.error.ok());
  CAF_CHECK_EQUAL(mid.off, offset{3});
  CAF_CHECK_EQUAL(mid.timestamp, timestamp_ms{2000});
  auto exact = list(q::by_timestamp, 1001);
  CAF_CHECK_EQUAL(exact.off, offset{1});
  CAF_CHECK_EQUAL(exact.timestamp, timestamp_ms{1001});
  auto first = list(q::by_timestamp, 0);
  CAF_CHECK_EQUAL(first.off, offset{0});
  auto none = list(q::by_timestamp, 5000);
  CAF_CHECK(none.error.ok());
  CAF_CHECK_EQUAL(none.off, offset{-1});
}

CAF_TEST(bad batches are refused and the partition keeps serving) {
  auto bad = batch_of(2, "bad");
  bad.back() ^= std::byte{0x01}; // inside the CRC's range
  CAF_CHECK_EQUAL(append(bad).error.code, errc::corrupt_message);
  CAF_CHECK_EQUAL(append({}).error.code, errc::invalid_request);
  CAF_CHECK_EQUAL(append(batch_of(1, "good")).base_offset, offset{0});
}

CAF_TEST(acks all needs min.insync.replicas in sync) {
  self->send_exit(p, caf::exit_reason::user_shutdown);
  consume();
  topic_config strict;
  strict.min_insync_replicas = 2;
  p = spawn_partition(sys, partition_args{"orders", partition_id{1}, dir / "orders-1", strict,
                                          std::chrono::milliseconds{0}, 16, store::system_clock_ms,
                                          std::nullopt});
  consume();
  CAF_CHECK_EQUAL(append(batch_of(1, "x"), schema::acks::all).error.code,
                  errc::not_enough_replicas);
  CAF_CHECK(append(batch_of(1, "x"), schema::acks::leader).error.ok());
}

CAF_TEST(the log survives the actor and a new one continues it) {
  append(batch_of(3, "a"));
  self->send_exit(p, caf::exit_reason::user_shutdown);
  consume();
  p = spawn_partition(sys, partition_args{"orders", partition_id{0}, dir / "orders-0",
                                          topic_config{}, std::chrono::milliseconds{0}, 16,
                                          store::system_clock_ms, std::nullopt});
  consume();
  CAF_CHECK_EQUAL(append(batch_of(1, "b")).base_offset, offset{3});
  CAF_CHECK_EQUAL(records_of(fetch(0).records).size(), 4u);
}

CAF_TEST(state names the partition and its log) {
  append(batch_of(3, "a"));
  self->send(p, state_atom_v);
  consume();
  auto s = require_reply<std::string>();
  CAF_MESSAGE(s);
  CAF_CHECK(s.find("partition orders-0") == 0);
  CAF_CHECK(s.find("log_end(3)") != std::string::npos);
}

CAF_TEST(delete_data removes the directory and stops the actor) {
  append(batch_of(1, "a"));
  CAF_REQUIRE(std::filesystem::exists(dir / "orders-0"));
  self->send(p, delete_data_atom_v);
  consume();
  CAF_CHECK(require_reply<bool>());
  CAF_CHECK(!std::filesystem::exists(dir / "orders-0"));
}

// An idempotent producer's batch (issue 9): `n` records of producer `pid` from sequence `seq`.
std::vector<std::byte> idem_batch(size_t n, int64_t pid, int16_t epoch, int32_t seq) {
  auto b = batch_of(n, "p" + std::to_string(pid) + "-" + std::to_string(seq));
  store::set_producer_fields(b, pid, epoch, seq);
  return b;
}

CAF_TEST(a retried idempotent batch is answered with its first offsets and stored once) {
  append(batch_of(2, "plain"));
  auto first = append(idem_batch(3, 77, 0, 0), schema::acks::all);
  CAF_REQUIRE(first.error.ok());
  CAF_CHECK_EQUAL(first.base_offset, offset{2});
  CAF_CHECK(append(idem_batch(3, 77, 0, 3)).error.ok());
  // The retry of the first (its answer was lost), acks=all and acks=1 alike.
  auto again = append(idem_batch(3, 77, 0, 0), schema::acks::all);
  CAF_CHECK(again.error.ok());
  CAF_CHECK_EQUAL(again.base_offset, offset{2});
  CAF_CHECK_EQUAL(append(idem_batch(3, 77, 0, 0)).base_offset, offset{2});
  CAF_CHECK_EQUAL(records_of(fetch(0).records).size(), 8u);
  self->send(p, state_atom_v);
  consume();
  auto s = require_reply<std::string>();
  CAF_MESSAGE(s);
  CAF_CHECK(s.find("producers(1)") != std::string::npos);
  CAF_CHECK(s.find("duplicates(2)") != std::string::npos);
  CAF_CHECK(s.find("epoch 0 seq 5 offset 7") != std::string::npos);
}

CAF_TEST(forged idempotent batches get one line each and change nothing) {
  CAF_REQUIRE(append(idem_batch(1, 5, 3, 0)).error.ok());
  auto gap = append(idem_batch(1, 5, 3, 7));
  CAF_CHECK_EQUAL(gap.error.code, errc::out_of_order_sequence);
  CAF_CHECK(gap.error.message.find("sequence 7 does not follow 0") != std::string::npos);
  auto stale = append(idem_batch(1, 5, 2, 1));
  CAF_CHECK_EQUAL(stale.error.code, errc::invalid_producer_epoch);
  auto bad = append(idem_batch(1, 5, -4, 1));
  CAF_CHECK_EQUAL(bad.error.code, errc::invalid_request);
  CAF_CHECK_EQUAL(records_of(fetch(0).records).size(), 1u);
  CAF_CHECK(append(idem_batch(1, 5, 3, 1)).error.ok());
}

CAF_TEST(a restarted partition still knows its producers) {
  CAF_REQUIRE(append(idem_batch(2, 9, 0, 0)).error.ok());
  self->send_exit(p, caf::exit_reason::user_shutdown);
  consume();
  p = spawn_partition(sys, partition_args{"orders", partition_id{0}, dir / "orders-0",
                                          topic_config{}, std::chrono::milliseconds{0}, 16,
                                          store::system_clock_ms, std::nullopt});
  consume();
  auto again = append(idem_batch(2, 9, 0, 0));
  CAF_CHECK(again.error.ok());
  CAF_CHECK_EQUAL(again.base_offset, offset{0});
  CAF_CHECK_EQUAL(records_of(fetch(0).records).size(), 2u);
}

CAF_TEST_FIXTURE_SCOPE_END()

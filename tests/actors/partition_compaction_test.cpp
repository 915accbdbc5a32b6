#define CAF_SUITE actors.partition_compaction
#include "tests/actors/actor_fixture.hpp"

#include "actors/log_cleaner_actor.hpp"
#include "actors/partition_actor.hpp"

#include <map>

using namespace sluice;
using namespace sluice::actors;
using schema::errc;

namespace {

std::vector<std::byte> keyed(const std::string& key, const std::string& value) {
  store::batch_builder b;
  b.add(timestamp_ms{1000}, std::string_view{key}, std::string_view{value});
  return b.finish();
}

// key -> value of its last record, and how many records were read.
std::pair<std::map<std::string, std::string>, size_t> latest(std::span<const std::byte> bytes) {
  std::map<std::string, std::string> out;
  size_t n = 0;
  for (size_t p = 0; p < bytes.size();) {
    store::bytes_view rest{bytes.data() + p, bytes.size() - p};
    auto h = store::validate_batch(rest);
    if (!h)
      CAF_FAIL("bad batch in a fetch: " << h.err().to_string());
    store::record_reader rr{rest.first(h->size_bytes())};
    store::record_view rec;
    while (rr.next(rec)) {
      out[std::string{rec.key.value_or("")}] = std::string{rec.value.value_or("")};
      ++n;
    }
    p += h->size_bytes();
  }
  return {out, n};
}

struct fixture : test::actor_fixture {
  log_cleaner_actor cleaner;
  partition_actor p;

  fixture() {
    cleaner = spawn_log_cleaner(sys, false);
    topic_config config;
    config.cleanup_policy = "compact";
    config.segment_bytes = 1024;
    config.min_cleanable_dirty_ratio = 0;
    partition_args args{"users", partition_id{0}, dir / "users-0", config,
                        std::chrono::milliseconds{0}, 16, store::system_clock_ms, std::nullopt,
                        cleaner_args{cleaner, 1000, 1 << 20}};
    p = spawn_partition(sys, std::move(args));
    consume();
  }

  ~fixture() override {
    self->send_exit(p, caf::exit_reason::user_shutdown);
    self->send_exit(cleaner, caf::exit_reason::user_shutdown);
  }

  append_reply append(std::vector<std::byte> records) {
    self->send(p, produce_atom_v, append_request{std::move(records), schema::acks::leader});
    consume();
    return require_reply<append_reply>();
  }

  fetch_reply fetch(int64_t from) {
    self->send(p, fetch_atom_v, partition_fetch{1, offset{from}, 1 << 20, 1, 0, false});
    consume();
    return require_reply<fetch_reply>();
  }

  std::string state() {
    self->send(p, state_atom_v);
    consume();
    return require_reply<std::string>();
  }

  void updates(int keys, int rounds) {
    for (int r = 0; r < rounds; ++r)
      for (int k = 0; k < keys; ++k)
        CAF_REQUIRE(append(keyed("k" + std::to_string(k), "r" + std::to_string(r))).error.ok());
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(partition_compaction_tests, fixture)

CAF_TEST(a compacted partition refuses a record without a key) {
  auto r = append(test::batch_of(1, "keyless"));
  CAF_CHECK_EQUAL(r.error.code, errc::invalid_record);
  CAF_CHECK(r.error.message.find("no key") != std::string::npos);
  CAF_CHECK(append(keyed("a", "1")).error.ok());
}

CAF_TEST(the partition cleans through the node cleaner while it keeps appending) {
  updates(5, 40);
  auto before = fetch(0);
  CAF_REQUIRE(before.error.ok());
  auto [want, total] = latest(before.records);
  CAF_CHECK_EQUAL(total, 200u);
  CAF_CHECK(state().find("cleaner(\"idle\")") != std::string::npos);
  // A tick plans the job and sends it to the cleaner; the append queued behind it is served
  // whether the cleaner ran first or not.
  self->send(p, tick_atom_v);
  self->send(p, produce_atom_v, append_request{keyed("k0", "during"), schema::acks::leader});
  consume();
  CAF_CHECK(require_reply<append_reply>().error.ok());
  auto s = state();
  CAF_CHECK(s.find("cleanings(1)") != std::string::npos);
  CAF_MESSAGE(s);
  auto after = fetch(0);
  CAF_REQUIRE(after.error.ok());
  auto [got, n] = latest(after.records);
  want["k0"] = "during";
  CAF_CHECK(got == want);
  CAF_CHECK_LESS(n, total);
  // The offsets are as they were: the last record is still at 200.
  CAF_CHECK_EQUAL(after.high_watermark, offset{201});
  // The node's cleaner reports its work.
  self->send(cleaner, state_atom_v);
  consume();
  auto cs = require_reply<std::string>();
  CAF_CHECK(cs.find("jobs(1)") != std::string::npos);
  // Nothing dirty since: the next tick sends no job (backoff, then no dirty bytes).
  advance_time(std::chrono::milliseconds{1000});
  self->send(p, tick_atom_v);
  consume();
  CAF_CHECK(state().find("cleanings(1)") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

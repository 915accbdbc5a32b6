#define CAF_SUITE actors.delay_manager
#include <caf/test/unit_test.hpp>

// Delayed delivery through a real node on CAF's deterministic test coordinator: the node's
// delay manager indexes `__delayed` (real log, real LMDB) with long-polling reads, and on its
// ticks delivers what is due to the target partition. Its clock is the fixture's `now`, moved
// by hand together with CAF's; scheduler ticks are off (group_tick_interval 0), so the manager
// ticks after each read, which the partition answers at the latest when its long poll (200 ms)
// ends.

#include "schema/fetch.hpp"
#include "schema/produce.hpp"
#include "store/delayed_format.hpp"
#include "tests/actors/node_fixture.hpp"

#include <memory>

using namespace sluice;
using namespace sluice::actors;
using namespace std::chrono_literals;
using schema::errc;
namespace dl = store::delayed;

namespace {

constexpr int64_t t0 = 1'800'000'000'000; // the fixture's wall clock at start (ms)

struct delivered {
  std::string value;
  std::string deliver_at; // the sluice.deliver-at header the record arrived with
};

struct fixture : test::node_fixture {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(t0);

  fixture() {
    configure = [clock = now](node_config& cfg) {
      cfg.offsets_partitions = 1;
      cfg.transaction_state_partitions = 1;
      cfg.delayed_partitions = 1;
      cfg.delay_clock_ms = [clock] { return *clock; };
    };
    start();
    create("t");
  }

  // Moves the delay clock and CAF's by `d`, running whatever that wakes.
  void pass(std::chrono::milliseconds d) {
    *now += d.count();
    advance_time(d);
    consume();
  }

  // A client's delayed record for t/0, sent now, due at `at`; the produce's error.
  schema::error send_delayed(const std::string& value, int64_t at, std::string target = "t") {
    auto to = dl::deliver_to_value(target, partition_id{0});
    auto at_text = std::to_string(at);
    store::record_header hs[] = {{dl::deliver_to_header, to}, {dl::deliver_at_header, at_text}};
    store::batch_builder b;
    b.add(timestamp_ms{*now}, std::nullopt, std::string_view{value}, hs);
    return produce_delayed(b.finish());
  }

  // A client's produce of `batch` to __delayed-0 (acks=all); the produce's error.
  schema::error produce_delayed(std::vector<std::byte> batch) {
    schema::produce_request req;
    req.acks = schema::acks::all;
    req.partitions.push_back({std::string{dl::topic}, partition_id{0}, std::move(batch)});
    auto r = ask<schema::produce_response>(produce_atom_v, req);
    CAF_REQUIRE_EQUAL(r.partitions.size(), 1u);
    return r.partitions[0].error;
  }

  // Every record of t/0, with its deliver-at header.
  std::vector<delivered> read_target() {
    schema::fetch_request req;
    req.max_wait_ms = 0;
    req.partitions.push_back({"t", partition_id{0}, leader_epoch{-1}, offset{0}, 1 << 20});
    auto r = ask<schema::fetch_response>(fetch_atom_v, req);
    CAF_REQUIRE_EQUAL(r.partitions.size(), 1u);
    CAF_REQUIRE(r.partitions[0].error.ok());
    std::vector<delivered> out;
    store::bytes_view bytes{r.partitions[0].records.data(), r.partitions[0].records.size()};
    std::vector<store::record_header> hs;
    while (!bytes.empty()) {
      auto h = store::validate_batch(bytes);
      CAF_REQUIRE(h);
      store::record_reader rr{bytes.first(h->size_bytes())};
      store::record_view rec;
      while (rr.next(rec)) {
        CAF_REQUIRE(store::decode_headers(rec, hs));
        delivered d{std::string{rec.value.value_or("")}, ""};
        for (auto& x : hs)
          if (x.key == dl::deliver_at_header)
            d.deliver_at = std::string{x.value};
        out.push_back(std::move(d));
      }
      bytes = bytes.subspan(h->size_bytes());
    }
    return out;
  }

  // The delay manager's line of `sluice inspect`.
  std::string manager_state() {
    self->send(node, inspect_atom_v, std::string{});
    consume();
    auto tree = require_reply<std::string>();
    auto at = tree.find("delay_manager ");
    CAF_REQUIRE(at != std::string::npos);
    return tree.substr(at, tree.find('\n', at) - at);
  }
};

std::vector<std::string> values(const std::vector<delivered>& ds) {
  std::vector<std::string> out;
  for (auto& d : ds)
    out.push_back(d.value);
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(delay_manager_tests, fixture)

CAF_TEST(a delayed record appears in its partition at its time and not before) {
  CAF_REQUIRE(send_delayed("a", t0 + 5000).ok());
  pass(200ms);
  CAF_CHECK(read_target().empty());
  pass(4600ms);
  CAF_CHECK(read_target().empty()); // 4800 ms: not yet due
  pass(200ms);
  pass(200ms); // the read that saw the clock at deliver-at, then the one after the delivery
  auto got = read_target();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].value, "a");
  CAF_CHECK_EQUAL(got[0].deliver_at, std::to_string(t0 + 5000));
  for (int i = 0; i < 20; ++i)
    pass(200ms);
  CAF_CHECK_EQUAL(read_target().size(), 1u); // once
}

CAF_TEST(records due at the same time arrive in the order they were sent) {
  for (auto v : {"x", "y", "z"})
    CAF_REQUIRE(send_delayed(v, t0 + 2000).ok());
  CAF_REQUIRE(send_delayed("early", t0 + 1500).ok());
  for (int i = 0; i < 15; ++i)
    pass(200ms);
  CAF_CHECK_EQUAL(values(read_target()), (std::vector<std::string>{"early", "x", "y", "z"}));
}

CAF_TEST(pending records survive a restart and are delivered once after it) {
  CAF_REQUIRE(send_delayed("before", t0 + 1000).ok());
  CAF_REQUIRE(send_delayed("after", t0 + 60'000).ok());
  for (int i = 0; i < 8; ++i)
    pass(200ms);
  CAF_REQUIRE_EQUAL(values(read_target()), (std::vector<std::string>{"before"}));
  restart();
  pass(200ms);
  CAF_CHECK_EQUAL(values(read_target()), (std::vector<std::string>{"before"})); // not again
  // The restarted manager indexes from its indexed-through offset on: "after" is still pending.
  CAF_CHECK(manager_state().find("pending(1)") != std::string::npos);
  *now = t0 + 59'800;
  pass(200ms);
  pass(200ms);
  CAF_CHECK_EQUAL(values(read_target()), (std::vector<std::string>{"before", "after"}));
  restart();
  for (int i = 0; i < 5; ++i)
    pass(200ms);
  CAF_CHECK_EQUAL(values(read_target()), (std::vector<std::string>{"before", "after"}));
}

CAF_TEST(an index lost with its directory is rebuilt from the log) {
  CAF_REQUIRE(send_delayed("done", t0 + 1000).ok());
  CAF_REQUIRE(send_delayed("later", t0 + 30'000).ok());
  for (int i = 0; i < 8; ++i)
    pass(200ms);
  CAF_REQUIRE_EQUAL(values(read_target()), (std::vector<std::string>{"done"}));
  self->send_exit(node, caf::exit_reason::user_shutdown);
  consume();
  std::filesystem::remove_all(dir / "data" / "delayed");
  start();
  for (int i = 0; i < 5; ++i)
    pass(200ms);
  // The log's slot and done records say "done" went out: the new index skips it.
  CAF_CHECK_EQUAL(values(read_target()), (std::vector<std::string>{"done"}));
  *now = t0 + 30'000;
  pass(200ms);
  pass(200ms);
  CAF_CHECK_EQUAL(values(read_target()), (std::vector<std::string>{"done", "later"}));
}

CAF_TEST(the broker refuses bad delayed records and control records from clients) {
  {
    auto got = send_delayed("soon", t0 + 10).code; // under the 1 s minimum delay
    CAF_CHECK_EQUAL(got, errc::invalid_request);
  }
  {
    auto got = send_delayed("far", t0 + dl::max_delay_ms + 1000).code;
    CAF_CHECK_EQUAL(got, errc::invalid_request);
  }
  store::record_header h{dl::control_header, dl::control_name(dl::control_kind::done)};
  auto v = dl::encode_control_value({dl::control_kind::done, {1, 0, 0, 0}});
  store::batch_builder b;
  b.add(timestamp_ms{*now}, std::nullopt, std::string_view{v}, {&h, 1});
  CAF_CHECK_EQUAL(produce_delayed(b.finish()).code, errc::invalid_request);
  for (int i = 0; i < 5; ++i)
    pass(200ms);
  CAF_CHECK(manager_state().find("pending(0)") != std::string::npos);
}

CAF_TEST(a record for a topic that does not exist is dropped without holding up the others) {
  CAF_REQUIRE(send_delayed("lost", t0 + 1000, "nope").ok());
  CAF_REQUIRE(send_delayed("kept", t0 + 1000).ok());
  for (int i = 0; i < 10; ++i)
    pass(200ms);
  CAF_CHECK_EQUAL(values(read_target()), (std::vector<std::string>{"kept"}));
}

CAF_TEST_FIXTURE_SCOPE_END()

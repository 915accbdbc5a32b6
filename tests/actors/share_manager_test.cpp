#define CAF_SUITE actors.share_manager
#include <caf/test/unit_test.hpp>

// Share groups through a real node on CAF's deterministic test coordinator: the node routes
// ShareFetch and ShareAcknowledge to its share manager, which persists every change with the
// group's coordinator (__consumer_offsets, real log and LMDB) and, after a restart, loads it
// back. Share fetches here never wait (max_wait_ms 0): no timer needs to fire.

#include "schema/group.hpp"
#include "schema/produce.hpp"
#include "schema/share.hpp"
#include "tests/actors/node_fixture.hpp"

using namespace sluice;
using namespace sluice::actors;
using namespace std::chrono_literals;
using schema::acknowledge_type;
using schema::errc;

namespace {

struct fixture : test::node_fixture {
  fixture() {
    configure = [](node_config& cfg) { cfg.offsets_partitions = 2; };
    start();
  }

  void produce(const std::string& topic, size_t n) {
    schema::produce_request req;
    req.acks = schema::acks::all;
    req.partitions.push_back({topic, partition_id{0}, test::batch_of(n, "v")});
    auto r = ask<schema::produce_response>(produce_atom_v, req);
    CAF_REQUIRE(r.partitions.at(0).error.ok());
  }

  schema::share_fetch_response::partition_response fetch(const std::string& member, int32_t max_records,
                                                         const std::string& topic = "t") {
    schema::share_fetch_request req{"g", member, 0, max_records, 1 << 20, {{topic, partition_id{0}}}};
    auto r = ask<schema::share_fetch_response>(share_fetch_atom_v, req);
    CAF_REQUIRE_EQUAL(r.partitions.size(), 1u);
    return r.partitions[0];
  }

  schema::error ack(const std::string& member, std::vector<schema::acknowledgement> batches) {
    schema::share_acknowledge_request req{"g", member, {{"t", partition_id{0}, std::move(batches)}}};
    auto r = ask<schema::share_acknowledge_response>(share_ack_atom_v, req);
    CAF_REQUIRE_EQUAL(r.partitions.size(), 1u);
    return r.partitions[0].error;
  }
};

schema::acknowledgement range(int64_t first, int64_t last, acknowledge_type t = acknowledge_type::accept) {
  return {offset{first}, offset{last}, t};
}

schema::acquired_records acquired(int64_t first, int64_t last, int16_t count) {
  return {offset{first}, offset{last}, count};
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(share_manager_tests, fixture)

CAF_TEST(members acquire disjoint records and get the batches holding them) {
  create("t");
  produce("t", 10);
  auto a = fetch("a", 4);
  CAF_REQUIRE(a.error.ok());
  CAF_CHECK_EQUAL(a.acquired, (std::vector{acquired(0, 3, 1)}));
  CAF_CHECK_EQUAL(test::records_of(a.records).size(), 10u); // one batch holds them all
  auto b = fetch("b", 100);
  CAF_CHECK_EQUAL(b.acquired, (std::vector{acquired(4, 9, 1)}));
  auto c = fetch("c", 100);
  CAF_CHECK(c.error.ok());
  CAF_CHECK(c.acquired.empty());
  CAF_CHECK(c.records.empty());
}

CAF_TEST(acknowledgements are checked and persisted and survive a restart) {
  create("t");
  produce("t", 10);
  {
    auto got = fetch("a", 4).acquired;
    CAF_CHECK_EQUAL(got, (std::vector{acquired(0, 3, 1)}));
  }
  {
    auto got = fetch("b", 100).acquired;
    CAF_CHECK_EQUAL(got, (std::vector{acquired(4, 9, 1)}));
  }
  {
    auto got = ack("a", {range(0, 1), range(2, 3, acknowledge_type::release)}).code;
    CAF_CHECK_EQUAL(got, errc::none);
  }
  {
    auto got = ack("a", {range(0, 0)}).code;
    CAF_CHECK_EQUAL(got, errc::invalid_record_state); // accepted already
  }
  {
    auto got = ack("a", {range(5, 5)}).code;
    CAF_CHECK_EQUAL(got, errc::invalid_record_state); // b's
  }
  {
    auto got = ack("b", {range(6, 5)}).code;
    CAF_CHECK_EQUAL(got, errc::invalid_request);
  }
  {
    auto got = ack("b", {range(4, 6), range(6, 7)}).code;
    CAF_CHECK_EQUAL(got, errc::invalid_request);
  }
  {
    auto got = ack("b", {range(9, 9, acknowledge_type::reject)}).code;
    CAF_CHECK_EQUAL(got, errc::none);
  }
  restart();
  // Accepted (0, 1) and rejected (9) records never come again; released (2, 3) and acquired
  // but unacknowledged (4..8) ones do, their delivery counts kept (one range: same count).
  auto c = fetch("c", 100);
  CAF_REQUIRE(c.error.ok());
  CAF_CHECK_EQUAL(c.acquired, (std::vector{acquired(2, 8, 2)}));
  {
    auto got = ack("b", {range(4, 4)}).code;
    CAF_CHECK_EQUAL(got, errc::invalid_record_state); // c's now
  }
  {
    auto got = ack("c", {range(2, 8)}).code;
    CAF_CHECK_EQUAL(got, errc::none);
  }
  auto d = ask<schema::describe_groups_response>(describe_groups_atom_v, schema::describe_groups_request{{"g"}});
  CAF_REQUIRE_EQUAL(d.groups.size(), 1u);
  auto& g = d.groups[0];
  CAF_CHECK(g.error.ok());
  CAF_CHECK_EQUAL(g.protocol_type, "share");
  CAF_REQUIRE_EQUAL(g.shares.size(), 1u);
  CAF_CHECK_EQUAL(g.shares[0].start, offset{10});
  CAF_CHECK_EQUAL(g.shares[0].end, offset{10});
  CAF_CHECK_EQUAL(g.shares[0].in_flight, 0);
  auto l = ask<schema::list_groups_response>(list_groups_atom_v, schema::list_groups_request{});
  CAF_REQUIRE_EQUAL(l.groups.size(), 1u);
  CAF_CHECK_EQUAL(l.groups[0].group_id, "g");
  CAF_CHECK_EQUAL(l.groups[0].protocol_type, "share");
}

CAF_TEST(the delivery count limit of the topic archives a record) {
  create("t", 1, {{"share.delivery.count.limit", "1"}});
  produce("t", 2);
  {
    auto got = fetch("a", 100).acquired;
    CAF_CHECK_EQUAL(got, (std::vector{acquired(0, 1, 1)}));
  }
  {
    auto got = ack("a", {range(0, 1, acknowledge_type::release)}).code;
    CAF_CHECK_EQUAL(got, errc::none);
  }
  CAF_CHECK(fetch("b", 100).acquired.empty()); // released at the limit: archived
}

CAF_TEST(bad share requests are refused per partition) {
  create("t");
  produce("t", 1);
  schema::share_fetch_request no_member{"g", "", 0, 10, 1 << 20, {{"t", partition_id{0}}}};
  CAF_CHECK_EQUAL(ask<schema::share_fetch_response>(share_fetch_atom_v, no_member).partitions.at(0).error.code,
                  errc::unknown_member_id);
  {
    auto got = fetch("a", 10, "nope").error.code;
    CAF_CHECK_EQUAL(got, errc::unknown_topic_or_partition);
  }
  {
    auto got = fetch("a", 10, "__consumer_offsets").error.code;
    CAF_CHECK_EQUAL(got, errc::invalid_request);
  }
  // A request that does not decode is answered with an error_response.
  self->send(node, share_fetch_atom_v, schema::envelope{schema::message_kind::share_fetch_request, {'x'}});
  consume();
  auto e = reply<schema::envelope>();
  CAF_REQUIRE(e);
  CAF_CHECK(e->kind == schema::message_kind::error_response);
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE actors.node
#include "tests/actors/actor_fixture.hpp"

#include "actors/node_actor.hpp"
#include "schema/error_response.hpp"
#include "schema/fetch.hpp"
#include "schema/inspect.hpp"
#include "schema/offsets.hpp"
#include "schema/produce.hpp"
#include "schema/topics.hpp"
#include "schema/txn_marker.hpp"

using namespace sluice;
using namespace sluice::actors;
using sluice::test::batch_of;
using sluice::test::records_of;
using schema::errc;

namespace {

struct fixture : test::actor_fixture {
  node_internal_actor node;

  fixture() { start(); }
  ~fixture() override { self->send_exit(node, caf::exit_reason::user_shutdown); }

  void start() {
    node_config cfg;
    cfg.id = node_id{1};
    cfg.data_dir = dir / "data";
    cfg.tick_interval = std::chrono::milliseconds{0};
    cfg.cleaner_own_thread = false;
    node = spawn_node(sys, cfg);
    self->send(node, ready_atom_v);
    consume();
    CAF_REQUIRE(require_reply<bool>());
  }

  void restart() {
    self->send_exit(node, caf::exit_reason::user_shutdown);
    consume();
    start();
  }

  template <class Atom>
  schema::envelope call(Atom atom, schema::envelope e) {
    self->send(node, atom, std::move(e));
    consume();
    return require_reply<schema::envelope>();
  }

  template <class Response, class Atom, class Request>
  Response ask(Atom atom, const Request& req) {
    auto r = schema::decode<Response>(call(atom, encode(req)));
    if (!r)
      CAF_FAIL("reply does not decode as expected: " << r.err().to_string());
    return *r;
  }

  void create(const std::string& name, int32_t partitions,
              std::vector<schema::create_topics_request::config> configs = {}) {
    schema::create_topics_request req;
    req.topics.push_back({name, partitions, 1, std::move(configs)});
    auto r = ask<schema::create_topics_response>(create_topics_atom_v, req);
    CAF_REQUIRE(r.topics.at(0).error.ok());
  }

  schema::produce_response::partition_response
  produce(const std::string& topic, int32_t p, std::vector<std::byte> records,
          schema::acks acks = schema::acks::leader) {
    schema::produce_request req{acks, 1000, {}};
    req.partitions.push_back({topic, partition_id{p}, std::move(records)});
    auto r = ask<schema::produce_response>(produce_atom_v, req);
    CAF_REQUIRE_EQUAL(r.partitions.size(), 1u);
    return r.partitions[0];
  }

  schema::fetch_request fetch_request(std::vector<std::pair<int32_t, int64_t>> parts,
                                      const std::string& topic = "orders", int32_t min_bytes = 1,
                                      int32_t max_wait_ms = 0) {
    schema::fetch_request req;
    req.min_bytes = min_bytes;
    req.max_wait_ms = max_wait_ms;
    for (auto [p, o] : parts)
      req.partitions.push_back({topic, partition_id{p}, leader_epoch{-1}, offset{o}, 1 << 20});
    return req;
  }

  schema::fetch_response::partition_response fetch(const std::string& topic, int32_t p,
                                                   int64_t from) {
    auto r = ask<schema::fetch_response>(fetch_atom_v, fetch_request({{p, from}}, topic));
    CAF_REQUIRE_EQUAL(r.partitions.size(), 1u);
    return r.partitions[0];
  }

  schema::error refused(schema::envelope reply) {
    auto r = schema::decode<schema::error_response>(reply);
    if (!r)
      CAF_FAIL("not an error_response: " << to_string(reply.kind));
    return r->error;
  }

  void still_serving() {
    auto r = produce("orders", 0, batch_of(1, "alive"));
    CAF_CHECK(r.error.ok());
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(node_tests, fixture)

CAF_TEST(produce and fetch through the node) {
  create("orders", 2);
  auto a = produce("orders", 1, batch_of(3, "a"));
  CAF_CHECK(a.error.ok());
  CAF_CHECK_EQUAL(a.base_offset, offset{0});
  CAF_CHECK_EQUAL(produce("orders", 1, batch_of(2, "b")).base_offset, offset{3});
  auto f = fetch("orders", 1, 0);
  CAF_CHECK(f.error.ok());
  CAF_CHECK_EQUAL(f.high_watermark, offset{5});
  CAF_CHECK_EQUAL(f.last_stable_offset, offset{5});
  CAF_CHECK_EQUAL(records_of(f.records).size(), 5u);
  schema::list_offsets_request lo;
  lo.partitions.push_back({"orders", partition_id{1}, leader_epoch{-1}, schema::offset_query::latest, no_timestamp});
  lo.partitions.push_back({"orders", partition_id{0}, leader_epoch{-1}, schema::offset_query::earliest, no_timestamp});
  auto offs = ask<schema::list_offsets_response>(list_offsets_atom_v, lo);
  CAF_CHECK_EQUAL(offs.partitions.at(0).off, offset{5});
  CAF_CHECK_EQUAL(offs.partitions.at(1).off, offset{0});
}

CAF_TEST(garbage envelopes get an error_response and the node keeps serving) {
  create("orders", 1);
  using schema::message_kind;
  auto garbage = refused(call(produce_atom_v, {message_kind::produce_request, {1, 2, 3, 4, 5, 6, 7, 8}}));
  CAF_CHECK_EQUAL(garbage.code, errc::corrupt_message);
  CAF_MESSAGE(garbage.to_string());
  CAF_CHECK_EQUAL(refused(call(fetch_atom_v, {message_kind::fetch_request, {}})).code,
                  errc::corrupt_message);
  // Valid bytes of the wrong kind for the atom.
  CAF_CHECK_EQUAL(refused(call(fetch_atom_v, encode(schema::list_topics_request{}))).code,
                  errc::invalid_request);
  CAF_CHECK_EQUAL(refused(call(list_offsets_atom_v, {message_kind::none, {}})).code,
                  errc::invalid_request);
  auto truncated = encode(schema::produce_request{schema::acks::leader, 1000,
                                                  {{"orders", partition_id{0}, batch_of(5, "t")}}});
  truncated.bytes.resize(truncated.bytes.size() / 2);
  CAF_CHECK_EQUAL(refused(call(produce_atom_v, truncated)).code, errc::corrupt_message);
  CAF_CHECK_EQUAL(refused(call(metadata_atom_v, {message_kind::metadata_request, {9}})).code,
                  errc::corrupt_message);
  still_serving();
}

CAF_TEST(unknown topics and partitions are unknown_topic_or_partition) {
  create("orders", 2);
  auto t = produce("nosuch", 0, batch_of(1, "x"));
  CAF_CHECK_EQUAL(t.error.code, errc::unknown_topic_or_partition);
  CAF_MESSAGE(t.error.to_string());
  auto p = produce("orders", 2, batch_of(1, "x"));
  CAF_CHECK_EQUAL(p.error.code, errc::unknown_topic_or_partition);
  CAF_CHECK(p.error.message.find("partition 2") != std::string::npos);
  CAF_CHECK_EQUAL(produce("orders", -1, batch_of(1, "x")).error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(fetch("nosuch", 0, 0).error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(fetch("orders", 9, 0).error.code, errc::unknown_topic_or_partition);
  still_serving();
}

CAF_TEST(one request mixes good and bad partitions) {
  create("orders", 1);
  schema::produce_request req;
  req.partitions.push_back({"orders", partition_id{0}, batch_of(2, "ok")});
  req.partitions.push_back({"nosuch", partition_id{0}, batch_of(1, "x")});
  req.partitions.push_back({"orders", partition_id{0}, batch_of(1, "ok")});
  auto r = ask<schema::produce_response>(produce_atom_v, req);
  CAF_REQUIRE_EQUAL(r.partitions.size(), 3u);
  CAF_CHECK_EQUAL(r.partitions[0].base_offset, offset{0});
  CAF_CHECK_EQUAL(r.partitions[1].error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(r.partitions[2].base_offset, offset{2});
}

CAF_TEST(a batch over max.message.bytes is record_too_large) {
  create("orders", 1, {{"max.message.bytes", "1024"}});
  auto big = produce("orders", 0, batch_of(1, "big", 1000, 2000));
  CAF_CHECK_EQUAL(big.error.code, errc::record_too_large);
  CAF_MESSAGE(big.error.to_string());
  CAF_CHECK(produce("orders", 0, batch_of(1, "small")).error.ok());
}

CAF_TEST(a batch with a bad crc is corrupt_message and nothing is stored) {
  create("orders", 1);
  auto bad = batch_of(3, "bad");
  bad[bad.size() / 2] ^= std::byte{0x40};
  auto r = produce("orders", 0, std::move(bad));
  CAF_CHECK_EQUAL(r.error.code, errc::corrupt_message);
  CAF_MESSAGE(r.error.to_string());
  CAF_CHECK_EQUAL(fetch("orders", 0, 0).high_watermark, offset{0});
  still_serving();
}

CAF_TEST(fetch outside the log is offset_out_of_range) {
  create("orders", 1);
  produce("orders", 0, batch_of(2, "a"));
  auto f = fetch("orders", 0, 99);
  CAF_CHECK_EQUAL(f.error.code, errc::offset_out_of_range);
  CAF_CHECK_EQUAL(f.high_watermark, offset{2});
  still_serving();
}

CAF_TEST(acks 0 is answered at once and the records land) {
  create("orders", 1);
  auto r = produce("orders", 0, batch_of(4, "q"), schema::acks::none);
  CAF_CHECK(r.error.ok());
  CAF_CHECK_EQUAL(r.base_offset, offset{-1});
  CAF_CHECK_EQUAL(records_of(fetch("orders", 0, 0).records).size(), 4u);
}

CAF_TEST(a multi partition fetch counts min_bytes over all partitions) {
  create("orders", 2);
  auto one = batch_of(1, "x");
  auto min_bytes = static_cast<int32_t>(one.size() * 2);
  self->send(node, fetch_atom_v, encode(fetch_request({{0, 0}, {1, 0}}, "orders", min_bytes, 10'000)));
  consume();
  CAF_CHECK(mailbox_empty());
  produce("orders", 0, batch_of(1, "x")); // half of min_bytes
  CAF_CHECK(mailbox_empty());
  // The other half on the other partition: neither partition has min_bytes alone.
  self->send(node, produce_atom_v, encode(schema::produce_request{schema::acks::leader, 1000,
                                                                  {{"orders", partition_id{1}, batch_of(1, "y")}}}));
  consume();
  std::optional<schema::fetch_response> fetched;
  int produced = 0;
  for (int i = 0; i < 2; ++i) {
    auto e = require_reply<schema::envelope>();
    if (e.kind == schema::message_kind::fetch_response)
      fetched = *schema::decode<schema::fetch_response>(e);
    else
      ++produced;
  }
  CAF_CHECK_EQUAL(produced, 1);
  CAF_REQUIRE(fetched.has_value());
  CAF_CHECK_EQUAL(records_of(fetched->partitions.at(0).records).size(), 1u);
  CAF_CHECK_EQUAL(records_of(fetched->partitions.at(1).records).size(), 1u);
}

CAF_TEST(a long poll times out empty) {
  create("orders", 2);
  self->send(node, fetch_atom_v, encode(fetch_request({{0, 0}, {1, 0}}, "orders", 1, 300)));
  consume();
  CAF_CHECK(mailbox_empty());
  advance_time(std::chrono::milliseconds{300}); // the deadline, not the node's request timeout
  consume();
  auto r = *schema::decode<schema::fetch_response>(require_reply<schema::envelope>());
  CAF_CHECK(r.partitions.at(0).error.ok());
  CAF_CHECK(r.partitions.at(1).records.empty());
  CAF_CHECK_EQUAL(r.partitions.at(1).high_watermark, offset{0});
}

CAF_TEST(inspect returns a tree naming the partitions) {
  create("orders", 2);
  create("audit", 1);
  produce("orders", 1, batch_of(3, "a"));
  self->send(node, inspect_atom_v, std::string{});
  consume();
  auto tree = require_reply<std::string>();
  CAF_MESSAGE("\n" << tree);
  CAF_CHECK(tree.find("node 1 (mailbox") == 0);
  CAF_CHECK(tree.find("\n  metadata") != std::string::npos);
  CAF_CHECK(tree.find("\n  topic orders") != std::string::npos);
  CAF_CHECK(tree.find("\n    partition orders-1 (mailbox 0): ") != std::string::npos);
  CAF_CHECK(tree.find("log_end(3)") != std::string::npos);
  CAF_CHECK(tree.find("partition audit-0") != std::string::npos);
  self->send(node, inspect_atom_v, std::string{"orders-1"});
  consume();
  auto one = require_reply<std::string>();
  CAF_CHECK_EQUAL(one.find("partition orders-1"), 0u);
  CAF_CHECK_EQUAL(one.find('\n'), std::string::npos);
}

CAF_TEST(inspect request summarises each replica and the tree) {
  create("orders", 2);
  produce("orders", 1, batch_of(3, "a"));
  auto r = ask<schema::inspect_response>(inspect_atom_v, schema::inspect_request{});
  CAF_CHECK(r.error.ok());
  CAF_CHECK_EQUAL(r.node, node_id{1});
  CAF_CHECK(r.controllers.empty()); // a single node
  CAF_CHECK(r.tree.find("node 1 (mailbox") == 0);
  CAF_CHECK(r.tree.find("partition orders-1 (mailbox") != std::string::npos);
  std::vector<schema::replica_status> orders;
  for (auto& x : r.replicas)
    if (x.topic == "orders")
      orders.push_back(x);
  CAF_REQUIRE_EQUAL(orders.size(), 2u);
  auto& p1 = orders[1];
  CAF_CHECK_EQUAL(p1.partition, partition_id{1});
  CAF_CHECK_EQUAL(p1.role, "leader");
  CAF_CHECK_EQUAL(p1.leader, node_id{1}); // the node's id, not the partition's node 0
  CAF_CHECK_EQUAL(p1.epoch, leader_epoch{0});
  CAF_CHECK(p1.isr == std::vector<node_id>{node_id{1}});
  CAF_CHECK_EQUAL(p1.log_start, offset{0});
  CAF_CHECK_EQUAL(p1.log_end, offset{3});
  CAF_CHECK_EQUAL(p1.high_watermark, offset{3});
  CAF_CHECK(p1.followers.empty());
  CAF_CHECK(p1.error.empty());
  CAF_CHECK(r.groups.empty());
  // The filter narrows the tree only.
  auto f = ask<schema::inspect_response>(inspect_atom_v, schema::inspect_request{"orders-1"});
  CAF_CHECK_EQUAL(f.tree.find("partition orders-1"), 0u);
  CAF_CHECK_EQUAL(f.replicas.size(), r.replicas.size());
  // A request that does not decode is refused, and the node goes on.
  auto bad = refused(call(inspect_atom_v, schema::envelope{schema::message_kind::inspect_request, {1, 2, 3}}));
  CAF_CHECK_EQUAL(bad.code, errc::corrupt_message);
  still_serving();
}

CAF_TEST(a deleted topic is gone and can be created afresh) {
  create("orders", 1);
  produce("orders", 0, batch_of(3, "old"));
  auto d = ask<schema::delete_topics_response>(delete_topics_atom_v,
                                               schema::delete_topics_request{{"orders"}, 1000});
  CAF_CHECK(d.topics.at(0).error.ok());
  CAF_CHECK_EQUAL(produce("orders", 0, batch_of(1, "x")).error.code, errc::unknown_topic_or_partition);
  CAF_CHECK(!std::filesystem::exists(dir / "data" / "topics" / "orders-0"));
  create("orders", 1);
  CAF_CHECK_EQUAL(produce("orders", 0, batch_of(1, "new")).base_offset, offset{0});
}

CAF_TEST(added partitions take traffic) {
  create("orders", 1);
  schema::create_partitions_request req{{{"orders", 3}}, 1000};
  auto r = ask<schema::create_partitions_response>(create_partitions_atom_v, req);
  CAF_CHECK(r.topics.at(0).error.ok());
  CAF_CHECK(produce("orders", 2, batch_of(1, "x")).error.ok());
}

CAF_TEST(a restarted node restores its topics and their data) {
  create("orders", 2);
  produce("orders", 1, batch_of(3, "kept"));
  restart();
  CAF_CHECK_EQUAL(produce("orders", 1, batch_of(1, "more")).base_offset, offset{3});
  auto got = records_of(fetch("orders", 1, 0).records);
  CAF_REQUIRE_EQUAL(got.size(), 4u);
  CAF_CHECK_EQUAL(got[0].value, "kept-0");
}

CAF_TEST(orphan partition directories are removed at start) {
  create("orders", 1);
  std::filesystem::create_directories(dir / "data" / "topics" / "ghost-0");
  std::filesystem::create_directories(dir / "data" / "topics" / "orders-5");
  restart();
  CAF_CHECK(!std::filesystem::exists(dir / "data" / "topics" / "ghost-0"));
  CAF_CHECK(!std::filesystem::exists(dir / "data" / "topics" / "orders-5"));
  CAF_CHECK(std::filesystem::exists(dir / "data" / "topics" / "orders-0"));
}


// -- filtered fetch (README "Message filtering") --------------------------------------------

namespace {

// One batch whose record i is "<prefix>-i" with tags tags[i] ("" for no headers at all).
std::vector<std::byte> tagged_batch(const std::string& prefix, std::vector<std::string> tags) {
  store::batch_builder b;
  for (size_t i = 0; i < tags.size(); ++i) {
    auto v = prefix + "-" + std::to_string(i);
    store::record_header h{"tags", tags[i]};
    b.add(timestamp_ms{1000}, std::nullopt, std::string_view{v},
          tags[i].empty() ? std::span<const store::record_header>{} : std::span{&h, 1});
  }
  return b.finish();
}

std::vector<std::string> values_of(const store::byte_buffer& bytes) {
  std::vector<std::string> out;
  for (auto& r : records_of(bytes))
    out.push_back(std::to_string(r.off) + ":" + r.value);
  return out;
}

} // namespace

CAF_TEST(a filtered fetch returns only matching records and moves past the rest) {
  create("orders", 1);
  produce("orders", 0, tagged_batch("x", {"a", "b", "a,b", "", "b"}));
  produce("orders", 0, tagged_batch("y", {"c", "c", "c"}));
  auto req = fetch_request({{0, 0}});
  req.filter = "a";
  auto r = ask<schema::fetch_response>(fetch_atom_v, req);
  auto& p = r.partitions.at(0);
  CAF_REQUIRE(p.error.ok());
  CAF_CHECK_EQUAL(values_of(p.records), (std::vector<std::string>{"0:x-0", "2:x-2"}));
  CAF_CHECK_EQUAL(p.next_fetch_offset, offset{8});
  // From the middle of the first batch, with an SQL form.
  req.partitions[0].fetch_offset = offset{2};
  req.filter = "tags IN ('b') AND NOT tags = 'a'";
  auto mid = ask<schema::fetch_response>(fetch_atom_v, req).partitions.at(0);
  CAF_CHECK_EQUAL(values_of(mid.records), (std::vector<std::string>{"4:x-4"}));
  CAF_CHECK_EQUAL(mid.next_fetch_offset, offset{8});
  // Without a filter nothing changes: whole batches, no next_fetch_offset.
  auto plain = fetch("orders", 0, 0);
  CAF_CHECK_EQUAL(records_of(plain.records).size(), 8u);
  CAF_CHECK_EQUAL(plain.next_fetch_offset, offset{-1});
}

CAF_TEST(a filtered fetch that matches nothing answers at once with the next offset) {
  create("orders", 1);
  produce("orders", 0, tagged_batch("x", {"a", "b"}));
  auto req = fetch_request({{0, 0}}, "orders", 1, 10'000);
  req.filter = "nothing";
  auto r = ask<schema::fetch_response>(fetch_atom_v, req); // not parked for 10 s
  auto& p = r.partitions.at(0);
  CAF_REQUIRE(p.error.ok());
  CAF_CHECK(p.records.empty());
  CAF_CHECK_EQUAL(p.next_fetch_offset, offset{2});
  // At the log end there is nothing to move past: no next offset.
  req.partitions[0].fetch_offset = offset{2};
  req.max_wait_ms = 0;
  auto end = ask<schema::fetch_response>(fetch_atom_v, req).partitions.at(0);
  CAF_CHECK(end.records.empty());
  CAF_CHECK_EQUAL(end.next_fetch_offset, offset{-1});
}

CAF_TEST(a filter on records without headers) {
  create("orders", 1);
  produce("orders", 0, batch_of(3, "plain"));
  auto req = fetch_request({{0, 0}});
  req.filter = "a || region = 'eu'";
  auto none = ask<schema::fetch_response>(fetch_atom_v, req).partitions.at(0);
  CAF_CHECK(none.records.empty());
  CAF_CHECK_EQUAL(none.next_fetch_offset, offset{3});
  req.filter = "tags IS NULL && !a";
  auto all = ask<schema::fetch_response>(fetch_atom_v, req).partitions.at(0);
  CAF_CHECK_EQUAL(records_of(all.records).size(), 3u);
}

CAF_TEST(a malformed filter refuses the fetch naming the position) {
  create("orders", 1);
  auto req = fetch_request({{0, 0}});
  for (auto [text, want] : {std::pair{"a && (b", "filter: position 8: expected ')'"},
                            std::pair{"a ~ b", "filter: position 3: unknown operator '~'"},
                            std::pair{"upper(r) = 'x'", "filter: position 1: unknown function 'upper'"}}) {
    req.filter = text;
    auto e = refused(call(fetch_atom_v, encode(req)));
    CAF_CHECK_EQUAL(e.code, errc::invalid_request);
    CAF_CHECK_EQUAL(e.message.rfind(want, 0), 0u);
  }
  req.filter = std::string(filter::max_expression_bytes + 1, 'a');
  auto e = refused(call(fetch_atom_v, encode(req)));
  CAF_CHECK_EQUAL(e.code, errc::invalid_request);
  CAF_CHECK(e.message.find("longer than the limit") != std::string::npos);
  still_serving();
}

CAF_TEST(a replica fetch filter is not parsed by the node) {
  // Followers copy the log whole: the node does not even parse a filter a replica's fetch
  // carries (the partition drops it too), so a malformed one is no error_response. The
  // answer here is the partition's own refusal: this single node has no follower 7.
  create("orders", 1);
  produce("orders", 0, tagged_batch("x", {"a", "b"}));
  auto req = fetch_request({{0, 0}});
  req.replica_id = node_id{7};
  req.filter = "((";
  auto r = schema::decode<schema::fetch_response>(call(fetch_atom_v, encode(req)));
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->partitions.at(0).next_fetch_offset, offset{-1});
}

// -- transactions (KIP-98) ----------------------------------------------------------------

namespace {

std::vector<std::byte> txn_batch_of(size_t n, int64_t pid) {
  store::batch_builder b;
  for (size_t i = 0; i < n; ++i)
    b.add(timestamp_ms{1000}, std::nullopt, std::string_view{"t"});
  return b.finish(pid, 0, 0, store::batch_format::attr_transactional);
}

schema::write_txn_markers_request markers(bool commit,
                                          std::vector<std::pair<std::string, int32_t>> parts,
                                          int64_t pid = 9) {
  schema::write_txn_markers_request req;
  auto& m = req.markers.emplace_back();
  m.id = producer_id{pid};
  m.epoch = producer_epoch{0};
  m.commit = commit;
  m.coordinator_epoch = 1;
  for (auto& [t, p] : parts)
    m.partitions.push_back({t, partition_id{p}});
  return req;
}

} // namespace

CAF_TEST(write txn markers end transactions in request order) {
  create("orders", 2);
  produce("orders", 0, txn_batch_of(3, 9));
  produce("orders", 1, txn_batch_of(2, 9));
  auto req = markers(false, {{"orders", 1}, {"nope", 0}, {"orders", 0}, {"orders", 5}});
  auto r = ask<schema::write_txn_markers_response>(write_txn_markers_atom_v, req);
  CAF_REQUIRE_EQUAL(r.markers.size(), 1u);
  CAF_CHECK_EQUAL(r.markers[0].id, producer_id{9});
  auto& ps = r.markers[0].partitions;
  CAF_REQUIRE_EQUAL(ps.size(), 4u);
  CAF_CHECK_EQUAL(ps[0].partition, partition_id{1});
  CAF_CHECK(ps[0].error.ok());
  CAF_CHECK_EQUAL(ps[1].topic, "nope");
  CAF_CHECK_EQUAL(ps[1].error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(ps[1].error.message, "topic 'nope' does not exist");
  CAF_CHECK(ps[2].error.ok());
  CAF_CHECK_EQUAL(ps[3].error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(ps[3].error.message, "topic 'orders' has no partition 5 (it has 2)");
  // Partition 0 now ends with the abort marker at offset 3.
  auto req_committed = fetch_request({{0, 0}});
  req_committed.isolation = schema::isolation_level::read_committed;
  auto f = ask<schema::fetch_response>(fetch_atom_v, req_committed);
  auto& p0 = f.partitions.at(0);
  CAF_CHECK_EQUAL(p0.last_stable_offset, offset{4});
  CAF_CHECK_EQUAL(p0.high_watermark, offset{4});
  CAF_REQUIRE_EQUAL(p0.aborted_transactions.size(), 1u);
  CAF_CHECK_EQUAL(p0.aborted_transactions[0].id, producer_id{9});
  CAF_CHECK_EQUAL(p0.aborted_transactions[0].first_offset, offset{0});
}

CAF_TEST(a read_committed fetch through the node stops at the last stable offset) {
  create("orders", 1);
  produce("orders", 0, batch_of(2, "plain"));
  produce("orders", 0, txn_batch_of(3, 9));
  auto req = fetch_request({{0, 0}});
  req.isolation = schema::isolation_level::read_committed;
  auto f = ask<schema::fetch_response>(fetch_atom_v, req);
  auto& p0 = f.partitions.at(0);
  CAF_CHECK_EQUAL(p0.high_watermark, offset{5});
  CAF_CHECK_EQUAL(p0.last_stable_offset, offset{2});
  CAF_CHECK_EQUAL(records_of(p0.records).size(), 2u);
  CAF_CHECK_EQUAL(fetch("orders", 0, 0).last_stable_offset, offset{2});
  schema::list_offsets_request lo;
  lo.isolation = schema::isolation_level::read_committed;
  lo.partitions.push_back({"orders", partition_id{0}, leader_epoch{-1},
                           schema::offset_query::latest, no_timestamp});
  CAF_CHECK_EQUAL(ask<schema::list_offsets_response>(list_offsets_atom_v, lo).partitions.at(0).off,
                  offset{2});
}

CAF_TEST(an undecodable write txn markers request gets an error_response) {
  using schema::message_kind;
  auto e = refused(call(write_txn_markers_atom_v, {message_kind::write_txn_markers_request, {1, 2, 3}}));
  CAF_CHECK_EQUAL(e.code, errc::corrupt_message);
  CAF_CHECK_EQUAL(refused(call(write_txn_markers_atom_v, encode(schema::list_topics_request{}))).code,
                  errc::invalid_request);
}

CAF_TEST(a control batch produced by a client is refused) {
  create("orders", 1);
  auto r = produce("orders", 0, store::make_control_batch(9, 0, {store::control_type::commit, 0},
                                                          timestamp_ms{0}));
  CAF_CHECK_EQUAL(r.error.code, errc::invalid_request);
  CAF_CHECK_EQUAL(r.error.message, "producer 9: a control batch is written only by the partition "
                                   "leader for a transaction marker, never sent by a client");
  still_serving();
}

CAF_TEST_FIXTURE_SCOPE_END()

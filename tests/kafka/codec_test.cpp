#define CAF_SUITE kafka.codec
#include <caf/test/unit_test.hpp>

#include "kafka/api.hpp"
#include "kafka/codec.hpp"
#include "kafka/consumer_protocol.hpp"
#include "kafka/record_batch.hpp"
#include "kafka/request_header.hpp"
#include "store/batch.hpp"

#include <functional>
#include <random>
#include <string>

using namespace sluice;
using namespace sluice::kafka;

namespace {

using bytes = std::vector<std::byte>;

template <class F>
bytes build(F f) {
  bytes out;
  writer w{out};
  f(w);
  return out;
}

bytes kafka_batch(int records) {
  store::batch_builder b;
  for (int i = 0; i < records; ++i)
    b.add(timestamp_ms{i}, std::nullopt, std::string_view{"v" + std::to_string(i)});
  bytes k;
  to_kafka(b.finish(), k);
  return k;
}

// Every strict prefix of a valid body must decode to an error (never a crash or an
// out-of-bounds read: run under SLUICE_SANITIZE to see that), and so must the body with a
// byte appended; random bytes must not crash.
template <class Decode>
void check_malformed(const bytes& body, Decode decode) {
  for (size_t n = 0; n < body.size(); ++n)
    if (decode(std::span{body}.first(n)).ok())
      CAF_FAIL("a prefix of " << n << " of " << body.size() << " bytes decoded");
  auto longer = body;
  longer.push_back(std::byte{0});
  CAF_CHECK(!decode(longer).ok());
  std::mt19937 rng{42};
  for (int i = 0; i < 200; ++i) {
    bytes noise(rng() % 64);
    for (auto& b : noise)
      b = std::byte(static_cast<uint8_t>(rng()));
    (void)decode(noise);
  }
}

bytes produce_body(const bytes& good, const bytes& bad, int16_t acks = -1) {
  return build([&](writer& w) {
    w.nullable_string(std::nullopt);
    w.i16(acks);
    w.i32(5000);
    w.array(1);
    w.string("t");
    w.array(2);
    w.i32(0);
    w.bytes(good);
    w.i32(1);
    w.bytes(bad);
  });
}

} // namespace

CAF_TEST(the request header is read and a short one refused) {
  auto frame = build([](writer& w) {
    w.i16(3);
    w.i16(1);
    w.i32(77);
    w.string("kcat");
    w.i32(-1);
  });
  reader r{frame};
  auto h = decode_request_header(r);
  CAF_REQUIRE(h.ok());
  CAF_CHECK_EQUAL(h->api_key, 3);
  CAF_CHECK_EQUAL(h->api_version, 1);
  CAF_CHECK_EQUAL(h->correlation_id, 77);
  CAF_CHECK_EQUAL(*h->client_id, "kcat");
  CAF_CHECK_EQUAL(r.remaining(), 4u);
  for (size_t n = 0; n < 10; ++n) {
    reader cut{std::span{frame}.first(n)};
    CAF_CHECK(!decode_request_header(cut).ok());
  }
}

CAF_TEST(a response frame starts with its size and correlation id) {
  bytes out;
  begin_response(out, 0x01020304);
  writer{out}.i16(5);
  finish_response(out);
  CAF_REQUIRE_EQUAL(out.size(), 10u);
  reader r{out};
  CAF_CHECK_EQUAL(r.i32(), 6);
  CAF_CHECK_EQUAL(r.i32(), 0x01020304);
  CAF_CHECK_EQUAL(r.i16(), 5);
}

CAF_TEST(api versions lists each served api once with record batch v2 versions) {
  bytes out;
  encode_api_versions(out, 1, code::none);
  reader r{out};
  CAF_CHECK_EQUAL(r.i16(), 0);
  auto n = r.array();
  CAF_CHECK_EQUAL(static_cast<size_t>(n), supported_apis().size());
  bool produce_v3 = false, fetch_v4 = false;
  for (int32_t i = 0; i < n; ++i) {
    auto key = r.i16(), lo = r.i16(), hi = r.i16();
    produce_v3 |= key == 0 && lo == 3 && hi == 3;
    fetch_v4 |= key == 1 && lo == 4 && hi == 4;
  }
  CAF_CHECK(produce_v3 && fetch_v4);
  CAF_CHECK_EQUAL(r.i32(), 0); // throttle time, v1+
  CAF_CHECK_EQUAL(r.remaining(), 0u);
  bytes v0;
  encode_api_versions(v0, 0, code::unsupported_version);
  CAF_CHECK_EQUAL(v0.size(), out.size() - 4);
  CAF_CHECK(!find_api(42));
  auto api_versions = find_api(18);
  CAF_REQUIRE(api_versions);
  CAF_CHECK_EQUAL(api_versions->max_version, 2);
}

CAF_TEST(sluice error codes map to kafka codes) {
  CAF_CHECK_EQUAL(to_kafka(schema::errc::none), 0);
  CAF_CHECK_EQUAL(to_kafka(schema::errc::unknown_topic_or_partition), 3);
  CAF_CHECK_EQUAL(to_kafka(schema::errc::not_leader), 6);
  CAF_CHECK_EQUAL(to_kafka(schema::errc::offset_out_of_range), 1);
  CAF_CHECK_EQUAL(to_kafka(schema::errc::rebalance_in_progress), 27);
  CAF_CHECK_EQUAL(to_kafka(schema::errc::topic_already_exists), 36);
  for (int e = 0; e <= static_cast<int>(schema::last_errc); ++e)
    CAF_CHECK_NOT_EQUAL(to_kafka(static_cast<schema::errc>(e)), code::unsupported_version);
}

CAF_TEST(metadata requests: v0 empty and v1 null ask for every topic) {
  auto empty = build([](writer& w) { w.array(0); });
  auto null = build([](writer& w) { w.null_array(); });
  auto one = build([](writer& w) {
    w.array(1);
    w.string("t");
  });
  CAF_CHECK(decode_metadata(empty, 0)->all_topics);
  CAF_CHECK(!decode_metadata(empty, 1)->all_topics);
  CAF_CHECK(decode_metadata(null, 1)->all_topics);
  auto r = decode_metadata(one, 1);
  CAF_REQUIRE(r.ok());
  CAF_CHECK(!r->all_topics);
  CAF_CHECK_EQUAL(r->topics, std::vector<std::string>{"t"});
  check_malformed(one, [](bytes_view b) { return decode_metadata(b, 1); });
}

CAF_TEST(a metadata response in v1 carries racks controller and a leaderless partition error) {
  schema::metadata_response md;
  md.brokers.push_back({node_id{1}, "h", 9092, ""});
  md.controller_id = node_id{1};
  schema::metadata_response::partition_metadata p;
  p.partition = partition_id{0};
  p.leader = node_id{-1};
  p.replicas = {node_id{1}};
  md.topics.push_back({{}, "__consumer_offsets", {p}});
  bytes out;
  encode_metadata(out, 1, md);
  reader r{out};
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.i32(), 1);
  CAF_CHECK_EQUAL(r.string(), "h");
  CAF_CHECK_EQUAL(r.i32(), 9092);
  CAF_CHECK(!r.nullable_string());
  CAF_CHECK_EQUAL(r.i32(), 1); // controller
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.i16(), 0);
  CAF_CHECK_EQUAL(r.string(), "__consumer_offsets");
  CAF_CHECK(r.boolean()); // internal
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.i16(), code::leader_not_available);
  CAF_CHECK_EQUAL(r.i32(), 0);
  CAF_CHECK_EQUAL(r.i32(), -1);
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.i32(), 1);
  CAF_CHECK_EQUAL(r.array(), 0);
  CAF_CHECK(r.ok() && r.remaining() == 0);
}

CAF_TEST(produce translates good record sets and refuses bad ones per partition) {
  auto good = kafka_batch(3);
  auto bad = good;
  bad.back() ^= std::byte{0xff};
  auto body = produce_body(good, bad);
  auto d = decode_produce(body, 3);
  CAF_REQUIRE(d.ok());
  CAF_CHECK_EQUAL(d->request.acks, schema::acks::all);
  CAF_CHECK_EQUAL(d->request.timeout_ms, 5000);
  CAF_REQUIRE_EQUAL(d->request.partitions.size(), 1u);
  CAF_CHECK(store::validate_batch(d->request.partitions[0].records).ok());
  CAF_REQUIRE_EQUAL(d->refused.size(), 1u);
  CAF_CHECK_EQUAL(d->refused[0].partition, partition_id{1});
  CAF_CHECK_EQUAL(d->refused[0].error.code, schema::errc::corrupt_message);
  check_malformed(body, [](bytes_view b) { return decode_produce(b, 3); });
  auto bad_acks = decode_produce(produce_body(good, good, 2), 3);
  CAF_REQUIRE(bad_acks.ok());
  CAF_CHECK(bad_acks->request.partitions.empty());
  CAF_CHECK_EQUAL(bad_acks->refused.size(), 2u);
}

CAF_TEST(a produce response groups partitions by topic) {
  std::vector<schema::produce_response::partition_response> ps(3);
  ps[0].topic = "a";
  ps[0].base_offset = offset{10};
  ps[1].topic = "b";
  ps[1].error = {schema::errc::not_leader, ""};
  ps[2].topic = "a";
  ps[2].partition = partition_id{1};
  bytes out;
  encode_produce(out, 3, ps);
  reader r{out};
  CAF_CHECK_EQUAL(r.array(), 2);
  CAF_CHECK_EQUAL(r.string(), "a");
  CAF_CHECK_EQUAL(r.array(), 2);
  CAF_CHECK_EQUAL(r.i32(), 0);
  CAF_CHECK_EQUAL(r.i16(), 0);
  CAF_CHECK_EQUAL(r.i64(), 10);
  CAF_CHECK_EQUAL(r.i64(), -1);
  CAF_CHECK_EQUAL(r.i32(), 1);
  r.take(2 + 8 + 8);
  CAF_CHECK_EQUAL(r.string(), "b");
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.i32(), 0);
  CAF_CHECK_EQUAL(r.i16(), code::not_leader_or_follower);
  r.take(16);
  CAF_CHECK_EQUAL(r.i32(), 0); // throttle
  CAF_CHECK(r.ok() && r.remaining() == 0);
}

CAF_TEST(fetch requests decode and responses carry kafka batches) {
  auto body = build([](writer& w) {
    w.i32(-1);
    w.i32(500);
    w.i32(1);
    w.i32(1 << 20);
    w.i8(1);
    w.array(1);
    w.string("t");
    w.array(1);
    w.i32(2);
    w.i64(40);
    w.i32(4096);
  });
  auto req = decode_fetch(body, 4);
  CAF_REQUIRE(req.ok());
  CAF_CHECK_EQUAL(req->max_wait_ms, 500);
  CAF_CHECK_EQUAL(req->isolation, schema::isolation_level::read_committed);
  CAF_REQUIRE_EQUAL(req->partitions.size(), 1u);
  CAF_CHECK_EQUAL(req->partitions[0].partition, partition_id{2});
  CAF_CHECK_EQUAL(req->partitions[0].fetch_offset, offset{40});
  CAF_CHECK_EQUAL(req->partitions[0].max_bytes, 4096);
  check_malformed(body, [](bytes_view b) { return decode_fetch(b, 4); });

  store::batch_builder b;
  b.add(timestamp_ms{5}, std::nullopt, std::string_view{"x"});
  auto batch = b.finish();
  schema::fetch_response resp;
  schema::fetch_response::partition_response p;
  p.topic = "t";
  p.partition = partition_id{2};
  p.high_watermark = offset{41};
  p.last_stable_offset = offset{41};
  p.records.assign(batch.begin(), batch.end());
  p.aborted_transactions.push_back({producer_id{7}, offset{3}});
  resp.partitions.push_back(std::move(p));
  bytes out;
  encode_fetch(out, 4, resp);
  reader r{out};
  CAF_CHECK_EQUAL(r.i32(), 0);
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.string(), "t");
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.i32(), 2);
  CAF_CHECK_EQUAL(r.i16(), 0);
  CAF_CHECK_EQUAL(r.i64(), 41);
  CAF_CHECK_EQUAL(r.i64(), 41);
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.i64(), 7);
  CAF_CHECK_EQUAL(r.i64(), 3);
  auto records = r.bytes();
  CAF_CHECK(r.ok() && r.remaining() == 0);
  bytes back;
  CAF_REQUIRE(to_sluice(records, back).ok());
  CAF_CHECK(back == batch);
}

CAF_TEST(list offsets maps -1 to latest -2 to earliest and refuses other negatives) {
  auto body_for = [](int64_t ts) {
    return build([&](writer& w) {
      w.i32(-1);
      w.array(1);
      w.string("t");
      w.array(1);
      w.i32(0);
      w.i64(ts);
    });
  };
  // Each result is held in a variable: CAF_CHECK_EQUAL binds references to its arguments.
  auto latest = decode_list_offsets(body_for(-1), 1);
  CAF_REQUIRE(latest.ok());
  CAF_CHECK_EQUAL(latest->partitions[0].query, schema::offset_query::latest);
  auto earliest = decode_list_offsets(body_for(-2), 1);
  CAF_REQUIRE(earliest.ok());
  CAF_CHECK_EQUAL(earliest->partitions[0].query, schema::offset_query::earliest);
  auto by_time = decode_list_offsets(body_for(1234), 1);
  CAF_CHECK_EQUAL(by_time->partitions[0].query, schema::offset_query::by_timestamp);
  CAF_CHECK_EQUAL(by_time->partitions[0].timestamp, timestamp_ms{1234});
  CAF_CHECK(!decode_list_offsets(body_for(-3), 1).ok());
  check_malformed(body_for(-1), [](bytes_view b) { return decode_list_offsets(b, 1); });
}

CAF_TEST(join group reads the consumer subscription and refuses other protocol types) {
  subscription sub{{"a", "b"}, {{"a", partition_id{1}}}};
  auto body_for = [&](const std::string& type, int16_t version) {
    return build([&](writer& w) {
      w.string("g");
      w.i32(10000);
      if (version >= 1)
        w.i32(60000);
      w.string("");
      w.string(type);
      w.array(2);
      w.string("range");
      w.bytes(encode_subscription(sub));
      w.string("roundrobin");
      w.bytes(encode_subscription(sub));
    });
  };
  auto req = decode_join_group(body_for("consumer", 1), 1);
  CAF_REQUIRE(req.ok());
  CAF_CHECK_EQUAL(req->group_id, "g");
  CAF_CHECK_EQUAL(req->session_timeout_ms, 10000);
  CAF_CHECK_EQUAL(req->rebalance_timeout_ms, 60000);
  CAF_CHECK_EQUAL(req->protocols, (std::vector<std::string>{"range", "roundrobin"}));
  CAF_CHECK_EQUAL(req->topics, (std::vector<std::string>{"a", "b"}));
  CAF_CHECK_EQUAL(req->owned.size(), 1u);
  auto v0 = decode_join_group(body_for("consumer", 0), 0);
  CAF_REQUIRE(v0.ok());
  CAF_CHECK_EQUAL(v0->rebalance_timeout_ms, 10000);
  auto connect = decode_join_group(body_for("connect", 0), 0);
  CAF_REQUIRE(!connect.ok());
  CAF_CHECK_EQUAL(connect.err().code, schema::errc::inconsistent_group_protocol);
  check_malformed(body_for("consumer", 1), [](bytes_view b) {
    auto r = decode_join_group(b, 1);
    // A cut inside the metadata bytes is a malformed request, not a protocol mismatch.
    return r;
  });
  schema::join_group_response resp;
  resp.generation = generation_id{4};
  resp.protocol = "range";
  resp.member_id = "m-1";
  resp.leader = "m-1";
  bytes out;
  encode_join_group(out, 1, resp);
  reader r{out};
  CAF_CHECK_EQUAL(r.i16(), 0);
  CAF_CHECK_EQUAL(r.i32(), 4);
  CAF_CHECK_EQUAL(r.string(), "range");
  CAF_CHECK_EQUAL(r.string(), coordinator_leader_id); // no client is the leader
  CAF_CHECK_EQUAL(r.string(), "m-1");
  CAF_CHECK_EQUAL(r.array(), 0);
  CAF_CHECK(r.ok() && r.remaining() == 0);
}

CAF_TEST(sync group answers with the assignment of the coordinator in the consumer protocol) {
  auto body = build([](writer& w) {
    w.string("g");
    w.i32(3);
    w.string("m-1");
    w.array(1);
    w.string("m-1");
    w.bytes(encode_assignment({{"x", partition_id{9}}}));
  });
  auto req = decode_sync_group(body, 0);
  CAF_REQUIRE(req.ok());
  CAF_CHECK_EQUAL(req->member.generation, generation_id{3});
  CAF_CHECK_EQUAL(req->member.member_id, "m-1");
  check_malformed(body, [](bytes_view b) { return decode_sync_group(b, 0); });
  schema::sync_group_response resp;
  resp.assignment = {{"a", partition_id{0}}, {"b", partition_id{1}}, {"a", partition_id{2}}};
  bytes out;
  encode_sync_group(out, 0, resp);
  reader r{out};
  CAF_CHECK_EQUAL(r.i16(), 0);
  auto assignment = decode_assignment(r.bytes());
  CAF_REQUIRE(assignment.ok());
  std::vector<schema::group_partition> expected{
    {"a", partition_id{0}}, {"a", partition_id{2}}, {"b", partition_id{1}}};
  CAF_CHECK(*assignment == expected);
}

CAF_TEST(heartbeat leave and offset requests decode and refuse truncation) {
  auto hb = build([](writer& w) {
    w.string("g");
    w.i32(2);
    w.string("m");
  });
  auto heartbeat = decode_heartbeat(hb, 0);
  CAF_REQUIRE(heartbeat.ok());
  CAF_CHECK_EQUAL(heartbeat->member.member_id, "m");
  check_malformed(hb, [](bytes_view b) { return decode_heartbeat(b, 0); });
  auto leave = build([](writer& w) {
    w.string("g");
    w.string("m");
  });
  auto left = decode_leave_group(leave, 0);
  CAF_REQUIRE(left.ok());
  CAF_CHECK_EQUAL(left->member_id, "m");
  check_malformed(leave, [](bytes_view b) { return decode_leave_group(b, 0); });
  auto commit = build([](writer& w) {
    w.string("g");
    w.i32(2);
    w.string("m");
    w.i64(-1);
    w.array(1);
    w.string("t");
    w.array(1);
    w.i32(0);
    w.i64(99);
    w.nullable_string(std::nullopt);
  });
  auto c = decode_offset_commit(commit, 2);
  CAF_REQUIRE(c.ok());
  CAF_CHECK_EQUAL(c->partitions.at(0).committed, offset{99});
  check_malformed(commit, [](bytes_view b) { return decode_offset_commit(b, 2); });
  auto fetch = build([](writer& w) {
    w.string("g");
    w.array(1);
    w.string("t");
    w.array(2);
    w.i32(0);
    w.i32(1);
  });
  auto f = decode_offset_fetch(fetch, 1);
  CAF_REQUIRE(f.ok());
  CAF_CHECK_EQUAL(f->partitions.size(), 2u);
  check_malformed(fetch, [](bytes_view b) { return decode_offset_fetch(b, 1); });
  // Partition 1 has no commit: -1, as Kafka answers.
  schema::offset_fetch_response resp;
  schema::offset_fetch_response::partition p0;
  p0.topic = "t";
  p0.committed = offset{99};
  resp.partitions.push_back(p0);
  bytes out;
  encode_offset_fetch(out, 1, *f, resp);
  reader r{out};
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.string(), "t");
  CAF_CHECK_EQUAL(r.array(), 2);
  CAF_CHECK_EQUAL(r.i32(), 0);
  CAF_CHECK_EQUAL(r.i64(), 99);
  r.string();
  CAF_CHECK_EQUAL(r.i16(), 0);
  CAF_CHECK_EQUAL(r.i32(), 1);
  CAF_CHECK_EQUAL(r.i64(), -1);
  r.string();
  CAF_CHECK_EQUAL(r.i16(), 0);
  CAF_CHECK(r.ok() && r.remaining() == 0);
}

CAF_TEST(create topics refuses manual assignments and delete topics reads names) {
  auto body = build([](writer& w) {
    w.array(2);
    w.string("auto");
    w.i32(3);
    w.i16(1);
    w.array(0);
    w.array(1);
    w.string("retention.ms");
    w.string("1000");
    w.string("manual");
    w.i32(1);
    w.i16(1);
    w.array(1);
    w.i32(0);
    w.array(1);
    w.i32(1);
    w.array(0);
    w.i32(5000);
  });
  auto d = decode_create_topics(body, 0);
  CAF_REQUIRE(d.ok());
  CAF_REQUIRE_EQUAL(d->request.topics.size(), 1u);
  CAF_CHECK_EQUAL(d->request.topics[0].partitions, 3);
  CAF_CHECK_EQUAL(d->request.topics[0].configs.size(), 1u);
  CAF_REQUIRE_EQUAL(d->refused.size(), 1u);
  CAF_CHECK_EQUAL(d->refused[0].name, "manual");
  check_malformed(body, [](bytes_view b) { return decode_create_topics(b, 0); });
  auto del = build([](writer& w) {
    w.array(1);
    w.string("x");
    w.i32(100);
  });
  auto deleted = decode_delete_topics(del, 0);
  CAF_REQUIRE(deleted.ok());
  CAF_CHECK_EQUAL(deleted->names, std::vector<std::string>{"x"});
  check_malformed(del, [](bytes_view b) { return decode_delete_topics(b, 0); });
  bytes out;
  encode_topic_results(out, 0, {{"x", {schema::errc::topic_already_exists, ""}}});
  reader r{out};
  CAF_CHECK_EQUAL(r.array(), 1);
  CAF_CHECK_EQUAL(r.string(), "x");
  CAF_CHECK_EQUAL(r.i16(), code::topic_already_exists);
}

CAF_TEST(a lying array count fails the reader instead of driving a long loop) {
  auto body = build([](writer& w) { w.i32(0x7fffffff); });
  reader r{body};
  CAF_CHECK_EQUAL(r.array(), 0);
  CAF_CHECK(!r.ok());
  auto neg = build([](writer& w) { w.i16(-5); });
  reader r2{neg};
  CAF_CHECK(!r2.nullable_string());
  CAF_CHECK(!r2.ok());
}

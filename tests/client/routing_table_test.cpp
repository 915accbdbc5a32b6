#define CAF_SUITE client.routing_table
#include <caf/test/unit_test.hpp>

#include "client/routing_table.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

using clock_type = routing_table::clock;
using kind = routing_table::route::kind;

const clock_type::time_point t0 = clock_type::time_point{} + 1h;

routing_table::options opts() { return {100ms, 300000ms}; }

schema::metadata_response::broker broker(int id) {
  return {node_id{id}, "10.0.0." + std::to_string(id), static_cast<uint16_t>(9000 + id), ""};
}

// A metadata answer naming brokers 1..3 and `topic` with the given leaders (-1: none).
schema::metadata_response answer(const std::string& topic, std::vector<int> leaders, int epoch = 0) {
  schema::metadata_response md;
  md.brokers = {broker(1), broker(2), broker(3)};
  schema::metadata_response::topic_metadata tm;
  tm.name = topic;
  for (int i = 0; i < static_cast<int>(leaders.size()); ++i) {
    auto& pm = tm.partitions.emplace_back();
    pm.partition = partition_id{i};
    pm.leader = node_id{leaders[static_cast<size_t>(i)]};
    pm.epoch = leader_epoch{epoch};
    if (pm.leader.value < 0)
      pm.error = {schema::errc::leader_not_available, "offline"};
  }
  md.topics.push_back(std::move(tm));
  return md;
}

schema::metadata_response unknown(const std::string& topic) {
  schema::metadata_response md;
  md.brokers = {broker(1)};
  schema::metadata_response::topic_metadata tm;
  tm.name = topic;
  tm.error = {schema::errc::unknown_topic_or_partition, ""};
  md.topics.push_back(std::move(tm));
  return md;
}

} // namespace

CAF_TEST(nothing tracked wants no refresh) {
  routing_table rt{opts()};
  CAF_CHECK(!rt.next_refresh());
}

CAF_TEST(a new topic waits for a refresh that is due at once) {
  routing_table rt{opts()};
  CAF_CHECK(rt.lookup("t", partition_id{0}).what == kind::wait);
  CAF_REQUIRE(rt.next_refresh());
  CAF_CHECK(*rt.next_refresh() <= t0);
  CAF_CHECK_EQUAL(rt.topics(), std::vector<std::string>{"t"});
  rt.refresh_sent(t0);
  rt.update(answer("t", {2, 3}), t0 + 1ms);
  auto r = rt.lookup("t", partition_id{1});
  CAF_REQUIRE(r.what == kind::leader);
  CAF_CHECK_EQUAL(r.leader.value, 3);
  CAF_REQUIRE(r.address != nullptr);
  CAF_CHECK_EQUAL(r.address->host, "10.0.0.3");
  CAF_CHECK_EQUAL(r.address->port, 9003);
  // Nothing wrong: the next refresh is metadata.max.age.ms after this one.
  CAF_CHECK(!rt.refresh_wanted());
  CAF_CHECK(*rt.next_refresh() == t0 + 1ms + 300000ms);
  CAF_CHECK_EQUAL(rt.leader_count(), 2u);
}

CAF_TEST(a topic tracked while a refresh is in flight is asked for right after it) {
  routing_table rt{opts()};
  rt.track("a");
  rt.refresh_sent(t0);
  rt.track("b");
  rt.update(answer("a", {1}), t0 + 1ms);
  CAF_CHECK(rt.lookup("b", partition_id{0}).what == kind::wait);
  CAF_CHECK(*rt.next_refresh() <= t0 + 1ms); // not held back by the backoff
}

CAF_TEST(an invalidated partition waits for the next answer which comes after the backoff) {
  routing_table rt{opts()};
  rt.track("t");
  rt.refresh_sent(t0);
  rt.update(answer("t", {2, 3}), t0);
  rt.refresh_sent(t0 + 10ms);
  rt.update(answer("t", {2, 3}), t0 + 11ms);
  rt.invalidate("t", partition_id{0});
  CAF_CHECK(rt.lookup("t", partition_id{0}).what == kind::wait);
  CAF_CHECK(rt.lookup("t", partition_id{1}).what == kind::leader); // the others keep going
  CAF_CHECK(rt.refresh_wanted());
  CAF_CHECK(*rt.next_refresh() == t0 + 10ms + 100ms); // retry.backoff.ms after the last attempt
  rt.refresh_sent(t0 + 110ms);
  rt.update(answer("t", {3, 3}), t0 + 111ms);
  auto r = rt.lookup("t", partition_id{0});
  CAF_REQUIRE(r.what == kind::leader);
  CAF_CHECK_EQUAL(r.leader.value, 3);
  CAF_CHECK(!rt.refresh_wanted());
}

CAF_TEST(a partition without a leader waits and keeps a refresh wanted) {
  routing_table rt{opts()};
  rt.track("t");
  rt.refresh_sent(t0);
  rt.update(answer("t", {-1, 2}), t0);
  CAF_CHECK(rt.lookup("t", partition_id{0}).what == kind::wait);
  CAF_CHECK(rt.lookup("t", partition_id{1}).what == kind::leader);
  CAF_CHECK(rt.refresh_wanted());
  CAF_CHECK(*rt.next_refresh() == t0 + 100ms);
  rt.refresh_sent(t0 + 100ms);
  rt.update(answer("t", {1, 2}, 1), t0 + 101ms);
  auto r = rt.lookup("t", partition_id{0});
  CAF_CHECK(r.what == kind::leader);
  CAF_CHECK_EQUAL(r.epoch.value, 1);
  CAF_CHECK(!rt.refresh_wanted());
}

CAF_TEST(a leader the broker list does not name is no route) {
  routing_table rt{opts()};
  rt.track("t");
  rt.refresh_sent(t0);
  auto md = answer("t", {4}); // broker 4 was fenced: not listed
  rt.update(md, t0);
  CAF_CHECK(rt.lookup("t", partition_id{0}).what == kind::wait);
  CAF_CHECK(rt.refresh_wanted());
}

CAF_TEST(a failed or lost refresh is retried after the backoff) {
  routing_table rt{opts()};
  rt.track("t");
  rt.refresh_sent(t0);
  // No answer: the topic stays asked for, and the next try waits out the backoff.
  CAF_CHECK(rt.refresh_wanted());
  CAF_CHECK(*rt.next_refresh() == t0 + 100ms);
  rt.request_refresh();
  CAF_CHECK(*rt.next_refresh() == t0 + 100ms);
}

CAF_TEST(a topic the answer leaves out is asked for again) {
  routing_table rt{opts()};
  rt.track("a");
  rt.track("b");
  rt.refresh_sent(t0);
  rt.update(answer("a", {1}), t0);
  CAF_CHECK(rt.lookup("b", partition_id{0}).what == kind::wait);
  CAF_CHECK(rt.refresh_wanted());
}

CAF_TEST(an unknown topic says so and is asked about again only while looked up) {
  routing_table rt{opts()};
  rt.track("nope");
  rt.refresh_sent(t0);
  rt.update(unknown("nope"), t0);
  CAF_CHECK(!rt.refresh_wanted()); // nobody waits for it
  CAF_CHECK(rt.lookup("nope", partition_id{0}).what == kind::unknown_topic);
  CAF_CHECK(rt.refresh_wanted()); // it may exist by now
}

CAF_TEST(partition counts only grow and a partition past them is unknown) {
  routing_table rt{opts()};
  // A plain int, not CAF_CHECK_EQUAL on *optional: GCC 12 -O2 warns (falsely) on the temporary.
  auto count = [&] { return rt.partition_count("t").value_or(-1); };
  rt.track("t");
  rt.refresh_sent(t0);
  rt.update(answer("t", {1, 2, 3}), t0);
  CAF_CHECK_EQUAL(count(), 3);
  CAF_CHECK(rt.lookup("t", partition_id{3}).what == kind::unknown_partition);
  CAF_CHECK(rt.refresh_wanted());
  rt.refresh_sent(t0 + 100ms);
  rt.update(answer("t", {1, 2}), t0 + 100ms); // a lagging broker's older answer
  CAF_CHECK_EQUAL(count(), 3);
  rt.update(answer("t", {1, 2, 3, 1}), t0 + 200ms);
  CAF_CHECK_EQUAL(count(), 4);
  CAF_CHECK(rt.lookup("t", partition_id{3}).what == kind::leader);
}

CAF_TEST(brokers are replaced by each answer that lists any) {
  routing_table rt{opts()};
  rt.track("t");
  rt.refresh_sent(t0);
  rt.update(answer("t", {1}), t0);
  CAF_CHECK_EQUAL(rt.brokers().size(), 3u);
  schema::metadata_response none;
  rt.update(none, t0 + 1ms);
  CAF_CHECK_EQUAL(rt.brokers().size(), 3u);
  rt.update(unknown("other"), t0 + 2ms);
  CAF_CHECK_EQUAL(rt.brokers().size(), 1u);
  CAF_CHECK(rt.find_broker(node_id{2}) == nullptr);
}

CAF_TEST(a wildcard host is dialled at the bootstrap host) {
  routing_table::broker b{node_id{1}, "0.0.0.0", 9292, ""};
  node_address boot{"192.168.1.5", 9000};
  CAF_CHECK_EQUAL(dial_address(b, boot).to_string(), "192.168.1.5:9292");
  b.host = "::";
  CAF_CHECK_EQUAL(dial_address(b, boot).to_string(), "192.168.1.5:9292");
  b.host = "10.0.0.2";
  CAF_CHECK_EQUAL(dial_address(b, boot).to_string(), "10.0.0.2:9292");
  b.host = "0.0.0.0";
  CAF_CHECK_EQUAL(dial_address(b, std::nullopt).to_string(), "0.0.0.0:9292");
}

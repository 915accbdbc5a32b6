#define CAF_SUITE store.delayed_format
#include <caf/test/unit_test.hpp>

#include "store/delayed_format.hpp"

#include <set>

// The delayed record's headers and the scheduler's control records (store/delayed_format.hpp),
// one rule per case.

using namespace sluice;
using namespace sluice::store;
namespace dl = store::delayed;

namespace {

std::vector<record_header> headers(std::string_view to, std::string_view at) {
  return {{dl::deliver_to_header, to}, {dl::deliver_at_header, at}};
}

std::vector<std::byte> batch_of(std::span<const record_header> hs, int64_t ts) {
  batch_builder b;
  b.add(timestamp_ms{ts}, std::nullopt, std::string_view{"v"}, hs);
  return b.finish();
}

} // namespace

CAF_TEST(a valid target parses) {
  auto hs = headers("orders.eu/3", "11000");
  auto t = dl::parse_target(hs, timestamp_ms{1000});
  CAF_REQUIRE(t);
  CAF_CHECK_EQUAL(t->topic, "orders.eu");
  CAF_CHECK_EQUAL(t->partition.value, 3);
  CAF_CHECK_EQUAL(t->deliver_at_ms, 11000);
}

CAF_TEST(the last slash splits topic and partition) {
  auto hs = headers("a/b/12", "5000");
  auto t = dl::parse_target(hs, timestamp_ms{0});
  CAF_REQUIRE(t);
  CAF_CHECK_EQUAL(t->topic, "a/b");
  CAF_CHECK_EQUAL(t->partition.value, 12);
}

CAF_TEST(a plain record is not_found) {
  std::vector<record_header> hs{{"tags", "x"}};
  auto t = dl::parse_target(hs, timestamp_ms{0});
  CAF_REQUIRE(!t);
  CAF_CHECK(t.err().code == errc::not_found);
}

CAF_TEST(malformed headers are refused with one line) {
  for (auto [to, at] : std::vector<std::pair<std::string, std::string>>{
         {"orders", "5000"}, {"orders/x", "5000"}, {"/3", "5000"}, {"orders/-1", "5000"},
         {"orders/3", "soon"}, {"orders/3", ""}}) {
    auto hs = headers(to, at);
    auto t = dl::parse_target(hs, timestamp_ms{0});
    CAF_REQUIRE(!t);
    CAF_CHECK(t.err().code == errc::invalid_argument);
    CAF_CHECK(t.err().message.find('\n') == std::string::npos);
  }
  std::vector<record_header> only_to{{dl::deliver_to_header, "orders/1"}};
  CAF_CHECK(!dl::parse_target(only_to, timestamp_ms{0}));
}

CAF_TEST(delays from 1 s to 30 days only) {
  CAF_CHECK(!dl::check_delay(1000));
  CAF_CHECK(!dl::check_delay(dl::max_delay_ms));
  CAF_CHECK(dl::check_delay(999));
  CAF_CHECK(dl::check_delay(0));
  CAF_CHECK(dl::check_delay(-5000));
  CAF_CHECK(dl::check_delay(dl::max_delay_ms + 1));
  auto hs = headers("t/0", std::to_string(1000 + 999));
  CAF_CHECK(!dl::parse_target(hs, timestamp_ms{1000}));
  auto far = headers("t/0", std::to_string(1000 + dl::max_delay_ms + 1));
  auto t = dl::parse_target(far, timestamp_ms{1000});
  CAF_REQUIRE(!t);
  CAF_CHECK(t.err().message.find("1 s to 30 days") != std::string::npos);
}

CAF_TEST(clients may not write control records or plain records) {
  auto good = headers("t/0", "5000");
  CAF_CHECK(dl::check_client_record(good, timestamp_ms{0}));
  auto forged = good;
  forged.push_back({dl::control_header, "slot"});
  CAF_CHECK(!dl::check_client_record(forged, timestamp_ms{0}));
  std::vector<record_header> plain;
  auto st = dl::check_client_record(plain, timestamp_ms{0});
  CAF_REQUIRE(!st);
  CAF_CHECK(st.err().message.find("needs") != std::string::npos);
}

CAF_TEST(check_client_batches names the first bad record) {
  auto good = headers("t/0", "5000");
  auto bad = headers("t/0", "500");
  auto bytes = batch_of(good, 0);
  auto second = batch_of(bad, 0);
  CAF_CHECK(dl::check_client_batches(bytes));
  bytes.insert(bytes.end(), second.begin(), second.end());
  auto st = dl::check_client_batches(bytes);
  CAF_REQUIRE(!st);
  CAF_CHECK(st.err().message.rfind("record 1:", 0) == 0);
  auto torn = batch_of(good, 0);
  torn.pop_back();
  CAF_CHECK(!dl::check_client_batches(torn));
}

CAF_TEST(control records round trip and refuse damage) {
  dl::control_record slot{dl::control_kind::slot, {4, 123456, 99, 10}};
  auto v = dl::encode_control_value(slot);
  CAF_CHECK_EQUAL(v.size(), 32u);
  std::vector<record_header> hs{{dl::control_header, "slot"}};
  auto back = dl::parse_control(hs, std::string_view{v});
  CAF_REQUIRE(back && *back);
  CAF_CHECK(**back == slot);
  CAF_CHECK(!dl::parse_control(hs, std::string_view{v}.substr(1)));
  std::vector<record_header> unknown{{dl::control_header, "nap"}};
  CAF_CHECK(!dl::parse_control(unknown, std::string_view{v}));
  std::vector<record_header> none;
  auto plain = dl::parse_control(none, std::nullopt);
  CAF_REQUIRE(plain);
  CAF_CHECK(!*plain);
}

CAF_TEST(partition_for is stable and in range) {
  std::set<int32_t> seen;
  for (int32_t p = 0; p < 64; ++p) {
    auto d = dl::partition_for("orders", partition_id{p}, 8);
    CAF_CHECK(d.value >= 0 && d.value < 8);
    CAF_CHECK(d == dl::partition_for("orders", partition_id{p}, 8));
    seen.insert(d.value);
  }
  CAF_CHECK(seen.size() > 4); // spread, not all on one scheduler
  CAF_CHECK_EQUAL(dl::partition_for("orders", partition_id{3}, 1).value, 0);
}

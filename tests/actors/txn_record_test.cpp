#define CAF_SUITE actors.txn_record
#include <caf/test/unit_test.hpp>

#include "actors/txn_record.hpp"
#include "actors/txn_store.hpp"
#include "tests/store/temp_dir.hpp"

#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::actors;

namespace {

txn_metadata ongoing() {
  txn_metadata m;
  m.id = producer_id{4001};
  m.epoch = producer_epoch{7};
  m.timeout_ms = 60'000;
  m.state = txn_state::ongoing;
  m.start_time = timestamp_ms{1'700'000'000'000};
  m.last_update = timestamp_ms{1'700'000'000'500};
  m.partitions = {{"orders", partition_id{0}}, {"orders", partition_id{3}}, {"payments", partition_id{1}}};
  m.group_offsets["billing"] = {{"in", partition_id{2}, offset{1200}, leader_epoch{4}, "poll-9"},
                                {"in", partition_id{5}, offset{7}, leader_epoch{-1}, ""}};
  m.group_offsets["audit"] = {{"in", partition_id{0}, offset{0}, leader_epoch{0}, "x"}};
  return m;
}

std::vector<txn_record> samples() {
  txn_metadata empty;
  empty.id = producer_id{1};
  empty.epoch = producer_epoch{0};
  empty.timeout_ms = 1;
  empty.last_update = timestamp_ms{5};
  return {{"copy-job-1", ongoing()}, {"fresh", empty}, {"gone", std::nullopt}};
}

std::optional<std::string_view> value_of(const encoded_record& e) {
  return e.value ? std::optional<std::string_view>{*e.value} : std::nullopt;
}

} // namespace

CAF_TEST(records round trip through key and value) {
  for (auto& r : samples()) {
    auto e = encode_txn_record(r);
    auto back = decode_txn_record(e.key, value_of(e));
    CAF_REQUIRE(back);
    CAF_CHECK(*back == r);
  }
}

CAF_TEST(every state round trips and parses by its wire name) {
  for (int s = 0; s <= static_cast<int>(last_txn_state); ++s) {
    auto state = static_cast<txn_state>(s);
    auto m = ongoing();
    m.state = state;
    auto back = decode_txn_metadata(encode_txn_metadata(m));
    CAF_REQUIRE(back);
    CAF_CHECK(back->state == state);
    CAF_CHECK(parse_txn_state(to_string(state)) == state);
  }
  CAF_CHECK(parse_txn_state("preparecommit") == txn_state::prepare_commit);
  CAF_CHECK(!parse_txn_state("Committed"));
  CAF_CHECK(!parse_txn_state(""));
}

CAF_TEST(records round trip through a batch) {
  auto in = samples();
  auto bytes = build_txn_batch(in, timestamp_ms{5});
  std::vector<txn_record> out;
  std::vector<int64_t> offsets;
  auto st = for_each_txn_record(bytes, [&](offset o, txn_record&& r) {
    offsets.push_back(o.value);
    out.push_back(std::move(r));
  });
  CAF_REQUIRE(st);
  CAF_CHECK(out == in);
  CAF_CHECK_EQUAL(offsets, (std::vector<int64_t>{0, 1, 2}));
}

CAF_TEST(every truncated or extended value is refused) {
  auto e = encode_txn_record(samples()[0]);
  for (size_t n = 0; n < e.value->size(); ++n)
    CAF_CHECK(!decode_txn_record(e.key, std::string_view{*e.value}.substr(0, n)));
  auto longer = *e.value + "x";
  CAF_CHECK(!decode_txn_record(e.key, std::string_view{longer}));
  for (size_t n = 0; n < e.key.size(); ++n)
    CAF_CHECK(!decode_txn_record(std::string_view{e.key}.substr(0, n), value_of(e)));
}

CAF_TEST(a value of another version or an unknown state is corrupt) {
  auto v = encode_txn_metadata(ongoing());
  auto version = v;
  version[0] = 2;
  CAF_CHECK(!decode_txn_metadata(version));
  auto state = v;
  state[1 + 8 + 2 + 4] = 7; // after version, producer id, epoch, timeout
  auto r = decode_txn_metadata(state);
  CAF_REQUIRE(!r);
  CAF_CHECK_EQUAL(r.err().code, schema::errc::corrupt_message);
}

CAF_TEST(a huge count is refused before anything is allocated) {
  auto m = ongoing();
  m.partitions.clear();
  m.group_offsets.clear();
  auto v = encode_txn_metadata(m);
  // The partition count sits just before the group count (the last four bytes).
  auto at = v.size() - 8;
  for (size_t i = 0; i < 4; ++i)
    v[at + i] = static_cast<char>(0xff);
  CAF_CHECK(!decode_txn_metadata(v));
}

CAF_TEST(a batch with a flipped byte does not replay) {
  auto bytes = build_txn_batch(samples(), timestamp_ms{5});
  bytes[bytes.size() - 3] ^= std::byte{0x40};
  auto st = for_each_txn_record(bytes, [](offset, txn_record&&) {});
  CAF_REQUIRE(!st);
  CAF_CHECK_EQUAL(st.err().code, schema::errc::corrupt_message);
}

CAF_TEST(transactional ids land where groups of the same name would) {
  for (auto id : {"a", "copy-job-1", "", "x-very-long-id-0123456789"}) {
    auto p = partition_for_transactional_id(id, 8);
    CAF_CHECK(p.value >= 0 && p.value < 8);
    CAF_CHECK_EQUAL(p, partition_for_transactional_id(id, 8));
  }
}

namespace {

int64_t applied_at(const txn_store& s, int32_t p) {
  auto a = s.applied(partition_id{p});
  CAF_REQUIRE(a);
  return a->value;
}

} // namespace

CAF_TEST(the store applies records with the applied offset and survives reopening) {
  test::temp_dir dir;
  {
    auto s = txn_store::open(dir / "transactions");
    CAF_REQUIRE(s);
    CAF_CHECK_EQUAL(applied_at(**s, 2), 0);
    auto in = samples();
    CAF_REQUIRE((*s)->apply(partition_id{2}, offset{3}, in));
    // A replay of an applied range changes nothing, even with other records.
    std::vector<txn_record> stale{{"fresh", std::nullopt}};
    CAF_REQUIRE((*s)->apply(partition_id{2}, offset{2}, stale));
    CAF_CHECK_EQUAL(applied_at(**s, 2), 3);
  }
  auto s = txn_store::open(dir / "transactions");
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(applied_at(**s, 2), 3);
  CAF_CHECK_EQUAL(applied_at(**s, 1), 0);
  auto all = (*s)->transactions();
  CAF_REQUIRE(all);
  CAF_REQUIRE_EQUAL(all->size(), 2u); // "gone" was a tombstone
  CAF_CHECK_EQUAL((*all)[0].first, "copy-job-1");
  CAF_CHECK((*all)[0].second == ongoing());
  CAF_CHECK_EQUAL((*all)[1].first, "fresh");
  std::vector<txn_record> removal{{"fresh", std::nullopt}};
  CAF_REQUIRE((*s)->apply(partition_id{2}, offset{4}, removal));
  CAF_CHECK_EQUAL((*s)->transactions()->size(), 1u);
}

#define CAF_SUITE actors.offsets_record
#include <caf/test/unit_test.hpp>

#include "actors/offsets_record.hpp"

#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::actors;

namespace {

std::vector<offsets_record> samples() {
  return {
    offset_commit_record{"billing", "orders", partition_id{3},
                         committed_offset{offset{1200}, leader_epoch{4}, timestamp_ms{1'700'000'000'000}, "poll-9"}},
    offset_commit_record{"billing", "orders", partition_id{4}, std::nullopt},
    group_metadata_record{"billing", group_metadata_value{generation_id{7}, "range"}},
    group_metadata_record{"gone", std::nullopt},
    share_state_record{"workers", "jobs", partition_id{1},
                       share_state_value{leader_epoch{3},
                                         {offset{40}, offset{46},
                                          {{offset{40}, offset{41}, schema::record_state::available, 2},
                                           {offset{42}, offset{45}, schema::record_state::acknowledged, 0}}}}},
    share_state_record{"workers", "jobs", partition_id{2}, std::nullopt},
  };
}

} // namespace

CAF_TEST(records round trip through key and value) {
  for (auto& r : samples()) {
    auto e = encode_record(r);
    auto back = decode_record(e.key, e.value ? std::optional<std::string_view>{*e.value} : std::nullopt);
    CAF_REQUIRE(back);
    CAF_CHECK(*back == r);
  }
}

CAF_TEST(records round trip through a batch) {
  auto in = samples();
  auto bytes = build_batch(in, timestamp_ms{5});
  std::vector<offsets_record> out;
  std::vector<int64_t> offsets;
  auto st = for_each_record(bytes, [&](offset o, offsets_record&& r) {
    offsets.push_back(o.value);
    out.push_back(std::move(r));
  });
  CAF_REQUIRE(st);
  CAF_CHECK(out == in);
  CAF_CHECK_EQUAL(offsets, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
}

CAF_TEST(every truncated or altered key and value is refused) {
  auto e = encode_record(samples()[0]);
  for (size_t n = 0; n < e.key.size(); ++n)
    CAF_CHECK(!decode_record(std::string_view{e.key}.substr(0, n), std::string_view{*e.value}));
  for (size_t n = 0; n < e.value->size(); ++n)
    CAF_CHECK(!decode_record(e.key, std::string_view{*e.value}.substr(0, n)));
  auto longer = *e.value + "x";
  CAF_CHECK(!decode_record(e.key, std::string_view{longer}));
  auto version = e.key;
  version[0] = 2;
  CAF_CHECK(!decode_record(version, std::string_view{*e.value}));
  auto type = e.key;
  type[1] = 9;
  auto r = decode_record(type, std::string_view{*e.value});
  CAF_REQUIRE(!r);
  CAF_CHECK_EQUAL(r.err().code, schema::errc::corrupt_message);
}

CAF_TEST(a damaged batch stops the replay with an error) {
  auto bytes = build_batch(samples(), timestamp_ms{5});
  bytes[bytes.size() - 3] ^= std::byte{0x40};
  size_t seen = 0;
  auto st = for_each_record(bytes, [&](offset, offsets_record&&) { ++seen; });
  CAF_CHECK(!st);
  CAF_CHECK_EQUAL(seen, 0u);
  auto cut = build_batch(samples(), timestamp_ms{5});
  cut.resize(cut.size() - 1);
  CAF_CHECK(!for_each_record(cut, [](offset, offsets_record&&) {}));
}

CAF_TEST(group placement is stable and spreads groups) {
  // Fixed values: placement must never change between builds, or groups lose their offsets.
  CAF_CHECK_EQUAL(partition_for_group("billing", 50).value, partition_for_group("billing", 50).value);
  auto p = partition_for_group("", 8).value;
  CAF_CHECK_EQUAL(p, static_cast<int32_t>(2166136261u % 8));
  std::vector<int> hits(8, 0);
  for (int i = 0; i < 800; ++i)
    ++hits[static_cast<size_t>(partition_for_group("group-" + std::to_string(i), 8).value)];
  for (auto h : hits)
    CAF_CHECK_GREATER(h, 50);
}

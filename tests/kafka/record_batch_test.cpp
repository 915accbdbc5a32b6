#define CAF_SUITE kafka.record_batch
#include <caf/test/unit_test.hpp>

#include "kafka/record_batch.hpp"
#include "kafka/record_batch_format.hpp"
#include "store/batch.hpp"
#include "store/crc32c.hpp"

#include <cstring>
#include <string>

using namespace sluice;
namespace kf = sluice::kafka::record_batch_format;

namespace {

std::vector<std::byte> sluice_batch(int records, int64_t producer_id = -1) {
  store::batch_builder b;
  for (int i = 0; i < records; ++i) {
    auto v = "value-" + std::to_string(i);
    b.add(timestamp_ms{1000 + i}, std::string_view{"k"}, std::string_view{v});
  }
  return b.finish(producer_id, producer_id < 0 ? -1 : 2, producer_id < 0 ? -1 : 17);
}

uint64_t be(const std::vector<std::byte>& b, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v = (v << 8) | std::to_integer<uint64_t>(b[pos + i]);
  return v;
}

std::vector<std::byte> to_kafka(const std::vector<std::byte>& s) {
  std::vector<std::byte> k;
  kafka::to_kafka(s, k);
  return k;
}

} // namespace

CAF_TEST(a sluice batch becomes a kafka v2 batch with big-endian fields at kafka positions) {
  auto s = sluice_batch(3, 0x0102030405060708);
  auto k = to_kafka(s);
  CAF_REQUIRE_EQUAL(k.size(), s.size() + 1);
  CAF_CHECK_EQUAL(kafka::kafka_size(s), k.size());
  CAF_CHECK_EQUAL(be(k, kf::base_offset_pos, 8), 0u);
  CAF_CHECK_EQUAL(be(k, kf::batch_length_pos, 4), k.size() - 12);
  CAF_CHECK_EQUAL(std::to_integer<int>(k[kf::magic_pos]), 2);
  CAF_CHECK_EQUAL(be(k, kf::last_offset_delta_pos, 4), 2u);
  CAF_CHECK_EQUAL(be(k, kf::first_timestamp_pos, 8), 1000u);
  CAF_CHECK_EQUAL(be(k, kf::max_timestamp_pos, 8), 1002u);
  CAF_CHECK_EQUAL(be(k, kf::producer_id_pos, 8), 0x0102030405060708u);
  CAF_CHECK_EQUAL(be(k, kf::producer_epoch_pos, 2), 2u);
  CAF_CHECK_EQUAL(be(k, kf::base_sequence_pos, 4), 17u);
  CAF_CHECK_EQUAL(be(k, kf::record_count_pos, 4), 3u);
  CAF_CHECK_EQUAL(be(k, kf::crc_pos, 4),
                  store::crc32c::value(k.data() + kf::crc_begin, k.size() - kf::crc_begin));
  // The records are the same bytes.
  CAF_CHECK(std::memcmp(k.data() + kf::header_size, s.data() + 60, s.size() - 60) == 0);
}

CAF_TEST(kafka to sluice and back gives the same bytes and a valid sluice CRC) {
  auto s = sluice_batch(5);
  auto two = s;
  auto second = sluice_batch(2, 9);
  two.insert(two.end(), second.begin(), second.end());
  auto k = to_kafka(two);
  std::vector<std::byte> back;
  auto st = kafka::to_sluice(k, back);
  CAF_REQUIRE(st.ok());
  CAF_CHECK(back == two);
  CAF_CHECK(store::validate_batch(back).ok());
  CAF_CHECK(store::validate_batch(std::span{back}.subspan(s.size())).ok());
}

CAF_TEST(to_sluice refuses cut short sets and leaves the output as it was) {
  auto k = to_kafka(sluice_batch(2));
  for (size_t n = 0; n < k.size(); ++n) {
    std::vector<std::byte> out{std::byte{7}};
    auto st = kafka::to_sluice(std::span{k}.first(n), out);
    CAF_CHECK(!st.ok());
    CAF_CHECK_EQUAL(out.size(), 1u);
  }
}

CAF_TEST(to_sluice refuses a CRC mismatch an old magic and compression) {
  auto k = to_kafka(sluice_batch(2));
  std::vector<std::byte> out;
  auto flipped = k;
  flipped.back() ^= std::byte{1};
  auto st = kafka::to_sluice(flipped, out);
  CAF_REQUIRE(!st.ok());
  CAF_CHECK_EQUAL(st.err().code, schema::errc::corrupt_message);
  auto magic1 = k;
  magic1[kf::magic_pos] = std::byte{1};
  st = kafka::to_sluice(magic1, out);
  CAF_REQUIRE(!st.ok());
  CAF_CHECK_EQUAL(st.err().code, schema::errc::invalid_request);
  auto gzip = k;
  gzip[kf::attributes_pos + 1] |= std::byte{1};
  auto crc = store::crc32c::value(gzip.data() + kf::crc_begin, gzip.size() - kf::crc_begin);
  for (int i = 0; i < 4; ++i)
    gzip[kf::crc_pos + i] = std::byte(static_cast<uint8_t>(crc >> (24 - 8 * i)));
  st = kafka::to_sluice(gzip, out);
  CAF_REQUIRE(!st.ok());
  CAF_CHECK_EQUAL(st.err().code, schema::errc::invalid_request);
  CAF_CHECK(out.empty());
  auto huge = k;
  huge[kf::batch_length_pos] = std::byte{0x7f};
  CAF_CHECK(!kafka::to_sluice(huge, out).ok());
  auto tiny = k;
  for (int i = 0; i < 4; ++i)
    tiny[kf::batch_length_pos + i] = std::byte{0};
  CAF_CHECK(!kafka::to_sluice(tiny, out).ok());
  CAF_CHECK(!kafka::to_sluice({}, out).ok());
}

CAF_TEST(to_kafka stops at an incomplete trailing batch) {
  auto s = sluice_batch(3);
  auto both = s;
  both.insert(both.end(), s.begin(), s.end() - 5);
  auto k = to_kafka(both);
  CAF_CHECK_EQUAL(k.size(), s.size() + 1);
  CAF_CHECK_EQUAL(kafka::kafka_size(both), s.size() + 1);
}

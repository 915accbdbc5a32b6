#define CAF_SUITE store.batch
#include <caf/test/unit_test.hpp>

#include "store/batch.hpp"
#include "store/varint.hpp"

#include <cstring>
#include <string>

using namespace sluice;
using namespace sluice::store;

namespace {

std::vector<std::byte> three_records() {
  batch_builder b;
  b.add(timestamp_ms{1000}, std::string_view{"k0"}, std::string_view{"v0"});
  b.add(timestamp_ms{990}, std::nullopt, std::string_view{"value one"});
  record_header hs[] = {{"tag", "red"}, {"trace", ""}};
  b.add(timestamp_ms{1500}, std::string_view{"k2"}, std::nullopt, hs);
  return b.finish();
}

} // namespace

CAF_TEST(header fields round trip through finish and decode_header) {
  batch_builder b;
  b.add(timestamp_ms{42}, std::nullopt, std::string_view{"x"});
  auto bytes = b.finish(7, 3, 11, 0);
  auto h = validate_batch(bytes);
  CAF_REQUIRE(h.ok());
  CAF_CHECK_EQUAL(h->base_offset, offset{0});
  CAF_CHECK_EQUAL(h->size_bytes(), bytes.size());
  CAF_CHECK_EQUAL(h->record_count, 1u);
  CAF_CHECK_EQUAL(h->last_offset_delta, 0u);
  CAF_CHECK_EQUAL(h->first_timestamp, timestamp_ms{42});
  CAF_CHECK_EQUAL(h->producer_id, 7);
  CAF_CHECK_EQUAL(h->producer_epoch, 3);
  CAF_CHECK_EQUAL(h->base_sequence, 11);
}

CAF_TEST(header layout is byte exact) {
  batch_builder b;
  b.add(timestamp_ms{0x0102030405060708}, std::nullopt, std::string_view{"v"});
  auto bytes = b.finish();
  set_base_offset(bytes, offset{0x1122334455667788});
  set_leader_epoch(bytes, leader_epoch{0x0A0B0C0D});
  auto at = [&](size_t i) { return std::to_integer<int>(bytes[i]); };
  CAF_CHECK_EQUAL(at(0), 0x88); // base_offset, little-endian
  CAF_CHECK_EQUAL(at(7), 0x11);
  CAF_CHECK_EQUAL(at(12), 0x0D); // leader_epoch
  CAF_CHECK_EQUAL(at(26), 0x08); // first_timestamp
  CAF_CHECK_EQUAL(at(33), 0x01);
  CAF_CHECK_EQUAL(at(56), 1);    // record_count
  uint32_t len;
  std::memcpy(&len, bytes.data() + 8, 4);
  CAF_CHECK_EQUAL(len + 12, bytes.size());
}

CAF_TEST(rewriting base offset and epoch keeps the CRC valid) {
  auto bytes = three_records();
  set_base_offset(bytes, offset{1000});
  set_leader_epoch(bytes, leader_epoch{9});
  auto h = validate_batch(bytes);
  CAF_REQUIRE(h.ok());
  CAF_CHECK_EQUAL(h->base_offset, offset{1000});
  CAF_CHECK_EQUAL(h->epoch, leader_epoch{9});
  CAF_CHECK_EQUAL(h->last_offset(), offset{1002});
}

CAF_TEST(records round trip with null keys tombstones and headers) {
  auto bytes = three_records();
  set_base_offset(bytes, offset{10});
  auto h = validate_batch(bytes);
  CAF_REQUIRE(h.ok());
  CAF_CHECK_EQUAL(h->max_timestamp, timestamp_ms{1500});
  record_reader r{bytes};
  record_view rec;
  CAF_REQUIRE(r.next(rec));
  CAF_CHECK_EQUAL(rec.off, offset{10});
  CAF_CHECK_EQUAL(*rec.key, "k0");
  CAF_CHECK_EQUAL(*rec.value, "v0");
  CAF_CHECK_EQUAL(rec.timestamp, timestamp_ms{1000});
  CAF_REQUIRE(r.next(rec));
  CAF_CHECK(!rec.key.has_value());
  CAF_CHECK_EQUAL(*rec.value, "value one");
  CAF_CHECK_EQUAL(rec.timestamp, timestamp_ms{990});
  CAF_REQUIRE(r.next(rec));
  CAF_CHECK_EQUAL(rec.off, offset{12});
  CAF_CHECK(!rec.value.has_value());
  CAF_CHECK_EQUAL(rec.header_count, 2u);
  CAF_CHECK(!r.next(rec));
  CAF_CHECK(!r.error_state().has_value());
}

CAF_TEST(any flipped byte in the CRC range is detected) {
  auto bytes = three_records();
  for (size_t i = batch_format::crc_begin; i < bytes.size(); ++i) {
    auto copy = bytes;
    copy[i] ^= std::byte{0x01};
    CAF_CHECK_EQUAL(validate_batch(copy).code(), errc::corrupt_batch);
  }
}

CAF_TEST(truncated batch is rejected at every length) {
  auto bytes = three_records();
  for (size_t n = 0; n < bytes.size(); ++n)
    CAF_CHECK_EQUAL(validate_batch(bytes_view{bytes.data(), n}).code(), errc::corrupt_batch);
}

CAF_TEST(impossible length fields are rejected before reading) {
  auto bytes = three_records();
  uint32_t lies[] = {0, 1, 47, batch_format::max_batch_bytes + 1, 0xFFFFFFFFu};
  for (auto lie : lies) {
    auto copy = bytes;
    std::memcpy(copy.data() + batch_format::length_pos, &lie, 4);
    CAF_CHECK_EQUAL(decode_header(copy).code(), errc::corrupt_batch);
  }
}

CAF_TEST(record reader stops on a lying varint instead of reading out of bounds) {
  auto bytes = three_records();
  // Turn the first record's length varint into a huge value.
  bytes[batch_format::header_size] = std::byte{0xFE};
  bytes[batch_format::header_size + 1] = std::byte{0x7F};
  record_reader r{bytes};
  record_view rec;
  size_t n = 0;
  while (r.next(rec))
    ++n;
  CAF_CHECK(r.error_state().has_value());
  CAF_CHECK_LESS(n, 3u);
}

CAF_TEST(varints round trip at the edges) {
  int64_t values[] = {0, 1, -1, 63, -64, 64, 127, 128, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
  for (auto v : values) {
    std::vector<std::byte> buf;
    varint::append(buf, v);
    CAF_CHECK_EQUAL(buf.size(), varint::size(v));
    const std::byte* p = buf.data();
    auto back = varint::read(p, buf.data() + buf.size());
    CAF_REQUIRE(back.has_value());
    CAF_CHECK_EQUAL(*back, v);
    const std::byte* q = buf.data();
    CAF_CHECK(!varint::read(q, buf.data() + buf.size() - 1).has_value());
  }
}

#include "kafka/record_batch.hpp"

#include "kafka/record_batch_format.hpp"
#include "kafka/wire.hpp"
#include "store/batch.hpp"
#include "store/batch_format.hpp"
#include "store/crc32c.hpp"

#include <cstring>
#include <string>

namespace sluice::kafka {

namespace kf = record_batch_format;
namespace sf = store::batch_format;

namespace {

// Both header layouts hold the same twelve fields; `field` names one by its position and size
// on each side, so each direction is one loop over this table.
struct field {
  size_t kafka_pos;
  size_t sluice_pos;
  size_t size;
};

constexpr field fields[] = {
  {kf::base_offset_pos, sf::base_offset_pos, 8},
  {kf::leader_epoch_pos, sf::leader_epoch_pos, 4},
  {kf::attributes_pos, sf::attributes_pos, 2},
  {kf::last_offset_delta_pos, sf::last_offset_delta_pos, 4},
  {kf::first_timestamp_pos, sf::first_timestamp_pos, 8},
  {kf::max_timestamp_pos, sf::max_timestamp_pos, 8},
  {kf::producer_id_pos, sf::producer_id_pos, 8},
  {kf::producer_epoch_pos, sf::producer_epoch_pos, 2},
  {kf::base_sequence_pos, sf::base_sequence_pos, 4},
  {kf::record_count_pos, sf::record_count_pos, 4},
};

// Copies `n` bytes from `from` to `to` reversing their order: big-endian <-> little-endian.
void copy_swapped(const std::byte* from, std::byte* to, size_t n) {
  for (size_t i = 0; i < n; ++i)
    to[i] = from[n - 1 - i];
}

uint32_t load_be32(const std::byte* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return bswap(v);
}

void store_be32(std::byte* p, uint32_t v) {
  v = bswap(v);
  std::memcpy(p, &v, 4);
}

schema::error refuse(schema::errc code, std::string message) {
  return {code, "kafka record batch: " + std::move(message)};
}

} // namespace

schema::status to_sluice(std::span<const std::byte> in, std::vector<std::byte>& out) {
  if (in.empty())
    return refuse(schema::errc::invalid_request, "empty record set");
  auto start = out.size();
  auto fail = [&](schema::errc code, std::string message) -> schema::status {
    out.resize(start);
    return refuse(code, std::move(message));
  };
  size_t pos = 0;
  while (pos < in.size()) {
    auto rest = in.subspan(pos);
    if (rest.size() < kf::header_size)
      return fail(schema::errc::corrupt_message, "batch header cut short ("
                                                   + std::to_string(rest.size()) + " bytes)");
    const auto* k = rest.data();
    auto length = static_cast<int32_t>(load_be32(k + kf::batch_length_pos));
    if (length < static_cast<int32_t>(kf::header_size - kf::length_field_end)
        || static_cast<uint32_t>(length) - 1 > sf::max_batch_bytes)
      return fail(schema::errc::corrupt_message,
                  "impossible batch length " + std::to_string(length));
    auto total = kf::length_field_end + static_cast<size_t>(length);
    if (total > rest.size())
      return fail(schema::errc::corrupt_message, "batch of " + std::to_string(total)
                                                   + " bytes cut short at "
                                                   + std::to_string(rest.size()));
    auto magic = static_cast<int8_t>(k[kf::magic_pos]);
    if (magic != kf::magic_v2)
      return fail(schema::errc::invalid_request,
                  "magic " + std::to_string(magic) + " (only record batch v2 is supported)");
    auto crc = store::crc32c::value(k + kf::crc_begin, total - kf::crc_begin);
    if (crc != load_be32(k + kf::crc_pos))
      return fail(schema::errc::corrupt_message, "CRC mismatch");
    auto attributes = static_cast<uint16_t>((std::to_integer<unsigned>(k[kf::attributes_pos]) << 8)
                                            | std::to_integer<unsigned>(k[kf::attributes_pos + 1]));
    if ((attributes & sf::attr_compression_mask) != 0)
      return fail(schema::errc::invalid_request,
                  "compressed batches are not supported (compression.type must be none)");
    auto records = total - kf::header_size;
    auto at = out.size();
    out.resize(at + sf::header_size + records);
    auto* s = out.data() + at;
    for (const auto& f : fields)
      copy_swapped(k + f.kafka_pos, s + f.sluice_pos, f.size);
    uint32_t sluice_length = static_cast<uint32_t>(sf::header_size - sf::length_field_end + records);
    std::memcpy(s + sf::length_pos, &sluice_length, 4);
    std::memcpy(s + sf::header_size, k + kf::header_size, records);
    uint32_t sluice_crc = store::crc32c::value(s + sf::crc_begin, sf::header_size + records - sf::crc_begin);
    std::memcpy(s + sf::crc_pos, &sluice_crc, 4);
    pos += total;
  }
  return {};
}

size_t kafka_size(std::span<const std::byte> in) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < in.size()) {
    auto h = store::decode_header(in.subspan(pos));
    if (!h || h->size_bytes() > in.size() - pos)
      break;
    n += h->size_bytes() + (kf::header_size - sf::header_size);
    pos += h->size_bytes();
  }
  return n;
}

void to_kafka(std::span<const std::byte> in, std::vector<std::byte>& out) {
  size_t pos = 0;
  while (pos < in.size()) {
    auto rest = in.subspan(pos);
    auto h = store::decode_header(rest);
    if (!h || h->size_bytes() > rest.size())
      return;
    const auto* s = rest.data();
    auto records = h->size_bytes() - sf::header_size;
    auto at = out.size();
    out.resize(at + kf::header_size + records);
    auto* k = out.data() + at;
    for (const auto& f : fields)
      copy_swapped(s + f.sluice_pos, k + f.kafka_pos, f.size);
    store_be32(k + kf::batch_length_pos,
               static_cast<uint32_t>(kf::header_size - kf::length_field_end + records));
    k[kf::magic_pos] = std::byte{kf::magic_v2};
    std::memcpy(k + kf::header_size, s + sf::header_size, records);
    store_be32(k + kf::crc_pos,
               store::crc32c::value(k + kf::crc_begin, kf::header_size + records - kf::crc_begin));
    pos += h->size_bytes();
  }
}

} // namespace sluice::kafka

#include "store/batch.hpp"

#include "store/crc32c.hpp"
#include "store/varint.hpp"

#include <cstring>
#include <string>

namespace sluice::store {

namespace bf = batch_format;

namespace {

template <class T>
T load(const std::byte* p, size_t pos) {
  T v;
  std::memcpy(&v, p + pos, sizeof(T));
  return v;
}

template <class T>
void store_at(std::byte* p, size_t pos, T v) {
  std::memcpy(p + pos, &v, sizeof(T));
}

} // namespace

result<batch_header> decode_header(bytes_view bytes) {
  if (bytes.size() < bf::header_size)
    return make_error(errc::corrupt_batch, "batch header needs " + std::to_string(bf::header_size)
                                             + " bytes, have " + std::to_string(bytes.size()));
  const auto* p = bytes.data();
  batch_header h;
  h.base_offset = offset{static_cast<int64_t>(load<uint64_t>(p, bf::base_offset_pos))};
  h.length = load<uint32_t>(p, bf::length_pos);
  h.epoch = leader_epoch{static_cast<int32_t>(load<uint32_t>(p, bf::leader_epoch_pos))};
  h.crc = load<uint32_t>(p, bf::crc_pos);
  h.attributes = load<uint16_t>(p, bf::attributes_pos);
  h.last_offset_delta = load<uint32_t>(p, bf::last_offset_delta_pos);
  h.first_timestamp = timestamp_ms{load<int64_t>(p, bf::first_timestamp_pos)};
  h.max_timestamp = timestamp_ms{load<int64_t>(p, bf::max_timestamp_pos)};
  h.producer_id = load<int64_t>(p, bf::producer_id_pos);
  h.producer_epoch = load<int16_t>(p, bf::producer_epoch_pos);
  h.base_sequence = load<int32_t>(p, bf::base_sequence_pos);
  h.record_count = load<uint32_t>(p, bf::record_count_pos);
  if (h.length < bf::header_size - bf::length_field_end || h.length > bf::max_batch_bytes)
    return make_error(errc::corrupt_batch, "batch length field " + std::to_string(h.length)
                                             + " is impossible");
  if (h.base_offset.value < 0)
    return make_error(errc::corrupt_batch,
                      "negative base offset " + std::to_string(h.base_offset.value));
  if (h.record_count == 0 || h.last_offset_delta + 1 < h.record_count)
    return make_error(errc::corrupt_batch, "batch claims " + std::to_string(h.record_count)
                                             + " records over "
                                             + std::to_string(h.last_offset_delta + 1)
                                             + " offsets");
  return h;
}

result<batch_header> validate_batch(bytes_view bytes) {
  auto h = decode_header(bytes);
  if (!h)
    return h;
  if (bytes.size() < h->size_bytes())
    return make_error(errc::corrupt_batch, "batch of " + std::to_string(h->size_bytes())
                                             + " bytes is cut short at "
                                             + std::to_string(bytes.size()));
  auto crc = crc32c::value(bytes.data() + bf::crc_begin, h->size_bytes() - bf::crc_begin);
  if (crc != h->crc)
    return make_error(errc::corrupt_batch, "batch at offset " + std::to_string(h->base_offset.value)
                                             + " has CRC mismatch");
  return h;
}

void set_base_offset(std::span<std::byte> batch, offset base) {
  store_at<uint64_t>(batch.data(), bf::base_offset_pos, static_cast<uint64_t>(base.value));
}

void set_producer_fields(std::span<std::byte> batch, int64_t producer_id, int16_t producer_epoch,
                         int32_t base_sequence, bool transactional) {
  std::byte* p = batch.data();
  auto attributes = load<uint16_t>(p, bf::attributes_pos);
  attributes = transactional ? attributes | bf::attr_transactional
                             : attributes & ~bf::attr_transactional;
  store_at<uint16_t>(p, bf::attributes_pos, static_cast<uint16_t>(attributes));
  store_at<int64_t>(p, bf::producer_id_pos, producer_id);
  store_at<int16_t>(p, bf::producer_epoch_pos, producer_epoch);
  store_at<int32_t>(p, bf::base_sequence_pos, base_sequence);
  store_at<uint32_t>(p, bf::crc_pos, crc32c::value(p + bf::crc_begin, batch.size() - bf::crc_begin));
}

void append_batch_subset(bytes_view batch, std::span<const std::string_view> kept,
                         byte_buffer& out) {
  size_t body = 0;
  for (auto r : kept)
    body += r.size();
  auto at = out.size();
  out.resize(at + bf::header_size + body);
  std::byte* p = out.data() + at;
  std::memcpy(p, batch.data(), bf::header_size);
  size_t w = bf::header_size;
  for (auto r : kept) {
    std::memcpy(p + w, r.data(), r.size());
    w += r.size();
  }
  store_at<uint32_t>(p, bf::length_pos, static_cast<uint32_t>(w - bf::length_field_end));
  store_at<uint32_t>(p, bf::record_count_pos, static_cast<uint32_t>(kept.size()));
  store_at<uint32_t>(p, bf::crc_pos, crc32c::value(p + bf::crc_begin, w - bf::crc_begin));
}

void set_leader_epoch(std::span<std::byte> batch, leader_epoch epoch) {
  store_at<uint32_t>(batch.data(), bf::leader_epoch_pos, static_cast<uint32_t>(epoch.value));
}

// --- record_reader ----------------------------------------------------------

record_reader::record_reader(bytes_view batch) {
  auto h = decode_header(batch);
  if (!h || batch.size() < h->size_bytes()) {
    err_ = h ? make_error(errc::corrupt_batch, "batch cut short") : h.err();
    return;
  }
  hdr_ = *h;
  pos_ = batch.data() + bf::header_size;
  end_ = batch.data() + h->size_bytes();
}

bool record_reader::next(record_view& out) {
  if (err_ || seen_ == hdr_.record_count)
    return false;
  auto fail = [&](const char* what) {
    err_ = make_error(errc::corrupt_batch, std::string{"record "} + std::to_string(seen_)
                                             + " of batch at offset "
                                             + std::to_string(hdr_.base_offset.value) + ": "
                                             + what);
    return false;
  };
  const std::byte* start = pos_;
  auto len = varint::read(pos_, end_);
  if (!len || *len < 0 || *len > end_ - pos_)
    return fail("bad record length");
  const std::byte* rend = pos_ + *len;
  if (pos_ == rend)
    return fail("empty record");
  ++pos_; // attributes
  auto ts_delta = varint::read(pos_, rend);
  auto off_delta = varint::read(pos_, rend);
  if (!ts_delta || !off_delta || *off_delta < 0 || *off_delta > hdr_.last_offset_delta)
    return fail("bad timestamp or offset delta");
  auto read_bytes = [&](std::optional<std::string_view>& dst) {
    auto n = varint::read(pos_, rend);
    if (!n || *n < -1 || *n > rend - pos_)
      return false;
    if (*n == -1) {
      dst.reset();
    } else {
      dst = std::string_view{reinterpret_cast<const char*>(pos_), static_cast<size_t>(*n)};
      pos_ += *n;
    }
    return true;
  };
  if (!read_bytes(out.key) || !read_bytes(out.value))
    return fail("bad key or value length");
  auto hc = varint::read(pos_, rend);
  if (!hc || *hc < 0 || *hc > rend - pos_)
    return fail("bad header count");
  out.header_count = static_cast<uint32_t>(*hc);
  out.headers_raw = std::string_view{reinterpret_cast<const char*>(pos_),
                                     static_cast<size_t>(rend - pos_)};
  out.raw = std::string_view{reinterpret_cast<const char*>(start), static_cast<size_t>(rend - start)};
  out.off = hdr_.base_offset + *off_delta;
  out.timestamp = hdr_.first_timestamp + *ts_delta;
  pos_ = rend;
  ++seen_;
  return true;
}

// --- control batches ------------------------------------------------------

namespace {

// Kafka writes control records big-endian; the batch header is little-endian.
void put_be16(std::byte* p, int16_t v) {
  auto u = static_cast<uint16_t>(v);
  p[0] = std::byte(u >> 8);
  p[1] = std::byte(u & 0xff);
}

void put_be32(std::byte* p, int32_t v) {
  auto u = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i)
    p[i] = std::byte((u >> (24 - 8 * i)) & 0xff);
}

int16_t get_be16(const char* p) {
  return static_cast<int16_t>((uint16_t(uint8_t(p[0])) << 8) | uint8_t(p[1]));
}

int32_t get_be32(const char* p) {
  uint32_t u = 0;
  for (int i = 0; i < 4; ++i)
    u = (u << 8) | uint8_t(p[i]);
  return static_cast<int32_t>(u);
}

} // namespace

std::vector<std::byte> make_control_batch(int64_t producer_id, int16_t producer_epoch,
                                          const control_record& marker, timestamp_ms ts) {
  std::byte key[bf::control_key_size];
  std::byte value[bf::control_value_size];
  put_be16(key, bf::control_key_version);
  put_be16(key + 2, static_cast<int16_t>(marker.type));
  put_be16(value, bf::control_value_version);
  put_be32(value + 2, marker.coordinator_epoch);
  batch_builder b{bf::header_size + 32};
  b.add(ts, std::string_view{reinterpret_cast<const char*>(key), sizeof key},
        std::string_view{reinterpret_cast<const char*>(value), sizeof value});
  return b.finish(producer_id, producer_epoch, -1, bf::attr_txn_control);
}

result<control_record> parse_control_batch(bytes_view batch) {
  auto h = decode_header(batch);
  if (!h)
    return h.err();
  auto bad = [&](const std::string& why) {
    return make_error(errc::corrupt_batch, "control batch at offset "
                                             + std::to_string(h->base_offset.value) + ": " + why);
  };
  if (!h->is_control())
    return bad("not a control batch");
  if (h->record_count != 1)
    return bad("holds " + std::to_string(h->record_count) + " records, not 1");
  record_reader reader{batch};
  record_view r;
  if (!reader.next(r))
    return bad(reader.error_state() ? reader.error_state()->message : "no record");
  if (!r.key || r.key->size() < bf::control_key_size)
    return bad("control record key of " + std::to_string(r.key ? r.key->size() : 0)
               + " bytes, needs " + std::to_string(bf::control_key_size));
  if (!r.value || r.value->size() < bf::control_value_size)
    return bad("end-transaction marker of " + std::to_string(r.value ? r.value->size() : 0)
               + " bytes, needs " + std::to_string(bf::control_value_size));
  auto key_version = get_be16(r.key->data());
  auto type = get_be16(r.key->data() + 2);
  auto value_version = get_be16(r.value->data());
  if (key_version < 0 || value_version < 0)
    return bad("negative control record version");
  if (type != bf::control_type_abort && type != bf::control_type_commit)
    return bad("unknown control record type " + std::to_string(type));
  return control_record{static_cast<control_type>(type), get_be32(r.value->data() + 2)};
}

// --- batch_builder ----------------------------------------------------------

batch_builder::batch_builder(size_t reserve_bytes) : reserve_bytes_(reserve_bytes) {
  buf_.reserve(reserve_bytes_);
  buf_.resize(bf::header_size);
}

void batch_builder::add(timestamp_ms ts, std::optional<std::string_view> key,
                        std::optional<std::string_view> value,
                        std::span<const record_header> headers) {
  if (count_ == 0) {
    first_ts_ = ts;
    max_ts_ = ts;
  } else if (ts > max_ts_) {
    max_ts_ = ts;
  }
  auto klen = key ? static_cast<int64_t>(key->size()) : -1;
  auto vlen = value ? static_cast<int64_t>(value->size()) : -1;
  size_t body = 1 + varint::size(ts - first_ts_) + varint::size(count_)
                + varint::size(klen) + (key ? key->size() : 0) + varint::size(vlen)
                + (value ? value->size() : 0) + varint::size(static_cast<int64_t>(headers.size()));
  for (auto& h : headers)
    body += varint::size(static_cast<int64_t>(h.key.size())) + h.key.size()
            + varint::size(static_cast<int64_t>(h.value.size())) + h.value.size();
  auto old = buf_.size();
  buf_.resize(old + varint::size(static_cast<int64_t>(body)) + body);
  std::byte* p = buf_.data() + old;
  p = varint::write(p, static_cast<int64_t>(body));
  *p++ = std::byte{0};
  p = varint::write(p, ts - first_ts_);
  p = varint::write(p, count_);
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  p = varint::write(p, klen);
  if (key)
    put(*key);
  p = varint::write(p, vlen);
  if (value)
    put(*value);
  p = varint::write(p, static_cast<int64_t>(headers.size()));
  for (auto& h : headers) {
    p = varint::write(p, static_cast<int64_t>(h.key.size()));
    put(h.key);
    p = varint::write(p, static_cast<int64_t>(h.value.size()));
    put(h.value);
  }
  ++count_;
}

std::vector<std::byte> batch_builder::finish(int64_t producer_id, int16_t producer_epoch,
                                             int32_t base_sequence, uint16_t attributes) {
  std::byte* p = buf_.data();
  store_at<uint64_t>(p, bf::base_offset_pos, 0);
  store_at<uint32_t>(p, bf::length_pos, static_cast<uint32_t>(buf_.size() - bf::length_field_end));
  store_at<uint32_t>(p, bf::leader_epoch_pos, 0);
  store_at<uint16_t>(p, bf::attributes_pos, attributes);
  store_at<uint32_t>(p, bf::last_offset_delta_pos, count_ == 0 ? 0 : count_ - 1);
  store_at<int64_t>(p, bf::first_timestamp_pos, first_ts_.value);
  store_at<int64_t>(p, bf::max_timestamp_pos, max_ts_.value);
  store_at<int64_t>(p, bf::producer_id_pos, producer_id);
  store_at<int16_t>(p, bf::producer_epoch_pos, producer_epoch);
  store_at<int32_t>(p, bf::base_sequence_pos, base_sequence);
  store_at<uint32_t>(p, bf::record_count_pos, count_);
  store_at<uint32_t>(p, bf::crc_pos, crc32c::value(p + bf::crc_begin, buf_.size() - bf::crc_begin));
  std::vector<std::byte> out;
  out.swap(buf_);
  buf_.reserve(reserve_bytes_);
  buf_.resize(bf::header_size);
  count_ = 0;
  return out;
}

bool decode_headers(const record_view& r, std::vector<record_header>& out) {
  out.clear();
  const auto* p = reinterpret_cast<const std::byte*>(r.headers_raw.data());
  const auto* end = p + r.headers_raw.size();
  auto text = [&](std::string_view& dst) {
    auto n = varint::read(p, end);
    if (!n || *n < 0 || *n > end - p)
      return false;
    dst = {reinterpret_cast<const char*>(p), static_cast<size_t>(*n)};
    p += *n;
    return true;
  };
  for (uint32_t i = 0; i < r.header_count; ++i) {
    record_header h;
    if (!text(h.key) || !text(h.value))
      return false;
    out.push_back(h);
  }
  return true;
}

} // namespace sluice::store

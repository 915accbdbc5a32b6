#include "store/producer_snapshot.hpp"

#include "store/crc32c.hpp"
#include "store/file.hpp"
#include "store/producer_snapshot_format.hpp"
#include "store/segment_format.hpp"

#include <algorithm>
#include <cstring>

namespace sluice::store {

namespace psf = producer_snapshot_format;
namespace fs = std::filesystem;

namespace {

template <class T>
void put(std::vector<std::byte>& out, T v) {
  auto at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}

// Reads from the front of the remaining bytes; false when too few are left.
struct reader {
  bytes_view in;
  template <class T>
  bool get(T& v) {
    if (in.size() < sizeof(T))
      return false;
    std::memcpy(&v, in.data(), sizeof(T));
    in = in.subspan(sizeof(T));
    return true;
  }
};

} // namespace

std::vector<std::byte> encode_producer_snapshot(const producer_state& s, offset end) {
  std::vector<std::byte> out;
  out.reserve(psf::producers_pos + s.size() * (psf::producer_head_size + 5 * psf::batch_size)
              + psf::aborted_count_size + s.aborted().size() * psf::aborted_size + psf::crc_size);
  put<uint32_t>(out, psf::magic);
  put<uint16_t>(out, psf::version);
  put<uint16_t>(out, 0);
  put<int64_t>(out, end.value);
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  for (auto& [id, e] : s.producers()) {
    put<int64_t>(out, id.value);
    put<int16_t>(out, e.epoch.value);
    put<int32_t>(out, e.coordinator_epoch);
    put<int64_t>(out, e.txn_first_offset.value);
    put<int64_t>(out, e.marker_timestamp.value);
    put<uint8_t>(out, static_cast<uint8_t>(e.batches.size()));
    for (auto& b : e.batches) {
      put<int32_t>(out, b.first_seq);
      put<int32_t>(out, b.last_seq);
      put<int64_t>(out, b.first_offset.value);
      put<int64_t>(out, b.last_offset.value);
      put<int64_t>(out, b.max_timestamp.value);
    }
  }
  put<uint32_t>(out, static_cast<uint32_t>(s.aborted().size()));
  for (auto& a : s.aborted()) {
    put<int64_t>(out, a.id.value);
    put<int64_t>(out, a.first_offset.value);
    put<int64_t>(out, a.last_offset.value);
  }
  put<uint32_t>(out, crc32c::value(out.data(), out.size()));
  return out;
}

result<producer_state> decode_producer_snapshot(bytes_view bytes, offset end) {
  auto bad = [&](const std::string& why) {
    return make_error(errc::corrupt_checkpoint, producer_snapshot_name(end) + ": " + why);
  };
  if (bytes.size() < psf::producers_pos + psf::crc_size)
    return bad("too short");
  auto body = bytes.size() - psf::crc_size;
  uint32_t crc = 0;
  std::memcpy(&crc, bytes.data() + body, sizeof crc);
  if (crc != crc32c::value(bytes.data(), body))
    return bad("CRC mismatch");
  reader r{bytes.first(body)};
  uint32_t magic = 0, count = 0;
  uint16_t version = 0, reserved = 0;
  int64_t file_end = 0;
  r.get(magic), r.get(version), r.get(reserved), r.get(file_end), r.get(count);
  if (magic != psf::magic || reserved != 0)
    return bad("bad magic or reserved field");
  if (version != psf::version)
    return bad("format version " + std::to_string(version) + ", this Sluice reads version "
               + std::to_string(psf::version));
  if (file_end != end.value)
    return bad("holds offset " + std::to_string(file_end));
  producer_state s;
  int64_t last_id = -1;
  for (uint32_t i = 0; i < count; ++i) {
    int64_t id = 0;
    int16_t epoch = 0;
    uint8_t n = 0;
    producer_entry e;
    if (!r.get(id) || !r.get(epoch) || !r.get(e.coordinator_epoch)
        || !r.get(e.txn_first_offset.value) || !r.get(e.marker_timestamp.value) || !r.get(n))
      return bad("cut short in producer " + std::to_string(i));
    if (id <= last_id || epoch < 0 || n > producer_state::batches_kept
        || e.coordinator_epoch < -1 || e.txn_first_offset.value < -1 || e.txn_first_offset >= end)
      return bad("producer " + std::to_string(id) + " breaks the format's rules");
    last_id = id;
    e.epoch = producer_epoch{epoch};
    for (uint8_t k = 0; k < n; ++k) {
      producer_batch_info b;
      if (!r.get(b.first_seq) || !r.get(b.last_seq) || !r.get(b.first_offset.value)
          || !r.get(b.last_offset.value) || !r.get(b.max_timestamp.value))
        return bad("cut short in producer " + std::to_string(id));
      if (b.first_seq < 0 || b.last_seq < 0 || b.first_offset.value < 0
          || b.last_offset < b.first_offset || b.last_offset >= end)
        return bad("a batch of producer " + std::to_string(id) + " breaks the format's rules");
      e.batches.push_back(b);
    }
    s.restore(producer_id{id}, std::move(e));
  }
  uint32_t aborted_count = 0;
  if (!r.get(aborted_count))
    return bad("cut short before the aborted transactions");
  std::vector<aborted_txn> aborted;
  for (uint32_t i = 0; i < aborted_count; ++i) {
    aborted_txn a;
    if (!r.get(a.id.value) || !r.get(a.first_offset.value) || !r.get(a.last_offset.value))
      return bad("cut short in aborted transaction " + std::to_string(i));
    if (a.id.value < 0 || a.first_offset.value < 0 || a.last_offset < a.first_offset
        || a.last_offset >= end || (!aborted.empty() && a.last_offset <= aborted.back().last_offset))
      return bad("aborted transaction " + std::to_string(i) + " breaks the format's rules");
    aborted.push_back(a);
  }
  s.restore_aborted(std::move(aborted));
  if (!r.in.empty())
    return bad(std::to_string(r.in.size()) + " bytes after the last producer");
  return s;
}

std::string producer_snapshot_name(offset end) {
  return segment_format::file_stem(end.value) + std::string{psf::suffix};
}

result<std::vector<offset>> list_producer_snapshots(const fs::path& dir) {
  std::vector<offset> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    auto parsed = segment_format::parse_file_name(it->path().filename().string());
    if (parsed && parsed->kind == segment_format::file_kind::producer_snapshot)
      out.push_back(offset{parsed->base_offset});
  }
  if (ec)
    return make_error(errc::io_error, "list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

status write_producer_snapshot(const fs::path& dir, const producer_state& s, offset end) {
  return write_file_atomic(dir / producer_snapshot_name(end), encode_producer_snapshot(s, end));
}

result<producer_state> read_producer_snapshot(const fs::path& dir, offset end) {
  auto bytes = read_whole_file(dir / producer_snapshot_name(end));
  if (!bytes)
    return bytes.err();
  return decode_producer_snapshot(*bytes, end);
}

status remove_producer_snapshot(const fs::path& dir, offset end) {
  std::error_code ec;
  fs::remove(dir / producer_snapshot_name(end), ec);
  if (ec)
    return make_error(errc::io_error, "remove " + (dir / producer_snapshot_name(end)).string() + ": "
                                        + ec.message());
  return {};
}

} // namespace sluice::store

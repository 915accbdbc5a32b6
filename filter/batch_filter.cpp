#include "filter/batch_filter.hpp"

#include "store/crc32c.hpp"

#include <cstring>

namespace sluice::filter {

namespace bf = store::batch_format;

namespace {

template <class T>
void store_at(std::byte* p, size_t pos, T v) {
  std::memcpy(p + pos, &v, sizeof(T));
}

} // namespace

store::result<filter_scan> filter_batches(store::bytes_view in, offset from, const filter_expr& f,
                                          store::byte_buffer& out) {
  filter_scan scan;
  std::vector<store::record_header> headers;
  std::vector<std::string_view> kept;
  size_t pos = 0;
  while (pos < in.size()) {
    auto rest = in.subspan(pos);
    auto h = store::decode_header(rest);
    if (!h || h->size_bytes() > rest.size())
      break; // a partial tail: the next fetch starts at it
    auto batch = rest.first(h->size_bytes());
    pos += h->size_bytes();
    scan.next = h->next_offset();
    if (h->last_offset() < from)
      continue;
    kept.clear();
    store::record_reader reader{batch};
    store::record_view rv;
    uint32_t records = 0;
    while (reader.next(rv)) {
      ++records;
      if (rv.off < from)
        continue;
      ++scan.scanned;
      if (store::decode_headers(rv, headers) && matches(f, headers))
        kept.push_back(rv.raw);
    }
    if (reader.error_state())
      return *reader.error_state();
    scan.matched += kept.size();
    if (kept.empty())
      continue;
    auto at = out.size();
    if (kept.size() == records) {
      out.insert(out.end(), batch.begin(), batch.end());
      continue;
    }
    size_t body = 0;
    for (auto r : kept)
      body += r.size();
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
    store_at<uint32_t>(p, bf::crc_pos, store::crc32c::value(p + bf::crc_begin, w - bf::crc_begin));
  }
  return scan;
}

} // namespace sluice::filter

#include "filter/batch_filter.hpp"

namespace sluice::filter {

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
    if (kept.size() == records)
      out.insert(out.end(), batch.begin(), batch.end());
    else
      store::append_batch_subset(batch, kept, out);
  }
  return scan;
}

} // namespace sluice::filter

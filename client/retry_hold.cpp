#include "client/retry_hold.hpp"

#include "client/retry_headers.hpp"
#include "store/batch.hpp"

#include <charconv>
#include <vector>

namespace sluice::client {

namespace {

std::optional<timestamp_ms> due_of(const store::record_view& r, std::vector<store::record_header>& scratch) {
  if (r.header_count == 0 || !store::decode_headers(r, scratch))
    return std::nullopt;
  for (auto& h : scratch)
    if (h.key == retry_header::due_ms) {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(h.value.data(), h.value.data() + h.value.size(), v);
      if (ec == std::errc{} && end == h.value.data() + h.value.size())
        return timestamp_ms{v};
    }
  return std::nullopt;
}

} // namespace

std::optional<retry_hold> first_not_due(const fetched_chunk& c, timestamp_ms now) {
  std::vector<store::record_header> scratch;
  const store::bytes_view all{c.bytes};
  for (auto& b : c.batches) {
    store::record_reader reader{all.subspan(b.pos, b.header.size_bytes())};
    store::record_view rv;
    while (reader.next(rv)) {
      if (rv.off < c.from || rv.off >= c.limit)
        continue;
      if (auto due = due_of(rv, scratch); due && due->value > now.value)
        return retry_hold{rv.off, *due};
    }
  }
  return std::nullopt;
}

void cut_chunk(fetched_chunk& c, offset at) {
  c.limit = std::min(c.limit, at);
  c.next = std::min(c.next, at);
  size_t count = 0;
  const store::bytes_view all{c.bytes};
  std::erase_if(c.batches, [&](const fetched_chunk::batch_ref& b) { return b.header.base_offset >= at; });
  for (auto& b : c.batches) {
    store::record_reader reader{all.subspan(b.pos, b.header.size_bytes())};
    store::record_view rv;
    while (reader.next(rv))
      count += rv.off >= c.from && rv.off < c.limit;
  }
  c.record_count = count;
}

} // namespace sluice::client

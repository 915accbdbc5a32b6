#include "client/consumer_records.hpp"

namespace sluice::client {

consumer_records::consumer_records(std::vector<fetched_chunk> chunks) : chunks_(std::move(chunks)) {
  for (auto& c : chunks_)
    record_count_ += c.record_count;
}

} // namespace sluice::client

namespace sluice::client {

result<fetched_chunk> make_chunk(topic_partition tp, uint64_t epoch, store::byte_buffer bytes,
                                 offset position) {
  fetched_chunk c;
  c.tp = std::move(tp);
  c.epoch = epoch;
  c.from = position;
  c.next = position;
  size_t pos = 0;
  const store::bytes_view all{bytes};
  while (pos < all.size()) {
    auto rest = all.subspan(pos);
    auto h = store::decode_header(rest);
    if (!h && rest.size() < store::batch_format::header_size)
      break; // a cut-off header: the next fetch starts there
    if (!h || (h->size_bytes() <= rest.size() && !store::validate_batch(rest)))
      return make_error(errc::protocol, c.tp.to_string() + ": corrupt batch at byte " + std::to_string(pos)
                                          + " of the fetch: "
                                          + (h ? store::validate_batch(rest).err() : h.err()).to_string());
    if (h->size_bytes() > rest.size())
      break;
    if (h->last_offset() >= position) {
      uint32_t skipped = 0;
      if (h->base_offset < position) {
        store::record_reader reader{rest.first(h->size_bytes())};
        store::record_view rv;
        while (reader.next(rv))
          skipped += rv.off < position;
      }
      c.batches.push_back({pos, *h});
      c.record_count += h->record_count - skipped;
      c.next = h->next_offset();
    }
    pos += h->size_bytes();
  }
  if (pos == 0 && !all.empty())
    return make_error(errc::protocol, c.tp.to_string() + ": the batch at offset "
                                        + std::to_string(position.value)
                                        + " is larger than max.partition.fetch.bytes");
  c.bytes = std::move(bytes);
  return c;
}

} // namespace sluice::client

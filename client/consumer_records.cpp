#include "client/consumer_records.hpp"

#include <algorithm>
#include <set>

namespace sluice::client {

consumer_records::consumer_records(std::vector<fetched_chunk> chunks) : chunks_(std::move(chunks)) {
  for (auto& c : chunks_)
    record_count_ += c.record_count;
}

} // namespace sluice::client

namespace sluice::client {

namespace {

using aborted_list = std::span<const schema::fetch_response::aborted_transaction>;

// Kafka's Fetcher under read_committed: which of a response's batches belong to aborted
// transactions. Fed the batches in offset order.
class aborted_filter {
public:
  explicit aborted_filter(aborted_list aborted) : pending_(aborted.begin(), aborted.end()) {
    std::sort(pending_.begin(), pending_.end(),
              [](auto& a, auto& b) { return a.first_offset < b.first_offset; });
  }

  // Whether the batch is to be dropped; an error for a control batch without a marker.
  result<bool> drop(const store::batch_header& h, store::bytes_view batch) {
    if (h.producer_id < 0)
      return false;
    while (next_ < pending_.size() && pending_[next_].first_offset <= h.last_offset())
      producers_.insert(pending_[next_++].id.value);
    if (h.is_control()) {
      auto m = store::parse_control_batch(batch);
      if (!m)
        return make_error(errc::protocol, m.err().message);
      if (m->type == store::control_type::abort)
        producers_.erase(h.producer_id);
      return false;
    }
    return h.is_transactional() && producers_.contains(h.producer_id);
  }

private:
  std::vector<schema::fetch_response::aborted_transaction> pending_;
  size_t next_ = 0;
  std::set<int64_t> producers_;
};

} // namespace

result<fetched_chunk> make_chunk(topic_partition tp, uint64_t epoch, store::byte_buffer bytes,
                                 offset position, aborted_list aborted) {
  auto owned = std::make_shared<const store::byte_buffer>(std::move(bytes));
  store::bytes_view view{*owned};
  return make_chunk(std::move(tp), epoch, std::move(owned), view, position, aborted);
}

result<fetched_chunk> make_chunk(topic_partition tp, uint64_t epoch, std::shared_ptr<const void> owner,
                                 store::bytes_view bytes, offset position, aborted_list aborted) {
  fetched_chunk c;
  // Only read_committed responses with aborted transactions pay for this.
  std::optional<aborted_filter> filter;
  if (!aborted.empty())
    filter.emplace(aborted);
  c.tp = std::move(tp);
  c.epoch = epoch;
  c.from = position;
  c.next = position;
  size_t pos = 0;
  const store::bytes_view all = bytes;
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
    bool drop = h->is_control();
    if (filter && h->last_offset() >= position) {
      auto d = filter->drop(*h, rest.first(h->size_bytes()));
      if (!d)
        return make_error(errc::protocol, c.tp.to_string() + ": " + d.err().message);
      drop = drop || *d;
    }
    if (drop && h->last_offset() >= position) {
      c.next = h->next_offset(); // never shown, but the position moves past it
    } else if (h->last_offset() >= position) {
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
  c.owner = std::move(owner);
  c.bytes = bytes;
  return c;
}

} // namespace sluice::client

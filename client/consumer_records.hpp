#pragma once

// What consumer::poll returns: the fetched record batches, in place. A chunk views its
// partition's records inside the fetch response's envelope (schema::decode_view), which it
// keeps alive, and every record is a store::record_view into them, so nothing is copied,
// per record or per fetch; the views live as long as this object.

#include "client/result.hpp"
#include "client/topic_partition.hpp"
#include "schema/fetch.hpp"
#include "store/batch.hpp"
#include "store/byte_buffer.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace sluice::client {

// One partition's share of one fetch response: its whole batches, CRC-checked.
struct fetched_chunk {
  topic_partition tp;
  uint64_t epoch = 0;           // the partition's seek epoch when the fetch was sent
  std::shared_ptr<const void> owner; // keeps `bytes` alive (the response's envelope)
  store::bytes_view bytes;           // batches back to back, as the node sent them
  struct batch_ref {
    size_t pos = 0;
    store::batch_header header;
  };
  std::vector<batch_ref> batches;
  offset from{0};        // the fetch position: records below it (in the first batch) are skipped
  offset next{0};        // the position after the last batch
  size_t record_count = 0; // records at or above `from` (and below `limit`)
  // Records at or above it are not shown: a retry topic partition held back at its first
  // record not yet due (client/retry_hold.hpp). Otherwise past every record.
  offset limit{INT64_MAX};
};

// Splits one partition's fetched bytes into whole batches starting at `position`: batches
// wholly below it are dropped, every kept batch is CRC-checked, a batch cut off at the end
// (the fetch's byte limit) is left for the next fetch. An error for a corrupt batch, and for
// bytes that hold no whole batch at all (a batch larger than the fetch limit).
//
// Transactions (KIP-98): control batches (markers) are never kept, in either isolation level,
// but `next` moves past them. `aborted` (a read_committed response's aborted transactions)
// drops a producer's transactional batches from an aborted transaction's first offset up to
// that producer's abort marker, as Kafka's Fetcher does: entries join a set of aborted
// producers once a batch reaches their first offset, an abort marker takes its producer out.
// A control batch whose marker does not parse is an error then.
result<fetched_chunk> make_chunk(topic_partition tp, uint64_t epoch, std::shared_ptr<const void> owner,
                                 store::bytes_view bytes, offset position,
                                 std::span<const schema::fetch_response::aborted_transaction> aborted = {});
// The same over bytes of its own (tests).
result<fetched_chunk> make_chunk(topic_partition tp, uint64_t epoch, store::byte_buffer bytes,
                                 offset position,
                                 std::span<const schema::fetch_response::aborted_transaction> aborted = {});

class consumer_records {
public:
  struct batch {
    const topic_partition& tp;
    const store::batch_header& header;
    store::bytes_view bytes; // the whole batch, header included
    offset from;             // records below this precede the position asked for
    offset limit;            // records at or above this are held back (not shown)
  };

  consumer_records() = default;
  explicit consumer_records(std::vector<fetched_chunk> chunks);

  bool empty() const { return record_count_ == 0; }
  size_t count() const { return record_count_; }
  const std::vector<fetched_chunk>& chunks() const { return chunks_; }

  // f(const batch&) for every batch, in fetch order (per partition: offset order).
  template <class F>
  void for_each_batch(F&& f) const {
    for (auto& c : chunks_)
      for (auto& b : c.batches)
        f(batch{c.tp, b.header, store::bytes_view{c.bytes}.subspan(b.pos, b.header.size_bytes()), c.from, c.limit});
  }

  // f(const topic_partition&, const store::record_view&) for every record at or past the
  // position (and below the batch's limit); false if a batch turned out corrupt (its error is in last_error()).
  template <class F>
  bool for_each(F&& f) const {
    bool ok = true;
    for_each_batch([&](const batch& b) {
      store::record_reader reader{b.bytes};
      store::record_view rv;
      while (reader.next(rv))
        if (rv.off >= b.from && rv.off < b.limit)
          f(b.tp, rv);
      if (reader.error_state()) {
        ok = false;
        last_error_ = reader.error_state()->to_string();
      }
    });
    return ok;
  }

  const std::string& last_error() const { return last_error_; }

private:
  std::vector<fetched_chunk> chunks_;
  size_t record_count_ = 0;
  mutable std::string last_error_;
};

} // namespace sluice::client

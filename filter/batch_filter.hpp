#pragma once

// Server-side filtering of fetched batches: each batch is kept whole when all its records
// match, dropped when none does, and otherwise rebuilt with only the matching records.
// A rebuilt batch keeps its header (base offset, last_offset_delta, timestamps, producer
// fields) and each kept record's bytes as stored, so every record keeps its offset; only
// record_count, length and the CRC change. Its offsets then have gaps, as a Kafka batch
// has after compaction, and its next_offset() is still the original batch's, which is what
// moves a consumer past records it never received.

#include "filter/filter_expr.hpp"
#include "store/batch.hpp"
#include "store/byte_buffer.hpp"
#include "store/types.hpp"

#include <cstdint>

namespace sluice::filter {

struct filter_scan {
  offset next{-1};          // the offset after the last batch scanned (-1: none scanned)
  uint64_t scanned = 0;     // records looked at (at or above `from`)
  uint64_t matched = 0;     // records kept
};

// Appends to `out` the batches of `in` (whole batches back to back, as a log read returns
// them) with only the records at or above `from` that match `f`. A trailing partial batch
// is ignored; a corrupt one ends the scan with an error (nothing is appended for it).
store::result<filter_scan> filter_batches(store::bytes_view in, offset from, const filter_expr& f,
                                          store::byte_buffer& out);

} // namespace sluice::filter

#pragma once

// Holding back records of a retry topic that are not yet due (client/retry_policy.hpp): poll()
// hands out a retry topic partition's records up to the first one whose sluice.due.ms lies
// ahead, and the partition is then not fetched before that time (consumer_shared's
// held_until), so the application never sees a record early and the consumer does not spin.
// Due times grow with offsets within a retry topic partition (one backoff per level), so
// holding at the first record not due holds back nothing that is due, but for records nacked
// out of order by different members (then by at most that skew).

#include "client/consumer_records.hpp"
#include "store/types.hpp"

#include <optional>

namespace sluice::client {

struct retry_hold {
  offset at{0};        // the first record not yet due
  timestamp_ms due{0}; // its due time
};

// The first record of `c` at or past its position whose due time is after `now`; records
// without a readable sluice.due.ms header count as due.
std::optional<retry_hold> first_not_due(const fetched_chunk& c, timestamp_ms now);

// Shortens `c` to its records below `at` (they stay in place; `limit` hides the rest) and sets
// its `next` to `at`.
void cut_chunk(fetched_chunk& c, offset at);

} // namespace sluice::client

#pragma once

// The record batches of the internal topics (__consumer_offsets, __transaction_state): each
// record is a key and an optional value (none: a tombstone) in the topic's own record format
// (actors/offsets_record.hpp, actors/txn_record.hpp). The log is written only by the node's
// managers, so a batch or record that does not decode on replay is damage, not input to skip.

#include "schema/result.hpp"
#include "store/types.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

struct encoded_record {
  std::string key;
  std::optional<std::string> value;
};

// One record batch (store/batch_format.hpp) holding `records`, stamped with `now`.
std::vector<std::byte> build_internal_batch(std::span<const encoded_record> records,
                                            timestamp_ms now);

// Calls fn(offset, key, value) for each record of the batches in `bytes` (a fetch's records),
// in log order, and stops at its first error. A batch that does not validate or a record
// without a key is corrupt_message naming `topic`.
// Replay runs once per partition load, so a std::function costs nothing that matters.
schema::status for_each_internal_record(
  std::span<const std::byte> bytes, std::string_view topic,
  const std::function<schema::status(offset, std::string_view key,
                                     std::optional<std::string_view> value)>& fn);

} // namespace sluice::actors

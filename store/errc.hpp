#pragma once

#include <string>
#include <system_error>

namespace sluice::store {

// Every way a store operation can fail. Callers branch on the code; the
// message in `error` says what happened to which file, for a human.
enum class errc {
  ok = 0,
  io_error,            // the OS refused a read, write, fsync, rename, ...
  corrupt_batch,       // a batch whose length or CRC does not check out
  corrupt_index,       // an .index/.timeindex entry that contradicts its segment
  corrupt_checkpoint,  // a checkpoint file (recovery point, leader epochs) with a bad magic, size or CRC
  foreign_file,        // a file in a partition directory that Sluice did not write
  offset_out_of_range, // a read below log start or above log end
  invalid_argument,    // a caller broke a documented precondition
  record_too_large,    // a batch bigger than the configured maximum
  not_found,           // a key that is not in the KV store
  kv_error,            // LMDB reported an error
  stale_epoch,         // a batch whose leader epoch is below the log's latest (a fenced leader)
  out_of_order_sequence, // an idempotent producer's batch whose sequence does not follow its last
  producer_fenced,     // an idempotent producer's batch under an epoch older than its latest
  invalid_record,      // a record the log refuses: no key in a compacted log
};

const std::error_category& store_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

const char* to_string(errc e) noexcept;

} // namespace sluice::store

template <>
struct std::is_error_code_enum<sluice::store::errc> : std::true_type {};

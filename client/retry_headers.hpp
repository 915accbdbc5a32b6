#pragma once

// The headers a retried or dead-lettered record carries (client/retry_policy.hpp), decimal
// text so that filters and people read them:
//
//   sluice.original.topic      the source topic the record was first consumed from
//   sluice.original.partition  its partition there
//   sluice.original.offset     its offset there
//   sluice.attempts            deliveries so far (1 after the first nack)
//   sluice.error               the error text of the latest nack
//   sluice.first.failure.ms    when the first nack happened (ms since the epoch)
//   sluice.due.ms              when it may be delivered again (retry topics; dead-letter: the
//                              time it was dead-lettered)
//
// The record's own headers travel along unchanged; every header whose key starts with
// "sluice." belongs to the retry machinery and is replaced (a nack) or dropped (a redrive).

#include "client/result.hpp"
#include "store/batch.hpp"
#include "store/types.hpp"

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::client {

namespace retry_header {
inline constexpr std::string_view prefix = "sluice.";
inline constexpr std::string_view original_topic = "sluice.original.topic";
inline constexpr std::string_view original_partition = "sluice.original.partition";
inline constexpr std::string_view original_offset = "sluice.original.offset";
inline constexpr std::string_view attempts = "sluice.attempts";
inline constexpr std::string_view error = "sluice.error";
inline constexpr std::string_view first_failure_ms = "sluice.first.failure.ms";
inline constexpr std::string_view due_ms = "sluice.due.ms";
} // namespace retry_header

// A record's retry history.
struct retry_info {
  std::string original_topic;
  partition_id original_partition{0};
  offset original_offset{0};
  int32_t attempts = 0;
  std::string error;
  timestamp_ms first_failure{0};
  timestamp_ms due{0};

  bool operator==(const retry_info&) const = default;
};

// Whether the header belongs to the retry machinery.
bool is_retry_header(std::string_view key);

// The retry history in `headers`: nullopt when there is none (no sluice.attempts), an error
// when the sluice.* headers are incomplete or not numbers.
result<std::optional<retry_info>> decode_retry_info(std::span<const store::record_header> headers);

// The headers of a re-produced record: `own` without its sluice.* headers, then `info`'s.
// Owns the encoded numbers; `own` and the strings of `info` must outlive it (it keeps views).
class retry_headers {
public:
  retry_headers(const retry_info& info, std::span<const store::record_header> own);
  retry_headers(const retry_headers&) = delete;
  retry_headers& operator=(const retry_headers&) = delete;

  std::span<const store::record_header> view() const { return all_; }

private:
  std::array<std::string, 4> numbers_; // partition, offset, attempts, first failure
  std::string due_;
  std::vector<store::record_header> all_;
};

// `headers` without the sluice.* ones (a redrive sends the record as it first was).
std::vector<store::record_header> without_retry_headers(std::span<const store::record_header> headers);

} // namespace sluice::client

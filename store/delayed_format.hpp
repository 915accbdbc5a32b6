#pragma once

// Delayed delivery's record format (README "Delayed delivery"). A producer sends a delayed
// record not to its target partition but to a partition of the internal topic `__delayed`,
// with two headers added:
//
//   sluice.deliver-to   "<target topic>/<target partition>"   (the last '/' splits)
//   sluice.deliver-at   deliver-at time, decimal ms since the epoch
//
// and `deliver-at - record timestamp` within [min_delay_ms, max_delay_ms]. The `__delayed`
// partition is partition_for(target topic, target partition): one target partition's delayed
// records are all scheduled by one scheduler, so they reach it in their produce order.
//
// The scheduler of a `__delayed` partition appends its own control records to it, each with
// the header `sluice.delay-control` naming its kind and a value of big-endian int64 fields:
//
//   pid    [producer id]                     the partition's delivery producer (first wins)
//   slot   [slot id, end ms, below offset, count]
//                                            delivery slot `id`: the first `count` pending
//                                            records by (deliver-at, offset) with deliver-at
//                                            <= end and offset < below
//   done   [slot id]                         every record of slot `id` is in its target
//
// Clients may not write control records; the broker refuses them (check_client_record).

#include "store/batch.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::store::delayed {

inline constexpr std::string_view topic = "__delayed";
inline constexpr std::string_view deliver_to_header = "sluice.deliver-to";
inline constexpr std::string_view deliver_at_header = "sluice.deliver-at";
inline constexpr std::string_view control_header = "sluice.delay-control";
inline constexpr int64_t min_delay_ms = 1000;
inline constexpr int64_t max_delay_ms = int64_t{30} * 24 * 3600 * 1000;

// Where a delayed record goes, and when.
struct target {
  std::string topic;
  partition_id partition{0};
  int64_t deliver_at_ms = 0;

  bool operator==(const target&) const = default;
};

// The `__delayed` partition scheduling target partition (`t`, `p`), among `partitions` (> 0).
// Stable across versions and processes: CRC-32C of "<t>/<p>".
partition_id partition_for(std::string_view t, partition_id p, int32_t partitions);

// The sluice.deliver-to value for (`t`, `p`).
std::string deliver_to_value(std::string_view t, partition_id p);

// A one-line reason when `delay_ms` is outside [min_delay_ms, max_delay_ms]; nullopt when fine.
std::optional<std::string> check_delay(int64_t delay_ms);

// The target a delayed record's headers name, checked against the record's timestamp.
// not_found when it has neither delivery header (a plain record); invalid_argument, with one
// line naming the problem, when a header is missing, malformed or the delay is out of range.
result<target> parse_target(std::span<const record_header> headers, timestamp_ms record_ts);

// Whether a client may append this record to `__delayed`: a delayed record with a valid target
// and no control header. An invalid_argument error says why not.
status check_client_record(std::span<const record_header> headers, timestamp_ms record_ts);

// check_client_record for every record of `batches` (a produce request's, whole batches):
// corrupt_batch when a batch does not validate, invalid_argument naming the first bad record.
status check_client_batches(bytes_view batches);

enum class control_kind : uint8_t { pid, slot, done };

struct control_record {
  control_kind kind = control_kind::pid;
  std::array<int64_t, 4> fields{}; // pid: [id]; slot: [id, end, below, count]; done: [id]

  bool operator==(const control_record&) const = default;
};

// The header value and the record value of a control record.
std::string_view control_name(control_kind k);
std::string encode_control_value(const control_record& c);
// nullopt when the record has no control header; invalid_argument when it has one that does
// not decode.
result<std::optional<control_record>> parse_control(std::span<const record_header> headers,
                                                    std::optional<std::string_view> value);

} // namespace sluice::store::delayed

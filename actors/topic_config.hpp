#pragma once

// Topic configs: the Kafka-named settings of a topic, their defaults, bounds and parsing.
// Pure: the metadata actor validates overrides with it, the partition actor turns the result
// into a store::log_config.

#include "schema/configs.hpp"
#include "schema/result.hpp"
#include "store/log_config.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

inline constexpr int64_t never = std::numeric_limits<int64_t>::max();

// The effective settings of one topic. Defaults follow Kafka's.
struct topic_config {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000; // -1 keeps forever
  int64_t retention_bytes = -1;                  // per partition; -1 keeps everything
  int64_t segment_bytes = int64_t{1} << 30;
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;
  int64_t max_message_bytes = 1 << 20;           // largest batch a producer may send
  int64_t flush_messages = never;                // fsync after this many unflushed records
  int64_t flush_ms = never;                      // fsync when the oldest unflushed is this old
  // delete | compact | compact,delete (store/log_cleaner.hpp). compact alone switches off
  // retention.ms / retention.bytes; compact,delete keeps both.
  std::string cleanup_policy = "delete";
  int64_t delete_retention_ms = 86'400'000;      // how long a tombstone outlives its cleaning
  double min_cleanable_dirty_ratio = 0.5;        // clean when this share of the log is dirty
  int64_t min_compaction_lag_ms = 0;             // records younger than this are not cleaned
  int64_t min_insync_replicas = 1;               // acks=all refuses below this ISR size
  // May a replica outside the ISR become leader when no ISR member is alive? Off: the
  // partition stays offline instead of losing acknowledged records (actors/metadata_image.hpp).
  bool unclean_leader_election = false;          // unclean.leader.election.enable
  // Share groups (KIP-932, actors/share_partition.hpp), per share-partition of this topic.
  int64_t share_record_lock_duration_ms = 30'000; // share.record.lock.duration.ms
  int64_t share_delivery_count_limit = 5;         // share.delivery.count.limit: then archived
  int64_t share_max_record_locks = 1000;          // share.partition.max.record.locks: window

  bool operator==(const topic_config&) const = default;
  bool compacted() const { return cleanup_policy != "delete"; }
};

// Topic overrides as given at creation: key -> value text, validated by effective_config.
using config_overrides = std::map<std::string, std::string>;

inline constexpr std::string_view unclean_election_key = "unclean.leader.election.enable";

// Sets `key` from its text form. Errors are invalid_config naming the key: an unknown key, a
// value that is not a number, or one outside the key's bounds.
schema::status set_config(topic_config& config, std::string_view key, std::string_view value);

// `defaults` with every override applied, or the first invalid_config.
schema::result<topic_config> effective_config(const topic_config& defaults,
                                              const config_overrides& overrides);

// Every known key in key order with its effective value; is_default is false for overrides.
// `overrides` must have passed effective_config.
std::vector<schema::describe_configs_response::entry>
describe_config(const topic_config& defaults, const config_overrides& overrides);

// What a partition log needs of it. flush.messages wins over flush.ms when both are set (the
// log keeps one flush policy).
store::log_config to_log_config(const topic_config& config);

} // namespace sluice::actors

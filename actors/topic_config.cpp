#include "actors/topic_config.hpp"

#include "store/batch_format.hpp"
#include "store/segment_format.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace sluice::actors {

namespace {

struct int_key {
  std::string_view name;
  int64_t topic_config::*member;
  int64_t min;
  int64_t max;
};

// Bounds: what the store can honour (segments up to 2 GiB with u32 positions, batches up to
// store's 64 MiB hard limit); -1 means "unbounded" where Kafka allows it.
constexpr std::array int_keys{
  int_key{"delete.retention.ms", &topic_config::delete_retention_ms, 0, never},
  int_key{"flush.messages", &topic_config::flush_messages, 1, never},
  int_key{"flush.ms", &topic_config::flush_ms, 0, never},
  int_key{"max.message.bytes", &topic_config::max_message_bytes, 64,
          store::batch_format::max_batch_bytes},
  int_key{"min.compaction.lag.ms", &topic_config::min_compaction_lag_ms, 0, never},
  int_key{"min.insync.replicas", &topic_config::min_insync_replicas, 1, 1 << 16},
  int_key{"retention.bytes", &topic_config::retention_bytes, -1, never},
  int_key{"retention.ms", &topic_config::retention_ms, -1, never},
  int_key{"segment.bytes", &topic_config::segment_bytes, 1024,
          static_cast<int64_t>(store::segment_format::max_segment_bytes)},
  int_key{"segment.ms", &topic_config::segment_ms, 1, never},
  // Kafka bounds the lock to [1 s, 1 h] and the limit to [2, 10]; shorter locks and a limit
  // of 1 are allowed here for tests and for queues where a redelivery is never wanted.
  int_key{"share.delivery.count.limit", &topic_config::share_delivery_count_limit, 1, 100},
  int_key{"share.partition.max.record.locks", &topic_config::share_max_record_locks, 10, 100'000},
  int_key{"share.record.lock.duration.ms", &topic_config::share_record_lock_duration_ms, 100, 3'600'000},
};

constexpr std::string_view cleanup_policy_key = "cleanup.policy";
constexpr std::string_view dirty_ratio_key = "min.cleanable.dirty.ratio";

schema::error invalid(std::string message) {
  return {schema::errc::invalid_config, std::move(message)};
}

} // namespace

schema::status set_config(topic_config& config, std::string_view key, std::string_view value) {
  if (key == cleanup_policy_key) {
    // Kafka takes the list in either order; it is kept in one spelling.
    std::string v{value};
    if (v == "delete,compact")
      v = "compact,delete";
    if (v != "delete" && v != "compact" && v != "compact,delete")
      return invalid("cleanup.policy must be delete, compact or compact,delete, not '"
                     + std::string{value} + "'");
    config.cleanup_policy = std::move(v);
    return {};
  }
  if (key == dirty_ratio_key) {
    double v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || end != value.data() + value.size() || !(v >= 0 && v <= 1))
      return invalid(std::string{key} + " must be a number in [0, 1], not '" + std::string{value}
                     + "'");
    config.min_cleanable_dirty_ratio = v;
    return {};
  }
  if (key == unclean_election_key) {
    if (value != "true" && value != "false")
      return invalid(std::string{key} + " must be true or false, not '" + std::string{value} + "'");
    config.unclean_leader_election = value == "true";
    return {};
  }
  for (auto& k : int_keys) {
    if (k.name != key)
      continue;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || end != value.data() + value.size())
      return invalid(std::string{key} + " must be an integer, not '" + std::string{value} + "'");
    if (v < k.min || v > k.max)
      return invalid(std::string{key} + " must be in [" + std::to_string(k.min) + ", "
                     + std::to_string(k.max) + "], not " + std::to_string(v));
    config.*k.member = v;
    return {};
  }
  return invalid("unknown topic config key '" + std::string{key} + "'");
}

schema::result<topic_config> effective_config(const topic_config& defaults,
                                              const config_overrides& overrides) {
  auto out = defaults;
  for (auto& [k, v] : overrides)
    if (auto st = set_config(out, k, v); !st)
      return st.err();
  return out;
}

std::vector<schema::describe_configs_response::entry>
describe_config(const topic_config& defaults, const config_overrides& overrides) {
  auto effective = effective_config(defaults, overrides);
  const auto& c = effective ? *effective : defaults;
  std::vector<schema::describe_configs_response::entry> out;
  auto add = [&](std::string_view key, std::string value) {
    out.push_back({std::string{key}, std::move(value), !overrides.contains(std::string{key})});
  };
  add(cleanup_policy_key, c.cleanup_policy);
  {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, c.min_cleanable_dirty_ratio);
    add(dirty_ratio_key, ec == std::errc{} ? std::string(buf, end) : std::string{"?"});
  }
  add(unclean_election_key, c.unclean_leader_election ? "true" : "false");
  for (auto& k : int_keys)
    add(k.name, std::to_string(c.*k.member));
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.key < b.key; });
  return out;
}

store::log_config to_log_config(const topic_config& c) {
  store::log_config out;
  out.segment_bytes = static_cast<uint64_t>(c.segment_bytes);
  out.segment_ms = c.segment_ms;
  out.retention_ms = c.retention_ms;
  out.retention_bytes = c.retention_bytes;
  out.max_batch_bytes = static_cast<uint32_t>(c.max_message_bytes);
  if (c.flush_messages == 1)
    out.flush = store::flush_policy::always();
  else if (c.flush_messages != never)
    out.flush = store::flush_policy::every_messages(static_cast<uint64_t>(c.flush_messages));
  else if (c.flush_ms != never)
    out.flush = store::flush_policy::every_ms(c.flush_ms);
  out.compacted = c.compacted();
  out.delete_retention_ms = c.delete_retention_ms;
  out.min_cleanable_dirty_ratio = c.min_cleanable_dirty_ratio;
  out.min_compaction_lag_ms = c.min_compaction_lag_ms;
  if (c.cleanup_policy == "compact") {
    // Compaction alone deletes by key only, never by age or size (Kafka's cleanup.policy).
    out.retention_ms = -1;
    out.retention_bytes = -1;
  }
  return out;
}

} // namespace sluice::actors

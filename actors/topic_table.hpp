#pragma once

// The metadata actor's state machine: the topics of the cluster and the rules for changing
// them. Pure (no CAF, no I/O), so the Raft-replicated controller of issue 6 can apply the same
// commands on every controller: check_* validates a request against the current table and
// returns the record to commit; apply_* changes the table once the record is committed.

#include "actors/topic_spec.hpp"
#include "schema/result.hpp"
#include "schema/topics.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

struct topic_limits {
  int32_t max_partitions = 4096;  // per topic: each partition holds open files
  int32_t default_partitions = 1; // for a create with partitions = -1
  int32_t live_brokers = 1;       // replication factor may not exceed it
};

// Kafka's rule: 1..249 characters of [a-zA-Z0-9._-], and not "." or "..".
schema::status validate_topic_name(std::string_view name);

class topic_table {
public:
  topic_table(topic_config defaults, topic_limits limits)
    : defaults_(std::move(defaults)), limits_(limits) {}

  // Errors: invalid_topic (also an internal topic's name, unless `internal`: the node's own
  // request), topic_already_exists, invalid_partitions, invalid_replication_factor,
  // invalid_config.
  schema::result<topic_spec> check_create(const schema::create_topics_request::topic& t,
                                          bool internal = false) const;
  // Errors: unknown_topic_or_partition, invalid_topic (an internal topic).
  schema::status check_delete(std::string_view name) const;
  // Errors: unknown_topic_or_partition, invalid_partitions (not above the current count, or
  // above the limit), invalid_topic (an internal topic: its count places the groups).
  schema::result<topic_spec> check_add_partitions(std::string_view name, int32_t new_total) const;

  void apply_put(topic_spec spec);
  void apply_delete(std::string_view name);

  const topic_spec* find(std::string_view name) const;
  const std::map<std::string, topic_spec, std::less<>>& topics() const { return topics_; }
  const topic_config& defaults() const { return defaults_; }
  const topic_limits& limits() const { return limits_; }

private:
  std::map<std::string, topic_spec, std::less<>> topics_;
  topic_config defaults_;
  topic_limits limits_;
};

} // namespace sluice::actors

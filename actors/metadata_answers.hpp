#pragma once

// The read side of the metadata actor, shared by its two implementations (the single node's
// metadata_actor and the cluster's controller_actor): answers computed from a topic table.

#include "actors/topic_table.hpp"
#include "schema/configs.hpp"
#include "schema/metadata.hpp"
#include "schema/topics.hpp"

#include <functional>
#include <string>
#include <vector>

namespace sluice::actors {

schema::error unknown_topic(const std::string& name);

schema::list_topics_response answer_list_topics(const topic_table& table,
                                                const schema::list_topics_request& req);

// An empty request describes every topic.
schema::describe_configs_response answer_describe_configs(const topic_table& table,
                                                          const schema::describe_configs_request& req);

// Fills in one partition's leader, epoch, replicas and ISR.
using describe_partition =
  std::function<schema::metadata_response::partition_metadata(const topic_spec&, int32_t)>;

schema::metadata_response answer_metadata(const topic_table& table,
                                          const schema::metadata_request& req,
                                          std::vector<schema::metadata_response::broker> brokers,
                                          node_id controller, const describe_partition& describe);

} // namespace sluice::actors

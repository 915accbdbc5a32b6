#pragma once

// sluice::admin: topics, partitions, configs, offsets and metadata, one blocking request per
// call (the node's typed interface, actors/node_interface.hpp).

#include "client/connection.hpp"
#include "client/result.hpp"
#include "client/topic_partition.hpp"
#include "schema/cluster.hpp"
#include "schema/configs.hpp"
#include "schema/group.hpp"
#include "schema/txn.hpp"
#include "schema/metadata.hpp"
#include "schema/offsets.hpp"
#include "schema/topics.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sluice::client {

struct new_topic {
  std::string name;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::vector<std::pair<std::string, std::string>> configs; // overrides, e.g. retention.ms
};

struct partition_description {
  partition_id partition{0};
  node_id leader{-1};
  leader_epoch epoch{-1};
  std::vector<node_id> replicas;
  std::vector<node_id> isr;
  std::vector<node_id> adding;   // a reassignment in progress: the replicas joining,
  std::vector<node_id> removing; // and leaving (both empty: not moving)
  offset log_start{-1};
  offset log_end{-1}; // the high watermark
  client::error error; // the partition's own error, if the node reported one
};

struct topic_description {
  std::string name;
  std::vector<partition_description> partitions;
  std::vector<schema::describe_configs_response::entry> configs;
};

class admin {
public:
  explicit admin(std::shared_ptr<connection> conn) : conn_(std::move(conn)) {}

  status create_topic(const new_topic& t);
  status delete_topic(const std::string& name);
  result<std::vector<schema::list_topics_response::listing>> list_topics(bool include_internal = false);
  // Metadata, log start/end per partition, and configs of one topic.
  result<topic_description> describe_topic(const std::string& name);
  // Raises the topic's partition count to `new_total`.
  status create_partitions(const std::string& name, int32_t new_total);
  result<std::vector<schema::describe_configs_response::entry>> describe_configs(const std::string& topic);
  // One offset per partition asked for, in request order; a partition's error fails the call.
  // Asked of each partition's leader (by fresh metadata, again while leadership moves).
  result<std::vector<offset>> list_offsets(const std::vector<topic_partition>& tps, schema::offset_query q,
                                           timestamp_ms ts = no_timestamp);
  // Every topic when `topics` is empty.
  result<schema::metadata_response> metadata(const std::vector<std::string>& topics = {});
  // Consumer groups: every group (sorted by id), one group's members and assignment, its
  // committed offsets (every committed partition when `tps` is empty; -1: none), and an
  // admin commit (as kafka-consumer-groups --reset-offsets), which the coordinator accepts
  // only while the group has no members.
  result<std::vector<schema::list_groups_response::group>> list_groups();
  result<schema::describe_groups_response::group> describe_group(const std::string& group);
  result<std::vector<schema::offset_fetch_response::partition>>
  group_offsets(const std::string& group, const std::vector<topic_partition>& tps = {});
  status commit_group_offsets(const std::string& group,
                              const std::vector<std::pair<topic_partition, offset>>& offsets);

  // Transactions (sluice txn): every transactional id in one of `states` (all when empty),
  // from every broker's coordinator, sorted by id; and the ids asked for, in order, each with
  // its own error (transactional_id_not_found for an unknown one).
  result<std::vector<schema::list_transactions_response::listing>>
  list_transactions(const std::vector<std::string>& states = {});
  result<std::vector<schema::describe_transactions_response::description>>
  describe_transactions(const std::vector<std::string>& ids);

  // The controllers, the leader and its term, and every registered broker (cluster mode; a
  // single node answers not_controller).
  result<schema::cluster_status_response> cluster_status();

  // Operations on a cluster (issue 7; a single node answers not_controller).
  // Moves a partition to the `replicas` (KIP-455): answered once the move started (or, when
  // the target is already in sync, completed), with the partition's replicas and move then.
  using reassignment = schema::reassign_partitions_response::partition;
  result<reassignment> reassign_partition(const std::string& topic, int32_t partition,
                                          const std::vector<node_id>& replicas);
  // Back to the replicas the partition had before its move in progress.
  result<reassignment> cancel_reassignment(const std::string& topic, int32_t partition);
  // Preferred leader election over `topic` (every topic when empty): the leaderships moved.
  result<std::vector<schema::elect_leaders_response::election>>
  elect_preferred_leaders(const std::string& topic = "");
  // The broker takes no new replicas and every replica it holds starts moving to another live
  // broker (the moves started); `cancel`: it takes replicas again.
  result<std::vector<schema::decommission_broker_response::move>> decommission_broker(node_id id,
                                                                                       bool cancel = false);

  // The node's actor tree and states as text; `actor` filters by name ("" for all).
  result<std::string> inspect(const std::string& actor = "");

  const connection& conn() const { return *conn_; }

private:
  result<std::vector<std::pair<actors::node_actor, std::string>>> every_node();
  result<std::vector<offset>> list_offsets_at_leaders(const std::vector<topic_partition>& tps,
                                                     schema::offset_query q, timestamp_ms ts);

  std::shared_ptr<connection> conn_;
};

} // namespace sluice::client

namespace sluice {
using client::admin;
} // namespace sluice

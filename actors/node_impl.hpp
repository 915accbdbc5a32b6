#pragma once

// The node actor's class, shared by its source files: node_actor.cpp (lifecycle, topics,
// administration, inspect), node_data.cpp (produce, fetch, list offsets, transaction markers),
// node_cluster.cpp
// (controller peers) and node_inspect.cpp (inspect across nodes). Include only from those.

#include "actors/delay_manager.hpp"
#include "actors/group_interface.hpp"
#include "actors/inspect_field.hpp"
#include "actors/log_cleaner_actor.hpp"
#include "actors/node_actor.hpp"
#include "actors/producer_id_block.hpp"
#include "actors/replica_manager.hpp"
#include "actors/request_meter.hpp"
#include "actors/share_manager.hpp"
#include "actors/topic_interface.hpp"
#include "actors/txn_manager.hpp"
#include "schema/envelope.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace sluice::actors {

struct fetch_session; // node_data.cpp

struct hosted_topic {
  topic_actor actor;
  topic_spec spec;
  int restarts = 0;
};

struct node_status {
  std::string listen;
  size_t topics = 0;
  size_t deleting = 0;
  size_t fetch_sessions = 0; // multi-partition fetches waiting
  uint64_t requests = 0;
  uint64_t undecodable = 0; // answered with error_response
  int64_t producer_ids_left = 0; // of the node's current block
  bool ready = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  field listen{"listen", x.listen};
  field topics{"topics", x.topics};
  field deleting{"deleting", x.deleting};
  field sessions{"fetch_sessions", x.fetch_sessions};
  field requests{"requests", x.requests};
  field undecodable{"undecodable", x.undecodable};
  field producer_ids_left{"producer_ids_left", x.producer_ids_left};
  field ready{"ready", x.ready};
  return f(caf::meta::type_name("node"), listen, topics, deleting, sessions, requests,
           undecodable, producer_ids_left, ready);
}

class node_impl : public node_internal_actor::base {
public:
  node_impl(caf::actor_config& cfg, node_config config);

  const char* name() const override { return "node"; }
  behavior_type make_behavior() override;
  void on_exit() override;

private:
  using envelope = schema::envelope;
  using envelope_promise = caf::typed_response_promise<envelope>;

  // -- lifecycle and topics (node_actor.cpp) --
  void start_metadata();
  void subscribe_metadata();
  void start_groups();
  void start_txns();
  void start_delays();
  void start_shares();
  // Creates __consumer_offsets, __transaction_state and __delayed where missing.
  void ensure_internal_topics();
  void ensure_internal_topic(std::string_view name, int32_t partitions, int16_t replication);
  void on_snapshot(std::vector<topic_spec>& specs);
  void remove_orphan_directories();
  void on_topic_update(topic_spec spec);
  void on_topic_deleted(const std::string& name);
  void on_partition_states(partition_states s);
  void host(topic_spec spec, int restarts);
  void on_down(const caf::down_msg& dm);
  caf::result<bool> ready();
  caf::result<std::string> inspect_tree(const std::string& filter);

  // -- idempotent producers' ids (node_producer_ids.cpp) --
  caf::result<envelope> init_producer_id(const envelope& e);
  void request_producer_ids();
  void answer_producer_id_waiters(const schema::error& err);

  // -- inspect across nodes (node_inspect.cpp) --
  caf::result<envelope> inspect_node(const envelope& e);
  schema::inspect_response inspect_identity() const;

  // -- cluster mode (node_cluster.cpp) --
  void start_controller();
  void connect_peer(node_id id);
  bool on_peer_down(const caf::down_msg& dm);
  void announce_peers();

  // -- data requests (node_data.cpp) --
  caf::result<envelope> produce(const envelope& e);
  caf::result<envelope> fetch(const envelope& e);
  caf::result<envelope> list_offsets(const envelope& e);
  caf::result<envelope> answer_epoch_query(const envelope& e);
  caf::result<envelope> write_txn_markers(const envelope& e);
  // -- share groups (node_share.cpp) --
  caf::result<envelope> share_fetch(const envelope& e);
  caf::result<envelope> share_ack(const envelope& e);
  // The share manager's view of one partition: its topic actor, leader epoch and share
  // configs, or the error a client gets for it (unknown, not led here).
  share_target share_route(const std::string& topic, partition_id p);
  void on_fetch_reply(const std::shared_ptr<fetch_session>& s, size_t i, fetch_reply r);
  void on_fetch_progress(uint64_t id, int64_t bytes);
  void expire_fetch(uint64_t session);
  void complete_fetch(fetch_session& s);
  envelope answer_fetch(fetch_session& s);
  // The topic hosting `p`, or nullptr with `err` set (unknown topic, partition out of range).
  hosted_topic* route(const std::string& topic, partition_id p, schema::error& err);

  node_config config_;
  metadata_actor metadata_;
  group_manager_actor groups_;
  int groups_restarts_ = 0;
  txn_manager_actor txns_;
  int txns_restarts_ = 0;
  delay_manager_actor delays_;
  int delays_restarts_ = 0;
  share_manager_actor shares_; // share groups: the share-partitions this node leads
  int shares_restarts_ = 0;
  // Cluster mode: the other controllers' nodes we are connected to, and those being dialled.
  std::map<node_id, node_actor> peer_nodes_;
  replica_manager_actor replicas_; // cluster mode: the follower partitions' fetchers
  log_cleaner_actor cleaner_;      // compacted partitions' cleaning jobs (detached)
  // Cluster mode: the latest replication state of each topic's partitions.
  std::map<std::string, std::vector<cluster::partition_replicas>, std::less<>> states_;
  std::set<node_id> peer_connecting_;
  std::map<node_id, std::string> peer_dial_errors_; // the last failure logged per peer
  std::map<std::string, hosted_topic, std::less<>> topics_;
  std::map<std::string, topic_actor, std::less<>> deleting_;   // until their actor is down
  std::map<std::string, topic_spec, std::less<>> recreate_;    // created while still deleting
  // Fetch id -> the multi-partition session and the index of the partition in it.
  std::unordered_map<uint64_t, std::pair<std::shared_ptr<fetch_session>, size_t>> fetches_;
  uint64_t next_fetch_id_ = 0;
  // Session id -> the fetch sessions whose response is pending, until answered or expired.
  std::unordered_map<uint64_t, std::shared_ptr<fetch_session>> open_fetches_;
  bool restored_ = false; // the first snapshot was applied
  int metadata_restarts_ = 0;
  std::optional<std::string> failure_;
  std::vector<caf::typed_response_promise<bool>> ready_waiters_;
  producer_id_block producer_ids_;
  std::vector<envelope_promise> producer_id_waiters_; // while a block is being allocated
  bool allocating_producer_ids_ = false;
  node_status status_;
  // Request meters (issue 11): read by inspect_request, exported by sluiced's /metrics.
  request_meter produce_meter_{"produce"};
  request_meter fetch_meter_{"fetch"};
  request_meter replica_fetch_meter_{"replica_fetch"};
};

} // namespace sluice::actors

#pragma once

// One value of every wire message type with every field away from its default, so a round
// trip that drops or swaps a field shows. Shared by the schema suites.

#include "schema/cluster.hpp"
#include "schema/configs.hpp"
#include "schema/error_response.hpp"
#include "schema/fetch.hpp"
#include "schema/group.hpp"
#include "schema/inspect.hpp"
#include "schema/metadata.hpp"
#include "schema/offsets.hpp"
#include "schema/produce.hpp"
#include "schema/producer_id.hpp"
#include "schema/raft.hpp"
#include "schema/share.hpp"
#include "schema/topics.hpp"
#include "schema/txn.hpp"
#include "schema/txn_marker.hpp"
#include "store/batch.hpp"

#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace sluice::schema::test {

using message_types =
  std::tuple<produce_request, produce_response, fetch_request, fetch_response, metadata_request,
             metadata_response, create_topics_request, create_topics_response,
             delete_topics_request, delete_topics_response, list_topics_request,
             list_topics_response, list_offsets_request, list_offsets_response, error_response,
             create_partitions_request, create_partitions_response, describe_configs_request,
             describe_configs_response, join_group_request, join_group_response,
             sync_group_request, sync_group_response, heartbeat_request, heartbeat_response,
             leave_group_request, leave_group_response, offset_commit_request,
             offset_commit_response, offset_fetch_request, offset_fetch_response,
             list_groups_request, list_groups_response, describe_groups_request,
             describe_groups_response, raft_message, broker_heartbeat_request,
             broker_heartbeat_response, cluster_status_request, cluster_status_response,
             alter_partition_request, alter_partition_response,
             offset_for_leader_epoch_request, offset_for_leader_epoch_response,
             reassign_partitions_request, reassign_partitions_response, elect_leaders_request,
             elect_leaders_response, decommission_broker_request, decommission_broker_response,
             inspect_request, inspect_response, init_producer_id_request,
             init_producer_id_response, allocate_producer_ids_request,
             allocate_producer_ids_response, add_partitions_to_txn_request,
             add_partitions_to_txn_response, txn_offset_commit_request, txn_offset_commit_response,
             end_txn_request, end_txn_response, list_transactions_request,
             list_transactions_response, describe_transactions_request,
             describe_transactions_response, write_txn_markers_request,
             write_txn_markers_response, share_fetch_request, share_fetch_response,
             share_acknowledge_request, share_acknowledge_response, share_state_write_request,
             share_state_write_response, share_state_read_request, share_state_read_response>;

// Calls f(T{}) for every message type T.
template <class F>
void for_each_message_type(F&& f) {
  std::apply([&](auto... xs) { (f(xs), ...); }, message_types{});
}

// A real batch of `n` records (store/batch_format.hpp), as producers send and leaders store.
inline std::vector<std::byte> sample_batch(int n, size_t value_bytes = 24) {
  store::batch_builder b;
  for (int i = 0; i < n; ++i) {
    std::string key = "key-" + std::to_string(i);
    std::string value(value_bytes, static_cast<char>('a' + i % 26));
    b.add(timestamp_ms{1'700'000'000'000 + i}, std::string_view{key}, std::string_view{value});
  }
  return b.finish();
}

// sample_batch as a fetch response carries it.
inline store::byte_buffer sample_fetched(int n) {
  auto b = sample_batch(n);
  return {b.begin(), b.end()};
}

inline error sample_error(errc code) { return {code, std::string{to_string(code)} + " for a test"}; }

inline message_types samples() {
  produce_request produce{acks::all, 1234, {}};
  produce.partitions.push_back({"orders", partition_id{3}, sample_batch(3)});
  produce.partitions.push_back({std::string{"nul\0inside", 10}, partition_id{0}, {}});
  auto two = sample_batch(1);
  auto more = sample_batch(5, 7);
  two.insert(two.end(), more.begin(), more.end()); // two batches back to back
  produce.partitions.push_back({"orders", partition_id{7}, two});

  produce_response produced;
  produced.partitions.push_back({"orders", partition_id{3}, {}, offset{4096}, timestamp_ms{99},
                                 offset{17}});
  produced.partitions.push_back({"orders", partition_id{7}, sample_error(errc::not_leader),
                                 offset{-1}, no_timestamp, offset{-1}});

  fetch_request fetch{node_id{2}, 250, 1024, 8 << 20, isolation_level::read_committed, {}};
  fetch.partitions.push_back({"orders", partition_id{3}, leader_epoch{5}, offset{4000}, 65536});
  fetch.partitions.push_back({"audit", partition_id{0}, leader_epoch{-1}, offset{0}, 1});
  fetch.filter = "region = 'eu' && (a || !b)";

  fetch_response fetched;
  fetched.partitions.push_back({"orders", partition_id{3}, {}, offset{4100}, offset{10},
                                offset{4090}, sample_fetched(4), offset{4200}});
  fetched.partitions.back().aborted_transactions = {{producer_id{1000}, offset{4010}},
                                                    {producer_id{1001}, offset{4050}}};
  fetched.partitions.push_back({"audit", partition_id{0}, sample_error(errc::offset_out_of_range),
                                offset{12}, offset{5}, offset{12}, {}});

  metadata_request metadata{false, {"orders", "audit", ""}};

  metadata_response cluster;
  cluster.brokers.push_back({node_id{1}, "10.0.0.1", 9292, "rack-a"});
  cluster.brokers.push_back({node_id{2}, "node-2.example", 9293, ""});
  cluster.controller_id = node_id{1};
  metadata_response::topic_metadata orders{{}, "orders", {}};
  orders.partitions.push_back({{}, partition_id{0}, node_id{1}, leader_epoch{3},
                               {node_id{3}, node_id{1}, node_id{2}}, {node_id{1}, node_id{2}},
                               {node_id{3}}, {node_id{2}}});
  orders.partitions.push_back({sample_error(errc::leader_not_available), partition_id{1},
                               node_id{-1}, leader_epoch{4}, {node_id{2}}, {}, {}, {}});
  cluster.topics.push_back(orders);
  cluster.topics.push_back({sample_error(errc::unknown_topic_or_partition), "gone", {}});

  create_topics_request create{{}, 5000, true};
  create.topics.push_back({"orders", 12, 3, {{"retention.ms", "86400000"}, {"cleanup.policy", "delete"}}});
  create.topics.push_back({"bare", 1, 1, {}});

  create_topics_response created{{{"orders", {}}, {"bare", sample_error(errc::topic_already_exists)}}};

  delete_topics_request del{{"orders", "bare"}, 7000};

  delete_topics_response deleted{{{"orders", {}}, {"bare", sample_error(errc::not_controller)}}};

  list_topics_request list{true};

  list_topics_response listed{sample_error(errc::request_timed_out), {}};
  listed.topics.push_back({"orders", 12, 3, false});
  listed.topics.push_back({"__consumer_offsets", 50, 3, true});

  list_offsets_request offsets{node_id{4}, isolation_level::read_committed, {}};
  offsets.partitions.push_back({"orders", partition_id{1}, leader_epoch{2}, offset_query::earliest,
                                no_timestamp});
  offsets.partitions.push_back({"orders", partition_id{2}, leader_epoch{-1}, offset_query::latest,
                                no_timestamp});
  offsets.partitions.push_back({"orders", partition_id{3}, leader_epoch{9},
                                offset_query::by_timestamp, timestamp_ms{1'700'000'000'123}});

  list_offsets_response found;
  found.partitions.push_back({"orders", partition_id{3}, {}, timestamp_ms{1'700'000'000'200},
                              offset{77}, leader_epoch{9}});
  found.partitions.push_back({"orders", partition_id{4}, sample_error(errc::fenced_leader_epoch),
                              no_timestamp, offset{-1}, leader_epoch{-1}});

  error_response refused{sample_error(errc::corrupt_message)};

  create_partitions_request grow{{{"orders", 24}, {"audit", 2}}, 9000};

  create_partitions_response grown{{{"orders", {}}, {"audit", sample_error(errc::invalid_partitions)}}};

  describe_configs_request describe{{"orders", "gone"}};

  describe_configs_response described;
  described.topics.push_back({"orders", {}, {{"cleanup.policy", "delete", true},
                                             {"retention.ms", "86400000", false}}});
  described.topics.push_back({"gone", sample_error(errc::unknown_topic_or_partition), {}});

  join_group_request join{"billing", 30'000, 60'000, "", std::string{"host-1"}, "consumer",
                          {"cooperative-sticky", "range"}, {"orders", "audit"},
                          {{"orders", partition_id{2}}, {"audit", partition_id{0}}}};

  join_group_response joined{{}, generation_id{7}, "cooperative-sticky", "billing-1-1",
                             "billing-1-2", {"billing-1-1", "billing-1-2"}};

  group_member_ref member{"billing", generation_id{7}, "billing-1-2", std::nullopt};
  group_member_ref static_member{"billing", generation_id{8}, "billing-1-3", std::string{""}};

  sync_group_request sync{member};

  sync_group_response synced{sample_error(errc::rebalance_in_progress),
                             {{"orders", partition_id{0}}, {"orders", partition_id{5}}}};

  heartbeat_request beat{static_member};

  heartbeat_response beaten{sample_error(errc::illegal_generation)};

  leave_group_request leave{"billing", "billing-1-2"};

  leave_group_response left{sample_error(errc::unknown_member_id)};

  offset_commit_request commit{member, {}};
  commit.partitions.push_back({"orders", partition_id{3}, offset{1200}, leader_epoch{4}, "poll-9"});
  commit.partitions.push_back({"audit", partition_id{0}, offset{0}, leader_epoch{-1}, ""});

  offset_commit_response committed{{{"orders", partition_id{3}, {}},
                                    {"audit", partition_id{0}, sample_error(errc::fenced_instance_id)}}};

  offset_fetch_request fetch_offsets{"billing", {{"orders", partition_id{3}}}};

  offset_fetch_response fetched_offsets{sample_error(errc::coordinator_not_available), {}};
  fetched_offsets.partitions.push_back({"orders", partition_id{3}, offset{1200}, leader_epoch{4},
                                        "poll-9", {}});
  fetched_offsets.partitions.push_back({"orders", partition_id{4}, offset{-1}, leader_epoch{-1}, "",
                                        sample_error(errc::unknown_topic_or_partition)});

  list_groups_request list_groups{{"stable", "empty"}};

  list_groups_response groups{sample_error(errc::none), {{"billing", "consumer", "stable", 3},
                                                        {"audit", "consumer", "empty", 0}}};

  describe_groups_request describe_groups{{"billing", "nobody"}};

  describe_groups_response group_described;
  describe_groups_response::group billing{{}, "billing", "stable", "consumer", "range",
                                          generation_id{7}, "billing-1-1", {}};
  billing.members.push_back({"billing-1-1", std::string{"host-1"}, {{"orders", partition_id{0}}}});
  billing.members.push_back({"billing-1-2", std::nullopt, {}});
  group_described.groups.push_back(billing);
  describe_groups_response::group workers{{}, "workers", "stable", "share", "", no_generation, "", {}};
  workers.shares.push_back({"jobs", partition_id{1}, offset{40}, offset{46}, 3, 3});
  group_described.groups.push_back(workers);
  group_described.groups.push_back({sample_error(errc::group_id_not_found), "nobody", "dead", "",
                                    "", no_generation, "", {}});

  // The append carries the richest payload; the other five are in tests/schema/codec_test.cpp.
  raft_message raft{node_id{1}, node_id{3},
                    append_request{raft_term{7}, node_id{1}, log_index{41}, raft_term{6},
                                   {{raft_term{6}, log_index{42}, ""},
                                    {raft_term{7}, log_index{43}, std::string{"create\0t", 8}}},
                                   log_index{40}}};

  broker_heartbeat_request heartbeat{node_id{2}, "10.0.0.2", 9293, "rack-b", 17};
  broker_heartbeat_response heartbeat_answer{sample_error(errc::stale_broker_epoch), 21, true,
                                             node_id{1}};
  cluster_status_response status{{}, node_id{1}, 4, 118, {}, {}};
  status.controllers.push_back({node_id{1}, "127.0.0.1", 9292, 118});
  status.controllers.push_back({node_id{2}, "127.0.0.1", 9293, -1});
  status.brokers.push_back({node_id{1}, "127.0.0.1", 9292, "", 5, false, 120, 12, 4, false});
  status.brokers.push_back({node_id{2}, "127.0.0.1", 9293, "rack-b", 9, true, -1, 3, 0, true});

  alter_partition_request alter{"orders", 3, node_id{2}, leader_epoch{4}, 9,
                                {node_id{2}, node_id{3}}, 5};
  alter_partition_response altered{sample_error(errc::fenced_leader_epoch), node_id{3},
                                    leader_epoch{5}, 10, {node_id{3}}};
  offset_for_leader_epoch_request epoch_query{
    node_id{3}, {{"orders", partition_id{3}, leader_epoch{6}, leader_epoch{5}},
                 {"audit", partition_id{0}, leader_epoch{2}, leader_epoch{-1}}}};
  offset_for_leader_epoch_response epoch_answer{
    {{"orders", partition_id{3}, {}, leader_epoch{4}, offset{1200}},
     {"audit", partition_id{0}, sample_error(errc::fenced_leader_epoch), leader_epoch{-1},
      offset{-1}}}};

  reassign_partitions_request reassign{
    {{"orders", 3, {node_id{4}, node_id{2}}, false}, {"audit", 0, {}, true}}};
  reassign_partitions_response reassigned{
    {{"orders", 3, {}, {node_id{4}, node_id{2}, node_id{1}}, {node_id{4}}, {node_id{1}}},
     {"audit", 0, sample_error(errc::no_reassignment_in_progress), {node_id{1}}, {}, {}}}};
  elect_leaders_request elect{"orders"};
  elect_leaders_response elected{
    sample_error(errc::not_controller),
    {{"orders", 3, node_id{2}, node_id{1}, leader_epoch{7}},
     {"audit", 0, node_id{-1}, node_id{3}, leader_epoch{2}}}};
  decommission_broker_request decommission{node_id{3}, true};
  decommission_broker_response decommissioned{
    sample_error(errc::invalid_replica_assignment),
    {{"orders", 3, {node_id{1}, node_id{4}}}, {"audit", 0, {node_id{2}}}}};

  inspect_request inspect{"partition"};
  inspect_response inspected{sample_error(errc::coordinator_not_available), node_id{2},
                             "node 2 (mailbox 0): node(...)\n  topic orders (mailbox 1): ...", {},
                             {}, {{node_id{1}, "10.99.0.1", 9292}, {node_id{2}, "10.99.0.2", 9293}}, {}};
  inspected.replicas.push_back({"orders", partition_id{3}, "leader", node_id{2}, leader_epoch{4},
                                offset{100}, offset{1200}, offset{1150},
                                {node_id{2}, node_id{1}, node_id{3}}, {node_id{2}, node_id{1}},
                                {{node_id{1}, offset{1150}, 50, 12, true},
                                 {node_id{3}, offset{-1}, -1, 31000, false}},
                                ""});
  inspected.replicas.push_back({"audit", partition_id{0}, "none", node_id{-1}, leader_epoch{-1},
                                offset{-1}, offset{-1}, offset{-1}, {}, {}, {},
                                "did not answer: timeout"});
  inspected.groups.push_back({"billing", "stable", generation_id{7}, "range", "m-1",
                              partition_id{5}, {{"m-1", "", 2}, {"m-2", "host-b", 1}}, ""});
  inspected.groups.push_back({"audit-g", "dead", no_generation, "", "", partition_id{0}, {},
                              "did not answer"});
  {
    request_stats produced{"produce", 120, 2, 1'048'576, 987'654, {}};
    produced.latency_buckets.assign(latency_bounds_us.size() + 1, 0);
    produced.latency_buckets[3] = 100;
    produced.latency_buckets.back() = 20;
    inspected.requests.push_back(std::move(produced));
  }

  init_producer_id_request init_pid{"txn-1", producer_id{41}, producer_epoch{3}, 15'000};
  init_producer_id_response pid{sample_error(errc::not_controller), producer_id{1042},
                                producer_epoch{2}};
  allocate_producer_ids_request alloc{node_id{3}};
  allocate_producer_ids_response block{sample_error(errc::not_controller), producer_id{2000}, 1000};

  add_partitions_to_txn_request add_parts{"copy-0", producer_id{1042}, producer_epoch{2},
                                          {{"orders", partition_id{3}}, {"audit", partition_id{0}}}};
  add_partitions_to_txn_response parts_added{sample_error(errc::concurrent_transactions)};
  txn_offset_commit_request txn_commit{"copy-0", producer_id{1042}, producer_epoch{2}, "copier",
                                       {{"orders", partition_id{3}, offset{7001}, leader_epoch{4},
                                         "m"}}};
  txn_offset_commit_response txn_committed{sample_error(errc::invalid_producer_epoch)};
  end_txn_request end_txn{"copy-0", producer_id{1042}, producer_epoch{2}, true};
  end_txn_response txn_ended{sample_error(errc::invalid_txn_state)};
  list_transactions_request list_txns{{"Ongoing", "PrepareCommit"}};
  list_transactions_response txns{sample_error(errc::coordinator_not_available),
                                  {{"copy-0", producer_id{1042}, "Ongoing", node_id{2}}}};
  describe_transactions_request describe_txns{{"copy-0", "copy-9"}};
  describe_transactions_response txns_described{
    {{{}, "copy-0", "Ongoing", producer_id{1042}, producer_epoch{2}, 60'000,
      timestamp_ms{1'700'000'000'000}, {{"orders", partition_id{3}}}, {"copier"}, node_id{2}},
     {sample_error(errc::transactional_id_not_found), "copy-9", "", no_producer_id,
      no_producer_epoch, 0, no_timestamp, {}, {}, node_id{-1}}}};
  write_txn_markers_request markers{
    {{producer_id{1042}, producer_epoch{2}, true, 5, {{"orders", partition_id{3}}}},
     {producer_id{77}, producer_epoch{0}, false, 5, {{"audit", partition_id{0}}}}}};
  write_txn_markers_response markers_written{
    {{producer_id{1042}, {{"orders", partition_id{3}, sample_error(errc::not_leader)}}},
     {producer_id{77}, {{"audit", partition_id{0}, {}}}}}};
  share_fetch_request share_fetch{"workers", "w-1", 750, 64, 65536,
                                  {{"jobs", partition_id{1}}, {"jobs", partition_id{0}}}};
  share_fetch_response share_fetched{
    {{"jobs", partition_id{1}, {}, store::byte_buffer(fetched.partitions[0].records),
      {{offset{40}, offset{41}, 1}, {offset{44}, offset{44}, 3}}},
     {"jobs", partition_id{0}, sample_error(errc::not_leader), {}, {}}}};
  share_acknowledge_request share_ack{
    "workers", "w-1",
    {{"jobs", partition_id{1},
      {{offset{40}, offset{40}, acknowledge_type::accept},
       {offset{41}, offset{41}, acknowledge_type::release},
       {offset{44}, offset{44}, acknowledge_type::reject}}}}};
  share_acknowledge_response share_acked{
    {{"jobs", partition_id{1}, sample_error(errc::invalid_record_state)}, {"jobs", partition_id{2}, {}}}};
  share_state share_sample{offset{40}, offset{46},
                           {{offset{40}, offset{41}, record_state::available, 2},
                            {offset{42}, offset{44}, record_state::acknowledged, 0},
                            {offset{45}, offset{45}, record_state::archived, 0}}};
  share_state_write_request share_write{"workers", "jobs", partition_id{1}, leader_epoch{3}, share_sample};
  share_state_write_response share_written{sample_error(errc::fenced_leader_epoch)};
  share_state_read_request share_read{"workers", "jobs", partition_id{1}};
  share_state_read_response share_state_read{sample_error(errc::coordinator_not_available), true,
                                             leader_epoch{3}, share_sample};

  return {produce, produced, fetch, fetched, metadata, cluster, create, created, del, deleted,
          list, listed, offsets, found, refused, grow, grown, describe, described,
          join, joined, sync, synced, beat, beaten, leave, left, commit, committed,
          fetch_offsets, fetched_offsets, list_groups, groups, describe_groups, group_described,
          raft, heartbeat, heartbeat_answer, cluster_status_request{}, status, alter, altered,
          epoch_query, epoch_answer, reassign, reassigned, elect, elected, decommission,
          decommissioned, inspect, inspected, init_pid, pid, alloc, block, add_parts, parts_added,
          txn_commit, txn_committed, end_txn, txn_ended, list_txns, txns, describe_txns,
          txns_described, markers, markers_written, share_fetch, share_fetched, share_ack,
          share_acked, share_write, share_written, share_read, share_state_read};
}

// Raft payloads beyond the append of samples(), one message each, so that the round-trip and
// mutation suites cover every union member with its fields away from their defaults.
inline std::vector<raft_message> more_raft_samples() {
  return {
    {node_id{2}, node_id{3},
     install_snapshot_request{raft_term{9}, node_id{2},
                              raft_snapshot{log_index{1200}, raft_term{8},
                                            std::string{"image\0with nul", 14}}}},
    {node_id{3}, node_id{2}, install_snapshot_response{raft_term{9}, log_index{1200}}},
  };
}

// Calls f(x) for each sample message x.
template <class F>
void for_each_sample(F&& f) {
  auto all = samples();
  std::apply([&](auto&... xs) { (f(xs), ...); }, all);
  for (auto& x : more_raft_samples())
    f(x);
}

// Decodes `bytes` as the message type `kind` names and hands the value to on_value; an
// unknown kind is invalid_request, as decode<T> would answer.
template <class OnValue>
status decode_bytes_as(message_kind kind, std::span<const char> bytes, OnValue&& on_value) {
  status out = error{errc::invalid_request, "no message type has this kind"};
  for_each_message_type([&](auto x) {
    using T = decltype(x);
    if (kind != T::kind)
      return;
    auto r = decode_bytes<T>(bytes);
    if (!r) {
      out = r.err();
      return;
    }
    on_value(*r);
    out = status{};
  });
  return out;
}

// Decodes `e` as the message type its kind tag names.
template <class OnValue>
status decode_as_tagged(const envelope& e, OnValue&& on_value) {
  return decode_bytes_as(e.kind, e.bytes, std::forward<OnValue>(on_value));
}

} // namespace sluice::schema::test

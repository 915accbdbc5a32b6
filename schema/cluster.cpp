#include "schema/cluster.hpp"

#include "schema/cluster.capnp.h"
#include "schema/framing.hpp"

namespace sluice::schema {

using namespace framing;

namespace {

constexpr size_t entry_overhead_bytes = 96;

} // namespace

envelope encode(const broker_heartbeat_request& x) {
  return write<wire::BrokerHeartbeatRequest>(
    x.kind, 64 + x.host.size() + x.rack.size(), [&](wire::BrokerHeartbeatRequest::Builder b) {
      b.setNodeId(x.id.value);
      b.setHost(text(x.host));
      b.setPort(x.port);
      if (!x.rack.empty())
        b.setRack(text(x.rack));
      b.setBrokerEpoch(x.broker_epoch);
    });
}

template <>
result<broker_heartbeat_request> decode_bytes<broker_heartbeat_request>(std::span<const char> bytes) {
  return read<wire::BrokerHeartbeatRequest, broker_heartbeat_request>(
    bytes, [](wire::BrokerHeartbeatRequest::Reader r) -> result<broker_heartbeat_request> {
      return broker_heartbeat_request{node_id{r.getNodeId()}, str(r.getHost()), r.getPort(),
                                      str(r.getRack()), r.getBrokerEpoch()};
    });
}

envelope encode(const broker_heartbeat_response& x) {
  return write<wire::BrokerHeartbeatResponse>(
    x.kind, 64 + x.error.message.size(), [&](wire::BrokerHeartbeatResponse::Builder b) {
      set_error(b, x.error);
      b.setBrokerEpoch(x.broker_epoch);
      b.setFenced(x.fenced);
      b.setLeaderId(x.leader.value);
    });
}

template <>
result<broker_heartbeat_response>
decode_bytes<broker_heartbeat_response>(std::span<const char> bytes) {
  return read<wire::BrokerHeartbeatResponse, broker_heartbeat_response>(
    bytes, [](wire::BrokerHeartbeatResponse::Reader r) -> result<broker_heartbeat_response> {
      return broker_heartbeat_response{get_error(r), r.getBrokerEpoch(), r.getFenced(),
                                       node_id{r.getLeaderId()}};
    });
}

envelope encode(const cluster_status_request& x) {
  return write<wire::ClusterStatusRequest>(x.kind, 16, [](wire::ClusterStatusRequest::Builder) {});
}

template <>
result<cluster_status_request> decode_bytes<cluster_status_request>(std::span<const char> bytes) {
  return read<wire::ClusterStatusRequest, cluster_status_request>(
    bytes, [](wire::ClusterStatusRequest::Reader) -> result<cluster_status_request> {
      return cluster_status_request{};
    });
}

envelope encode(const cluster_status_response& x) {
  size_t expected = 96 + x.error.message.size();
  for (auto& c : x.controllers)
    expected += entry_overhead_bytes + c.host.size();
  for (auto& b : x.brokers)
    expected += entry_overhead_bytes + b.host.size() + b.rack.size();
  return write<wire::ClusterStatusResponse>(
    x.kind, expected, [&](wire::ClusterStatusResponse::Builder b) {
      set_error(b, x.error);
      b.setLeaderId(x.leader.value);
      b.setTerm(x.term);
      b.setCommitIndex(x.commit_index);
      auto cs = b.initControllers(list_size(x.controllers.size()));
      for (unsigned i = 0; i < cs.size(); ++i) {
        auto& in = x.controllers[i];
        cs[i].setNodeId(in.id.value);
        cs[i].setHost(text(in.host));
        cs[i].setPort(in.port);
        cs[i].setMatchIndex(in.match_index);
      }
      auto bs = b.initBrokers(list_size(x.brokers.size()));
      for (unsigned i = 0; i < bs.size(); ++i) {
        auto& in = x.brokers[i];
        auto out = bs[i];
        out.setNodeId(in.id.value);
        out.setHost(text(in.host));
        out.setPort(in.port);
        if (!in.rack.empty())
          out.setRack(text(in.rack));
        out.setBrokerEpoch(in.broker_epoch);
        out.setFenced(in.fenced);
        out.setLastHeartbeatMsAgo(in.last_heartbeat_ms_ago);
        out.setReplicas(in.replicas);
        out.setLeaderOf(in.leader_of);
        out.setDecommissioned(in.decommissioned);
      }
    });
}

template <>
result<cluster_status_response> decode_bytes<cluster_status_response>(std::span<const char> bytes) {
  return read<wire::ClusterStatusResponse, cluster_status_response>(
    bytes, [](wire::ClusterStatusResponse::Reader r) -> result<cluster_status_response> {
      cluster_status_response out;
      out.error = get_error(r);
      out.leader = node_id{r.getLeaderId()};
      out.term = r.getTerm();
      out.commit_index = r.getCommitIndex();
      for (auto c : r.getControllers())
        out.controllers.push_back({node_id{c.getNodeId()}, str(c.getHost()), c.getPort(),
                                   c.getMatchIndex()});
      for (auto b : r.getBrokers())
        out.brokers.push_back({node_id{b.getNodeId()}, str(b.getHost()), b.getPort(),
                               str(b.getRack()), b.getBrokerEpoch(), b.getFenced(),
                               b.getLastHeartbeatMsAgo(), b.getReplicas(), b.getLeaderOf(),
                               b.getDecommissioned()});
      return out;
    });
}

envelope encode(const alter_partition_request& x) {
  return write<wire::AlterPartitionRequest>(
    x.kind, 64 + x.topic.size() + 4 * x.isr.size(), [&](wire::AlterPartitionRequest::Builder b) {
      b.setTopic(text(x.topic));
      b.setPartition(x.partition);
      b.setLeaderId(x.leader.value);
      b.setLeaderEpoch(x.epoch.value);
      b.setPartitionEpoch(x.partition_epoch);
      set_node_ids(b.initIsr(list_size(x.isr.size())), x.isr);
      b.setSeq(x.seq);
    });
}

template <>
result<alter_partition_request> decode_bytes<alter_partition_request>(std::span<const char> bytes) {
  return read<wire::AlterPartitionRequest, alter_partition_request>(
    bytes, [](wire::AlterPartitionRequest::Reader r) -> result<alter_partition_request> {
      return alter_partition_request{str(r.getTopic()), r.getPartition(), node_id{r.getLeaderId()},
                                     leader_epoch{r.getLeaderEpoch()}, r.getPartitionEpoch(),
                                     get_node_ids(r.getIsr()), r.getSeq()};
    });
}

envelope encode(const alter_partition_response& x) {
  return write<wire::AlterPartitionResponse>(
    x.kind, 64 + x.error.message.size() + 4 * x.isr.size(),
    [&](wire::AlterPartitionResponse::Builder b) {
      set_error(b, x.error);
      b.setLeaderId(x.leader.value);
      b.setLeaderEpoch(x.epoch.value);
      b.setPartitionEpoch(x.partition_epoch);
      set_node_ids(b.initIsr(list_size(x.isr.size())), x.isr);
    });
}

template <>
result<alter_partition_response>
decode_bytes<alter_partition_response>(std::span<const char> bytes) {
  return read<wire::AlterPartitionResponse, alter_partition_response>(
    bytes, [](wire::AlterPartitionResponse::Reader r) -> result<alter_partition_response> {
      return alter_partition_response{get_error(r), node_id{r.getLeaderId()},
                                      leader_epoch{r.getLeaderEpoch()}, r.getPartitionEpoch(),
                                      get_node_ids(r.getIsr())};
    });
}

envelope encode(const offset_for_leader_epoch_request& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += entry_overhead_bytes + p.topic.size();
  return write<wire::OffsetForLeaderEpochRequest>(
    x.kind, expected, [&](wire::OffsetForLeaderEpochRequest::Builder b) {
      b.setReplicaId(x.replica_id.value);
      auto ps = b.initPartitions(list_size(x.partitions.size()));
      for (unsigned i = 0; i < ps.size(); ++i) {
        auto& in = x.partitions[i];
        auto out = ps[i];
        out.setTopic(text(in.topic));
        out.setPartition(in.partition.value);
        out.setCurrentLeaderEpoch(in.current_leader_epoch.value);
        out.setLeaderEpoch(in.epoch.value);
      }
    });
}

template <>
result<offset_for_leader_epoch_request>
decode_bytes<offset_for_leader_epoch_request>(std::span<const char> bytes) {
  return read<wire::OffsetForLeaderEpochRequest, offset_for_leader_epoch_request>(
    bytes,
    [](wire::OffsetForLeaderEpochRequest::Reader r) -> result<offset_for_leader_epoch_request> {
      offset_for_leader_epoch_request x;
      x.replica_id = node_id{r.getReplicaId()};
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()},
                                leader_epoch{p.getCurrentLeaderEpoch()},
                                leader_epoch{p.getLeaderEpoch()}});
      return x;
    });
}

envelope encode(const offset_for_leader_epoch_response& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += entry_overhead_bytes + p.topic.size() + p.error.message.size();
  return write<wire::OffsetForLeaderEpochResponse>(
    x.kind, expected, [&](wire::OffsetForLeaderEpochResponse::Builder b) {
      auto ps = b.initPartitions(list_size(x.partitions.size()));
      for (unsigned i = 0; i < ps.size(); ++i) {
        auto& in = x.partitions[i];
        auto out = ps[i];
        out.setTopic(text(in.topic));
        out.setPartition(in.partition.value);
        set_error(out, in.error);
        out.setLeaderEpoch(in.epoch.value);
        out.setEndOffset(in.end_offset.value);
      }
    });
}

template <>
result<offset_for_leader_epoch_response>
decode_bytes<offset_for_leader_epoch_response>(std::span<const char> bytes) {
  return read<wire::OffsetForLeaderEpochResponse, offset_for_leader_epoch_response>(
    bytes,
    [](wire::OffsetForLeaderEpochResponse::Reader r) -> result<offset_for_leader_epoch_response> {
      offset_for_leader_epoch_response x;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p),
                                leader_epoch{p.getLeaderEpoch()}, offset{p.getEndOffset()}});
      return x;
    });
}

namespace {

size_t ids_bytes(const std::vector<node_id>& ids) { return 4 * ids.size() + 8; }

} // namespace

envelope encode(const reassign_partitions_request& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += entry_overhead_bytes + p.topic.size() + ids_bytes(p.replicas);
  return write<wire::ReassignPartitionsRequest>(
    x.kind, expected, [&](wire::ReassignPartitionsRequest::Builder b) {
      auto ps = b.initPartitions(list_size(x.partitions.size()));
      for (unsigned i = 0; i < ps.size(); ++i) {
        auto& in = x.partitions[i];
        auto out = ps[i];
        out.setTopic(text(in.topic));
        out.setPartition(in.partition);
        set_node_ids(out.initReplicas(list_size(in.replicas.size())), in.replicas);
        out.setCancel(in.cancel);
      }
    });
}

template <>
result<reassign_partitions_request>
decode_bytes<reassign_partitions_request>(std::span<const char> bytes) {
  return read<wire::ReassignPartitionsRequest, reassign_partitions_request>(
    bytes, [](wire::ReassignPartitionsRequest::Reader r) -> result<reassign_partitions_request> {
      reassign_partitions_request x;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), p.getPartition(), get_node_ids(p.getReplicas()),
                                p.getCancel()});
      return x;
    });
}

envelope encode(const reassign_partitions_response& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += entry_overhead_bytes + p.topic.size() + p.error.message.size()
                + ids_bytes(p.replicas) + ids_bytes(p.adding) + ids_bytes(p.removing);
  return write<wire::ReassignPartitionsResponse>(
    x.kind, expected, [&](wire::ReassignPartitionsResponse::Builder b) {
      auto ps = b.initPartitions(list_size(x.partitions.size()));
      for (unsigned i = 0; i < ps.size(); ++i) {
        auto& in = x.partitions[i];
        auto out = ps[i];
        out.setTopic(text(in.topic));
        out.setPartition(in.partition);
        set_error(out, in.error);
        set_node_ids(out.initReplicas(list_size(in.replicas.size())), in.replicas);
        set_node_ids(out.initAddingReplicas(list_size(in.adding.size())), in.adding);
        set_node_ids(out.initRemovingReplicas(list_size(in.removing.size())), in.removing);
      }
    });
}

template <>
result<reassign_partitions_response>
decode_bytes<reassign_partitions_response>(std::span<const char> bytes) {
  return read<wire::ReassignPartitionsResponse, reassign_partitions_response>(
    bytes, [](wire::ReassignPartitionsResponse::Reader r) -> result<reassign_partitions_response> {
      reassign_partitions_response x;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), p.getPartition(), get_error(p),
                                get_node_ids(p.getReplicas()), get_node_ids(p.getAddingReplicas()),
                                get_node_ids(p.getRemovingReplicas())});
      return x;
    });
}

envelope encode(const elect_leaders_request& x) {
  return write<wire::ElectLeadersRequest>(x.kind, 32 + x.topic.size(),
                                          [&](wire::ElectLeadersRequest::Builder b) {
                                            if (!x.topic.empty())
                                              b.setTopic(text(x.topic));
                                          });
}

template <>
result<elect_leaders_request> decode_bytes<elect_leaders_request>(std::span<const char> bytes) {
  return read<wire::ElectLeadersRequest, elect_leaders_request>(
    bytes, [](wire::ElectLeadersRequest::Reader r) -> result<elect_leaders_request> {
      return elect_leaders_request{str(r.getTopic())};
    });
}

envelope encode(const elect_leaders_response& x) {
  size_t expected = 64 + x.error.message.size();
  for (auto& e : x.elected)
    expected += entry_overhead_bytes + e.topic.size();
  return write<wire::ElectLeadersResponse>(
    x.kind, expected, [&](wire::ElectLeadersResponse::Builder b) {
      set_error(b, x.error);
      auto es = b.initElected(list_size(x.elected.size()));
      for (unsigned i = 0; i < es.size(); ++i) {
        auto& in = x.elected[i];
        auto out = es[i];
        out.setTopic(text(in.topic));
        out.setPartition(in.partition);
        out.setFrom(in.from.value);
        out.setTo(in.to.value);
        out.setLeaderEpoch(in.epoch.value);
      }
    });
}

template <>
result<elect_leaders_response> decode_bytes<elect_leaders_response>(std::span<const char> bytes) {
  return read<wire::ElectLeadersResponse, elect_leaders_response>(
    bytes, [](wire::ElectLeadersResponse::Reader r) -> result<elect_leaders_response> {
      elect_leaders_response x;
      x.error = get_error(r);
      auto es = r.getElected();
      x.elected.reserve(es.size());
      for (auto e : es)
        x.elected.push_back({str(e.getTopic()), e.getPartition(), node_id{e.getFrom()},
                             node_id{e.getTo()}, leader_epoch{e.getLeaderEpoch()}});
      return x;
    });
}

envelope encode(const decommission_broker_request& x) {
  return write<wire::DecommissionBrokerRequest>(x.kind, 32,
                                                [&](wire::DecommissionBrokerRequest::Builder b) {
                                                  b.setNodeId(x.id.value);
                                                  b.setCancel(x.cancel);
                                                });
}

template <>
result<decommission_broker_request>
decode_bytes<decommission_broker_request>(std::span<const char> bytes) {
  return read<wire::DecommissionBrokerRequest, decommission_broker_request>(
    bytes, [](wire::DecommissionBrokerRequest::Reader r) -> result<decommission_broker_request> {
      return decommission_broker_request{node_id{r.getNodeId()}, r.getCancel()};
    });
}

envelope encode(const decommission_broker_response& x) {
  size_t expected = 64 + x.error.message.size();
  for (auto& m : x.moves)
    expected += entry_overhead_bytes + m.topic.size() + ids_bytes(m.replicas);
  return write<wire::DecommissionBrokerResponse>(
    x.kind, expected, [&](wire::DecommissionBrokerResponse::Builder b) {
      set_error(b, x.error);
      auto ms = b.initMoves(list_size(x.moves.size()));
      for (unsigned i = 0; i < ms.size(); ++i) {
        auto& in = x.moves[i];
        auto out = ms[i];
        out.setTopic(text(in.topic));
        out.setPartition(in.partition);
        set_node_ids(out.initReplicas(list_size(in.replicas.size())), in.replicas);
      }
    });
}

template <>
result<decommission_broker_response>
decode_bytes<decommission_broker_response>(std::span<const char> bytes) {
  return read<wire::DecommissionBrokerResponse, decommission_broker_response>(
    bytes, [](wire::DecommissionBrokerResponse::Reader r) -> result<decommission_broker_response> {
      decommission_broker_response x;
      x.error = get_error(r);
      auto ms = r.getMoves();
      x.moves.reserve(ms.size());
      for (auto m : ms)
        x.moves.push_back({str(m.getTopic()), m.getPartition(), get_node_ids(m.getReplicas())});
      return x;
    });
}

} // namespace sluice::schema

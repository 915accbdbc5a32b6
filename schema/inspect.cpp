#include "schema/inspect.hpp"

#include "schema/framing.hpp"
#include "schema/inspect.capnp.h"

namespace sluice::schema {

using namespace framing;

namespace {

using wire_response = wire::InspectResponse;

constexpr size_t entry_overhead_bytes = 128;

void set_replica(wire_response::Replica::Builder b, const replica_status& x) {
  b.setTopic(text(x.topic));
  b.setPartition(x.partition.value);
  b.setRole(text(x.role));
  b.setLeaderId(x.leader.value);
  b.setLeaderEpoch(x.epoch.value);
  b.setLogStart(x.log_start.value);
  b.setLogEnd(x.log_end.value);
  b.setHighWatermark(x.high_watermark.value);
  set_node_ids(b.initReplicas(list_size(x.replicas.size())), x.replicas);
  set_node_ids(b.initIsr(list_size(x.isr.size())), x.isr);
  auto fs = b.initFollowers(list_size(x.followers.size()));
  for (unsigned i = 0; i < fs.size(); ++i) {
    auto& f = x.followers[i];
    fs[i].setNodeId(f.id.value);
    fs[i].setFetchOffset(f.fetch_offset.value);
    fs[i].setLagRecords(f.lag_records);
    fs[i].setCaughtUpMsAgo(f.caught_up_ms_ago);
    fs[i].setInIsr(f.in_isr);
  }
  if (!x.error.empty())
    b.setError(text(x.error));
}

replica_status get_replica(wire_response::Replica::Reader r) {
  replica_status x{str(r.getTopic()),        partition_id{r.getPartition()},
                   str(r.getRole()),         node_id{r.getLeaderId()},
                   leader_epoch{r.getLeaderEpoch()}, offset{r.getLogStart()},
                   offset{r.getLogEnd()},    offset{r.getHighWatermark()},
                   get_node_ids(r.getReplicas()), get_node_ids(r.getIsr()),
                   {},                       str(r.getError())};
  for (auto f : r.getFollowers())
    x.followers.push_back({node_id{f.getNodeId()}, offset{f.getFetchOffset()}, f.getLagRecords(),
                           f.getCaughtUpMsAgo(), f.getInIsr()});
  return x;
}

void set_group(wire_response::Group::Builder b, const group_status& x) {
  b.setGroupId(text(x.group_id));
  b.setState(text(x.state));
  b.setGeneration(x.generation.value);
  b.setProtocol(text(x.protocol));
  b.setLeader(text(x.leader));
  b.setOffsetsPartition(x.offsets_partition.value);
  auto ms = b.initMembers(list_size(x.members.size()));
  for (unsigned i = 0; i < ms.size(); ++i) {
    ms[i].setMemberId(text(x.members[i].member_id));
    if (!x.members[i].group_instance_id.empty())
      ms[i].setGroupInstanceId(text(x.members[i].group_instance_id));
    ms[i].setPartitions(x.members[i].partitions);
  }
  if (!x.error.empty())
    b.setError(text(x.error));
}

group_status get_group(wire_response::Group::Reader r) {
  group_status x{str(r.getGroupId()),
                 str(r.getState()),
                 generation_id{r.getGeneration()},
                 str(r.getProtocol()),
                 str(r.getLeader()),
                 partition_id{r.getOffsetsPartition()},
                 {},
                 str(r.getError())};
  for (auto m : r.getMembers())
    x.members.push_back({str(m.getMemberId()), str(m.getGroupInstanceId()), m.getPartitions()});
  return x;
}

void set_requests(capnp::List<wire_response::RequestStats>::Builder bs, const std::vector<request_stats>& xs) {
  for (unsigned i = 0; i < bs.size(); ++i) {
    auto& x = xs[i];
    bs[i].setKind(text(x.kind));
    bs[i].setCount(x.count);
    bs[i].setErrors(x.errors);
    bs[i].setBytes(x.bytes);
    bs[i].setLatencySumMicros(x.latency_sum_us);
    auto buckets = bs[i].initLatencyBuckets(list_size(x.latency_buckets.size()));
    for (unsigned j = 0; j < buckets.size(); ++j)
      buckets.set(j, x.latency_buckets[j]);
  }
}

// A histogram with other bounds than ours cannot be read bucket by bucket: refused.
result<request_stats> get_request_stats(wire_response::RequestStats::Reader r) {
  request_stats x{str(r.getKind()), r.getCount(), r.getErrors(), r.getBytes(),
                  r.getLatencySumMicros(), {}};
  auto buckets = r.getLatencyBuckets();
  if (buckets.size() != latency_bounds_us.size() + 1)
    return error{errc::invalid_request, "request stats '" + x.kind + "' carry "
                                          + std::to_string(buckets.size()) + " latency buckets, not "
                                          + std::to_string(latency_bounds_us.size() + 1)};
  for (auto b : buckets)
    x.latency_buckets.push_back(b);
  return x;
}

size_t expected_bytes(const inspect_response& x) {
  size_t n = 96 + x.error.message.size() + x.tree.size();
  for (auto& r : x.replicas)
    n += entry_overhead_bytes + r.topic.size() + r.error.size() + 48 * r.followers.size()
         + 4 * (r.replicas.size() + r.isr.size());
  for (auto& g : x.groups) {
    n += entry_overhead_bytes + g.group_id.size() + g.leader.size() + g.error.size();
    for (auto& m : g.members)
      n += 32 + m.member_id.size() + m.group_instance_id.size();
  }
  for (auto& c : x.controllers)
    n += 32 + c.host.size();
  for (auto& r : x.requests)
    n += 64 + r.kind.size() + 8 * r.latency_buckets.size();
  return n;
}

} // namespace

envelope encode(const inspect_request& x) {
  return write<wire::InspectRequest>(x.kind, 32 + x.filter.size(), [&](wire::InspectRequest::Builder b) {
    if (!x.filter.empty())
      b.setFilter(text(x.filter));
  });
}

template <>
result<inspect_request> decode_bytes<inspect_request>(std::span<const char> bytes) {
  return read<wire::InspectRequest, inspect_request>(
    bytes, [](wire::InspectRequest::Reader r) -> result<inspect_request> {
      return inspect_request{str(r.getFilter())};
    });
}

envelope encode(const inspect_response& x) {
  return write<wire_response>(x.kind, expected_bytes(x), [&](wire_response::Builder b) {
    set_error(b, x.error);
    b.setNodeId(x.node.value);
    b.setTree(text(x.tree));
    auto rs = b.initReplicas(list_size(x.replicas.size()));
    for (unsigned i = 0; i < rs.size(); ++i)
      set_replica(rs[i], x.replicas[i]);
    auto gs = b.initGroups(list_size(x.groups.size()));
    for (unsigned i = 0; i < gs.size(); ++i)
      set_group(gs[i], x.groups[i]);
    auto cs = b.initControllers(list_size(x.controllers.size()));
    for (unsigned i = 0; i < cs.size(); ++i) {
      cs[i].setNodeId(x.controllers[i].id.value);
      cs[i].setHost(text(x.controllers[i].host));
      cs[i].setPort(x.controllers[i].port);
    }
    set_requests(b.initRequests(list_size(x.requests.size())), x.requests);
  });
}

template <>
result<inspect_response> decode_bytes<inspect_response>(std::span<const char> bytes) {
  return read<wire_response, inspect_response>(bytes, [](wire_response::Reader r) -> result<inspect_response> {
    inspect_response out;
    out.error = get_error(r);
    out.node = node_id{r.getNodeId()};
    out.tree = str(r.getTree());
    for (auto x : r.getReplicas())
      out.replicas.push_back(get_replica(x));
    for (auto x : r.getGroups())
      out.groups.push_back(get_group(x));
    for (auto c : r.getControllers())
      out.controllers.push_back({node_id{c.getNodeId()}, str(c.getHost()), c.getPort()});
    for (auto x : r.getRequests()) {
      auto stats = get_request_stats(x);
      if (!stats)
        return stats.err();
      out.requests.push_back(std::move(*stats));
    }
    return out;
  });
}

} // namespace sluice::schema

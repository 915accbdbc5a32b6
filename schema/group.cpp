#include "schema/group.hpp"

#include "schema/framing.hpp"
#include "schema/group.capnp.h"

namespace sluice::schema {

using namespace framing;

namespace {

constexpr size_t entry_overhead_bytes = 64;

using wire_partitions = capnp::List<wire::GroupPartition>;

void set_partitions(wire_partitions::Builder out, const std::vector<group_partition>& in) {
  for (unsigned i = 0; i < out.size(); ++i) {
    out[i].setTopic(text(in[i].topic));
    out[i].setPartition(in[i].partition.value);
  }
}

std::vector<group_partition> get_partitions(wire_partitions::Reader in) {
  std::vector<group_partition> out;
  out.reserve(in.size());
  for (auto p : in)
    out.push_back({str(p.getTopic()), partition_id{p.getPartition()}});
  return out;
}

size_t partitions_bytes(const std::vector<group_partition>& v) {
  size_t n = 0;
  for (auto& p : v)
    n += 24 + p.topic.size();
  return n;
}

size_t strings_bytes(const std::vector<std::string>& v) {
  size_t n = 0;
  for (auto& s : v)
    n += 16 + s.size();
  return n;
}

// A null Text is "no instance id" (a dynamic member); an empty one is an id, and refused.
template <class Builder>
void set_instance(Builder b, const std::optional<std::string>& id) {
  if (id)
    b.setGroupInstanceId(text(*id));
}

template <class Reader>
std::optional<std::string> get_instance(Reader r) {
  if (!r.hasGroupInstanceId())
    return std::nullopt;
  return str(r.getGroupInstanceId());
}

template <class Builder>
void set_member(Builder b, const group_member_ref& m) {
  b.setGroupId(text(m.group_id));
  b.setGenerationId(m.generation.value);
  b.setMemberId(text(m.member_id));
  set_instance(b, m.group_instance_id);
}

template <class Reader>
group_member_ref get_member(Reader r) {
  return {str(r.getGroupId()), generation_id{r.getGenerationId()}, str(r.getMemberId()),
          get_instance(r)};
}

size_t member_bytes(const group_member_ref& m) {
  return 64 + m.group_id.size() + m.member_id.size() + m.group_instance_id.value_or("").size();
}

// Responses that are only an error.
template <class Wire, class T>
envelope encode_error_only(const T& x) {
  return write<Wire>(x.kind, 32 + x.error.message.size(),
                     [&](typename Wire::Builder b) { set_error(b, x.error); });
}

template <class Wire, class T>
result<T> decode_error_only(std::span<const char> bytes) {
  return read<Wire, T>(bytes, [](typename Wire::Reader r) -> result<T> { return T{get_error(r)}; });
}

} // namespace

// ---- join ---------------------------------------------------------------------------------------

envelope encode(const join_group_request& x) {
  auto expected = 96 + x.group_id.size() + x.member_id.size()
                  + x.group_instance_id.value_or("").size() + strings_bytes(x.protocols)
                  + strings_bytes(x.topics) + partitions_bytes(x.owned);
  return write<wire::JoinGroupRequest>(x.kind, expected, [&](wire::JoinGroupRequest::Builder b) {
    b.setGroupId(text(x.group_id));
    b.setSessionTimeoutMs(x.session_timeout_ms);
    b.setRebalanceTimeoutMs(x.rebalance_timeout_ms);
    b.setMemberId(text(x.member_id));
    set_instance(b, x.group_instance_id);
    b.setProtocolType(text(x.protocol_type));
    set_strings(b.initProtocols(list_size(x.protocols.size())), x.protocols);
    set_strings(b.initTopics(list_size(x.topics.size())), x.topics);
    set_partitions(b.initOwned(list_size(x.owned.size())), x.owned);
  });
}

template <>
result<join_group_request> decode_bytes<join_group_request>(std::span<const char> bytes) {
  return read<wire::JoinGroupRequest, join_group_request>(
    bytes, [](wire::JoinGroupRequest::Reader r) -> result<join_group_request> {
      return join_group_request{str(r.getGroupId()),
                                r.getSessionTimeoutMs(),
                                r.getRebalanceTimeoutMs(),
                                str(r.getMemberId()),
                                get_instance(r),
                                str(r.getProtocolType()),
                                strings(r.getProtocols()),
                                strings(r.getTopics()),
                                get_partitions(r.getOwned())};
    });
}

envelope encode(const join_group_response& x) {
  auto expected = 96 + x.error.message.size() + x.protocol.size() + x.leader.size()
                  + x.member_id.size() + strings_bytes(x.members);
  return write<wire::JoinGroupResponse>(x.kind, expected, [&](wire::JoinGroupResponse::Builder b) {
    set_error(b, x.error);
    b.setGenerationId(x.generation.value);
    b.setProtocolName(text(x.protocol));
    b.setLeader(text(x.leader));
    b.setMemberId(text(x.member_id));
    set_strings(b.initMembers(list_size(x.members.size())), x.members);
  });
}

template <>
result<join_group_response> decode_bytes<join_group_response>(std::span<const char> bytes) {
  return read<wire::JoinGroupResponse, join_group_response>(
    bytes, [](wire::JoinGroupResponse::Reader r) -> result<join_group_response> {
      return join_group_response{get_error(r),         generation_id{r.getGenerationId()},
                                 str(r.getProtocolName()), str(r.getLeader()),
                                 str(r.getMemberId()), strings(r.getMembers())};
    });
}

// ---- sync, heartbeat, leave -------------------------------------------------------------------

envelope encode(const sync_group_request& x) {
  return write<wire::SyncGroupRequest>(x.kind, member_bytes(x.member),
                                       [&](wire::SyncGroupRequest::Builder b) { set_member(b, x.member); });
}

template <>
result<sync_group_request> decode_bytes<sync_group_request>(std::span<const char> bytes) {
  return read<wire::SyncGroupRequest, sync_group_request>(
    bytes, [](wire::SyncGroupRequest::Reader r) -> result<sync_group_request> {
      return sync_group_request{get_member(r)};
    });
}

envelope encode(const sync_group_response& x) {
  auto expected = 48 + x.error.message.size() + partitions_bytes(x.assignment);
  return write<wire::SyncGroupResponse>(x.kind, expected, [&](wire::SyncGroupResponse::Builder b) {
    set_error(b, x.error);
    set_partitions(b.initAssignment(list_size(x.assignment.size())), x.assignment);
  });
}

template <>
result<sync_group_response> decode_bytes<sync_group_response>(std::span<const char> bytes) {
  return read<wire::SyncGroupResponse, sync_group_response>(
    bytes, [](wire::SyncGroupResponse::Reader r) -> result<sync_group_response> {
      return sync_group_response{get_error(r), get_partitions(r.getAssignment())};
    });
}

envelope encode(const heartbeat_request& x) {
  return write<wire::HeartbeatRequest>(x.kind, member_bytes(x.member),
                                       [&](wire::HeartbeatRequest::Builder b) { set_member(b, x.member); });
}

template <>
result<heartbeat_request> decode_bytes<heartbeat_request>(std::span<const char> bytes) {
  return read<wire::HeartbeatRequest, heartbeat_request>(
    bytes, [](wire::HeartbeatRequest::Reader r) -> result<heartbeat_request> {
      return heartbeat_request{get_member(r)};
    });
}

envelope encode(const heartbeat_response& x) {
  return encode_error_only<wire::HeartbeatResponse>(x);
}

template <>
result<heartbeat_response> decode_bytes<heartbeat_response>(std::span<const char> bytes) {
  return decode_error_only<wire::HeartbeatResponse, heartbeat_response>(bytes);
}

envelope encode(const leave_group_request& x) {
  return write<wire::LeaveGroupRequest>(x.kind, 48 + x.group_id.size() + x.member_id.size(),
                                        [&](wire::LeaveGroupRequest::Builder b) {
                                          b.setGroupId(text(x.group_id));
                                          b.setMemberId(text(x.member_id));
                                        });
}

template <>
result<leave_group_request> decode_bytes<leave_group_request>(std::span<const char> bytes) {
  return read<wire::LeaveGroupRequest, leave_group_request>(
    bytes, [](wire::LeaveGroupRequest::Reader r) -> result<leave_group_request> {
      return leave_group_request{str(r.getGroupId()), str(r.getMemberId())};
    });
}

envelope encode(const leave_group_response& x) {
  return encode_error_only<wire::LeaveGroupResponse>(x);
}

template <>
result<leave_group_response> decode_bytes<leave_group_response>(std::span<const char> bytes) {
  return decode_error_only<wire::LeaveGroupResponse, leave_group_response>(bytes);
}

// ---- committed offsets ------------------------------------------------------------------------

envelope encode(const offset_commit_request& x) {
  auto expected = member_bytes(x.member);
  for (auto& p : x.partitions)
    expected += entry_overhead_bytes + p.topic.size() + p.metadata.size();
  return write<wire::OffsetCommitRequest>(x.kind, expected, [&](wire::OffsetCommitRequest::Builder b) {
    set_member(b, x.member);
    auto ps = b.initPartitions(list_size(x.partitions.size()));
    for (unsigned i = 0; i < ps.size(); ++i) {
      auto& in = x.partitions[i];
      ps[i].setTopic(text(in.topic));
      ps[i].setPartition(in.partition.value);
      ps[i].setOffset(in.committed.value);
      ps[i].setLeaderEpoch(in.epoch.value);
      ps[i].setMetadata(text(in.metadata));
    }
  });
}

template <>
result<offset_commit_request> decode_bytes<offset_commit_request>(std::span<const char> bytes) {
  return read<wire::OffsetCommitRequest, offset_commit_request>(
    bytes, [](wire::OffsetCommitRequest::Reader r) -> result<offset_commit_request> {
      offset_commit_request x{get_member(r), {}};
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()},
                                offset{p.getOffset()}, leader_epoch{p.getLeaderEpoch()},
                                str(p.getMetadata())});
      return x;
    });
}

envelope encode(const offset_commit_response& x) {
  size_t expected = 32;
  for (auto& p : x.partitions)
    expected += entry_overhead_bytes + p.topic.size() + p.error.message.size();
  return write<wire::OffsetCommitResponse>(x.kind, expected, [&](wire::OffsetCommitResponse::Builder b) {
    auto ps = b.initPartitions(list_size(x.partitions.size()));
    for (unsigned i = 0; i < ps.size(); ++i) {
      auto& in = x.partitions[i];
      ps[i].setTopic(text(in.topic));
      ps[i].setPartition(in.partition.value);
      set_error(ps[i], in.error);
    }
  });
}

template <>
result<offset_commit_response> decode_bytes<offset_commit_response>(std::span<const char> bytes) {
  return read<wire::OffsetCommitResponse, offset_commit_response>(
    bytes, [](wire::OffsetCommitResponse::Reader r) -> result<offset_commit_response> {
      offset_commit_response x;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p)});
      return x;
    });
}

envelope encode(const offset_fetch_request& x) {
  return write<wire::OffsetFetchRequest>(
    x.kind, 48 + x.group_id.size() + partitions_bytes(x.partitions),
    [&](wire::OffsetFetchRequest::Builder b) {
      b.setGroupId(text(x.group_id));
      set_partitions(b.initPartitions(list_size(x.partitions.size())), x.partitions);
    });
}

template <>
result<offset_fetch_request> decode_bytes<offset_fetch_request>(std::span<const char> bytes) {
  return read<wire::OffsetFetchRequest, offset_fetch_request>(
    bytes, [](wire::OffsetFetchRequest::Reader r) -> result<offset_fetch_request> {
      return offset_fetch_request{str(r.getGroupId()), get_partitions(r.getPartitions())};
    });
}

envelope encode(const offset_fetch_response& x) {
  auto expected = 48 + x.error.message.size();
  for (auto& p : x.partitions)
    expected += entry_overhead_bytes + p.topic.size() + p.metadata.size() + p.error.message.size();
  return write<wire::OffsetFetchResponse>(x.kind, expected, [&](wire::OffsetFetchResponse::Builder b) {
    set_error(b, x.error);
    auto ps = b.initPartitions(list_size(x.partitions.size()));
    for (unsigned i = 0; i < ps.size(); ++i) {
      auto& in = x.partitions[i];
      ps[i].setTopic(text(in.topic));
      ps[i].setPartition(in.partition.value);
      ps[i].setOffset(in.committed.value);
      ps[i].setLeaderEpoch(in.epoch.value);
      ps[i].setMetadata(text(in.metadata));
      set_error(ps[i], in.error);
    }
  });
}

template <>
result<offset_fetch_response> decode_bytes<offset_fetch_response>(std::span<const char> bytes) {
  return read<wire::OffsetFetchResponse, offset_fetch_response>(
    bytes, [](wire::OffsetFetchResponse::Reader r) -> result<offset_fetch_response> {
      offset_fetch_response x{get_error(r), {}};
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()},
                                offset{p.getOffset()}, leader_epoch{p.getLeaderEpoch()},
                                str(p.getMetadata()), get_error(p)});
      return x;
    });
}

// ---- administration ---------------------------------------------------------------------------

envelope encode(const list_groups_request& x) {
  return write<wire::ListGroupsRequest>(x.kind, 32 + strings_bytes(x.states_filter),
                                        [&](wire::ListGroupsRequest::Builder b) {
                                          set_strings(b.initStatesFilter(list_size(x.states_filter.size())),
                                                      x.states_filter);
                                        });
}

template <>
result<list_groups_request> decode_bytes<list_groups_request>(std::span<const char> bytes) {
  return read<wire::ListGroupsRequest, list_groups_request>(
    bytes, [](wire::ListGroupsRequest::Reader r) -> result<list_groups_request> {
      return list_groups_request{strings(r.getStatesFilter())};
    });
}

envelope encode(const list_groups_response& x) {
  auto expected = 48 + x.error.message.size();
  for (auto& g : x.groups)
    expected += entry_overhead_bytes + g.group_id.size() + g.protocol_type.size() + g.state.size();
  return write<wire::ListGroupsResponse>(x.kind, expected, [&](wire::ListGroupsResponse::Builder b) {
    set_error(b, x.error);
    auto gs = b.initGroups(list_size(x.groups.size()));
    for (unsigned i = 0; i < gs.size(); ++i) {
      auto& in = x.groups[i];
      gs[i].setGroupId(text(in.group_id));
      gs[i].setProtocolType(text(in.protocol_type));
      gs[i].setState(text(in.state));
      gs[i].setMembers(in.members);
    }
  });
}

template <>
result<list_groups_response> decode_bytes<list_groups_response>(std::span<const char> bytes) {
  return read<wire::ListGroupsResponse, list_groups_response>(
    bytes, [](wire::ListGroupsResponse::Reader r) -> result<list_groups_response> {
      list_groups_response x{get_error(r), {}};
      auto gs = r.getGroups();
      x.groups.reserve(gs.size());
      for (auto g : gs)
        x.groups.push_back({str(g.getGroupId()), str(g.getProtocolType()), str(g.getState()),
                            g.getMembers()});
      return x;
    });
}

envelope encode(const describe_groups_request& x) {
  return write<wire::DescribeGroupsRequest>(x.kind, 32 + strings_bytes(x.groups),
                                            [&](wire::DescribeGroupsRequest::Builder b) {
                                              set_strings(b.initGroups(list_size(x.groups.size())),
                                                          x.groups);
                                            });
}

template <>
result<describe_groups_request> decode_bytes<describe_groups_request>(std::span<const char> bytes) {
  return read<wire::DescribeGroupsRequest, describe_groups_request>(
    bytes, [](wire::DescribeGroupsRequest::Reader r) -> result<describe_groups_request> {
      return describe_groups_request{strings(r.getGroups())};
    });
}

envelope encode(const describe_groups_response& x) {
  size_t expected = 32;
  for (auto& g : x.groups) {
    expected += 128 + g.error.message.size() + g.group_id.size() + g.leader.size() + g.shares.size() * 64;
    for (auto& m : g.members)
      expected += entry_overhead_bytes + m.member_id.size()
                  + m.group_instance_id.value_or("").size() + partitions_bytes(m.assignment);
  }
  return write<wire::DescribeGroupsResponse>(
    x.kind, expected, [&](wire::DescribeGroupsResponse::Builder b) {
      auto gs = b.initGroups(list_size(x.groups.size()));
      for (unsigned i = 0; i < gs.size(); ++i) {
        auto& in = x.groups[i];
        auto out = gs[i];
        set_error(out, in.error);
        out.setGroupId(text(in.group_id));
        out.setState(text(in.state));
        out.setProtocolType(text(in.protocol_type));
        out.setProtocol(text(in.protocol));
        out.setGenerationId(in.generation.value);
        out.setLeader(text(in.leader));
        auto ms = out.initMembers(list_size(in.members.size()));
        for (unsigned j = 0; j < ms.size(); ++j) {
          ms[j].setMemberId(text(in.members[j].member_id));
          set_instance(ms[j], in.members[j].group_instance_id);
          set_partitions(ms[j].initAssignment(list_size(in.members[j].assignment.size())),
                         in.members[j].assignment);
        }
        if (in.shares.empty())
          continue;
        auto ss = out.initShares(list_size(in.shares.size()));
        for (unsigned j = 0; j < ss.size(); ++j) {
          auto& sh = in.shares[j];
          ss[j].setTopic(text(sh.topic));
          ss[j].setPartition(sh.partition.value);
          ss[j].setStartOffset(sh.start.value);
          ss[j].setEndOffset(sh.end.value);
          ss[j].setInFlight(sh.in_flight);
          ss[j].setFinished(sh.finished);
        }
      }
    });
}

template <>
result<describe_groups_response> decode_bytes<describe_groups_response>(std::span<const char> bytes) {
  return read<wire::DescribeGroupsResponse, describe_groups_response>(
    bytes, [](wire::DescribeGroupsResponse::Reader r) -> result<describe_groups_response> {
      describe_groups_response x;
      auto gs = r.getGroups();
      x.groups.reserve(gs.size());
      for (auto g : gs) {
        auto& out = x.groups.emplace_back();
        out.error = get_error(g);
        out.group_id = str(g.getGroupId());
        out.state = str(g.getState());
        out.protocol_type = str(g.getProtocolType());
        out.protocol = str(g.getProtocol());
        out.generation = generation_id{g.getGenerationId()};
        out.leader = str(g.getLeader());
        auto ms = g.getMembers();
        out.members.reserve(ms.size());
        for (auto m : ms)
          out.members.push_back({str(m.getMemberId()), get_instance(m),
                                 get_partitions(m.getAssignment())});
        for (auto sh : g.getShares())
          out.shares.push_back({str(sh.getTopic()), partition_id{sh.getPartition()},
                                offset{sh.getStartOffset()}, offset{sh.getEndOffset()},
                                sh.getInFlight(), sh.getFinished()});
      }
      return x;
    });
}

} // namespace sluice::schema

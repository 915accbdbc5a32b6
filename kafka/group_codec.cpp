// JoinGroup v0-v1, SyncGroup v0, Heartbeat v0, LeaveGroup v0, OffsetCommit v2 and OffsetFetch
// v1 (kafka/codec.hpp).

#include "kafka/api.hpp"
#include "kafka/codec.hpp"
#include "kafka/consumer_protocol.hpp"
#include "kafka/request_header.hpp"
#include "kafka/topic_groups.hpp"

namespace sluice::kafka {

namespace {

// group_id, generation_id, member_id: who a SyncGroup, Heartbeat or OffsetCommit comes from.
schema::group_member_ref read_member(reader& r) {
  schema::group_member_ref m;
  m.group_id = r.string();
  m.generation = generation_id{r.i32()};
  m.member_id = r.string();
  return m;
}

} // namespace

schema::result<schema::join_group_request> decode_join_group(bytes_view body, int16_t version) {
  reader r{body};
  schema::join_group_request req;
  req.group_id = r.string();
  req.session_timeout_ms = r.i32();
  req.rebalance_timeout_ms = version >= 1 ? r.i32() : req.session_timeout_ms;
  req.member_id = r.string();
  req.protocol_type = r.string();
  auto n = r.array(2 + 4);
  std::optional<bytes_view> first_metadata;
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    req.protocols.push_back(r.string());
    auto metadata = r.bytes();
    if (i == 0)
      first_metadata = metadata;
  }
  if (!r.ok() || r.remaining() != 0)
    return malformed("JoinGroup");
  if (req.protocol_type != "consumer" || !first_metadata)
    return schema::error{schema::errc::inconsistent_group_protocol,
                         "the Kafka listener serves groups of protocol type \"consumer\" only"};
  auto sub = decode_subscription(*first_metadata);
  if (!sub)
    return schema::error{schema::errc::inconsistent_group_protocol, sub.err().message};
  req.topics = std::move(sub->topics);
  req.owned = std::move(sub->owned);
  return req;
}

void encode_join_group(std::vector<std::byte>& out, int16_t,
                       const schema::join_group_response& response) {
  writer w{out};
  w.i16(to_kafka(response.error.code));
  w.i32(response.generation.value);
  w.string(response.protocol);
  w.string(coordinator_leader_id);
  w.string(response.member_id);
  w.array(0); // members: sent to the leader only, and no client is the leader
}

schema::result<schema::sync_group_request> decode_sync_group(bytes_view body, int16_t) {
  reader r{body};
  schema::sync_group_request req;
  req.member = read_member(r);
  auto n = r.array(2 + 4);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    r.string();
    r.bytes();
  }
  if (!r.ok() || r.remaining() != 0)
    return malformed("SyncGroup");
  return req;
}

void encode_sync_group(std::vector<std::byte>& out, int16_t,
                       const schema::sync_group_response& response) {
  writer w{out};
  w.i16(to_kafka(response.error.code));
  if (response.error.ok())
    w.bytes(encode_assignment(response.assignment));
  else
    w.bytes({});
}

schema::result<schema::heartbeat_request> decode_heartbeat(bytes_view body, int16_t) {
  reader r{body};
  schema::heartbeat_request req;
  req.member = read_member(r);
  if (!r.ok() || r.remaining() != 0)
    return malformed("Heartbeat");
  return req;
}

void encode_heartbeat(std::vector<std::byte>& out, int16_t, const schema::error& error) {
  writer{out}.i16(to_kafka(error.code));
}

schema::result<schema::leave_group_request> decode_leave_group(bytes_view body, int16_t) {
  reader r{body};
  schema::leave_group_request req;
  req.group_id = r.string();
  req.member_id = r.string();
  if (!r.ok() || r.remaining() != 0)
    return malformed("LeaveGroup");
  return req;
}

void encode_leave_group(std::vector<std::byte>& out, int16_t, const schema::error& error) {
  writer{out}.i16(to_kafka(error.code));
}

schema::result<schema::offset_commit_request> decode_offset_commit(bytes_view body, int16_t) {
  reader r{body};
  schema::offset_commit_request req;
  req.member = read_member(r);
  r.i64(); // retention_time_ms
  read_by_topic(r, 4 + 8 + 2, [&](const std::string& topic) {
    schema::offset_commit_request::partition p;
    p.topic = topic;
    p.partition = partition_id{r.i32()};
    p.committed = offset{r.i64()};
    p.metadata = r.nullable_string().value_or(std::string{});
    req.partitions.push_back(std::move(p));
  });
  if (!r.ok() || r.remaining() != 0)
    return malformed("OffsetCommit");
  return req;
}

void encode_offset_commit(std::vector<std::byte>& out, int16_t,
                          const schema::offset_commit_response& response) {
  writer w{out};
  write_by_topic(w, response.partitions, [](writer& w, const auto& p) {
    w.i32(p.partition.value);
    w.i16(to_kafka(p.error.code));
  });
}

schema::result<schema::offset_fetch_request> decode_offset_fetch(bytes_view body, int16_t) {
  reader r{body};
  schema::offset_fetch_request req;
  req.group_id = r.string();
  read_by_topic(r, 4, [&](const std::string& topic) {
    req.partitions.push_back({topic, partition_id{r.i32()}});
  });
  if (!r.ok() || r.remaining() != 0)
    return malformed("OffsetFetch");
  return req;
}

void encode_offset_fetch(std::vector<std::byte>& out, int16_t,
                         const schema::offset_fetch_request& request,
                         const schema::offset_fetch_response& response) {
  writer w{out};
  // Answer exactly the partitions asked for, in request order: committed where the group has an
  // offset, -1 where it has none, the group's error on each when the whole fetch failed.
  std::vector<schema::offset_fetch_response::partition> answers;
  for (const auto& asked : request.partitions) {
    schema::offset_fetch_response::partition a;
    a.topic = asked.topic;
    a.partition = asked.partition;
    a.error = response.error;
    for (const auto& p : response.partitions)
      if (p.topic == asked.topic && p.partition == asked.partition) {
        a = p;
        break;
      }
    answers.push_back(std::move(a));
  }
  write_by_topic(w, answers, [](writer& w, const auto& p) {
    w.i32(p.partition.value);
    w.i64(p.committed.value);
    w.string(p.metadata);
    w.i16(to_kafka(p.error.code));
  });
}

} // namespace sluice::kafka

#include "schema/offsets.hpp"

#include "schema/framing.hpp"
#include "schema/offsets.capnp.h"

namespace sluice::schema {

using namespace framing;

namespace {

constexpr size_t partition_overhead_bytes = 96;

using wire_query = wire::ListOffsetsRequest::PartitionQuery::Query;

void set_query(wire_query::Builder out, const list_offsets_request::partition_query& in) {
  switch (in.query) {
    case offset_query::earliest: out.setEarliest(); return;
    case offset_query::latest: out.setLatest(); return;
    case offset_query::by_timestamp: out.setTimestamp(in.timestamp.value); return;
  }
}

// Fills query and timestamp; a discriminant this build does not know is refused.
status get_query(wire_query::Reader in, list_offsets_request::partition_query& out) {
  switch (in.which()) {
    case wire_query::EARLIEST: out.query = offset_query::earliest; return {};
    case wire_query::LATEST: out.query = offset_query::latest; return {};
    case wire_query::TIMESTAMP:
      out.query = offset_query::by_timestamp;
      out.timestamp = timestamp_ms{in.getTimestamp()};
      return {};
  }
  return invalid("unknown offset query " + std::to_string(static_cast<uint16_t>(in.which())));
}

} // namespace

envelope encode(const list_offsets_request& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += partition_overhead_bytes + p.topic.size();
  return write<wire::ListOffsetsRequest>(
    x.kind, expected, [&](wire::ListOffsetsRequest::Builder b) {
      b.setReplicaId(x.replica_id.value);
      b.setIsolationLevel(to_wire(x.isolation));
      auto ps = b.initPartitions(list_size(x.partitions.size()));
      for (unsigned i = 0; i < ps.size(); ++i) {
        auto& in = x.partitions[i];
        auto out = ps[i];
        out.setTopic(text(in.topic));
        out.setPartition(in.partition.value);
        out.setCurrentLeaderEpoch(in.current_leader_epoch.value);
        set_query(out.initQuery(), in);
      }
    });
}

envelope encode(const list_offsets_response& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += partition_overhead_bytes + p.topic.size() + p.error.message.size();
  return write<wire::ListOffsetsResponse>(
    x.kind, expected, [&](wire::ListOffsetsResponse::Builder b) {
      auto ps = b.initPartitions(list_size(x.partitions.size()));
      for (unsigned i = 0; i < ps.size(); ++i) {
        auto& in = x.partitions[i];
        auto out = ps[i];
        out.setTopic(text(in.topic));
        out.setPartition(in.partition.value);
        set_error(out, in.error);
        out.setTimestampMs(in.timestamp.value);
        out.setOffset(in.off.value);
        out.setLeaderEpoch(in.epoch.value);
      }
    });
}

template <>
result<list_offsets_request> decode_bytes<list_offsets_request>(std::span<const char> bytes) {
  return read<wire::ListOffsetsRequest, list_offsets_request>(
    bytes, [](wire::ListOffsetsRequest::Reader r) -> result<list_offsets_request> {
      list_offsets_request x;
      auto isolation = from_wire(r.getIsolationLevel());
      if (!isolation)
        return isolation.err();
      x.replica_id = node_id{r.getReplicaId()};
      x.isolation = *isolation;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps) {
        auto& q = x.partitions.emplace_back();
        q.topic = str(p.getTopic());
        q.partition = partition_id{p.getPartition()};
        q.current_leader_epoch = leader_epoch{p.getCurrentLeaderEpoch()};
        if (auto s = get_query(p.getQuery(), q); !s)
          return s.err();
      }
      return x;
    });
}

template <>
result<list_offsets_response> decode_bytes<list_offsets_response>(std::span<const char> bytes) {
  return read<wire::ListOffsetsResponse, list_offsets_response>(
    bytes, [](wire::ListOffsetsResponse::Reader r) -> result<list_offsets_response> {
      list_offsets_response x;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p),
                                timestamp_ms{p.getTimestampMs()}, offset{p.getOffset()},
                                leader_epoch{p.getLeaderEpoch()}});
      return x;
    });
}

} // namespace sluice::schema

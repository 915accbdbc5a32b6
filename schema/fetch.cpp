#include "schema/fetch.hpp"

#include "schema/fetch.capnp.h"
#include "schema/framing.hpp"

namespace sluice::schema {

using namespace framing;

namespace {

constexpr size_t partition_overhead_bytes = 96;

} // namespace

envelope encode(const fetch_request& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += partition_overhead_bytes + p.topic.size();
  return write<wire::FetchRequest>(x.kind, expected, [&](wire::FetchRequest::Builder b) {
    b.setReplicaId(x.replica_id.value);
    b.setMaxWaitMs(x.max_wait_ms);
    b.setMinBytes(x.min_bytes);
    b.setMaxBytes(x.max_bytes);
    b.setIsolationLevel(to_wire(x.isolation));
    auto ps = b.initPartitions(list_size(x.partitions.size()));
    for (unsigned i = 0; i < ps.size(); ++i) {
      auto& in = x.partitions[i];
      auto out = ps[i];
      out.setTopic(text(in.topic));
      out.setPartition(in.partition.value);
      out.setCurrentLeaderEpoch(in.current_leader_epoch.value);
      out.setFetchOffset(in.fetch_offset.value);
      out.setMaxBytes(in.max_bytes);
    }
  });
}

envelope encode(const fetch_response& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += partition_overhead_bytes + p.topic.size() + p.error.message.size()
                + p.records.size();
  return write<wire::FetchResponse>(x.kind, expected, [&](wire::FetchResponse::Builder b) {
    auto ps = b.initPartitions(list_size(x.partitions.size()));
    for (unsigned i = 0; i < ps.size(); ++i) {
      auto& in = x.partitions[i];
      auto out = ps[i];
      out.setTopic(text(in.topic));
      out.setPartition(in.partition.value);
      set_error(out, in.error);
      out.setHighWatermark(in.high_watermark.value);
      out.setLogStartOffset(in.log_start_offset.value);
      out.setLastStableOffset(in.last_stable_offset.value);
      if (!in.records.empty())
        out.setRecords(data(in.records));
    }
  });
}

template <>
result<fetch_request> decode_bytes<fetch_request>(std::span<const char> bytes) {
  return read<wire::FetchRequest, fetch_request>(
    bytes, [](wire::FetchRequest::Reader r) -> result<fetch_request> {
      fetch_request x;
      auto isolation = from_wire(r.getIsolationLevel());
      if (!isolation)
        return isolation.err();
      x.replica_id = node_id{r.getReplicaId()};
      x.max_wait_ms = r.getMaxWaitMs();
      x.min_bytes = r.getMinBytes();
      x.max_bytes = r.getMaxBytes();
      x.isolation = *isolation;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()},
                                leader_epoch{p.getCurrentLeaderEpoch()},
                                offset{p.getFetchOffset()}, p.getMaxBytes()});
      return x;
    });
}

template <>
result<fetch_response> decode_bytes<fetch_response>(std::span<const char> bytes) {
  return read<wire::FetchResponse, fetch_response>(
    bytes, [](wire::FetchResponse::Reader r) -> result<fetch_response> {
      fetch_response x;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p),
                                offset{p.getHighWatermark()}, offset{p.getLogStartOffset()},
                                offset{p.getLastStableOffset()}, to_bytes(p.getRecords())});
      return x;
    });
}

} // namespace sluice::schema

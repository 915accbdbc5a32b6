#include "schema/produce.hpp"

#include "schema/framing.hpp"
#include "schema/produce.capnp.h"

namespace sluice::schema {

using namespace framing;

namespace {

// Fixed part of one partition entry: struct, topic text, pointers.
constexpr size_t partition_overhead_bytes = 96;

} // namespace

envelope encode(const produce_request& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += partition_overhead_bytes + p.topic.size() + p.records.size();
  return write<wire::ProduceRequest>(x.kind, expected, [&](wire::ProduceRequest::Builder b) {
    b.setAcks(static_cast<int16_t>(x.acks));
    b.setTimeoutMs(x.timeout_ms);
    auto ps = b.initPartitions(list_size(x.partitions.size()));
    for (unsigned i = 0; i < ps.size(); ++i) {
      auto& in = x.partitions[i];
      auto out = ps[i];
      out.setTopic(text(in.topic));
      out.setPartition(in.partition.value);
      if (!in.records.empty())
        out.setRecords(data(in.records));
    }
  });
}

envelope encode(const produce_response& x) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += partition_overhead_bytes + p.topic.size() + p.error.message.size();
  return write<wire::ProduceResponse>(x.kind, expected, [&](wire::ProduceResponse::Builder b) {
    auto ps = b.initPartitions(list_size(x.partitions.size()));
    for (unsigned i = 0; i < ps.size(); ++i) {
      auto& in = x.partitions[i];
      auto out = ps[i];
      out.setTopic(text(in.topic));
      out.setPartition(in.partition.value);
      set_error(out, in.error);
      out.setBaseOffset(in.base_offset.value);
      out.setLogAppendTimeMs(in.log_append_time.value);
      out.setLogStartOffset(in.log_start_offset.value);
    }
  });
}

template <>
result<produce_request> decode_bytes<produce_request>(std::span<const char> bytes) {
  return read<wire::ProduceRequest, produce_request>(
    bytes, [](wire::ProduceRequest::Reader r) -> result<produce_request> {
      produce_request x;
      auto a = r.getAcks();
      if (a != 0 && a != 1 && a != -1)
        return invalid("acks must be 0, 1 or -1, not " + std::to_string(a));
      x.acks = static_cast<acks>(a);
      x.timeout_ms = r.getTimeoutMs();
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()},
                                to_bytes(p.getRecords())});
      return x;
    });
}

template <>
result<produce_response> decode_bytes<produce_response>(std::span<const char> bytes) {
  return read<wire::ProduceResponse, produce_response>(
    bytes, [](wire::ProduceResponse::Reader r) -> result<produce_response> {
      produce_response x;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps)
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p),
                                offset{p.getBaseOffset()}, timestamp_ms{p.getLogAppendTimeMs()},
                                offset{p.getLogStartOffset()}});
      return x;
    });
}

} // namespace sluice::schema

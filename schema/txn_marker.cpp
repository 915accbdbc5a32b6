#include "schema/txn_marker.hpp"

#include "schema/framing.hpp"
#include "schema/txn_marker.capnp.h"

namespace sluice::schema {

using namespace framing;

envelope encode(const write_txn_markers_request& x) {
  size_t expected = 32;
  for (auto& m : x.markers) {
    expected += 64;
    for (auto& p : m.partitions)
      expected += 32 + p.topic.size();
  }
  return write<wire::WriteTxnMarkersRequest>(
    x.kind, expected, [&](wire::WriteTxnMarkersRequest::Builder b) {
      auto ms = b.initMarkers(list_size(x.markers.size()));
      for (unsigned i = 0; i < ms.size(); ++i) {
        auto& in = x.markers[i];
        auto out = ms[i];
        out.setProducerId(in.id.value);
        out.setProducerEpoch(in.epoch.value);
        out.setCommit(in.commit);
        out.setCoordinatorEpoch(in.coordinator_epoch);
        auto ps = out.initPartitions(list_size(in.partitions.size()));
        for (unsigned j = 0; j < ps.size(); ++j) {
          ps[j].setTopic(text(in.partitions[j].topic));
          ps[j].setPartition(in.partitions[j].partition.value);
        }
      }
    });
}

template <>
result<write_txn_markers_request>
decode_bytes<write_txn_markers_request>(std::span<const char> bytes) {
  return read<wire::WriteTxnMarkersRequest, write_txn_markers_request>(
    bytes, [](wire::WriteTxnMarkersRequest::Reader r) -> result<write_txn_markers_request> {
      write_txn_markers_request out;
      out.markers.reserve(r.getMarkers().size());
      for (auto m : r.getMarkers()) {
        if (m.getProducerId() < 0 || m.getProducerEpoch() < 0)
          return invalid("a transaction marker without a producer id and epoch");
        auto& mk = out.markers.emplace_back();
        mk.id = producer_id{m.getProducerId()};
        mk.epoch = producer_epoch{m.getProducerEpoch()};
        mk.commit = m.getCommit();
        mk.coordinator_epoch = m.getCoordinatorEpoch();
        mk.partitions.reserve(m.getPartitions().size());
        for (auto p : m.getPartitions())
          mk.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}});
      }
      return out;
    });
}

envelope encode(const write_txn_markers_response& x) {
  size_t expected = 32;
  for (auto& m : x.markers) {
    expected += 32;
    for (auto& p : m.partitions)
      expected += 48 + p.topic.size() + p.error.message.size();
  }
  return write<wire::WriteTxnMarkersResponse>(
    x.kind, expected, [&](wire::WriteTxnMarkersResponse::Builder b) {
      auto ms = b.initMarkers(list_size(x.markers.size()));
      for (unsigned i = 0; i < ms.size(); ++i) {
        auto& in = x.markers[i];
        ms[i].setProducerId(in.id.value);
        auto ps = ms[i].initPartitions(list_size(in.partitions.size()));
        for (unsigned j = 0; j < ps.size(); ++j) {
          ps[j].setTopic(text(in.partitions[j].topic));
          ps[j].setPartition(in.partitions[j].partition.value);
          set_error(ps[j], in.partitions[j].error);
        }
      }
    });
}

template <>
result<write_txn_markers_response>
decode_bytes<write_txn_markers_response>(std::span<const char> bytes) {
  return read<wire::WriteTxnMarkersResponse, write_txn_markers_response>(
    bytes, [](wire::WriteTxnMarkersResponse::Reader r) -> result<write_txn_markers_response> {
      write_txn_markers_response out;
      out.markers.reserve(r.getMarkers().size());
      for (auto m : r.getMarkers()) {
        auto& mr = out.markers.emplace_back();
        mr.id = producer_id{m.getProducerId()};
        mr.partitions.reserve(m.getPartitions().size());
        for (auto p : m.getPartitions())
          mr.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p)});
      }
      return out;
    });
}

} // namespace sluice::schema

#include "schema/metadata.hpp"

#include "schema/framing.hpp"
#include "schema/metadata.capnp.h"

namespace sluice::schema {

using namespace framing;

namespace {

constexpr size_t entry_overhead_bytes = 64;

} // namespace

envelope encode(const metadata_request& x) {
  size_t expected = 64;
  for (auto& t : x.topics)
    expected += 16 + t.size();
  return write<wire::MetadataRequest>(x.kind, expected, [&](wire::MetadataRequest::Builder b) {
    b.setAllTopics(x.all_topics);
    set_strings(b.initTopics(list_size(x.topics.size())), x.topics);
  });
}

envelope encode(const metadata_response& x) {
  size_t expected = 64 + x.brokers.size() * entry_overhead_bytes;
  for (auto& t : x.topics)
    expected += entry_overhead_bytes + t.name.size() + t.partitions.size() * 2 * entry_overhead_bytes;
  return write<wire::MetadataResponse>(x.kind, expected, [&](wire::MetadataResponse::Builder b) {
    auto bs = b.initBrokers(list_size(x.brokers.size()));
    for (unsigned i = 0; i < bs.size(); ++i) {
      auto& in = x.brokers[i];
      auto out = bs[i];
      out.setNodeId(in.id.value);
      out.setHost(text(in.host));
      out.setPort(in.port);
      if (!in.rack.empty())
        out.setRack(text(in.rack));
    }
    b.setControllerId(x.controller_id.value);
    auto ts = b.initTopics(list_size(x.topics.size()));
    for (unsigned i = 0; i < ts.size(); ++i) {
      auto& in = x.topics[i];
      auto out = ts[i];
      set_error(out, in.error);
      out.setName(text(in.name));
      auto ps = out.initPartitions(list_size(in.partitions.size()));
      for (unsigned j = 0; j < ps.size(); ++j) {
        auto& pin = in.partitions[j];
        auto pout = ps[j];
        set_error(pout, pin.error);
        pout.setPartition(pin.partition.value);
        pout.setLeader(pin.leader.value);
        pout.setLeaderEpoch(pin.epoch.value);
        set_node_ids(pout.initReplicas(list_size(pin.replicas.size())), pin.replicas);
        set_node_ids(pout.initIsr(list_size(pin.isr.size())), pin.isr);
        if (!pin.adding_replicas.empty())
          set_node_ids(pout.initAddingReplicas(list_size(pin.adding_replicas.size())),
                       pin.adding_replicas);
        if (!pin.removing_replicas.empty())
          set_node_ids(pout.initRemovingReplicas(list_size(pin.removing_replicas.size())),
                       pin.removing_replicas);
      }
    }
  });
}

template <>
result<metadata_request> decode_bytes<metadata_request>(std::span<const char> bytes) {
  return read<wire::MetadataRequest, metadata_request>(
    bytes, [](wire::MetadataRequest::Reader r) -> result<metadata_request> {
      metadata_request x;
      x.all_topics = r.getAllTopics();
      x.topics = strings(r.getTopics());
      return x;
    });
}

template <>
result<metadata_response> decode_bytes<metadata_response>(std::span<const char> bytes) {
  return read<wire::MetadataResponse, metadata_response>(
    bytes, [](wire::MetadataResponse::Reader r) -> result<metadata_response> {
      metadata_response x;
      auto bs = r.getBrokers();
      x.brokers.reserve(bs.size());
      for (auto b : bs)
        x.brokers.push_back({node_id{b.getNodeId()}, str(b.getHost()), b.getPort(),
                             str(b.getRack())});
      x.controller_id = node_id{r.getControllerId()};
      auto ts = r.getTopics();
      x.topics.reserve(ts.size());
      for (auto t : ts) {
        auto& topic = x.topics.emplace_back();
        topic.error = get_error(t);
        topic.name = str(t.getName());
        auto ps = t.getPartitions();
        topic.partitions.reserve(ps.size());
        for (auto p : ps)
          topic.partitions.push_back({get_error(p), partition_id{p.getPartition()},
                                      node_id{p.getLeader()}, leader_epoch{p.getLeaderEpoch()},
                                      get_node_ids(p.getReplicas()), get_node_ids(p.getIsr()),
                                      get_node_ids(p.getAddingReplicas()),
                                      get_node_ids(p.getRemovingReplicas())});
      }
      return x;
    });
}

} // namespace sluice::schema

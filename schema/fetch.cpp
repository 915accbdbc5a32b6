#include "schema/fetch.hpp"

#include "schema/fetch.capnp.h"
#include "schema/framing.hpp"

#include <capnp/orphan.h>

#include <cstdint>
#include <cstring>
#include <memory>

namespace sluice::schema {

using namespace framing;

namespace {

constexpr size_t partition_overhead_bytes = 96;

} // namespace

envelope encode(const fetch_request& x) {
  size_t expected = 64 + x.filter.size();
  for (auto& p : x.partitions)
    expected += partition_overhead_bytes + p.topic.size();
  return write<wire::FetchRequest>(x.kind, expected, [&](wire::FetchRequest::Builder b) {
    b.setReplicaId(x.replica_id.value);
    b.setMaxWaitMs(x.max_wait_ms);
    b.setMinBytes(x.min_bytes);
    b.setMaxBytes(x.max_bytes);
    b.setIsolationLevel(to_wire(x.isolation));
    if (!x.filter.empty())
      b.setFilter(text(x.filter));
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

namespace {

// The bytes a FetchResponse needs besides referenced records.
size_t response_bytes(const fetch_response& x, bool reference) {
  size_t expected = 64;
  for (auto& p : x.partitions)
    expected += partition_overhead_bytes + p.topic.size() + p.error.message.size()
                + p.aborted_transactions.size() * 24 + (reference ? 0 : p.records.size());
  return expected;
}

// Fills a FetchResponse; with `reference`, each partition's records become a segment of
// their own instead of a copy inside the first one (see encode_referencing).
void fill_response(wire::FetchResponse::Builder b, const fetch_response& x, bool reference) {
  auto orphanage = capnp::Orphanage::getForMessageContaining(b);
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
    out.setNextFetchOffset(in.next_fetch_offset.value);
    if (!in.aborted_transactions.empty()) {
      auto aborted = out.initAbortedTransactions(list_size(in.aborted_transactions.size()));
      for (unsigned k = 0; k < aborted.size(); ++k) {
        aborted[k].setProducerId(in.aborted_transactions[k].id.value);
        aborted[k].setFirstOffset(in.aborted_transactions[k].first_offset.value);
      }
    }
    if (in.records.empty())
      continue;
    if (reference)
      out.adoptRecords(orphanage.referenceExternalData(data(in.records)));
    else
      out.setRecords(data(in.records));
  }
}

// A partition's aborted transactions, as the copying decode and the view both read them.
std::vector<fetch_response::aborted_transaction>
read_aborted(wire::FetchResponse::PartitionResponse::Reader p) {
  auto aborted = p.getAbortedTransactions();
  std::vector<fetch_response::aborted_transaction> out;
  out.reserve(aborted.size());
  for (auto a : aborted)
    out.push_back({producer_id{a.getProducerId()}, offset{a.getFirstOffset()}});
  return out;
}

} // namespace

envelope encode(const fetch_response& x) {
  return write<wire::FetchResponse>(x.kind, response_bytes(x, false),
                                    [&](wire::FetchResponse::Builder b) { fill_response(b, x, false); });
}

envelope encode_referencing(fetch_response&& x) {
  constexpr size_t word = sizeof(capnp::word);
  for (auto& p : x.partitions) {
    // capnp writes a referenced blob in whole words: the bytes up to the next word boundary
    // are zeroed here (they would otherwise be whatever the buffer held).
    auto n = p.records.size();
    auto padded = (n + word - 1) / word * word;
    p.records.resize(padded);
    std::memset(p.records.data() + n, 0, padded - n);
    p.records.resize(n);
  }
  // The message and the records it references live as long as the envelope's tail.
  struct owned {
    explicit owned(fetch_response&& r)
        : response(std::move(r)), builder(first_segment_words(response_bytes(response, true))) {}
    fetch_response response;
    capnp::MallocMessageBuilder builder;
  };
  auto o = std::make_shared<owned>(std::move(x));
  fill_response(o->builder.initRoot<wire::FetchResponse>(), o->response, true);
  return frame_in_place(fetch_response::kind, o->builder, o);
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
      x.filter = str(r.getFilter());
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
      for (auto p : ps) {
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p),
                                offset{p.getHighWatermark()}, offset{p.getLogStartOffset()},
                                offset{p.getLastStableOffset()},
                                to_bytes<store::byte_buffer>(p.getRecords()),
                                offset{p.getNextFetchOffset()}, read_aborted(p)});
      }
      return x;
    });
}

result<fetch_response_view> decode_view(envelope&& e) {
  if (e.kind != fetch_response::kind)
    return kind_mismatch(fetch_response::kind, e.kind);
  make_flat(e);
  auto bytes = std::make_shared<std::vector<char>>(std::move(e.bytes));
  e.bytes.clear();
  std::shared_ptr<const void> owner = bytes;
  std::span<const char> in{bytes->data(), bytes->size()};
  // framing::read reads an unaligned message from a copy that dies with it; the views must
  // point into bytes that live on, so such a message is aligned here, once, instead.
  if (reinterpret_cast<uintptr_t>(in.data()) % alignof(capnp::word) != 0) {
    auto words = std::make_shared<std::vector<capnp::word>>((in.size() + sizeof(capnp::word) - 1)
                                                            / sizeof(capnp::word));
    std::memcpy(words->data(), in.data(), in.size());
    in = {reinterpret_cast<const char*>(words->data()), in.size()};
    owner = std::move(words);
  }
  return read<wire::FetchResponse, fetch_response_view>(
    in, [&](wire::FetchResponse::Reader r) -> result<fetch_response_view> {
      fetch_response_view x;
      x.owner = owner;
      auto ps = r.getPartitions();
      x.partitions.reserve(ps.size());
      for (auto p : ps) {
        auto d = p.getRecords();
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p),
                                offset{p.getHighWatermark()}, offset{p.getLogStartOffset()},
                                offset{p.getLastStableOffset()},
                                {reinterpret_cast<const std::byte*>(d.begin()), d.size()},
                                offset{p.getNextFetchOffset()}, read_aborted(p)});
      }
      return x;
    });
}

} // namespace sluice::schema

#include "schema/txn.hpp"

#include "schema/framing.hpp"
#include "schema/txn.capnp.h"

namespace sluice::schema {

using namespace framing;

namespace {

constexpr size_t item_overhead_bytes = 64;

template <class ListBuilder>
void set_partitions(ListBuilder out, const std::vector<txn_topic_partition>& in) {
  for (unsigned i = 0; i < out.size(); ++i) {
    out[i].setTopic(text(in[i].topic));
    out[i].setPartition(in[i].partition.value);
  }
}

std::vector<txn_topic_partition> get_partitions(capnp::List<wire::TxnTopicPartition>::Reader in) {
  std::vector<txn_topic_partition> out;
  out.reserve(in.size());
  for (auto p : in)
    out.push_back({str(p.getTopic()), partition_id{p.getPartition()}});
  return out;
}

size_t partitions_bytes(const std::vector<txn_topic_partition>& ps) {
  size_t n = 0;
  for (auto& p : ps)
    n += 32 + p.topic.size();
  return n;
}

// Every response that is only an error.
template <class Wire, class T>
envelope encode_error_only(const T& x) {
  return write<Wire>(x.kind, 48 + x.error.message.size(),
                     [&](typename Wire::Builder b) { set_error(b, x.error); });
}

template <class Wire, class T>
result<T> decode_error_only(std::span<const char> bytes) {
  return read<Wire, T>(bytes, [](typename Wire::Reader r) -> result<T> { return T{get_error(r)}; });
}

} // namespace

envelope encode(const add_partitions_to_txn_request& x) {
  return write<wire::AddPartitionsToTxnRequest>(
    x.kind, 64 + x.transactional_id.size() + partitions_bytes(x.partitions),
    [&](wire::AddPartitionsToTxnRequest::Builder b) {
      b.setTransactionalId(text(x.transactional_id));
      b.setProducerId(x.id.value);
      b.setProducerEpoch(x.epoch.value);
      set_partitions(b.initPartitions(list_size(x.partitions.size())), x.partitions);
    });
}

template <>
result<add_partitions_to_txn_request>
decode_bytes<add_partitions_to_txn_request>(std::span<const char> bytes) {
  return read<wire::AddPartitionsToTxnRequest, add_partitions_to_txn_request>(
    bytes, [](wire::AddPartitionsToTxnRequest::Reader r) -> result<add_partitions_to_txn_request> {
      return add_partitions_to_txn_request{str(r.getTransactionalId()),
                                           producer_id{r.getProducerId()},
                                           producer_epoch{r.getProducerEpoch()},
                                           get_partitions(r.getPartitions())};
    });
}

envelope encode(const add_partitions_to_txn_response& x) {
  return encode_error_only<wire::AddPartitionsToTxnResponse>(x);
}

template <>
result<add_partitions_to_txn_response>
decode_bytes<add_partitions_to_txn_response>(std::span<const char> bytes) {
  return decode_error_only<wire::AddPartitionsToTxnResponse, add_partitions_to_txn_response>(bytes);
}

envelope encode(const txn_offset_commit_request& x) {
  size_t expected = 64 + x.transactional_id.size() + x.group.size();
  for (auto& o : x.offsets)
    expected += item_overhead_bytes + o.topic.size() + o.metadata.size();
  return write<wire::TxnOffsetCommitRequest>(
    x.kind, expected, [&](wire::TxnOffsetCommitRequest::Builder b) {
      b.setTransactionalId(text(x.transactional_id));
      b.setProducerId(x.id.value);
      b.setProducerEpoch(x.epoch.value);
      b.setGroupId(text(x.group));
      auto os = b.initOffsets(list_size(x.offsets.size()));
      for (unsigned i = 0; i < os.size(); ++i) {
        auto& in = x.offsets[i];
        os[i].setTopic(text(in.topic));
        os[i].setPartition(in.partition.value);
        os[i].setOffset(in.off.value);
        os[i].setLeaderEpoch(in.epoch.value);
        if (!in.metadata.empty())
          os[i].setMetadata(text(in.metadata));
      }
    });
}

template <>
result<txn_offset_commit_request>
decode_bytes<txn_offset_commit_request>(std::span<const char> bytes) {
  return read<wire::TxnOffsetCommitRequest, txn_offset_commit_request>(
    bytes, [](wire::TxnOffsetCommitRequest::Reader r) -> result<txn_offset_commit_request> {
      txn_offset_commit_request out{str(r.getTransactionalId()), producer_id{r.getProducerId()},
                                    producer_epoch{r.getProducerEpoch()}, str(r.getGroupId()), {}};
      out.offsets.reserve(r.getOffsets().size());
      for (auto o : r.getOffsets()) {
        if (o.getOffset() < 0)
          return invalid("a transactional offset commit of a negative offset");
        out.offsets.push_back({str(o.getTopic()), partition_id{o.getPartition()},
                               offset{o.getOffset()}, leader_epoch{o.getLeaderEpoch()},
                               str(o.getMetadata())});
      }
      return out;
    });
}

envelope encode(const txn_offset_commit_response& x) {
  return encode_error_only<wire::TxnOffsetCommitResponse>(x);
}

template <>
result<txn_offset_commit_response>
decode_bytes<txn_offset_commit_response>(std::span<const char> bytes) {
  return decode_error_only<wire::TxnOffsetCommitResponse, txn_offset_commit_response>(bytes);
}

envelope encode(const end_txn_request& x) {
  return write<wire::EndTxnRequest>(x.kind, 64 + x.transactional_id.size(),
                                    [&](wire::EndTxnRequest::Builder b) {
                                      b.setTransactionalId(text(x.transactional_id));
                                      b.setProducerId(x.id.value);
                                      b.setProducerEpoch(x.epoch.value);
                                      b.setCommit(x.commit);
                                    });
}

template <>
result<end_txn_request> decode_bytes<end_txn_request>(std::span<const char> bytes) {
  return read<wire::EndTxnRequest, end_txn_request>(
    bytes, [](wire::EndTxnRequest::Reader r) -> result<end_txn_request> {
      return end_txn_request{str(r.getTransactionalId()), producer_id{r.getProducerId()},
                             producer_epoch{r.getProducerEpoch()}, r.getCommit()};
    });
}

envelope encode(const end_txn_response& x) { return encode_error_only<wire::EndTxnResponse>(x); }

template <>
result<end_txn_response> decode_bytes<end_txn_response>(std::span<const char> bytes) {
  return decode_error_only<wire::EndTxnResponse, end_txn_response>(bytes);
}

envelope encode(const list_transactions_request& x) {
  size_t expected = 32;
  for (auto& s : x.states)
    expected += 16 + s.size();
  return write<wire::ListTransactionsRequest>(x.kind, expected,
                                              [&](wire::ListTransactionsRequest::Builder b) {
                                                set_strings(b.initStates(list_size(x.states.size())),
                                                            x.states);
                                              });
}

template <>
result<list_transactions_request>
decode_bytes<list_transactions_request>(std::span<const char> bytes) {
  return read<wire::ListTransactionsRequest, list_transactions_request>(
    bytes, [](wire::ListTransactionsRequest::Reader r) -> result<list_transactions_request> {
      return list_transactions_request{strings(r.getStates())};
    });
}

envelope encode(const list_transactions_response& x) {
  size_t expected = 64 + x.error.message.size();
  for (auto& t : x.transactions)
    expected += item_overhead_bytes + t.transactional_id.size() + t.state.size();
  return write<wire::ListTransactionsResponse>(
    x.kind, expected, [&](wire::ListTransactionsResponse::Builder b) {
      set_error(b, x.error);
      auto ts = b.initTransactions(list_size(x.transactions.size()));
      for (unsigned i = 0; i < ts.size(); ++i) {
        auto& in = x.transactions[i];
        ts[i].setTransactionalId(text(in.transactional_id));
        ts[i].setProducerId(in.id.value);
        ts[i].setState(text(in.state));
        ts[i].setCoordinator(in.coordinator.value);
      }
    });
}

template <>
result<list_transactions_response>
decode_bytes<list_transactions_response>(std::span<const char> bytes) {
  return read<wire::ListTransactionsResponse, list_transactions_response>(
    bytes, [](wire::ListTransactionsResponse::Reader r) -> result<list_transactions_response> {
      list_transactions_response out{get_error(r), {}};
      out.transactions.reserve(r.getTransactions().size());
      for (auto t : r.getTransactions())
        out.transactions.push_back({str(t.getTransactionalId()), producer_id{t.getProducerId()},
                                    str(t.getState()), node_id{t.getCoordinator()}});
      return out;
    });
}

envelope encode(const describe_transactions_request& x) {
  size_t expected = 32;
  for (auto& s : x.transactional_ids)
    expected += 16 + s.size();
  return write<wire::DescribeTransactionsRequest>(
    x.kind, expected, [&](wire::DescribeTransactionsRequest::Builder b) {
      set_strings(b.initTransactionalIds(list_size(x.transactional_ids.size())),
                  x.transactional_ids);
    });
}

template <>
result<describe_transactions_request>
decode_bytes<describe_transactions_request>(std::span<const char> bytes) {
  return read<wire::DescribeTransactionsRequest, describe_transactions_request>(
    bytes,
    [](wire::DescribeTransactionsRequest::Reader r) -> result<describe_transactions_request> {
      return describe_transactions_request{strings(r.getTransactionalIds())};
    });
}

envelope encode(const describe_transactions_response& x) {
  size_t expected = 32;
  for (auto& t : x.transactions) {
    expected += 2 * item_overhead_bytes + t.error.message.size() + t.transactional_id.size()
                + t.state.size() + partitions_bytes(t.partitions);
    for (auto& g : t.groups)
      expected += 16 + g.size();
  }
  return write<wire::DescribeTransactionsResponse>(
    x.kind, expected, [&](wire::DescribeTransactionsResponse::Builder b) {
      auto ts = b.initTransactions(list_size(x.transactions.size()));
      for (unsigned i = 0; i < ts.size(); ++i) {
        auto& in = x.transactions[i];
        auto out = ts[i];
        set_error(out, in.error);
        out.setTransactionalId(text(in.transactional_id));
        out.setState(text(in.state));
        out.setProducerId(in.id.value);
        out.setProducerEpoch(in.epoch.value);
        out.setTimeoutMs(in.timeout_ms);
        out.setStartTimeMs(in.start_time.value);
        set_partitions(out.initPartitions(list_size(in.partitions.size())), in.partitions);
        set_strings(out.initGroups(list_size(in.groups.size())), in.groups);
        out.setCoordinator(in.coordinator.value);
      }
    });
}

template <>
result<describe_transactions_response>
decode_bytes<describe_transactions_response>(std::span<const char> bytes) {
  return read<wire::DescribeTransactionsResponse, describe_transactions_response>(
    bytes,
    [](wire::DescribeTransactionsResponse::Reader r) -> result<describe_transactions_response> {
      describe_transactions_response out;
      out.transactions.reserve(r.getTransactions().size());
      for (auto t : r.getTransactions())
        out.transactions.push_back({get_error(t), str(t.getTransactionalId()), str(t.getState()),
                                    producer_id{t.getProducerId()},
                                    producer_epoch{t.getProducerEpoch()}, t.getTimeoutMs(),
                                    timestamp_ms{t.getStartTimeMs()},
                                    get_partitions(t.getPartitions()), strings(t.getGroups()),
                                    node_id{t.getCoordinator()}});
      return out;
    });
}

} // namespace sluice::schema

#include "schema/share.hpp"

#include "schema/framing.hpp"
#include "schema/share.capnp.h"

namespace sluice::schema {

using namespace framing;

const char* to_string(acknowledge_type t) noexcept {
  switch (t) {
    case acknowledge_type::accept: return "accept";
    case acknowledge_type::release: return "release";
    case acknowledge_type::reject: return "reject";
  }
  return "unknown";
}

const char* to_string(record_state s) noexcept {
  switch (s) {
    case record_state::available: return "available";
    case record_state::acquired: return "acquired";
    case record_state::acknowledged: return "acknowledged";
    case record_state::archived: return "archived";
  }
  return "unknown";
}

namespace {

wire::AcknowledgeType to_wire(acknowledge_type t) {
  return static_cast<wire::AcknowledgeType>(static_cast<uint16_t>(t) - 1);
}

result<acknowledge_type> from_wire(wire::AcknowledgeType t) {
  auto v = static_cast<uint16_t>(t);
  if (v > 2)
    return invalid("unknown acknowledgement type " + std::to_string(v));
  return static_cast<acknowledge_type>(v + 1);
}

result<record_state> from_wire(wire::RecordState s) {
  auto v = static_cast<uint16_t>(s);
  if (v > 3)
    return invalid("unknown record state " + std::to_string(v));
  return static_cast<record_state>(v);
}

void set_state(wire::ShareState::Builder b, const share_state& s) {
  b.setStartOffset(s.start.value);
  b.setEndOffset(s.end.value);
  auto rs = b.initRanges(list_size(s.ranges.size()));
  for (unsigned i = 0; i < rs.size(); ++i) {
    rs[i].setFirstOffset(s.ranges[i].first.value);
    rs[i].setLastOffset(s.ranges[i].last.value);
    rs[i].setState(static_cast<wire::RecordState>(s.ranges[i].state));
    rs[i].setDeliveryCount(s.ranges[i].delivery_count);
  }
}

result<share_state> get_state(wire::ShareState::Reader r) {
  share_state s{offset{r.getStartOffset()}, offset{r.getEndOffset()}, {}};
  s.ranges.reserve(r.getRanges().size());
  for (auto x : r.getRanges()) {
    auto st = from_wire(x.getState());
    if (!st)
      return st.err();
    s.ranges.push_back({offset{x.getFirstOffset()}, offset{x.getLastOffset()}, *st, x.getDeliveryCount()});
  }
  return s;
}

template <class Builder>
void set_partitions(Builder list, const std::vector<share_topic_partition>& in) {
  for (unsigned i = 0; i < list.size(); ++i) {
    list[i].setTopic(text(in[i].topic));
    list[i].setPartition(in[i].partition.value);
  }
}

} // namespace

envelope encode(const share_fetch_request& x) {
  size_t expected = 64 + x.group_id.size() + x.member_id.size();
  for (auto& p : x.partitions)
    expected += 32 + p.topic.size();
  return write<wire::ShareFetchRequest>(x.kind, expected, [&](wire::ShareFetchRequest::Builder b) {
    b.setGroupId(text(x.group_id));
    b.setMemberId(text(x.member_id));
    b.setMaxWaitMs(x.max_wait_ms);
    b.setMaxRecords(x.max_records);
    b.setMaxBytes(x.max_bytes);
    set_partitions(b.initPartitions(list_size(x.partitions.size())), x.partitions);
  });
}

template <>
result<share_fetch_request> decode_bytes<share_fetch_request>(std::span<const char> bytes) {
  return read<wire::ShareFetchRequest, share_fetch_request>(
    bytes, [](wire::ShareFetchRequest::Reader r) -> result<share_fetch_request> {
      share_fetch_request x;
      x.group_id = str(r.getGroupId());
      x.member_id = str(r.getMemberId());
      x.max_wait_ms = r.getMaxWaitMs();
      x.max_records = r.getMaxRecords();
      x.max_bytes = r.getMaxBytes();
      x.partitions.reserve(r.getPartitions().size());
      for (auto p : r.getPartitions())
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}});
      return x;
    });
}

envelope encode(const share_fetch_response& x) {
  size_t expected = 32;
  for (auto& p : x.partitions)
    expected += 64 + p.topic.size() + p.error.message.size() + p.records.size() + p.acquired.size() * 24;
  return write<wire::ShareFetchResponse>(x.kind, expected, [&](wire::ShareFetchResponse::Builder b) {
    auto ps = b.initPartitions(list_size(x.partitions.size()));
    for (unsigned i = 0; i < ps.size(); ++i) {
      auto& in = x.partitions[i];
      auto out = ps[i];
      out.setTopic(text(in.topic));
      out.setPartition(in.partition.value);
      set_error(out, in.error);
      if (!in.records.empty())
        out.setRecords(data(in.records));
      auto as = out.initAcquired(list_size(in.acquired.size()));
      for (unsigned k = 0; k < as.size(); ++k) {
        as[k].setFirstOffset(in.acquired[k].first.value);
        as[k].setLastOffset(in.acquired[k].last.value);
        as[k].setDeliveryCount(in.acquired[k].delivery_count);
      }
    }
  });
}

template <>
result<share_fetch_response> decode_bytes<share_fetch_response>(std::span<const char> bytes) {
  return read<wire::ShareFetchResponse, share_fetch_response>(
    bytes, [](wire::ShareFetchResponse::Reader r) -> result<share_fetch_response> {
      share_fetch_response x;
      x.partitions.reserve(r.getPartitions().size());
      for (auto p : r.getPartitions()) {
        auto& out = x.partitions.emplace_back();
        out.topic = str(p.getTopic());
        out.partition = partition_id{p.getPartition()};
        out.error = get_error(p);
        out.records = to_bytes<store::byte_buffer>(p.getRecords());
        out.acquired.reserve(p.getAcquired().size());
        for (auto a : p.getAcquired()) {
          if (a.getFirstOffset() < 0 || a.getLastOffset() < a.getFirstOffset())
            return invalid("acquired range " + std::to_string(a.getFirstOffset()) + ".."
                           + std::to_string(a.getLastOffset()));
          out.acquired.push_back({offset{a.getFirstOffset()}, offset{a.getLastOffset()}, a.getDeliveryCount()});
        }
      }
      return x;
    });
}

envelope encode(const share_acknowledge_request& x) {
  size_t expected = 64 + x.group_id.size() + x.member_id.size();
  for (auto& p : x.partitions)
    expected += 32 + p.topic.size() + p.batches.size() * 24;
  return write<wire::ShareAcknowledgeRequest>(
    x.kind, expected, [&](wire::ShareAcknowledgeRequest::Builder b) {
      b.setGroupId(text(x.group_id));
      b.setMemberId(text(x.member_id));
      auto ps = b.initPartitions(list_size(x.partitions.size()));
      for (unsigned i = 0; i < ps.size(); ++i) {
        auto& in = x.partitions[i];
        ps[i].setTopic(text(in.topic));
        ps[i].setPartition(in.partition.value);
        auto bs = ps[i].initBatches(list_size(in.batches.size()));
        for (unsigned k = 0; k < bs.size(); ++k) {
          bs[k].setFirstOffset(in.batches[k].first.value);
          bs[k].setLastOffset(in.batches[k].last.value);
          bs[k].setType(to_wire(in.batches[k].type));
        }
      }
    });
}

template <>
result<share_acknowledge_request> decode_bytes<share_acknowledge_request>(std::span<const char> bytes) {
  return read<wire::ShareAcknowledgeRequest, share_acknowledge_request>(
    bytes, [](wire::ShareAcknowledgeRequest::Reader r) -> result<share_acknowledge_request> {
      share_acknowledge_request x;
      x.group_id = str(r.getGroupId());
      x.member_id = str(r.getMemberId());
      x.partitions.reserve(r.getPartitions().size());
      for (auto p : r.getPartitions()) {
        auto& out = x.partitions.emplace_back();
        out.topic = str(p.getTopic());
        out.partition = partition_id{p.getPartition()};
        out.batches.reserve(p.getBatches().size());
        for (auto b : p.getBatches()) {
          auto type = from_wire(b.getType());
          if (!type)
            return type.err();
          out.batches.push_back({offset{b.getFirstOffset()}, offset{b.getLastOffset()}, *type});
        }
      }
      return x;
    });
}

envelope encode(const share_acknowledge_response& x) {
  size_t expected = 32;
  for (auto& p : x.partitions)
    expected += 48 + p.topic.size() + p.error.message.size();
  return write<wire::ShareAcknowledgeResponse>(
    x.kind, expected, [&](wire::ShareAcknowledgeResponse::Builder b) {
      auto ps = b.initPartitions(list_size(x.partitions.size()));
      for (unsigned i = 0; i < ps.size(); ++i) {
        ps[i].setTopic(text(x.partitions[i].topic));
        ps[i].setPartition(x.partitions[i].partition.value);
        set_error(ps[i], x.partitions[i].error);
      }
    });
}

template <>
result<share_acknowledge_response> decode_bytes<share_acknowledge_response>(std::span<const char> bytes) {
  return read<wire::ShareAcknowledgeResponse, share_acknowledge_response>(
    bytes, [](wire::ShareAcknowledgeResponse::Reader r) -> result<share_acknowledge_response> {
      share_acknowledge_response x;
      x.partitions.reserve(r.getPartitions().size());
      for (auto p : r.getPartitions())
        x.partitions.push_back({str(p.getTopic()), partition_id{p.getPartition()}, get_error(p)});
      return x;
    });
}

envelope encode(const share_state_write_request& x) {
  size_t expected = 64 + x.group_id.size() + x.topic.size() + x.state.ranges.size() * 32;
  return write<wire::ShareStateWriteRequest>(
    x.kind, expected, [&](wire::ShareStateWriteRequest::Builder b) {
      b.setGroupId(text(x.group_id));
      b.setTopic(text(x.topic));
      b.setPartition(x.partition.value);
      b.setLeaderEpoch(x.epoch.value);
      set_state(b.initState(), x.state);
    });
}

template <>
result<share_state_write_request> decode_bytes<share_state_write_request>(std::span<const char> bytes) {
  return read<wire::ShareStateWriteRequest, share_state_write_request>(
    bytes, [](wire::ShareStateWriteRequest::Reader r) -> result<share_state_write_request> {
      auto state = get_state(r.getState());
      if (!state)
        return state.err();
      return share_state_write_request{str(r.getGroupId()), str(r.getTopic()),
                                       partition_id{r.getPartition()}, leader_epoch{r.getLeaderEpoch()},
                                       std::move(*state)};
    });
}

envelope encode(const share_state_write_response& x) {
  return write<wire::ShareStateWriteResponse>(x.kind, 32 + x.error.message.size(),
                                              [&](wire::ShareStateWriteResponse::Builder b) {
                                                set_error(b, x.error);
                                              });
}

template <>
result<share_state_write_response> decode_bytes<share_state_write_response>(std::span<const char> bytes) {
  return read<wire::ShareStateWriteResponse, share_state_write_response>(
    bytes, [](wire::ShareStateWriteResponse::Reader r) -> result<share_state_write_response> {
      return share_state_write_response{get_error(r)};
    });
}

envelope encode(const share_state_read_request& x) {
  return write<wire::ShareStateReadRequest>(
    x.kind, 48 + x.group_id.size() + x.topic.size(), [&](wire::ShareStateReadRequest::Builder b) {
      b.setGroupId(text(x.group_id));
      b.setTopic(text(x.topic));
      b.setPartition(x.partition.value);
    });
}

template <>
result<share_state_read_request> decode_bytes<share_state_read_request>(std::span<const char> bytes) {
  return read<wire::ShareStateReadRequest, share_state_read_request>(
    bytes, [](wire::ShareStateReadRequest::Reader r) -> result<share_state_read_request> {
      return share_state_read_request{str(r.getGroupId()), str(r.getTopic()), partition_id{r.getPartition()}};
    });
}

envelope encode(const share_state_read_response& x) {
  return write<wire::ShareStateReadResponse>(
    x.kind, 64 + x.error.message.size() + x.state.ranges.size() * 32,
    [&](wire::ShareStateReadResponse::Builder b) {
      set_error(b, x.error);
      b.setFound(x.found);
      b.setLeaderEpoch(x.epoch.value);
      set_state(b.initState(), x.state);
    });
}

template <>
result<share_state_read_response> decode_bytes<share_state_read_response>(std::span<const char> bytes) {
  return read<wire::ShareStateReadResponse, share_state_read_response>(
    bytes, [](wire::ShareStateReadResponse::Reader r) -> result<share_state_read_response> {
      auto state = get_state(r.getState());
      if (!state)
        return state.err();
      return share_state_read_response{get_error(r), r.getFound(), leader_epoch{r.getLeaderEpoch()},
                                       std::move(*state)};
    });
}

} // namespace sluice::schema

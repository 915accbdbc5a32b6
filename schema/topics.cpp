#include "schema/topics.hpp"

#include "schema/framing.hpp"
#include "schema/topics.capnp.h"

namespace sluice::schema {

using namespace framing;

namespace {

constexpr size_t entry_overhead_bytes = 64;

size_t expected_bytes(const std::vector<topic_result>& topics) {
  size_t n = 64;
  for (auto& t : topics)
    n += entry_overhead_bytes + t.name.size() + t.error.message.size();
  return n;
}

void set_results(capnp::List<wire::TopicResult>::Builder out, const std::vector<topic_result>& in) {
  for (unsigned i = 0; i < out.size(); ++i) {
    out[i].setName(text(in[i].name));
    set_error(out[i], in[i].error);
  }
}

std::vector<topic_result> get_results(capnp::List<wire::TopicResult>::Reader in) {
  std::vector<topic_result> out;
  out.reserve(in.size());
  for (auto t : in)
    out.push_back({str(t.getName()), get_error(t)});
  return out;
}

} // namespace

envelope encode(const create_topics_request& x) {
  size_t expected = 64;
  for (auto& t : x.topics) {
    expected += entry_overhead_bytes + t.name.size();
    for (auto& c : t.configs)
      expected += 32 + c.key.size() + c.value.size();
  }
  return write<wire::CreateTopicsRequest>(
    x.kind, expected, [&](wire::CreateTopicsRequest::Builder b) {
      auto ts = b.initTopics(list_size(x.topics.size()));
      for (unsigned i = 0; i < ts.size(); ++i) {
        auto& in = x.topics[i];
        auto out = ts[i];
        out.setName(text(in.name));
        out.setPartitions(in.partitions);
        out.setReplicationFactor(in.replication_factor);
        auto cs = out.initConfigs(list_size(in.configs.size()));
        for (unsigned j = 0; j < cs.size(); ++j) {
          cs[j].setKey(text(in.configs[j].key));
          cs[j].setValue(text(in.configs[j].value));
        }
      }
      b.setTimeoutMs(x.timeout_ms);
      b.setValidateOnly(x.validate_only);
    });
}

envelope encode(const create_topics_response& x) {
  return write<wire::CreateTopicsResponse>(
    x.kind, expected_bytes(x.topics), [&](wire::CreateTopicsResponse::Builder b) {
      set_results(b.initTopics(list_size(x.topics.size())), x.topics);
    });
}

envelope encode(const delete_topics_request& x) {
  size_t expected = 64;
  for (auto& n : x.names)
    expected += 16 + n.size();
  return write<wire::DeleteTopicsRequest>(
    x.kind, expected, [&](wire::DeleteTopicsRequest::Builder b) {
      set_strings(b.initNames(list_size(x.names.size())), x.names);
      b.setTimeoutMs(x.timeout_ms);
    });
}

envelope encode(const delete_topics_response& x) {
  return write<wire::DeleteTopicsResponse>(
    x.kind, expected_bytes(x.topics), [&](wire::DeleteTopicsResponse::Builder b) {
      set_results(b.initTopics(list_size(x.topics.size())), x.topics);
    });
}

envelope encode(const list_topics_request& x) {
  return write<wire::ListTopicsRequest>(x.kind, 64, [&](wire::ListTopicsRequest::Builder b) {
    b.setIncludeInternal(x.include_internal);
  });
}

envelope encode(const list_topics_response& x) {
  size_t expected = 64 + x.error.message.size();
  for (auto& t : x.topics)
    expected += entry_overhead_bytes + t.name.size();
  return write<wire::ListTopicsResponse>(
    x.kind, expected, [&](wire::ListTopicsResponse::Builder b) {
      set_error(b, x.error);
      auto ts = b.initTopics(list_size(x.topics.size()));
      for (unsigned i = 0; i < ts.size(); ++i) {
        auto& in = x.topics[i];
        auto out = ts[i];
        out.setName(text(in.name));
        out.setPartitions(in.partitions);
        out.setReplicationFactor(in.replication_factor);
        out.setInternal(in.internal);
      }
    });
}

envelope encode(const create_partitions_request& x) {
  size_t expected = 64;
  for (auto& t : x.topics)
    expected += 32 + t.name.size();
  return write<wire::CreatePartitionsRequest>(
    x.kind, expected, [&](wire::CreatePartitionsRequest::Builder b) {
      auto ts = b.initTopics(list_size(x.topics.size()));
      for (unsigned i = 0; i < ts.size(); ++i) {
        ts[i].setName(text(x.topics[i].name));
        ts[i].setNewTotal(x.topics[i].new_total);
      }
      b.setTimeoutMs(x.timeout_ms);
    });
}

envelope encode(const create_partitions_response& x) {
  return write<wire::CreatePartitionsResponse>(
    x.kind, expected_bytes(x.topics), [&](wire::CreatePartitionsResponse::Builder b) {
      set_results(b.initTopics(list_size(x.topics.size())), x.topics);
    });
}

template <>
result<create_topics_request> decode_bytes<create_topics_request>(std::span<const char> bytes) {
  return read<wire::CreateTopicsRequest, create_topics_request>(
    bytes, [](wire::CreateTopicsRequest::Reader r) -> result<create_topics_request> {
      create_topics_request x;
      auto ts = r.getTopics();
      x.topics.reserve(ts.size());
      for (auto t : ts) {
        auto& topic = x.topics.emplace_back();
        topic.name = str(t.getName());
        topic.partitions = t.getPartitions();
        topic.replication_factor = t.getReplicationFactor();
        auto cs = t.getConfigs();
        topic.configs.reserve(cs.size());
        for (auto c : cs)
          topic.configs.push_back({str(c.getKey()), str(c.getValue())});
      }
      x.timeout_ms = r.getTimeoutMs();
      x.validate_only = r.getValidateOnly();
      return x;
    });
}

template <>
result<create_topics_response> decode_bytes<create_topics_response>(std::span<const char> bytes) {
  return read<wire::CreateTopicsResponse, create_topics_response>(
    bytes, [](wire::CreateTopicsResponse::Reader r) -> result<create_topics_response> {
      return create_topics_response{get_results(r.getTopics())};
    });
}

template <>
result<delete_topics_request> decode_bytes<delete_topics_request>(std::span<const char> bytes) {
  return read<wire::DeleteTopicsRequest, delete_topics_request>(
    bytes, [](wire::DeleteTopicsRequest::Reader r) -> result<delete_topics_request> {
      delete_topics_request x;
      x.names = strings(r.getNames());
      x.timeout_ms = r.getTimeoutMs();
      return x;
    });
}

template <>
result<delete_topics_response> decode_bytes<delete_topics_response>(std::span<const char> bytes) {
  return read<wire::DeleteTopicsResponse, delete_topics_response>(
    bytes, [](wire::DeleteTopicsResponse::Reader r) -> result<delete_topics_response> {
      return delete_topics_response{get_results(r.getTopics())};
    });
}

template <>
result<list_topics_request> decode_bytes<list_topics_request>(std::span<const char> bytes) {
  return read<wire::ListTopicsRequest, list_topics_request>(
    bytes, [](wire::ListTopicsRequest::Reader r) -> result<list_topics_request> {
      return list_topics_request{r.getIncludeInternal()};
    });
}

template <>
result<list_topics_response> decode_bytes<list_topics_response>(std::span<const char> bytes) {
  return read<wire::ListTopicsResponse, list_topics_response>(
    bytes, [](wire::ListTopicsResponse::Reader r) -> result<list_topics_response> {
      list_topics_response x;
      x.error = get_error(r);
      auto ts = r.getTopics();
      x.topics.reserve(ts.size());
      for (auto t : ts)
        x.topics.push_back({str(t.getName()), t.getPartitions(), t.getReplicationFactor(),
                            t.getInternal()});
      return x;
    });
}

template <>
result<create_partitions_request>
decode_bytes<create_partitions_request>(std::span<const char> bytes) {
  return read<wire::CreatePartitionsRequest, create_partitions_request>(
    bytes, [](wire::CreatePartitionsRequest::Reader r) -> result<create_partitions_request> {
      create_partitions_request x;
      auto ts = r.getTopics();
      x.topics.reserve(ts.size());
      for (auto t : ts)
        x.topics.push_back({str(t.getName()), t.getNewTotal()});
      x.timeout_ms = r.getTimeoutMs();
      return x;
    });
}

template <>
result<create_partitions_response>
decode_bytes<create_partitions_response>(std::span<const char> bytes) {
  return read<wire::CreatePartitionsResponse, create_partitions_response>(
    bytes, [](wire::CreatePartitionsResponse::Reader r) -> result<create_partitions_response> {
      return create_partitions_response{get_results(r.getTopics())};
    });
}

} // namespace sluice::schema

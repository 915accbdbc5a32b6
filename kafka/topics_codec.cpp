// CreateTopics v0 and DeleteTopics v0 (kafka/codec.hpp).

#include "kafka/api.hpp"
#include "kafka/codec.hpp"
#include "kafka/request_header.hpp"

namespace sluice::kafka {

schema::result<create_topics_decoded> decode_create_topics(bytes_view body, int16_t) {
  reader r{body};
  create_topics_decoded d;
  auto topics = r.array(2 + 4 + 2 + 4 + 4);
  for (int32_t i = 0; i < topics && r.ok(); ++i) {
    schema::create_topics_request::topic t;
    t.name = r.string();
    t.partitions = r.i32();
    t.replication_factor = r.i16();
    auto assignments = r.array(4 + 4);
    for (int32_t j = 0; j < assignments && r.ok(); ++j) {
      r.i32();
      auto brokers = r.array(4);
      for (int32_t k = 0; k < brokers && r.ok(); ++k)
        r.i32();
    }
    auto configs = r.array(2 + 2);
    for (int32_t j = 0; j < configs && r.ok(); ++j) {
      auto key = r.string();
      auto value = r.nullable_string();
      if (value)
        t.configs.push_back({std::move(key), std::move(*value)});
    }
    if (assignments > 0)
      d.refused.push_back({t.name, {schema::errc::invalid_request,
                                    "manual replica assignments are not supported"}});
    else
      d.request.topics.push_back(std::move(t));
  }
  d.request.timeout_ms = r.i32();
  if (!r.ok() || r.remaining() != 0)
    return malformed("CreateTopics");
  return d;
}

schema::result<schema::delete_topics_request> decode_delete_topics(bytes_view body, int16_t) {
  reader r{body};
  schema::delete_topics_request req;
  auto n = r.array(2);
  for (int32_t i = 0; i < n && r.ok(); ++i)
    req.names.push_back(r.string());
  req.timeout_ms = r.i32();
  if (!r.ok() || r.remaining() != 0)
    return malformed("DeleteTopics");
  return req;
}

void encode_topic_results(std::vector<std::byte>& out, int16_t,
                          const std::vector<schema::topic_result>& topics) {
  writer w{out};
  w.array(topics.size());
  for (const auto& t : topics) {
    w.string(t.name);
    w.i16(to_kafka(t.error.code));
  }
}

} // namespace sluice::kafka

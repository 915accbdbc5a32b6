// ApiVersions v0-v2, Metadata v0-v1 and FindCoordinator v0 (kafka/codec.hpp).

#include "kafka/api.hpp"
#include "kafka/codec.hpp"
#include "kafka/request_header.hpp"

namespace sluice::kafka {

void encode_api_versions(std::vector<std::byte>& out, int16_t version, int16_t error_code) {
  writer w{out};
  w.i16(error_code);
  auto apis = supported_apis();
  w.array(apis.size());
  for (const auto& a : apis) {
    w.i16(static_cast<int16_t>(a.key));
    w.i16(a.min_version);
    w.i16(a.max_version);
  }
  if (version >= 1)
    w.i32(0); // throttle_time_ms
}

schema::result<schema::metadata_request> decode_metadata(bytes_view body, int16_t version) {
  reader r{body};
  schema::metadata_request req;
  auto n = r.nullable_array(2);
  req.all_topics = !n || (version == 0 && *n == 0);
  for (int32_t i = 0; n && i < *n && r.ok(); ++i)
    req.topics.push_back(r.string());
  if (!r.ok() || r.remaining() != 0)
    return malformed("Metadata");
  return req;
}

void encode_metadata(std::vector<std::byte>& out, int16_t version,
                     const schema::metadata_response& md) {
  writer w{out};
  w.array(md.brokers.size());
  for (const auto& b : md.brokers) {
    w.i32(b.id.value);
    w.string(b.host);
    w.i32(b.port);
    if (version >= 1)
      w.nullable_string(b.rack.empty() ? std::nullopt : std::optional<std::string>{b.rack});
  }
  if (version >= 1)
    w.i32(md.controller_id.value);
  w.array(md.topics.size());
  for (const auto& t : md.topics) {
    w.i16(to_kafka(t.error.code));
    w.string(t.name);
    if (version >= 1)
      w.boolean(t.name.starts_with("__"));
    w.array(t.partitions.size());
    for (const auto& p : t.partitions) {
      auto error = to_kafka(p.error.code);
      if (error == code::none && p.leader.value < 0)
        error = code::leader_not_available;
      w.i16(error);
      w.i32(p.partition.value);
      w.i32(p.leader.value);
      w.array(p.replicas.size());
      for (auto id : p.replicas)
        w.i32(id.value);
      w.array(p.isr.size());
      for (auto id : p.isr)
        w.i32(id.value);
    }
  }
}

schema::result<std::string> decode_find_coordinator(bytes_view body, int16_t) {
  reader r{body};
  auto group = r.string();
  if (!r.ok() || r.remaining() != 0)
    return malformed("FindCoordinator");
  return group;
}

void encode_find_coordinator(std::vector<std::byte>& out, int16_t, int16_t error_code,
                             const schema::metadata_response::broker& coordinator) {
  writer w{out};
  w.i16(error_code);
  w.i32(coordinator.id.value);
  w.string(coordinator.host);
  w.i32(coordinator.port);
}

} // namespace sluice::kafka

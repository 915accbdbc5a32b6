#include "client/topic_metadata.hpp"

#include <algorithm>

namespace sluice::client {

error unknown_topic(const std::string& topic) {
  return {errc::server, schema::errc::unknown_topic_or_partition, "unknown topic '" + topic + "'"};
}

result<std::vector<schema::metadata_response::topic_metadata>>
fetch_topic_metadata(const connection& conn, const std::vector<std::string>& topics) {
  schema::metadata_request req;
  req.all_topics = false;
  req.topics = topics;
  auto resp = conn.call<schema::metadata_response>(metadata_atom_v, req);
  if (!resp)
    return resp.err();
  std::vector<schema::metadata_response::topic_metadata> out;
  for (auto& name : topics) {
    auto i = std::find_if(resp->topics.begin(), resp->topics.end(),
                          [&](auto& t) { return t.name == name; });
    if (i == resp->topics.end() || i->error.code == schema::errc::unknown_topic_or_partition)
      return unknown_topic(name);
    if (!i->error.ok())
      return from_server(i->error, "topic '" + name + "'");
    if (i->partitions.empty())
      return make_error(errc::protocol, "topic '" + name + "' has no partitions");
    out.push_back(std::move(*i));
  }
  return out;
}

} // namespace sluice::client

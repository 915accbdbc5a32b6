#include "actors/metadata_answers.hpp"

namespace sluice::actors {

schema::error unknown_topic(const std::string& name) {
  return {schema::errc::unknown_topic_or_partition, "topic '" + name + "' does not exist"};
}

schema::list_topics_response answer_list_topics(const topic_table& table,
                                                const schema::list_topics_request& req) {
  schema::list_topics_response out;
  for (auto& [name, spec] : table.topics())
    if (req.include_internal || !is_internal_topic(name))
      out.topics.push_back({name, spec.partitions, spec.replication_factor, is_internal_topic(name)});
  return out;
}

schema::describe_configs_response answer_describe_configs(const topic_table& table,
                                                          const schema::describe_configs_request& req) {
  schema::describe_configs_response out;
  auto describe = [&](const topic_spec& spec) {
    out.topics.push_back({spec.name, {}, describe_config(table.defaults(), spec.configs)});
  };
  if (req.topics.empty())
    for (auto& [_, spec] : table.topics())
      describe(spec);
  for (auto& name : req.topics) {
    if (auto* spec = table.find(name))
      describe(*spec);
    else
      out.topics.push_back({name, unknown_topic(name), {}});
  }
  return out;
}

schema::metadata_response answer_metadata(const topic_table& table,
                                          const schema::metadata_request& req,
                                          std::vector<schema::metadata_response::broker> brokers,
                                          node_id controller, const describe_partition& describe) {
  schema::metadata_response out;
  out.brokers = std::move(brokers);
  out.controller_id = controller;
  auto add = [&](const topic_spec& spec) {
    schema::metadata_response::topic_metadata t{{}, spec.name, {}};
    for (int32_t p = 0; p < spec.partitions; ++p)
      t.partitions.push_back(describe(spec, p));
    out.topics.push_back(std::move(t));
  };
  if (req.all_topics) {
    for (auto& [_, spec] : table.topics())
      add(spec);
    return out;
  }
  for (auto& name : req.topics) {
    if (auto* spec = table.find(name))
      add(*spec);
    else
      out.topics.push_back({unknown_topic(name), name, {}});
  }
  return out;
}

} // namespace sluice::actors

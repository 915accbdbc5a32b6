#include "actors/topic_table.hpp"

namespace sluice::actors {

using schema::errc;

namespace {

constexpr size_t max_topic_name_chars = 249;

bool legal_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
         || c == '_' || c == '-';
}

schema::error err(errc code, std::string message) { return {code, std::move(message)}; }

schema::error internal_topic(std::string_view name, std::string_view why) {
  return err(errc::invalid_topic, "topic '" + std::string{name} + "' is internal: " + std::string{why});
}

} // namespace

schema::status validate_topic_name(std::string_view name) {
  if (name.empty())
    return err(errc::invalid_topic, "topic name is empty");
  if (name.size() > max_topic_name_chars)
    return err(errc::invalid_topic, "topic name is " + std::to_string(name.size())
                                      + " characters, more than "
                                      + std::to_string(max_topic_name_chars));
  if (name == "." || name == "..")
    return err(errc::invalid_topic, "topic name cannot be '.' or '..'");
  for (char c : name)
    if (!legal_char(c))
      return err(errc::invalid_topic, "topic name '" + std::string{name}
                                        + "' has a character outside [a-zA-Z0-9._-]");
  return {};
}

schema::result<topic_spec>
topic_table::check_create(const schema::create_topics_request::topic& t, bool internal) const {
  if (auto st = validate_topic_name(t.name); !st)
    return st.err();
  if (is_internal_topic(t.name) && !internal)
    return internal_topic(t.name, "the node creates it");
  if (find(t.name))
    return err(errc::topic_already_exists, "topic '" + t.name + "' already exists");
  int32_t partitions = t.partitions == -1 ? limits_.default_partitions : t.partitions;
  if (partitions < 1 || partitions > limits_.max_partitions)
    return err(errc::invalid_partitions, "partition count must be in [1, "
                                           + std::to_string(limits_.max_partitions) + "], not "
                                           + std::to_string(t.partitions));
  int16_t rf = t.replication_factor == -1 ? int16_t{1} : t.replication_factor;
  if (rf < 1 || rf > limits_.live_brokers)
    return err(errc::invalid_replication_factor,
               "replication factor must be in [1, " + std::to_string(limits_.live_brokers)
                 + "] (live brokers), not " + std::to_string(t.replication_factor));
  topic_spec spec{t.name, partitions, rf, {}, {}};
  for (auto& c : t.configs) {
    if (spec.configs.contains(c.key))
      return err(errc::invalid_config, "config key '" + c.key + "' is given twice");
    spec.configs.emplace(c.key, c.value);
  }
  if (auto effective = effective_config(defaults_, spec.configs); !effective)
    return effective.err();
  return spec;
}

schema::status topic_table::check_delete(std::string_view name) const {
  if (!find(name))
    return err(errc::unknown_topic_or_partition, "topic '" + std::string{name} + "' does not exist");
  if (is_internal_topic(name))
    return internal_topic(name, "it cannot be deleted");
  return {};
}

schema::result<topic_spec> topic_table::check_add_partitions(std::string_view name,
                                                             int32_t new_total) const {
  auto* t = find(name);
  if (!t)
    return err(errc::unknown_topic_or_partition, "topic '" + std::string{name} + "' does not exist");
  if (is_internal_topic(name))
    return internal_topic(name, "its partition count places the consumer groups");
  if (new_total <= t->partitions)
    return err(errc::invalid_partitions,
               "topic '" + t->name + "' has " + std::to_string(t->partitions)
                 + " partitions; the count can only grow, not become " + std::to_string(new_total));
  if (new_total > limits_.max_partitions)
    return err(errc::invalid_partitions, "partition count must be at most "
                                           + std::to_string(limits_.max_partitions) + ", not "
                                           + std::to_string(new_total));
  auto spec = *t;
  spec.partitions = new_total;
  return spec;
}

void topic_table::apply_put(topic_spec spec) {
  auto name = spec.name;
  topics_.insert_or_assign(std::move(name), std::move(spec));
}

void topic_table::apply_delete(std::string_view name) {
  if (auto it = topics_.find(name); it != topics_.end())
    topics_.erase(it);
}

const topic_spec* topic_table::find(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

} // namespace sluice::actors

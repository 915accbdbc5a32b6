#pragma once

#include "actors/inspect_field.hpp"
#include "actors/topic_config.hpp"

#include "store/delayed_format.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

// The internal topics: of consumer groups (actors/offsets_record.hpp) and of transaction
// coordinators (actors/txn_record.hpp). The node creates them; clients may read them but not
// create, delete, grow or produce to them.
inline constexpr std::string_view offsets_topic = "__consumer_offsets";
inline constexpr std::string_view transaction_state_topic = "__transaction_state";
// Delayed delivery's (store/delayed_format.hpp): clients produce delayed records to it, which
// the node validates; only the schedulers append control records.
inline constexpr std::string_view delayed_topic = store::delayed::topic;

inline bool is_internal_topic(std::string_view name) {
  return name == offsets_topic || name == transaction_state_topic || name == delayed_topic;
}

// A topic as the metadata actor records it: what a node needs to host its partitions. The
// effective config is the node's defaults with `configs` applied (effective_config).
struct topic_spec {
  std::string name;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  config_overrides configs;
  // Cluster mode: the brokers holding each partition, preferred leader first (one list per
  // partition, cluster/placement.hpp). Empty on a single node, where every partition is local.
  std::vector<std::vector<node_id>> replicas;

  bool operator==(const topic_spec&) const = default;
};

// unclean.leader.election.enable as the topic's own override says (validated at creation).
// Node defaults do not count: every controller applying the metadata log must elect alike.
inline bool unclean_election_enabled(const topic_spec& spec) {
  auto it = spec.configs.find(std::string{unclean_election_key});
  return it != spec.configs.end() && it->second == "true";
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topic_spec& x) {
  field name{"name", x.name};
  field partitions{"partitions", x.partitions};
  field rf{"replication_factor", x.replication_factor};
  field configs{"configs", x.configs};
  field replicas{"replicas", x.replicas};
  return f(caf::meta::type_name("topic_spec"), name, partitions, rf, configs, replicas);
}

} // namespace sluice::actors

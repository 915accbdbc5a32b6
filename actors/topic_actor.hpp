#pragma once

#include "actors/partition_actor.hpp"
#include "actors/topic_interface.hpp"
#include "store/log_config.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <filesystem>

namespace sluice::actors {

struct topic_args {
  topic_spec spec;
  topic_config defaults;              // the node's; spec.configs override them
  std::filesystem::path topics_dir;   // DATA/topics; partitions live in <topic>-<p> below it
  std::chrono::milliseconds tick_interval{1000};
  size_t max_parked_fetches = 4096;
  int max_restarts = 10;              // per partition, over the topic actor's life
  store::clock_fn clock = store::system_clock_ms;
  // Cluster mode: only the partitions whose replicas include this node are hosted here (the
  // others answer not_leader), each in the role its state gives it.
  std::optional<replication_args> replication;
  std::optional<cleaner_args> cleaner = std::nullopt; // handed to every partition
};

// `args.spec` must have passed topic_table::check_create (its configs are valid).
topic_actor spawn_topic(caf::actor_system& sys, topic_args args);

} // namespace sluice::actors

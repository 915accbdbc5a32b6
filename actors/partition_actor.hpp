#pragma once

#include "actors/partition_interface.hpp"
#include "actors/topic_config.hpp"
#include "store/log_config.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace sluice::actors {

struct partition_args {
  std::string topic;
  partition_id partition{0};
  std::filesystem::path dir; // DATA/topics/<topic>-<partition>
  topic_config config;
  // Log upkeep (flush.ms, segment.ms, retention, checkpoints); 0 disables it, for tests that
  // own time.
  std::chrono::milliseconds tick_interval{1000};
  size_t max_parked_fetches = 4096; // beyond it a fetch is answered at once
  store::clock_fn clock = store::system_clock_ms;
};

// "<topic>-<partition>", the directory of a partition replica under DATA/topics.
std::string partition_dir_name(std::string_view topic, partition_id p);

// Opens the log when it first runs. A log that does not open leaves the actor answering every
// request with storage_error (and saying why in its state) rather than crashing, so a damaged
// partition does not take its topic down.
partition_actor spawn_partition(caf::actor_system& sys, partition_args args);

} // namespace sluice::actors

#pragma once

#include "actors/log_cleaner_actor.hpp"
#include "actors/partition_interface.hpp"
#include "actors/replica_manager.hpp"
#include "actors/topic_config.hpp"
#include "store/log_config.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::actors {

// Where a partition leader sends its ISR changes: the node's metadata actor, which commits
// them through the controller leader (actors/metadata_interface.hpp).
using alter_partition_actor = caf::typed_actor<
  caf::replies_to<alter_partition_atom, schema::envelope>::with<schema::envelope>>;

// Cluster mode: the partition replicates (cluster/partition_leader.hpp,
// cluster/partition_follower.hpp) in the role its metadata state gives it.
struct replication_args {
  node_id self{0};
  alter_partition_actor metadata;
  replica_manager_actor fetchers;
  int64_t lag_time_max_ms = 30'000; // replica.lag.time.max.ms
  // replica.page.cache.bytes: what a follower keeps of its newest writes in the page cache
  // (store/drop_behind.hpp); 0 keeps everything.
  uint64_t follower_page_cache_bytes = 8u << 20;
};

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
  // Unset on a single node: the partition is then its own sole leader, with epoch 0.
  std::optional<replication_args> replication;
  // A compacted topic's partition (leader and follower alike) cleans its log through the
  // node's log cleaner; unset: it never cleans.
  std::optional<cleaner_args> cleaner = std::nullopt;
};

// "<topic>-<partition>", the directory of a partition replica under DATA/topics.
std::string partition_dir_name(std::string_view topic, partition_id p);

// Opens the log when it first runs. A log that does not open leaves the actor answering every
// request with storage_error (and saying why in its state) rather than crashing, so a damaged
// partition does not take its topic down.
partition_actor spawn_partition(caf::actor_system& sys, partition_args args);

} // namespace sluice::actors

#pragma once

// The settings of one node (sluiced): identity, where it keeps data and listens, limits, and
// the default topic configs. Filled from the command line and an optional config file of
// `key=value` lines (blank lines and lines starting with '#' are skipped), where a key is a
// node setting below or a topic config key (retention.ms, ...) setting its node-wide default.

#include "actors/controller_actor.hpp"
#include "actors/topic_config.hpp"
#include "actors/topic_table.hpp"
#include "net/tls.hpp"
#include "schema/result.hpp"
#include "store/types.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

// HOST:PORT of one of the node's listeners (node, metrics, console, Kafka); port 0: not listening.
struct listen_address {
  std::string host;
  uint16_t port = 0;

  bool enabled() const { return port != 0; }
  std::string to_string() const { return host + ":" + std::to_string(port); }
  bool operator==(const listen_address&) const = default;
};

// "host:port" ("[::1]:9280" for IPv6), port min_port..65535; empty text: not listening. Errors
// are invalid_config naming `key`. The node's own --listen takes port 0 (any free port).
schema::result<listen_address> parse_listen_address(std::string_view key, std::string_view text,
                                                    uint16_t min_port = 1);

struct node_config {
  node_id id{0};
  std::filesystem::path data_dir; // DATA: meta/ (LMDB) and topics/<topic>-<p>/ (logs)
  std::string host = "127.0.0.1";
  uint16_t port = 9292;
  // Cluster mode (actors/controller_actor.hpp) when not empty: the metadata controllers, this
  // node among them.
  std::vector<controller_address> controllers;
  std::string rack;                              // broker.rack; empty: none
  int64_t broker_session_timeout_ms = 9000;      // a silent broker is fenced after this
  int64_t broker_heartbeat_interval_ms = 2000;
  int64_t controller_election_timeout_ms = 1000; // Raft: randomised in [this, 2 x this)
  size_t metadata_snapshot_records = 1000;       // applied records between snapshots
  int64_t replica_lag_time_max_ms = 30'000;      // a follower behind this long leaves the ISR
  // replica.page.cache.bytes: per partition a follower keeps only this much of its newest
  // writes in the OS page cache (store/drop_behind.hpp says why); 0 keeps everything.
  uint64_t replica_page_cache_bytes = 8u << 20;
  // CAF scheduler threads; 0: one per core. Nodes sharing one machine (deploy/cluster) each
  // take their share, so that they do not wake each other's threads across cores for nothing.
  size_t scheduler_threads = 0;
  topic_config topic_defaults;
  topic_limits limits;
  std::chrono::milliseconds tick_interval{1000}; // log upkeep; 0 disables it (tests)
  size_t max_parked_fetches = 4096;              // per partition
  int32_t max_wait_ms_limit = 60'000;            // a fetch never parks longer than this
  int32_t offsets_partitions = 8;                // of __consumer_offsets, fixed at its creation
  // Replicas of __consumer_offsets in a cluster (Kafka's offsets.topic.replication.factor),
  // at most the number of controllers; fixed at its creation.
  int16_t offsets_replication = 3;
  // __transaction_state (Kafka's transaction.state.log.*), like __consumer_offsets.
  int32_t transaction_state_partitions = 8;
  int16_t transaction_state_replication = 3;
  int32_t transaction_max_timeout_ms = 15 * 60 * 1000; // Kafka's transaction.max.timeout.ms
  int64_t transactional_id_expiration_ms = int64_t{7} * 24 * 3600 * 1000; // Kafka's, 7 days
  // __delayed (delayed delivery), like __consumer_offsets: one scheduler per partition.
  int32_t delayed_partitions = 8;
  int16_t delayed_replication = 3;
  // The wall clock (ms) deliver-at times are compared with; unset: the system clock. Tests on
  // CAF's test coordinator set one they move.
  std::function<int64_t()> delay_clock_ms;
  // Session checks, transaction timeouts and delayed delivery's scheduler ticks; 0 disables
  // them (tests).
  std::chrono::milliseconds group_tick_interval{100};
  int32_t group_min_session_timeout_ms = 100;
  int32_t group_max_session_timeout_ms = 30 * 60 * 1000;
  int64_t offsets_retention_ms = int64_t{7} * 24 * 3600 * 1000; // offsets.retention.minutes
  int64_t offsets_retention_check_ms = 600'000; // offsets.retention.check.interval.ms
  net::tls_options tls; // tls.*: every link of the node, to clients and to the other nodes
  // Served by sluiced on threads of their own (tools/sluiced/http_server.hpp): Prometheus
  // text on /metrics, and the web console with its /api/* JSON. Equal addresses: one server.
  listen_address metrics_listen; // metrics.listen, --metrics-listen
  listen_address http_listen;    // http.listen, --http-listen (serves /metrics too)
  // kafka.listen (sluiced --kafka-listen): where the Kafka wire protocol listener accepts Kafka
  // clients (actors/kafka_listener.hpp).
  listen_address kafka_listen;
  // Log compaction (actors/log_cleaner_actor.hpp): log.cleaner.backoff.ms, how often a
  // compacted partition looks at its dirty ratio, and log.cleaner.dedupe.buffer.size.
  int64_t cleaner_backoff_ms = 15'000;
  size_t cleaner_map_bytes = 32u << 20;
  // The cleaner gets a thread of its own; false runs it on the scheduler like any actor, for
  // tests on CAF's test coordinator (which cannot drive a detached actor).
  bool cleaner_own_thread = true;
};

// One line of the config file. Errors are invalid_config naming the key.
schema::status apply_node_setting(node_config& cfg, std::string_view key, std::string_view value);

// Applies every line of `path`; errors name the file and line.
schema::status load_node_config_file(node_config& cfg, const std::filesystem::path& path);

// The keys a config file may hold, one per line with its default, for --help.
std::string node_config_help();

} // namespace sluice::actors

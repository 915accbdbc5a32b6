#pragma once

// What sluiced's HTTP endpoints show (issue 11): one node's own view, asked from its actors
// (never read from their state by another thread) and rendered by pure functions as
// Prometheus text (metrics_text.hpp) and the console's JSON (console_api.hpp).

#include "schema/group.hpp"
#include "schema/inspect.hpp"
#include "tools/sluiced/thread_cpu.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sluice::tools {

struct node_snapshot {
  // The node's inspection (actors/node_inspect.cpp): actor tree with mailbox sizes, the
  // partition replicas it hosts, the groups it coordinates, its request meters.
  schema::inspect_response inspect;
  // Committed offsets of each group in `inspect.groups`, from its coordinator; a group whose
  // coordinator did not answer is missing.
  std::map<std::string, std::vector<schema::offset_fetch_response::partition>> committed;
  size_t scheduler_threads = 0; // CAF worker threads
  // How late the scheduler ran a ready message (scheduler_probe.hpp); count 0: no answer.
  schema::request_stats scheduler_delay;
  std::vector<thread_cpu> threads; // CPU time of each thread of the process
  size_t actors_running = 0;    // CAF's registry: actors alive in the process
  int64_t taken_unix_ms = 0;
};

// A group's position on one partition. The lag needs the partition's high watermark, known
// here only where this node hosts the partition's leader (always, on a single node).
struct partition_lag {
  std::string group;
  std::string topic;
  partition_id partition{0};
  offset committed{-1};
  offset high_watermark{-1}; // -1: the leader is on another node
  int64_t lag = -1;          // high_watermark - committed, at least 0; -1: unknown
};

// Every committed offset of every group of the snapshot, by group, topic, partition.
std::vector<partition_lag> group_lags(const node_snapshot& s);

// Internal topics (__consumer_offsets, __transaction_state) start with "__".
inline bool internal_topic(const std::string& topic) { return topic.rfind("__", 0) == 0; }

} // namespace sluice::tools

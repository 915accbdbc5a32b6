#pragma once

// The console's JSON (GET /api/cluster, /api/topics, /api/groups), rendered from a node
// snapshot by pure functions. The page (tools/sluiced/console/) polls them every second and
// draws its throughput chart from the change of log end offsets between two polls.
//
//   /api/cluster  {"node":1,"taken_unix_ms":..,"controllers":[{"id":1,"host":..,"port":..}],
//                  "actors":N,"queued":N,"actors_running":N,"scheduler_threads":N,
//                  "requests":[{"kind":"produce","count":N,"errors":N,"bytes":N,
//                               "latency_sum_us":N}]}
//   /api/topics   {"taken_unix_ms":..,"topics":[{"name":..,"internal":false,"partitions":[
//                  {"partition":0,"role":"leader","leader":1,"epoch":0,"replicas":[1],
//                   "isr":[1],"log_start":0,"log_end":N,"high_watermark":N,
//                   "under_replicated":false,"error":""}]}]}
//   /api/groups   {"taken_unix_ms":..,"groups":[{"group":..,"state":..,"generation":N,
//                  "protocol":..,"members":[{"member_id":..,"instance_id":..,"partitions":N}],
//                  "lag":N (-1: unknown),"offsets":[{"topic":..,"partition":0,
//                  "committed":N,"high_watermark":N,"lag":N}],"error":""}]}

#include "tools/sluiced/node_snapshot.hpp"

#include <string>

namespace sluice::tools {

std::string render_cluster_json(const node_snapshot& s);
std::string render_topics_json(const node_snapshot& s);
std::string render_groups_json(const node_snapshot& s);

} // namespace sluice::tools

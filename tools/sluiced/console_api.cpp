#include "tools/sluiced/console_api.hpp"

#include "actors/state_tree.hpp"
#include "tools/sluiced/json_text.hpp"

#include <map>

namespace sluice::tools {

namespace {

std::string num(int64_t v) { return std::to_string(v); }

std::string ids(const std::vector<node_id>& xs) {
  return json_array(xs, [](node_id id) { return num(id.value); });
}

std::string replica_json(const schema::replica_status& r) {
  bool leader = r.role == "leader";
  return "{\"partition\":" + num(r.partition.value) + ",\"role\":" + json_string(r.role)
         + ",\"leader\":" + num(r.leader.value) + ",\"epoch\":" + num(r.epoch.value)
         + ",\"replicas\":" + ids(r.replicas) + ",\"isr\":" + ids(r.isr)
         + ",\"log_start\":" + num(r.log_start.value) + ",\"log_end\":" + num(r.log_end.value)
         + ",\"high_watermark\":" + num(r.high_watermark.value) + ",\"under_replicated\":"
         + (leader && r.error.empty() && r.isr.size() < r.replicas.size() ? "true" : "false")
         + ",\"error\":" + json_string(r.error) + "}";
}

} // namespace

std::string render_cluster_json(const node_snapshot& s) {
  auto mailboxes = actors::actor_mailboxes(s.inspect.tree);
  int64_t queued = 0;
  for (auto& m : mailboxes)
    queued += m.queued;
  auto controllers = json_array(s.inspect.controllers, [](const schema::inspect_response::peer& c) {
    return "{\"id\":" + num(c.id.value) + ",\"host\":" + json_string(c.host) + ",\"port\":"
           + num(c.port) + "}";
  });
  auto requests = json_array(s.inspect.requests, [](const schema::request_stats& r) {
    return "{\"kind\":" + json_string(r.kind) + ",\"count\":" + std::to_string(r.count)
           + ",\"errors\":" + std::to_string(r.errors) + ",\"bytes\":" + std::to_string(r.bytes)
           + ",\"latency_sum_us\":" + std::to_string(r.latency_sum_us) + "}";
  });
  return "{\"node\":" + num(s.inspect.node.value) + ",\"taken_unix_ms\":" + num(s.taken_unix_ms)
         + ",\"controllers\":" + controllers + ",\"actors\":" + num(static_cast<int64_t>(mailboxes.size()))
         + ",\"queued\":" + num(queued) + ",\"actors_running\":"
         + num(static_cast<int64_t>(s.actors_running)) + ",\"scheduler_threads\":"
         + num(static_cast<int64_t>(s.scheduler_threads)) + ",\"requests\":" + requests + "}";
}

std::string render_topics_json(const node_snapshot& s) {
  // inspect.replicas is sorted by topic, then partition.
  std::map<std::string, std::vector<std::string>> topics;
  for (auto& r : s.inspect.replicas)
    topics[r.topic].push_back(replica_json(r));
  std::vector<std::string> out;
  for (auto& [name, partitions] : topics)
    out.push_back("{\"name\":" + json_string(name) + ",\"internal\":"
                  + (internal_topic(name) ? "true" : "false") + ",\"partitions\":"
                  + json_array(partitions) + "}");
  return "{\"taken_unix_ms\":" + num(s.taken_unix_ms) + ",\"topics\":" + json_array(out) + "}";
}

std::string render_groups_json(const node_snapshot& s) {
  std::map<std::string, std::vector<const partition_lag*>> by_group;
  auto lags = group_lags(s);
  for (auto& l : lags)
    by_group[l.group].push_back(&l);
  auto group = [&](const schema::group_status& g) {
    auto members = json_array(g.members, [](const schema::group_status::member& m) {
      return "{\"member_id\":" + json_string(m.member_id) + ",\"instance_id\":"
             + json_string(m.group_instance_id) + ",\"partitions\":" + num(m.partitions) + "}";
    });
    int64_t total = 0;
    std::vector<std::string> offsets;
    for (auto* l : by_group[g.group_id]) {
      total = total < 0 || l->lag < 0 ? -1 : total + l->lag;
      offsets.push_back("{\"topic\":" + json_string(l->topic) + ",\"partition\":"
                        + num(l->partition.value) + ",\"committed\":" + num(l->committed.value)
                        + ",\"high_watermark\":" + num(l->high_watermark.value) + ",\"lag\":"
                        + num(l->lag) + "}");
    }
    if (!s.committed.contains(g.group_id))
      total = -1;
    return "{\"group\":" + json_string(g.group_id) + ",\"state\":" + json_string(g.state)
           + ",\"generation\":" + num(g.generation.value) + ",\"protocol\":" + json_string(g.protocol)
           + ",\"members\":" + members + ",\"lag\":" + num(total) + ",\"offsets\":"
           + json_array(offsets) + ",\"error\":" + json_string(g.error) + "}";
  };
  return "{\"taken_unix_ms\":" + num(s.taken_unix_ms) + ",\"groups\":"
         + json_array(s.inspect.groups, group) + "}";
}

} // namespace sluice::tools

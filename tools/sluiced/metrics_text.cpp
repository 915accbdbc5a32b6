#include "tools/sluiced/metrics_text.hpp"

#include "actors/state_tree.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace sluice::tools {

namespace {

using labels = std::vector<std::pair<std::string_view, std::string>>;

// Writes families one at a time: begin() its HELP and TYPE, then its samples, each with the
// node label first.
class exposition {
public:
  explicit exposition(node_id node) : node_(std::to_string(node.value)) {}

  void begin(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }

  void sample(std::string_view name, const labels& ls, std::string_view value) {
    out_.append(name).append("{node=\"").append(node_).append("\"");
    for (auto& [k, v] : ls)
      out_.append(",").append(k).append("=\"").append(escape_label_value(v)).append("\"");
    out_.append("} ").append(value).append("\n");
  }

  void sample(std::string_view name, const labels& ls, int64_t value) {
    sample(name, ls, std::to_string(value));
  }

  std::string take() { return std::move(out_); }

private:
  std::string node_;
  std::string out_;
};

std::string seconds(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(us) / 1e6);
  return buf;
}

// The samples of one histogram series (`name`_bucket, _sum, _count) from request_stats
// buckets over latency_bounds_us; a malformed bucket list writes nothing.
void histogram(exposition& x, std::string_view name, const labels& ls, const schema::request_stats& r) {
  if (r.latency_buckets.size() != schema::latency_bounds_us.size() + 1)
    return;
  auto with = [&](std::string_view suffix) { return std::string{name}.append(suffix); };
  uint64_t cumulative = 0;
  for (size_t i = 0; i < r.latency_buckets.size(); ++i) {
    cumulative += r.latency_buckets[i];
    auto bucket = ls;
    bucket.emplace_back("le", i < schema::latency_bounds_us.size() ? seconds(schema::latency_bounds_us[i]) : "+Inf");
    x.sample(with("_bucket"), bucket, std::to_string(cumulative));
  }
  x.sample(with("_sum"), ls, seconds(r.latency_sum_us));
  x.sample(with("_count"), ls, std::to_string(r.count));
}

labels partition_labels(const schema::replica_status& r) {
  return {{"topic", r.topic}, {"partition", std::to_string(r.partition.value)}};
}

void partitions(exposition& x, const node_snapshot& s) {
  std::vector<const schema::replica_status*> ok;
  for (auto& r : s.inspect.replicas)
    if (r.error.empty())
      ok.push_back(&r);
  auto gauge = [&](std::string_view name, std::string_view help, auto value, bool leaders_only) {
    x.begin(name, "gauge", help);
    for (auto* r : ok)
      if (!leaders_only || r->role == "leader")
        x.sample(name, partition_labels(*r), static_cast<int64_t>(value(*r)));
  };
  gauge("sluice_partition_leader", "1 when this node leads the partition replica, else 0",
        [](auto& r) { return r.role == "leader" ? 1 : 0; }, false);
  gauge("sluice_partition_log_start_offset", "first offset in this replica's log",
        [](auto& r) { return r.log_start.value; }, false);
  gauge("sluice_partition_log_end_offset", "offset the next record appended to this replica gets",
        [](auto& r) { return r.log_end.value; }, false);
  gauge("sluice_partition_high_watermark", "offset below which records are replicated and readable",
        [](auto& r) { return r.high_watermark.value; }, false);
  gauge("sluice_partition_replicas", "replicas assigned to the partition",
        [](auto& r) { return r.replicas.size(); }, false);
  gauge("sluice_partition_isr_size", "in-sync replicas of the partition, as its leader sees them",
        [](auto& r) { return r.isr.size(); }, true);
  gauge("sluice_partition_under_replicated", "1 when the leader's ISR is smaller than its replicas",
        [](auto& r) { return r.isr.size() < r.replicas.size() ? 1 : 0; }, true);
}

void groups(exposition& x, const node_snapshot& s) {
  x.begin("sluice_group_members", "gauge", "members of a consumer group this node coordinates");
  for (auto& g : s.inspect.groups)
    if (g.error.empty())
      x.sample("sluice_group_members", {{"group", g.group_id}, {"state", g.state}},
               static_cast<int64_t>(g.members.size()));
  x.begin("sluice_group_generation", "gauge", "generation of a consumer group this node coordinates");
  for (auto& g : s.inspect.groups)
    if (g.error.empty())
      x.sample("sluice_group_generation", {{"group", g.group_id}}, g.generation.value);
  auto lags = group_lags(s);
  auto lag_labels = [](const partition_lag& l) -> labels {
    return {{"group", l.group}, {"topic", l.topic}, {"partition", std::to_string(l.partition.value)}};
  };
  x.begin("sluice_group_committed_offset", "gauge", "offset a consumer group committed on a partition");
  for (auto& l : lags)
    x.sample("sluice_group_committed_offset", lag_labels(l), l.committed.value);
  x.begin("sluice_group_lag", "gauge",
          "high watermark minus committed offset (partitions whose leader is on this node)");
  for (auto& l : lags)
    if (l.lag >= 0)
      x.sample("sluice_group_lag", lag_labels(l), l.lag);
}

void requests(exposition& x, const node_snapshot& s) {
  auto& rs = s.inspect.requests;
  auto counter = [&](std::string_view name, std::string_view help, auto value) {
    x.begin(name, "counter", help);
    for (auto& r : rs)
      x.sample(name, {{"kind", r.kind}}, static_cast<int64_t>(value(r)));
  };
  counter("sluice_requests_total", "requests answered (produce, fetch by consumers, replica_fetch)",
          [](auto& r) { return r.count; });
  counter("sluice_request_errors_total", "requests answered with an error for some partition",
          [](auto& r) { return r.errors; });
  counter("sluice_request_bytes_total", "record bytes produced in or fetched out",
          [](auto& r) { return r.bytes; });
  constexpr std::string_view h = "sluice_request_latency_seconds";
  x.begin(h, "histogram", "time from a request's arrival to its answer (fetches include their long-poll wait)");
  for (auto& r : rs)
    histogram(x, h, {{"kind", r.kind}}, r);
}

void runtime(exposition& x, const node_snapshot& s) {
  auto mailboxes = actors::actor_mailboxes(s.inspect.tree);
  x.begin("sluice_actor_mailbox_size", "gauge", "messages waiting in an actor's mailbox");
  for (auto& m : mailboxes)
    x.sample("sluice_actor_mailbox_size", {{"actor", std::string{m.actor}}}, m.queued);
  x.begin("sluice_actors", "gauge", "actors in the node's tree (those that answered inspection)");
  x.sample("sluice_actors", {}, static_cast<int64_t>(mailboxes.size()));
  x.begin("sluice_actors_running", "gauge", "actors alive in the process (CAF's registry)");
  x.sample("sluice_actors_running", {}, static_cast<int64_t>(s.actors_running));
  x.begin("sluice_scheduler_threads", "gauge", "worker threads of the actor scheduler");
  x.sample("sluice_scheduler_threads", {}, static_cast<int64_t>(s.scheduler_threads));
  constexpr std::string_view delay = "sluice_scheduler_delay_seconds";
  x.begin(delay, "histogram",
          "how late a scheduler thread ran a message that was ready (a probe woken every 100 ms)");
  if (s.scheduler_delay.count > 0)
    histogram(x, delay, {}, s.scheduler_delay);
  constexpr std::string_view cpu = "sluice_thread_cpu_seconds_total";
  x.begin(cpu, "counter", "CPU time of each thread of the process (CAF 0.17.6 names its scheduler "
                          "workers caf.multiplexer, like its I/O thread)");
  char buf[32];
  for (auto& t : s.threads)
    for (auto [mode, value] : {std::pair{"user", t.user_s}, std::pair{"system", t.system_s}}) {
      std::snprintf(buf, sizeof buf, "%.2f", value);
      x.sample(cpu, {{"thread", t.name}, {"tid", std::to_string(t.tid)}, {"mode", mode}}, buf);
    }
}

} // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string render_metrics(const node_snapshot& s) {
  exposition x{s.inspect.node};
  x.begin("sluice_node_info", "gauge", "1 for the node that answers; controllers it was started with");
  x.sample("sluice_node_info", {{"controllers", std::to_string(s.inspect.controllers.size())}}, 1);
  partitions(x, s);
  groups(x, s);
  requests(x, s);
  runtime(x, s);
  return x.take();
}

} // namespace sluice::tools

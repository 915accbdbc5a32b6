// sluice topic create | list | describe | delete | alter

#include "client/admin.hpp"
#include "tools/sluice/commands.hpp"
#include "tools/sluice/progress.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace sluice::cli {

std::string join_ids(const std::vector<node_id>& ids) {
  std::string out;
  for (auto& id : ids)
    out += (out.empty() ? "" : ",") + std::to_string(id.value);
  return out.empty() ? "-" : out;
}

namespace {

std::string join(const std::vector<node_id>& ids) { return join_ids(ids); }

int create(const cli_options& o, client::admin& adm) {
  client::new_topic t{o.name, o.partitions, static_cast<int16_t>(o.replication_factor), {}};
  for (auto& c : o.configs) {
    auto eq = c.find('=');
    t.configs.emplace_back(c.substr(0, eq), c.substr(eq + 1));
  }
  if (auto st = adm.create_topic(t); !st)
    return fail(st.err());
  std::printf("created topic %s (%d partitions, replication factor %d)\n", o.name.c_str(),
              o.partitions, o.replication_factor);
  return 0;
}

int list(client::admin& adm) {
  auto topics = adm.list_topics();
  if (!topics)
    return fail(topics.err());
  for (auto& t : *topics)
    std::printf("%s\n", t.name.c_str());
  return 0;
}

// One line for the topic, one per config, one per partition; the last field of a partition
// line is its log end, which scripts read.
int describe(const cli_options& o, client::admin& adm) {
  auto d = adm.describe_topic(o.name);
  if (!d)
    return fail(d.err());
  size_t rf = d->partitions.empty() ? 0 : d->partitions.front().replicas.size();
  std::printf("topic %s  partitions %zu  replication_factor %zu\n", d->name.c_str(),
              d->partitions.size(), rf);
  for (auto& c : d->configs)
    std::printf("  config %s=%s%s\n", c.key.c_str(), c.value.c_str(), c.is_default ? "" : "  (override)");
  for (auto& p : d->partitions) {
    std::printf("  partition %d  leader %d  epoch %d  replicas %s  isr %s  log_start %lld  log_end %lld",
                p.partition.value, p.leader.value, p.epoch.value, join(p.replicas).c_str(),
                join(p.isr).c_str(), static_cast<long long>(p.log_start.value),
                static_cast<long long>(p.log_end.value));
    if (!p.error.ok())
      std::printf("  error %s", p.error.message.c_str());
    std::printf("\n");
    // Its own line, so that a partition line keeps its fields (scripts read them by position).
    if (!p.adding.empty() || !p.removing.empty())
      std::printf("    reassigning  adding %s  removing %s\n", join(p.adding).c_str(),
                  join(p.removing).c_str());
  }
  return 0;
}

// The partition's metadata now (for --wait).
client::result<schema::metadata_response::partition_metadata> partition_now(client::admin& adm,
                                                                           const std::string& topic,
                                                                           int32_t partition) {
  auto md = adm.metadata({topic});
  if (!md)
    return md.err();
  for (auto& t : md->topics)
    for (auto& p : t.partitions)
      if (t.name == topic && p.partition.value == partition)
        return p;
  return client::make_error(client::errc::protocol, "no metadata for " + topic + "-" + std::to_string(partition));
}

// topic reassign: one line for what started (or ended at once); with --wait, one more when
// the move is done.
int reassign(const cli_options& o, client::admin& adm) {
  auto p = *o.partition;
  auto name = o.name + "-" + std::to_string(p);
  std::vector<node_id> target;
  for (auto id : o.replicas)
    target.push_back(node_id{id});
  auto r = o.cancel ? adm.cancel_reassignment(o.name, p) : adm.reassign_partition(o.name, p, target);
  if (!r)
    return fail(r.err());
  if (r->adding.empty() && r->removing.empty()) {
    std::printf("%s %s: replicas %s\n", name.c_str(), o.cancel ? "back on its replicas" : "reassigned",
                join(r->replicas).c_str());
    return 0;
  }
  std::printf("reassigning %s: replicas %s  adding %s  removing %s\n", name.c_str(),
              join(r->replicas).c_str(), join(r->adding).c_str(), join(r->removing).c_str());
  if (!o.wait)
    return 0;
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds(o.timeout_ms.value_or(default_wait_ms));
  // Progress: the added replicas that joined the ISR (the move completes with the last).
  std::atomic<uint64_t> in_sync{0};
  progress_bar bar{"reassign " + name, "replicas in sync", r->adding.size(), in_sync};
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_poll_ms));
    auto now = partition_now(adm, o.name, p);
    if (!now)
      continue; // a controller election: look again
    in_sync = static_cast<uint64_t>(std::ranges::count_if(
      r->adding, [&](node_id id) { return std::ranges::find(now->isr, id) != now->isr.end(); }));
    if (now->adding_replicas.empty() && now->removing_replicas.empty()) {
      in_sync = r->adding.size();
      std::printf("%s reassigned: replicas %s  isr %s  leader %d\n", name.c_str(),
                  join(now->replicas).c_str(), join(now->isr).c_str(), now->leader.value);
      return 0;
    }
  }
  return fail(name + " is still moving after " + std::to_string(o.timeout_ms.value_or(default_wait_ms))
              + " ms (topic describe shows its progress)");
}

} // namespace

int run_topic(const cli_options& o, const conn_ptr& conn) {
  client::admin adm{conn};
  switch (o.cmd) {
    case command::topic_create:
      return create(o, adm);
    case command::topic_list:
      return list(adm);
    case command::topic_describe:
      return describe(o, adm);
    case command::topic_delete:
      if (auto st = adm.delete_topic(o.name); !st)
        return fail(st.err());
      std::printf("deleted topic %s\n", o.name.c_str());
      return 0;
    case command::topic_reassign:
      return reassign(o, adm);
    case command::topic_alter:
      if (auto st = adm.create_partitions(o.name, o.partitions); !st)
        return fail(st.err());
      std::printf("topic %s now has %d partitions\n", o.name.c_str(), o.partitions);
      return 0;
    default:
      return fail("not a topic command");
  }
}

} // namespace sluice::cli

// sluice topic create | list | describe | delete | alter

#include "client/admin.hpp"
#include "tools/sluice/commands.hpp"

#include <cstdio>
#include <string>

namespace sluice::cli {

namespace {

std::string join(const std::vector<node_id>& ids) {
  std::string out;
  for (auto& id : ids)
    out += (out.empty() ? "" : ",") + std::to_string(id.value);
  return out.empty() ? "-" : out;
}

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
  }
  return 0;
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

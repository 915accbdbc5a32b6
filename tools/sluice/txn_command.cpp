// sluice txn list [--state S ...] | describe ID...

#include "client/admin.hpp"
#include "tools/sluice/commands.hpp"

#include <cstdio>
#include <string>

namespace sluice::cli {

namespace {

int list_transactions(const cli_options& o, client::admin& a) {
  auto txns = a.list_transactions(o.txn_states);
  if (!txns)
    return fail(txns.err());
  for (auto& t : *txns)
    std::printf("%s\t%s\t%lld\t%d\n", t.transactional_id.c_str(), t.state.c_str(),
                static_cast<long long>(t.id.value), t.coordinator.value);
  return 0;
}

// Kafka's kafka-transactions describe: the id's line, then its partitions and groups. Every id
// asked for is described; one that is unknown (or unreachable) fails the command after the rest.
int describe_transactions(const cli_options& o, client::admin& a) {
  auto txns = a.describe_transactions(o.transactional_ids);
  if (!txns)
    return fail(txns.err());
  int rc = 0;
  for (auto& t : *txns) {
    if (!t.error.ok()) {
      rc = fail(client::from_server(t.error, "transactional id '" + t.transactional_id + "'"));
      continue;
    }
    std::printf("transaction %s  state %s  producer %lld  epoch %d  timeout_ms %d  started %s  "
                "coordinator %d\n",
                t.transactional_id.c_str(), t.state.c_str(), static_cast<long long>(t.id.value),
                t.epoch.value, t.timeout_ms,
                t.start_time.value >= 0 ? std::to_string(t.start_time.value).c_str() : "-",
                t.coordinator.value);
    for (auto& p : t.partitions)
      std::printf("  partition %s/%d\n", p.topic.c_str(), p.partition.value);
    for (auto& g : t.groups)
      std::printf("  group %s\n", g.c_str());
  }
  return rc;
}

} // namespace

int run_txn(const cli_options& o, const conn_ptr& conn) {
  client::admin a{conn};
  switch (o.cmd) {
    case command::txn_list: return list_transactions(o, a);
    case command::txn_describe: return describe_transactions(o, a);
    default: return fail("not a txn command");
  }
}

} // namespace sluice::cli

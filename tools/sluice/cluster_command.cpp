// sluice cluster status | elect-preferred-leaders | decommission

#include "client/admin.hpp"
#include "tools/sluice/commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

namespace sluice::cli {

namespace {

int single_node_status(client::admin& adm) {
  auto md = adm.metadata();
  if (!md)
    return fail(md.err());
  size_t partitions = 0;
  std::map<int32_t, size_t> leaders;
  for (auto& t : md->topics) {
    partitions += t.partitions.size();
    for (auto& p : t.partitions)
      ++leaders[p.leader.value];
  }
  std::printf("single node (no controller quorum)  nodes %zu  topics %zu  partitions %zu\n",
              md->brokers.size(), md->topics.size(), partitions);
  for (auto& b : md->brokers)
    std::printf("  node %d  %s:%u  leader_of %zu\n", b.id.value, b.host.c_str(), b.port,
                leaders[b.id.value]);
  return 0;
}

} // namespace

// One line for the quorum, one per controller, one per broker. A single node (no
// --controllers) has no quorum: it shows the node and what it leads.
int run_cluster_status(const cli_options&, const conn_ptr& conn) {
  client::admin adm{conn};
  auto st = adm.cluster_status();
  if (!st && st.err().server != schema::errc::not_controller)
    return fail(st.err());
  if (!st || st->controllers.empty())
    return single_node_status(adm);
  std::printf("controller leader %d  term %lld  commit %lld\n", st->leader.value,
              static_cast<long long>(st->term), static_cast<long long>(st->commit_index));
  for (auto& c : st->controllers)
    std::printf("  controller %d  %s:%u  %s  match %lld\n", c.id.value, c.host.c_str(), c.port,
                c.id == st->leader ? "leader  " : "follower", static_cast<long long>(c.match_index));
  for (auto& b : st->brokers) {
    std::string hb = b.last_heartbeat_ms_ago < 0 ? std::string{"-"}
                                                 : std::to_string(b.last_heartbeat_ms_ago) + "ms";
    std::string rack = b.rack.empty() ? "" : "  rack " + b.rack;
    std::printf("  broker %d  %s:%u%s  %s  epoch %lld  last_heartbeat %s ago  replicas %d  leader_of %d%s\n",
                b.id.value, b.host.c_str(), b.port, rack.c_str(),
                b.fenced ? "fenced" : "alive ", static_cast<long long>(b.broker_epoch), hb.c_str(),
                b.replicas, b.leader_of, b.decommissioned ? "  decommissioned" : "");
  }
  return 0;
}

// One line per leadership that moved, or one saying none did.
int run_elect_preferred(const cli_options& o, const conn_ptr& conn) {
  client::admin adm{conn};
  auto moved = adm.elect_preferred_leaders(o.topic);
  if (!moved)
    return fail(moved.err());
  for (auto& e : *moved)
    std::printf("%s-%d  leader %d -> %d  epoch %d\n", e.topic.c_str(), e.partition, e.from.value,
                e.to.value, e.epoch.value);
  if (moved->empty())
    std::printf("no leader moved: every preferred replica that is alive and in sync leads\n");
  return 0;
}

// One line for the broker, one per move; with --wait, one more once it holds no replica.
int run_decommission(const cli_options& o, const conn_ptr& conn) {
  client::admin adm{conn};
  node_id id{o.broker};
  auto moves = adm.decommission_broker(id, o.cancel);
  if (!moves)
    return fail(moves.err());
  if (o.cancel) {
    std::printf("broker %d takes new replicas again\n", id.value);
    return 0;
  }
  std::printf("decommissioning broker %d: %zu partition(s) moving\n", id.value, moves->size());
  for (auto& m : *moves)
    std::printf("  %s-%d -> replicas %s\n", m.topic.c_str(), m.partition, join_ids(m.replicas).c_str());
  if (!o.wait) {
    std::printf("(cluster status shows its replicas; --wait waits until they moved)\n");
    return 0;
  }
  auto wait_ms = o.timeout_ms.value_or(default_wait_ms);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto st = adm.cluster_status();
    if (st) {
      auto b = std::find_if(st->brokers.begin(), st->brokers.end(), [&](auto& x) { return x.id == id; });
      if (b != st->brokers.end() && b->replicas == 0) {
        std::printf("broker %d holds no replicas: decommissioned\n", id.value);
        return 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_poll_ms));
  }
  return fail("broker " + std::to_string(id.value) + " still holds replicas after "
              + std::to_string(wait_ms) + " ms (cluster status shows how many)");
}

} // namespace sluice::cli

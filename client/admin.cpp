#include "client/admin.hpp"

#include "client/routing_table.hpp"
#include "client/topic_metadata.hpp"

#include <algorithm>
#include <map>
#include <thread>

namespace sluice::client {

namespace {

// The one result of a single-topic request; an unknown topic says so by name.
status topic_status(const std::vector<schema::topic_result>& results, const std::string& name) {
  auto i = std::find_if(results.begin(), results.end(), [&](auto& r) { return r.name == name; });
  if (i == results.end())
    return make_error(errc::protocol, "no result for topic '" + name + "' in the answer");
  if (i->error.code == schema::errc::unknown_topic_or_partition)
    return unknown_topic(name);
  if (!i->error.ok())
    return from_server(i->error, "topic '" + name + "'");
  return {};
}

} // namespace

status admin::create_topic(const new_topic& t) {
  schema::create_topics_request req;
  schema::create_topics_request::topic rt;
  rt.name = t.name;
  rt.partitions = t.partitions;
  rt.replication_factor = t.replication_factor;
  for (auto& [k, v] : t.configs)
    rt.configs.push_back({k, v});
  req.topics.push_back(std::move(rt));
  req.timeout_ms = static_cast<int32_t>(conn_->request_timeout().count());
  auto resp = conn_->call<schema::create_topics_response>(create_topics_atom_v, req);
  if (!resp)
    return resp.err();
  return topic_status(resp->topics, t.name);
}

status admin::delete_topic(const std::string& name) {
  schema::delete_topics_request req;
  req.names = {name};
  req.timeout_ms = static_cast<int32_t>(conn_->request_timeout().count());
  auto resp = conn_->call<schema::delete_topics_response>(delete_topics_atom_v, req);
  if (!resp)
    return resp.err();
  return topic_status(resp->topics, name);
}

result<std::vector<schema::list_topics_response::listing>> admin::list_topics(bool include_internal) {
  schema::list_topics_request req;
  req.include_internal = include_internal;
  auto resp = conn_->call<schema::list_topics_response>(list_topics_atom_v, req);
  if (!resp)
    return resp.err();
  if (!resp->error.ok())
    return from_server(resp->error, "list topics");
  auto out = std::move(resp->topics);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

status admin::create_partitions(const std::string& name, int32_t new_total) {
  schema::create_partitions_request req;
  req.topics.push_back({name, new_total});
  req.timeout_ms = static_cast<int32_t>(conn_->request_timeout().count());
  auto resp = conn_->call<schema::create_partitions_response>(create_partitions_atom_v, req);
  if (!resp)
    return resp.err();
  return topic_status(resp->topics, name);
}

result<std::vector<schema::describe_configs_response::entry>>
admin::describe_configs(const std::string& topic) {
  schema::describe_configs_request req;
  req.topics = {topic};
  auto resp = conn_->call<schema::describe_configs_response>(describe_configs_atom_v, req);
  if (!resp)
    return resp.err();
  auto i = std::find_if(resp->topics.begin(), resp->topics.end(),
                        [&](auto& t) { return t.name == topic; });
  if (i == resp->topics.end())
    return make_error(errc::protocol, "no configs for topic '" + topic + "' in the answer");
  if (i->error.code == schema::errc::unknown_topic_or_partition)
    return unknown_topic(topic);
  if (!i->error.ok())
    return from_server(i->error, "topic '" + topic + "'");
  return std::move(i->configs);
}

namespace {

// The offsets of `tps` (whose indices into the caller's list are `at`) from one answer, into `out`.
status take_offsets(const schema::list_offsets_response& resp, const std::vector<topic_partition>& tps,
                    const std::vector<size_t>& at, std::vector<offset>& out) {
  for (auto i : at) {
    auto& tp = tps[i];
    auto p = std::find_if(resp.partitions.begin(), resp.partitions.end(), [&](auto& x) {
      return x.topic == tp.topic && x.partition == tp.partition;
    });
    if (p == resp.partitions.end())
      return make_error(errc::protocol, "no offset for " + tp.to_string() + " in the answer");
    if (!p->error.ok())
      return from_server(p->error, tp.to_string());
    out[i] = p->off;
  }
  return {};
}

schema::list_offsets_request offsets_request(const std::vector<topic_partition>& tps, const std::vector<size_t>& at,
                                             schema::offset_query q, timestamp_ms ts) {
  schema::list_offsets_request req;
  for (auto i : at)
    req.partitions.push_back({tps[i].topic, tps[i].partition, leader_epoch{-1}, q, ts});
  return req;
}

// Tries of a list offsets while leadership moves (not_leader, no leader yet), and the pause
// between them: Kafka's admin client retries until its timeout likewise.
constexpr int list_offsets_tries = 10;
constexpr std::chrono::milliseconds list_offsets_backoff{200};

} // namespace

result<std::vector<offset>> admin::list_offsets(const std::vector<topic_partition>& tps,
                                                schema::offset_query q, timestamp_ms ts) {
  std::vector<size_t> all(tps.size());
  for (size_t i = 0; i < tps.size(); ++i)
    all[i] = i;
  if (!conn_->routed()) { // an attached node answers for every partition
    auto resp = conn_->call<schema::list_offsets_response>(list_offsets_atom_v, offsets_request(tps, all, q, ts));
    if (!resp)
      return resp.err();
    std::vector<offset> out(tps.size(), offset{-1});
    if (auto st = take_offsets(*resp, tps, all, out); !st)
      return st.err();
    return out;
  }
  for (int attempt = 1;; ++attempt) {
    auto r = list_offsets_at_leaders(tps, q, ts);
    if (r || !r.err().retriable() || attempt == list_offsets_tries)
      return r;
    std::this_thread::sleep_for(list_offsets_backoff);
  }
}

result<std::vector<offset>> admin::list_offsets_at_leaders(const std::vector<topic_partition>& tps,
                                                           schema::offset_query q, timestamp_ms ts) {
  std::vector<std::string> topics;
  for (auto& tp : tps)
    if (std::find(topics.begin(), topics.end(), tp.topic) == topics.end())
      topics.push_back(tp.topic);
  auto md = metadata(topics);
  if (!md)
    return md.err();
  routing_table table{{}};
  for (auto& t : topics)
    table.track(t);
  table.update(*md, routing_table::clock::now());
  std::map<int32_t, std::vector<size_t>> by_leader;
  std::map<int32_t, node_address> where;
  for (size_t i = 0; i < tps.size(); ++i) {
    auto r = table.lookup(tps[i].topic, tps[i].partition);
    switch (r.what) {
      case routing_table::route::kind::unknown_topic: return unknown_topic(tps[i].topic);
      case routing_table::route::kind::unknown_partition:
        return error{errc::server, schema::errc::unknown_topic_or_partition, tps[i].to_string() + ": no such partition"};
      case routing_table::route::kind::wait:
        return error{errc::server, schema::errc::leader_not_available, tps[i].to_string() + ": no leader"};
      case routing_table::route::kind::leader:
        by_leader[r.leader.value].push_back(i);
        where.emplace(r.leader.value, dial_address(*r.address, conn_->address()));
        break;
    }
  }
  std::vector<offset> out(tps.size(), offset{-1});
  for (auto& [leader, at] : by_leader) {
    auto& addr = where.at(leader);
    auto node = conn_->node_at(addr);
    if (!node)
      return node.err();
    auto resp = conn_->call_on<schema::list_offsets_response>(*node, "node at " + addr.to_string(),
                                                              list_offsets_atom_v, offsets_request(tps, at, q, ts));
    if (!resp)
      return resp.err();
    if (auto st = take_offsets(*resp, tps, at, out); !st)
      return st.err();
  }
  return out;
}

result<schema::metadata_response> admin::metadata(const std::vector<std::string>& topics) {
  schema::metadata_request req;
  req.all_topics = topics.empty();
  req.topics = topics;
  return conn_->call<schema::metadata_response>(metadata_atom_v, req);
}

result<topic_description> admin::describe_topic(const std::string& name) {
  auto md = fetch_topic_metadata(*conn_, {name});
  if (!md)
    return md.err();
  topic_description out;
  out.name = name;
  std::vector<topic_partition> tps;
  for (auto& p : md->front().partitions) {
    partition_description d;
    d.partition = p.partition;
    d.leader = p.leader;
    d.epoch = p.epoch;
    d.replicas = p.replicas;
    d.isr = p.isr;
    d.adding = p.adding_replicas;
    d.removing = p.removing_replicas;
    d.error = from_server(p.error, topic_partition{name, p.partition}.to_string());
    out.partitions.push_back(std::move(d));
    tps.push_back({name, p.partition});
  }
  std::sort(out.partitions.begin(), out.partitions.end(),
            [](auto& a, auto& b) { return a.partition < b.partition; });
  std::sort(tps.begin(), tps.end());
  auto starts = list_offsets(tps, schema::offset_query::earliest);
  if (!starts)
    return starts.err();
  auto ends = list_offsets(tps, schema::offset_query::latest);
  if (!ends)
    return ends.err();
  for (size_t i = 0; i < out.partitions.size(); ++i) {
    out.partitions[i].log_start = (*starts)[i];
    out.partitions[i].log_end = (*ends)[i];
  }
  auto configs = describe_configs(name);
  if (!configs)
    return configs.err();
  out.configs = std::move(*configs);
  return out;
}

result<std::string> admin::inspect(const std::string& actor) {
  return conn_->call_raw<std::string>(inspect_atom_v, actor);
}

// -- consumer groups ----------------------------------------------------------------------------

result<schema::cluster_status_response> admin::cluster_status() {
  auto resp = conn_->call<schema::cluster_status_response>(cluster_status_atom_v,
                                                           schema::cluster_status_request{});
  if (!resp)
    return resp.err();
  if (!resp->error.ok())
    return from_server(resp->error, "cluster status");
  return resp;
}

namespace {

result<admin::reassignment> one_reassignment(connection& conn, schema::reassign_partitions_request req) {
  auto resp = conn.call<schema::reassign_partitions_response>(reassign_partitions_atom_v, req);
  if (!resp)
    return resp.err();
  if (resp->partitions.size() != 1)
    return make_error(errc::protocol, "reassign: expected one partition in the answer");
  auto& p = resp->partitions.front();
  if (!p.error.ok())
    return from_server(p.error);
  return std::move(p);
}

} // namespace

result<admin::reassignment> admin::reassign_partition(const std::string& topic, int32_t partition,
                                                      const std::vector<node_id>& replicas) {
  return one_reassignment(*conn_, {{{topic, partition, replicas, false}}});
}

result<admin::reassignment> admin::cancel_reassignment(const std::string& topic, int32_t partition) {
  return one_reassignment(*conn_, {{{topic, partition, {}, true}}});
}

result<std::vector<schema::elect_leaders_response::election>>
admin::elect_preferred_leaders(const std::string& topic) {
  auto resp = conn_->call<schema::elect_leaders_response>(elect_leaders_atom_v,
                                                          schema::elect_leaders_request{topic});
  if (!resp)
    return resp.err();
  if (!resp->error.ok())
    return from_server(resp->error);
  return std::move(resp->elected);
}

result<std::vector<schema::decommission_broker_response::move>> admin::decommission_broker(node_id id,
                                                                                           bool cancel) {
  auto resp = conn_->call<schema::decommission_broker_response>(
    decommission_broker_atom_v, schema::decommission_broker_request{id, cancel});
  if (!resp)
    return resp.err();
  if (!resp->error.ok())
    return from_server(resp->error);
  return std::move(resp->moves);
}

// A node lists the groups it coordinates; in a cluster every broker is asked (as Kafka's
// admin does) and the answers merged. A broker the metadata lists that does not answer fails
// the whole listing: its groups would be missing without a word.
// Every broker's node when routed (a cluster, where each node answers for the coordinators it
// holds, as Kafka's admin asks every broker), else the one node.
result<std::vector<std::pair<actors::node_actor, std::string>>> admin::every_node() {
  std::vector<std::pair<actors::node_actor, std::string>> nodes{{conn_->node(), conn_->peer()}};
  if (!conn_->routed())
    return nodes;
  // The brokers only: no topic's metadata is needed.
  auto md = conn_->call<schema::metadata_response>(metadata_atom_v, schema::metadata_request{false, {}});
  if (!md)
    return md.err();
  nodes.clear();
  for (auto& b : md->brokers) {
    auto addr = dial_address(b, conn_->address());
    auto node = conn_->node_at(addr);
    if (!node)
      return node.err();
    nodes.emplace_back(std::move(*node), "node at " + addr.to_string());
  }
  return nodes;
}

result<std::vector<schema::list_groups_response::group>> admin::list_groups() {
  auto nodes = every_node();
  if (!nodes)
    return nodes.err();
  std::map<std::string, schema::list_groups_response::group> all;
  for (auto& [node, who] : *nodes) {
    auto resp = conn_->call_on<schema::list_groups_response>(node, who, list_groups_atom_v,
                                                             schema::list_groups_request{});
    if (!resp)
      return resp.err();
    if (!resp->error.ok())
      return from_server(resp->error, "list groups at " + who);
    for (auto& g : resp->groups)
      all.try_emplace(g.group_id, std::move(g));
  }
  std::vector<schema::list_groups_response::group> out;
  for (auto& [_, g] : all)
    out.push_back(std::move(g));
  return out;
}

result<std::vector<schema::list_transactions_response::listing>>
admin::list_transactions(const std::vector<std::string>& states) {
  auto nodes = every_node();
  if (!nodes)
    return nodes.err();
  std::map<std::string, schema::list_transactions_response::listing> all;
  for (auto& [node, who] : *nodes) {
    auto resp = conn_->call_on<schema::list_transactions_response>(
      node, who, list_transactions_atom_v, schema::list_transactions_request{states});
    if (!resp)
      return resp.err();
    if (!resp->error.ok())
      return from_server(resp->error, "list transactions at " + who);
    for (auto& t : resp->transactions)
      all.try_emplace(t.transactional_id, std::move(t));
  }
  std::vector<schema::list_transactions_response::listing> out;
  for (auto& [_, t] : all)
    out.push_back(std::move(t));
  return out;
}

result<std::vector<schema::describe_transactions_response::description>>
admin::describe_transactions(const std::vector<std::string>& ids) {
  auto resp = conn_->call<schema::describe_transactions_response>(
    describe_transactions_atom_v, schema::describe_transactions_request{ids});
  if (!resp)
    return resp.err();
  if (resp->transactions.size() != ids.size())
    return make_error(errc::protocol, "describe transactions: expected one answer per id");
  return std::move(resp->transactions);
}

result<schema::describe_groups_response::group> admin::describe_group(const std::string& group) {
  auto resp = conn_->call<schema::describe_groups_response>(describe_groups_atom_v,
                                                            schema::describe_groups_request{{group}});
  if (!resp)
    return resp.err();
  if (resp->groups.size() != 1)
    return make_error(errc::protocol, "describe group: expected one group in the answer");
  auto& g = resp->groups.front();
  if (!g.error.ok())
    return from_server(g.error, "group '" + group + "'");
  return std::move(g);
}

result<std::vector<schema::offset_fetch_response::partition>>
admin::group_offsets(const std::string& group, const std::vector<topic_partition>& tps) {
  schema::offset_fetch_request req{group, {}};
  for (auto& tp : tps)
    req.partitions.push_back({tp.topic, tp.partition});
  auto resp = conn_->call<schema::offset_fetch_response>(offset_fetch_atom_v, req);
  if (!resp)
    return resp.err();
  if (!resp->error.ok())
    return from_server(resp->error, "committed offsets of group '" + group + "'");
  return std::move(resp->partitions);
}

status admin::commit_group_offsets(const std::string& group,
                                   const std::vector<std::pair<topic_partition, offset>>& offsets) {
  schema::offset_commit_request req{{group, no_generation, "", std::nullopt}, {}};
  for (auto& [tp, off] : offsets)
    req.partitions.push_back({tp.topic, tp.partition, off, leader_epoch{-1}, {}});
  auto resp = conn_->call<schema::offset_commit_response>(offset_commit_atom_v, req);
  if (!resp)
    return resp.err();
  for (auto& p : resp->partitions)
    if (!p.error.ok())
      return from_server(p.error, "group '" + group + "', " + p.topic + "/" + std::to_string(p.partition.value));
  return {};
}

} // namespace sluice::client

#include "actors/node_impl.hpp"

#include "actors/group_manager.hpp"
#include "actors/metadata_actor.hpp"
#include "actors/partition_actor.hpp"
#include "actors/state_gather.hpp"
#include "actors/topic_actor.hpp"
#include "schema/error_response.hpp"
#include "schema/topics.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/sec.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <filesystem>
#include <set>

namespace sluice::actors {

namespace fs = std::filesystem;

namespace {

constexpr int max_restarts = 10; // per topic or metadata actor, over the node's life
constexpr auto admin_timeout = std::chrono::seconds(60);

} // namespace

node_impl::node_impl(caf::actor_config& cfg, node_config config)
  : node_internal_actor::base(cfg), config_(std::move(config)) {
  status_.listen = config_.host + ":" + std::to_string(config_.port);
}

node_impl::behavior_type node_impl::make_behavior() {
  set_down_handler([this](caf::down_msg& dm) { on_down(dm); });
  cleaner_ = spawn_log_cleaner(home_system(), config_.cleaner_own_thread);
  start_metadata();
  start_groups();
  start_txns();
  start_delays();
  start_shares();
  auto forward = [this](auto atom, const envelope& e) {
    ++status_.requests;
    return delegate(metadata_, atom, e);
  };
  auto to_controller = [this](auto atom, const envelope& e) {
    ++status_.requests;
    return delegate(metadata_, atom, e);
  };
  auto to_groups = [this](auto atom, const envelope& e) {
    ++status_.requests;
    return delegate(groups_, atom, e);
  };
  auto to_txns = [this](auto atom, const envelope& e) {
    ++status_.requests;
    return delegate(txns_, atom, e);
  };
  return {
    [this](produce_atom, const envelope& e) { return produce(e); },
    [this](fetch_atom, const envelope& e) { return fetch(e); },
    [this](list_offsets_atom, const envelope& e) { return list_offsets(e); },
    [this](epoch_query_atom, const envelope& e) { return answer_epoch_query(e); },
    [forward](metadata_atom a, const envelope& e) { return forward(a, e); },
    [forward](create_topics_atom a, const envelope& e) { return forward(a, e); },
    [forward](delete_topics_atom a, const envelope& e) { return forward(a, e); },
    [forward](list_topics_atom a, const envelope& e) { return forward(a, e); },
    [forward](create_partitions_atom a, const envelope& e) { return forward(a, e); },
    [forward](describe_configs_atom a, const envelope& e) { return forward(a, e); },
    [to_groups](join_group_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](sync_group_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](heartbeat_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](leave_group_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](offset_commit_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](offset_fetch_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](list_groups_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](describe_groups_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](write_txn_offsets_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](share_state_write_atom a, const envelope& e) { return to_groups(a, e); },
    [to_groups](share_state_read_atom a, const envelope& e) { return to_groups(a, e); },
    [this](share_fetch_atom, const envelope& e) { return share_fetch(e); },
    [this](share_ack_atom, const envelope& e) { return share_ack(e); },
    [to_txns](add_partitions_to_txn_atom a, const envelope& e) { return to_txns(a, e); },
    [to_txns](txn_offset_commit_atom a, const envelope& e) { return to_txns(a, e); },
    [to_txns](end_txn_atom a, const envelope& e) { return to_txns(a, e); },
    [to_txns](list_transactions_atom a, const envelope& e) { return to_txns(a, e); },
    [to_txns](describe_transactions_atom a, const envelope& e) { return to_txns(a, e); },
    [this](inspect_atom, const std::string& filter) { return inspect_tree(filter); },
    [this](inspect_atom, const envelope& e) { return inspect_node(e); },
    [this](init_producer_id_atom, const envelope& e) { return init_producer_id(e); },
    [this](write_txn_markers_atom, const envelope& e) { return write_txn_markers(e); },
    [to_controller](broker_heartbeat_atom a, const envelope& e) { return to_controller(a, e); },
    [to_controller](cluster_status_atom a, const envelope& e) { return to_controller(a, e); },
    [to_controller](reassign_partitions_atom a, const envelope& e) { return to_controller(a, e); },
    [to_controller](elect_leaders_atom a, const envelope& e) { return to_controller(a, e); },
    [to_controller](decommission_broker_atom a, const envelope& e) { return to_controller(a, e); },
    [this](cluster::raft_atom a, const envelope& e) { send(metadata_, a, e); },
    [this](controller_write_atom a, const envelope& e, bool internal) {
      return delegate(metadata_, a, e, internal);
    },
    [this](read_index_atom a) { return delegate(metadata_, a); },
    [this](peers_atom, node_id id) { connect_peer(id); },
    [this](ensure_offsets_atom) { ensure_internal_topics(); },
    [this](topic_update_atom, topic_spec& spec) { on_topic_update(std::move(spec)); },
    [this](topic_deleted_atom, const std::string& name) { on_topic_deleted(name); },
    [this](partition_states_atom, partition_states& s) { on_partition_states(std::move(s)); },
    [this](fetch_progress_atom, uint64_t id, int64_t bytes) { on_fetch_progress(id, bytes); },
    [this](fetch_expire_atom, uint64_t session) { expire_fetch(session); },
    [this](ready_atom) { return ready(); },
  };
}

void node_impl::on_exit() {
  // Children are monitored, not linked (a crashed partition must not take its topic down), so
  // shutdown reaches them explicitly; each partition closes its log on the way out.
  for (auto& [_, t] : topics_)
    send_exit(t.actor, caf::exit_reason::user_shutdown);
  for (auto& [_, a] : deleting_)
    send_exit(a, caf::exit_reason::user_shutdown);
  send_exit(metadata_, caf::exit_reason::user_shutdown);
  send_exit(groups_, caf::exit_reason::user_shutdown);
  send_exit(txns_, caf::exit_reason::user_shutdown);
  send_exit(delays_, caf::exit_reason::user_shutdown);
  send_exit(shares_, caf::exit_reason::user_shutdown);
  if (replicas_)
    send_exit(replicas_, caf::exit_reason::user_shutdown);
  // Detached: it has its own thread, and would keep the actor system up.
  send_exit(cleaner_, caf::exit_reason::user_shutdown);
  // Its thread ends only once no handle is left, and this actor may be referenced (hence its
  // members kept) after it finished.
  cleaner_ = nullptr;
  topics_.clear();
  deleting_.clear();
  // Parked multi-partition fetches hold their topic actors, whose parked partitions hold this
  // node as their progress listener: a cycle that would outlive the actor system.
  fetches_.clear();
  for (auto& w : ready_waiters_)
    w.deliver(caf::make_error(caf::sec::runtime_error, "node shut down"));
}

// -- metadata -----------------------------------------------------------------

void node_impl::start_metadata() {
  if (!config_.controllers.empty()) {
    start_controller();
    return;
  }
  schema::metadata_response::broker self{config_.id, config_.host, config_.port, ""};
  metadata_ = spawn_metadata(home_system(), metadata_args{config_.data_dir / "meta",
                                                          config_.topic_defaults, config_.limits,
                                                          self});
  monitor(metadata_);
  subscribe_metadata();
}

void node_impl::subscribe_metadata() {
  // A controller answers once it caught up with its leader, which may take a while after a
  // whole-cluster restart: no timeout.
  request(metadata_, caf::infinite, subscribe_atom_v, caf::actor_cast<topic_listener>(this))
    .then([this](std::vector<topic_spec>& specs) { on_snapshot(specs); },
          [this](caf::error& err) {
            failure_ = to_string(err);
            spdlog::error("node {}: metadata unavailable: {}", config_.id.value, *failure_);
            for (auto& w : ready_waiters_)
              w.deliver(err);
            ready_waiters_.clear();
          });
}

void node_impl::start_groups() {
  group_manager_args args{config_.data_dir / "groups", config_.id, config_.group_tick_interval,
                          group_limits{config_.group_min_session_timeout_ms,
                                       config_.group_max_session_timeout_ms,
                                       config_.offsets_retention_ms,
                                       config_.offsets_retention_check_ms},
                          0};
  // Without it a cluster node took itself for the only one: it loaded every partition of
  // __consumer_offsets (failing on those others lead) and answered "loading" for their groups
  // instead of forwarding them to the leader's node.
  args.cluster = !config_.controllers.empty();
  groups_ = spawn_group_manager(home_system(), std::move(args));
  monitor(groups_);
  for (auto& [name, t] : topics_) {
    anon_send(groups_, topic_update_atom_v, t.spec);
    if (name == offsets_topic)
      anon_send(groups_, offsets_log_atom_v, t.actor);
  }
}

void node_impl::start_shares() {
  share_manager_args args;
  args.store = caf::actor_cast<share_state_store>(this);
  args.max_wait_ms_limit = config_.max_wait_ms_limit;
  shares_ = spawn_share_manager(home_system(), std::move(args));
  monitor(shares_);
}

void node_impl::start_txns() {
  txn_manager_args args;
  args.dir = config_.data_dir / "transactions";
  args.node = config_.id;
  args.cluster = !config_.controllers.empty();
  args.self = caf::actor_cast<node_actor>(this);
  args.groups = caf::actor_cast<group_request_actor>(groups_);
  args.tick_interval = config_.group_tick_interval;
  args.limits.max_timeout_ms = config_.transaction_max_timeout_ms;
  args.limits.id_expiration_ms = config_.transactional_id_expiration_ms;
  txns_ = spawn_txn_manager(home_system(), std::move(args));
  monitor(txns_);
  for (auto& [name, t] : topics_) {
    anon_send(txns_, topic_update_atom_v, t.spec);
    if (name == transaction_state_topic)
      anon_send(txns_, txn_log_atom_v, t.actor);
  }
  for (auto& [topic, partitions] : states_)
    anon_send(txns_, partition_states_atom_v, partition_states{topic, partitions});
  if (!config_.controllers.empty())
    anon_send(txns_, peers_atom_v, controller_peers{peer_nodes_});
}

void node_impl::start_delays() {
  delay_manager_args args;
  args.dir = config_.data_dir / "delayed";
  args.node = config_.id;
  args.cluster = !config_.controllers.empty();
  args.self = caf::actor_cast<node_actor>(this);
  args.tick_interval = config_.group_tick_interval;
  args.now_ms = config_.delay_clock_ms;
  delays_ = spawn_delay_manager(home_system(), std::move(args));
  monitor(delays_);
  for (auto& [name, t] : topics_) {
    if (name == delayed_topic) {
      anon_send(delays_, topic_update_atom_v, t.spec);
      anon_send(delays_, delayed_log_atom_v, t.actor);
    }
  }
  for (auto& [topic, partitions] : states_)
    anon_send(delays_, partition_states_atom_v, partition_states{topic, partitions});
  if (!config_.controllers.empty())
    anon_send(delays_, peers_atom_v, controller_peers{peer_nodes_});
}

// Consumer groups need __consumer_offsets and transactions __transaction_state; the node
// creates them on first start. Already existing is the common answer, and fine.
void node_impl::ensure_internal_topics() {
  ensure_internal_topic(offsets_topic, config_.offsets_partitions, config_.offsets_replication);
  ensure_internal_topic(transaction_state_topic, config_.transaction_state_partitions,
                        config_.transaction_state_replication);
  ensure_internal_topic(delayed_topic, config_.delayed_partitions, config_.delayed_replication);
}

void node_impl::ensure_internal_topic(std::string_view name, int32_t partitions,
                                      int16_t replication) {
  if (topics_.contains(name))
    return;
  schema::create_topics_request req;
  req.timeout_ms = 30'000;
  // Replicated like any topic in a cluster (offsets.topic.replication.factor and its
  // transaction.state.log twin), so their state survives a broker and coordinators move with
  // the partition leaders.
  auto rf = static_cast<int16_t>(std::min<size_t>(static_cast<size_t>(replication),
                                                  std::max<size_t>(1, config_.controllers.size())));
  req.topics.push_back({std::string{name}, partitions, rf,
                        {{"retention.ms", "-1"}, {"retention.bytes", "-1"}}});
  // In a cluster the first attempts may find no controller leader or no registered broker
  // yet: try again until it exists.
  auto again = [this] {
    if (!config_.controllers.empty())
      delayed_send(this, std::chrono::seconds(1), ensure_offsets_atom_v);
  };
  request(metadata_, admin_timeout, create_internal_atom_v, encode(req))
    .then(
      [this, again, name](const envelope& e) {
        auto r = schema::decode<schema::create_topics_response>(e);
        if (r && !r->topics.empty()
            && (r->topics[0].error.ok() || r->topics[0].error.code == schema::errc::topic_already_exists))
          return;
        spdlog::log(config_.controllers.empty() ? spdlog::level::err : spdlog::level::info,
                    "node {}: cannot create {} (yet): {}", config_.id.value, name,
                    !r ? r.err().to_string()
                       : r->topics.empty() ? "no answer" : r->topics[0].error.to_string());
        again();
      },
      [this, again, name](caf::error& err) {
        spdlog::error("node {}: cannot create {}: {}", config_.id.value, name, to_string(err));
        again();
      });
}

// The whole table, at start or after the metadata actor restarted: host what it lists, drop
// what it does not.
void node_impl::on_snapshot(std::vector<topic_spec>& specs) {
  std::set<std::string, std::less<>> listed;
  for (auto& s : specs) {
    listed.insert(s.name);
    on_topic_update(std::move(s));
  }
  std::vector<std::string> gone;
  for (auto& [name, _] : topics_)
    if (!listed.contains(name))
      gone.push_back(name);
  for (auto& name : gone)
    on_topic_deleted(name);
  if (!restored_) {
    restored_ = true;
    remove_orphan_directories();
    spdlog::info("node {}: restored {} topic(s)", config_.id.value, topics_.size());
    ensure_internal_topics();
  }
  failure_.reset();
  status_.ready = true;
  for (auto& w : ready_waiters_)
    w.deliver(true);
  ready_waiters_.clear();
}

// Partition directories of topics the metadata no longer lists: a delete that a crash
// interrupted. Names are <topic>-<partition>; topics may contain '-', partitions do not.
void node_impl::remove_orphan_directories() {
  std::error_code ec;
  auto dir = config_.data_dir / "topics";
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    auto name = it->path().filename().string();
    auto dash = name.rfind('-');
    int32_t p = -1;
    if (dash != std::string::npos) {
      auto [end, perr] = std::from_chars(name.data() + dash + 1, name.data() + name.size(), p);
      if (perr != std::errc{} || end != name.data() + name.size())
        p = -1;
    }
    auto t = dash == std::string::npos ? topics_.end() : topics_.find(name.substr(0, dash));
    if (p < 0 || (t != topics_.end() && p < t->second.spec.partitions))
      continue;
    spdlog::warn("node {}: removing {}: its topic no longer exists", config_.id.value,
                 it->path().string());
    std::error_code rm;
    fs::remove_all(it->path(), rm);
  }
}

void node_impl::on_topic_update(topic_spec spec) {
  anon_send(groups_, topic_update_atom_v, spec);
  if (spec.name == transaction_state_topic)
    anon_send(txns_, topic_update_atom_v, spec);
  if (spec.name == delayed_topic)
    anon_send(delays_, topic_update_atom_v, spec);
  if (deleting_.contains(spec.name)) {
    auto name = spec.name;
    recreate_.insert_or_assign(std::move(name), std::move(spec));
    return;
  }
  if (auto it = topics_.find(spec.name); it != topics_.end()) {
    if (it->second.spec != spec)
      anon_send(it->second.actor, topic_update_atom_v, spec);
    it->second.spec = std::move(spec);
    return;
  }
  host(std::move(spec), 0);
}

void node_impl::host(topic_spec spec, int restarts) {
  topic_args args{spec, config_.topic_defaults, config_.data_dir / "topics",
                  config_.tick_interval, config_.max_parked_fetches, max_restarts,
                  store::system_clock_ms, std::nullopt};
  if (replicas_)
    args.replication = replication_args{config_.id, metadata_, replicas_,
                                        config_.replica_lag_time_max_ms,
                                        config_.replica_page_cache_bytes};
  args.cleaner = cleaner_args{cleaner_, config_.cleaner_backoff_ms, config_.cleaner_map_bytes};
  auto actor = spawn_topic(home_system(), std::move(args));
  monitor(actor);
  auto name = spec.name;
  if (auto st = states_.find(name); st != states_.end())
    send(actor, partition_states_atom_v, partition_states{name, st->second});
  if (name == offsets_topic)
    anon_send(groups_, offsets_log_atom_v, actor);
  if (name == transaction_state_topic)
    anon_send(txns_, txn_log_atom_v, actor);
  if (name == delayed_topic)
    anon_send(delays_, delayed_log_atom_v, actor);
  topics_.insert_or_assign(std::move(name), hosted_topic{actor, std::move(spec), restarts});
  status_.topics = topics_.size();
}

// Cluster mode: the metadata's replication state of a topic's partitions, for its topic actor
// (now, or when it is hosted).
void node_impl::on_partition_states(partition_states s) {
  states_.insert_or_assign(s.topic, s.partitions);
  if (s.topic == offsets_topic)
    anon_send(groups_, partition_states_atom_v, s);
  // Every topic's leaders: where its markers go (and the coordinator's own partitions).
  anon_send(txns_, partition_states_atom_v, s);
  anon_send(delays_, partition_states_atom_v, s); // where deliveries go, and its own partitions
  if (auto it = topics_.find(s.topic); it != topics_.end())
    send(it->second.actor, partition_states_atom_v, std::move(s));
}

void node_impl::on_topic_deleted(const std::string& name) {
  anon_send(groups_, topic_deleted_atom_v, name);
  anon_send(txns_, topic_deleted_atom_v, name);
  anon_send(delays_, topic_deleted_atom_v, name);
  states_.erase(name);
  recreate_.erase(name);
  auto it = topics_.find(name);
  if (it == topics_.end())
    return;
  auto actor = it->second.actor;
  topics_.erase(it);
  deleting_.insert_or_assign(name, actor);
  status_.topics = topics_.size();
  status_.deleting = deleting_.size();
  // Done when the topic actor goes down (it quits once its data is gone): on_down.
  request(actor, admin_timeout, delete_data_atom_v)
    .then(
      [name](bool ok) {
        if (!ok)
          spdlog::error("topic {}: some partition data could not be removed", name);
      },
      [name](caf::error& err) { spdlog::error("topic {}: delete: {}", name, to_string(err)); });
}

void node_impl::on_down(const caf::down_msg& dm) {
  if (dm.source == groups_.address()) {
    if (++groups_restarts_ > max_restarts) {
      spdlog::error("node {}: the group manager died {} times; not restarting it",
                    config_.id.value, groups_restarts_);
      return;
    }
    spdlog::warn("node {}: group manager died ({}); restarting it", config_.id.value,
                 to_string(dm.reason));
    start_groups();
    // The txn manager commits transactions' offsets through the group manager it was given.
    send_exit(txns_, caf::exit_reason::user_shutdown);
    return;
  }
  if (dm.source == txns_.address()) {
    if (++txns_restarts_ > max_restarts) {
      spdlog::error("node {}: the txn manager died {} times; not restarting it",
                    config_.id.value, txns_restarts_);
      return;
    }
    if (dm.reason != caf::exit_reason::user_shutdown)
      spdlog::warn("node {}: txn manager died ({}); restarting it", config_.id.value,
                   to_string(dm.reason));
    start_txns();
    return;
  }
  if (dm.source == delays_.address()) {
    if (++delays_restarts_ > max_restarts) {
      spdlog::error("node {}: the delay manager died {} times; not restarting it",
                    config_.id.value, delays_restarts_);
      return;
    }
    spdlog::warn("node {}: delay manager died ({}); restarting it", config_.id.value,
                 to_string(dm.reason));
    start_delays();
    return;
  }
  if (dm.source == shares_.address()) {
    if (++shares_restarts_ > max_restarts) {
      spdlog::error("node {}: the share manager died {} times; not restarting it",
                    config_.id.value, shares_restarts_);
      return;
    }
    spdlog::warn("node {}: share manager died ({}); restarting it", config_.id.value,
                 to_string(dm.reason));
    start_shares(); // its share-partitions load again from their coordinators
    return;
  }
  if (on_peer_down(dm))
    return;
  if (dm.source == metadata_.address()) {
    if (++metadata_restarts_ > max_restarts) {
      failure_ = "the metadata actor died " + std::to_string(metadata_restarts_) + " times";
      spdlog::error("node {}: {}", config_.id.value, *failure_);
      return;
    }
    spdlog::warn("node {}: metadata actor died ({}); restarting it", config_.id.value,
                 to_string(dm.reason));
    start_metadata();
    return;
  }
  for (auto it = deleting_.begin(); it != deleting_.end(); ++it) {
    if (it->second.address() != dm.source)
      continue;
    auto name = it->first;
    deleting_.erase(it);
    status_.deleting = deleting_.size();
    if (auto r = recreate_.find(name); r != recreate_.end()) {
      auto spec = std::move(r->second);
      recreate_.erase(r);
      host(std::move(spec), 0);
    }
    return;
  }
  for (auto& [name, t] : topics_) {
    if (t.actor.address() != dm.source)
      continue;
    if (t.restarts >= max_restarts) {
      spdlog::error("topic {} died ({}) {} times; not restarting it", name, to_string(dm.reason),
                    t.restarts);
      return;
    }
    spdlog::warn("topic {} died ({}); restarting it", name, to_string(dm.reason));
    auto spec = t.spec;
    host(std::move(spec), t.restarts + 1);
    return;
  }
}

caf::result<bool> node_impl::ready() {
  if (failure_)
    return caf::make_error(caf::sec::runtime_error, *failure_);
  if (restored_)
    return true;
  ready_waiters_.push_back(make_response_promise<bool>());
  return ready_waiters_.back();
}

// -- inspect ------------------------------------------------------------------

caf::result<std::string> node_impl::inspect_tree(const std::string& filter) {
  ++status_.requests;
  status_.fetch_sessions = fetches_.size();
  auto line = "node " + std::to_string(config_.id.value) + " (mailbox "
              + std::to_string(mailbox().size()) + "): " + caf::deep_to_string(status_);
  std::vector<state_child> children{child(metadata_, "metadata"), child(groups_, "group manager"),
                                    child(txns_, "txn manager"), child(delays_, "delay manager"),
                                    child(shares_, "share manager")};
  if (replicas_)
    children.push_back(child(replicas_, "replica manager"));
  children.push_back(child(cleaner_, "log cleaner"));
  for (auto& [name, t] : topics_)
    children.push_back(child(t.actor, "topic " + name));
  return gather_states(this, std::move(line), std::move(children),
                       [filter](std::string tree) { return filter_state_tree(tree, filter); });
}

node_internal_actor spawn_node(caf::actor_system& sys, node_config config) {
  return sys.spawn<node_impl>(std::move(config));
}

} // namespace sluice::actors

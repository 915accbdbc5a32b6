#include "actors/group_manager.hpp"

#include "actors/coordinator_routing.hpp"
#include "actors/fan_in.hpp"
#include "actors/group_refusal.hpp"
#include "actors/group_store.hpp"
#include "actors/inspect_field.hpp"
#include "actors/partition_interface.hpp"
#include "actors/state_gather.hpp"
#include "schema/error_response.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <functional>
#include <map>
#include <random>
#include <set>

namespace sluice::actors {

namespace {

using schema::envelope;
using schema::errc;

constexpr size_t max_group_id_bytes = 255; // keeps every LMDB key of a group below 511 bytes
constexpr auto log_timeout = std::chrono::seconds(30);
// Between attempts to load a partition whose log is not ready to serve it yet.
constexpr auto load_retry = std::chrono::milliseconds(200);
constexpr int32_t load_fetch_bytes = 4 << 20;

const std::string& group_of(const schema::join_group_request& r) { return r.group_id; }
const std::string& group_of(const schema::sync_group_request& r) { return r.member.group_id; }
const std::string& group_of(const schema::heartbeat_request& r) { return r.member.group_id; }
const std::string& group_of(const schema::leave_group_request& r) { return r.group_id; }
const std::string& group_of(const schema::offset_commit_request& r) { return r.member.group_id; }
const std::string& group_of(const schema::offset_fetch_request& r) { return r.group_id; }
const std::string& group_of(const schema::txn_offset_commit_request& r) { return r.group; }

const std::string& member_of(const schema::sync_group_request& r) { return r.member.member_id; }
const std::string& member_of(const schema::heartbeat_request& r) { return r.member.member_id; }
const std::string& member_of(const schema::leave_group_request& r) { return r.member_id; }

// Records waiting for their append; `done` answers whoever asked (a coordinator's persist, a
// share-partition leader's state write) once they are in the log and the view, or not.
struct pending_persist {
  std::vector<offsets_record> records;
  std::function<void(const schema::error&)> done;
};

// One partition of __consumer_offsets.
struct offsets_partition {
  bool loaded = false;
  bool loading = false;
  bool appending = false; // one append in flight: the view's applied offset only grows
  std::deque<pending_persist> queue;
};

struct manager_status {
  int32_t offsets_partitions = 0;
  int32_t loaded = 0;
  size_t groups = 0;
  uint64_t appends = 0;
  uint64_t persisted_records = 0;
  uint64_t replayed_records = 0;
  uint64_t forwarded = 0; // cluster mode: requests sent on to the coordinator's node
  uint64_t share_writes = 0; // share-partition states persisted for their leaders
  uint64_t retired = 0;      // coordinators stopped because their group expired
  std::string error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, manager_status& x) {
  field partitions{"offsets_partitions", x.offsets_partitions};
  field loaded{"loaded", x.loaded};
  field groups{"groups", x.groups};
  field appends{"appends", x.appends};
  field persisted{"persisted_records", x.persisted_records};
  field replayed{"replayed_records", x.replayed_records};
  field forwarded{"forwarded", x.forwarded};
  field share_writes{"share_writes", x.share_writes};
  field retired{"retired", x.retired};
  field error{"error", x.error};
  return f(caf::meta::type_name("group_manager"), partitions, loaded, groups, appends, persisted,
           replayed, forwarded, share_writes, retired, error);
}

// Self-sent: try loading the partitions this node leads and has not loaded (load_retry).
using load_retry_atom = caf::atom_constant<caf::atom("gm_retry")>;
using manager_internal = group_manager_actor::extend<caf::reacts_to<load_retry_atom>>;

class manager_impl : public manager_internal::base {
public:
  manager_impl(caf::actor_config& cfg, group_manager_args args)
    : manager_internal::base(cfg), args_(std::move(args)) {
    routing_ = {std::string{offsets_topic}, args_.node, args_.cluster, {}, {}};
    if (args_.incarnation == 0)
      args_.incarnation = std::random_device{}() | (uint64_t{std::random_device{}()} << 32) | 1;
  }

  const char* name() const override { return "group_manager"; }

  behavior_type make_behavior() override {
    open_store();
    return {
      [this](join_group_atom a, const envelope& e) { return route<schema::join_group_request>(a, e); },
      [this](sync_group_atom a, const envelope& e) { return route<schema::sync_group_request>(a, e); },
      [this](heartbeat_atom a, const envelope& e) { return route<schema::heartbeat_request>(a, e); },
      [this](leave_group_atom a, const envelope& e) { return route<schema::leave_group_request>(a, e); },
      [this](offset_commit_atom a, const envelope& e) { return route<schema::offset_commit_request>(a, e); },
      [this](offset_fetch_atom a, const envelope& e) { return route<schema::offset_fetch_request>(a, e); },
      [this](write_txn_offsets_atom a, const envelope& e) {
        return route<schema::txn_offset_commit_request>(a, e);
      },
      [this](share_state_write_atom a, const envelope& e) { return share_write(a, e); },
      [this](share_state_read_atom a, const envelope& e) { return share_read(a, e); },
      [this](list_groups_atom, const envelope& e) { return list(e); },
      [this](describe_groups_atom, const envelope& e) { return describe(e); },
      [this](persist_atom, persist_request& r) { return persist(std::move(r)); },
      [this](group_dead_atom, const std::string& group) { retire(group); },
      [this](offsets_log_atom, topic_actor& t) { on_offsets_log(std::move(t)); },
      [this](topic_update_atom, topic_spec& spec) { on_topic_update(std::move(spec)); },
      [this](topic_deleted_atom, const std::string& name) {
        counts_.erase(name);
        broadcast_counts();
      },
      [this](partition_states_atom, partition_states& s) { on_leaders(s); },
      [this](load_retry_atom) { load_all(); },
      [this](peers_atom, controller_peers& p) { routing_.nodes = std::move(p.nodes); },
      [this](state_atom) { return state(); },
      [this](inspect_atom) { return group_summaries(); },
    };
  }

  void on_exit() override {
    for (auto& [_, c] : coordinators_)
      send_exit(c, caf::exit_reason::user_shutdown);
    coordinators_.clear();
    for (auto& p : partitions_)
      for (auto& q : p.queue)
        q.done({errc::coordinator_not_available, "the node is stopping"});
    partitions_.clear();
    store_.reset(); // LMDB: one handle per environment and process
  }

private:
  void open_store() {
    auto s = group_store::open(args_.dir);
    if (!s) {
      status_.error = s.err().to_string();
      spdlog::error("groups: {}", status_.error);
      return;
    }
    store_ = std::move(*s);
  }

  // -- routing -------------------------------------------------------------------------------

  schema::error check_group(const std::string& group) const {
    if (group.empty())
      return {errc::invalid_group_id, "the group id is empty"};
    if (group.size() > max_group_id_bytes)
      return {errc::invalid_group_id, "the group id is " + std::to_string(group.size())
                                        + " bytes, more than " + std::to_string(max_group_id_bytes)};
    if (!store_)
      return {errc::coordinator_not_available, "the group store did not open: " + status_.error};
    auto p = partition_of(group);
    if (!p || !partitions_[static_cast<size_t>(p->value)].loaded)
      return {errc::coordinator_not_available,
              "the coordinator of group '" + group + "' is loading: retry"};
    return {};
  }

  std::optional<partition_id> partition_of(const std::string& group) const {
    if (partitions_.empty())
      return std::nullopt;
    return partition_for_group(group, static_cast<int32_t>(partitions_.size()));
  }

  // Cluster mode: the node leading the group's partition when it is another node (nullopt:
  // this one); `err` is set when nobody can coordinate it now.
  std::optional<node_actor> coordinator_node(const std::string& group, schema::error& err) const {
    auto p = partition_of(group);
    if (!p || group.empty())
      return std::nullopt;
    return routing_.other_leader(static_cast<size_t>(p->value), "group '" + group + "'", err);
  }

  template <class Request, class Atom>
  caf::result<envelope> route(Atom atom, const envelope& e) {
    auto req = schema::decode<Request>(e);
    if (!req)
      return encode(schema::error_response{req.err()});
    auto& group = group_of(*req);
    schema::error unreachable;
    if (auto node = coordinator_node(group, unreachable)) {
      ++status_.forwarded;
      return delegate(*node, atom, e);
    }
    if (!unreachable.ok())
      return refusal(*req, std::move(unreachable));
    if (auto err = check_group(group); !err.ok())
      return refusal(*req, std::move(err));
    if (retiring_.contains(group))
      return refusal(*req, {errc::coordinator_not_available,
                            "group '" + group + "' is being removed (its offsets expired): retry"});
    auto it = coordinators_.find(group);
    if (it == coordinators_.end()) {
      // Only a join or a commit (an admin commit to a new group, a transaction's offsets)
      // creates a group; the rest are about members or offsets that cannot exist.
      if constexpr (std::is_same_v<Request, schema::offset_fetch_request>) {
        schema::offset_fetch_response out;
        for (auto& p : req->partitions)
          out.partitions.push_back({p.topic, p.partition, offset{-1}, leader_epoch{-1}, {}, {}});
        return encode(out);
      } else if constexpr (std::is_same_v<Request, schema::join_group_request>
                           || std::is_same_v<Request, schema::offset_commit_request>
                           || std::is_same_v<Request, schema::txn_offset_commit_request>) {
        it = spawn_coordinator(group, {}, std::nullopt);
      } else {
        return refusal(*req, {errc::unknown_member_id,
                              "group '" + group + "' has no member '"
                                + member_of(*req) + "'"});
      }
    }
    return delegate(it->second, atom, std::move(*req));
  }

  std::map<std::string, group_coordinator_actor>::iterator
  spawn_coordinator(const std::string& group, std::vector<offset_commit_record> offsets,
                    std::optional<group_metadata_value> metadata) {
    coordinator_args a;
    a.group = group;
    a.partition = *partition_of(group);
    a.persister = caf::actor_cast<group_persister>(this);
    a.offsets = std::move(offsets);
    a.metadata = std::move(metadata);
    a.counts = counts_;
    a.member_id_prefix = group + "-" + std::to_string(args_.node.value) + "-"
                         + to_hex(args_.incarnation + coordinators_spawned_++);
    a.tick_interval = args_.tick_interval;
    a.limits = args_.limits;
    auto c = spawn_group_coordinator(home_system(), std::move(a));
    return coordinators_.emplace(group, c).first;
  }

  // A coordinator whose group expired (offsets.retention) asks to go. Whether the group is
  // still dead is the coordinator's to say, after whatever the manager sent it before; until it
  // answers, the group's requests are refused as retriable, so none reaches a stopped actor.
  // A request after that starts the group over in a new coordinator.
  void retire(const std::string& group) {
    auto it = coordinators_.find(group);
    auto sender = caf::actor_cast<caf::actor_addr>(current_sender());
    if (it == coordinators_.end() || it->second.address() != sender || !retiring_.insert(group).second)
      return;
    auto c = it->second;
    auto settle = [this, group, c](bool retired) {
      retiring_.erase(group);
      auto it = coordinators_.find(group);
      if (!retired || it == coordinators_.end() || it->second != c)
        return;
      coordinators_.erase(it);
      ++status_.retired;
      spdlog::info("groups: group {} expired; its coordinator stopped", group);
    };
    request(c, std::chrono::seconds(10), retire_atom_v)
      .then(settle, [settle](caf::error&) { settle(false); });
  }

  static std::string to_hex(uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4)
      out[static_cast<size_t>(i)] = digits[v & 15];
    return out;
  }

  caf::result<envelope> list(const envelope& e) {
    auto req = schema::decode<schema::list_groups_request>(e);
    if (!req)
      return encode(schema::error_response{req.err()});
    struct gather {
      schema::list_groups_response response;
      std::vector<std::string> filter;
      size_t outstanding;
      caf::typed_response_promise<envelope> rp;
    };
    auto g = std::make_shared<gather>();
    g->filter = std::move(req->states_filter);
    if (partitions_.empty() || !all_led_loaded())
      g->response.error = {errc::coordinator_not_available,
                           "group coordinators are loading; the list may be incomplete"};
    list_share_groups(g->response, g->filter);
    if (coordinators_.empty()) {
      std::ranges::sort(g->response.groups, {}, &schema::list_groups_response::group::group_id);
      return encode(g->response);
    }
    g->outstanding = coordinators_.size();
    g->rp = make_response_promise<envelope>();
    for (auto& [name, c] : coordinators_) {
      auto done = [g](std::optional<schema::list_groups_response::group> x) {
        // A dead group (its offsets expired) is gone, as in Kafka.
        if (x && x->state != "dead"
            && (g->filter.empty() || std::ranges::find(g->filter, x->state) != g->filter.end()))
          g->response.groups.push_back(std::move(*x));
        if (--g->outstanding > 0)
          return;
        std::ranges::sort(g->response.groups, {}, &schema::list_groups_response::group::group_id);
        g->rp.deliver(encode(g->response));
      };
      request(c, std::chrono::seconds(10), list_groups_atom_v)
        .then([done](schema::list_groups_response::group& x) { done(std::move(x)); },
              [done](caf::error&) { done(std::nullopt); });
    }
    return g->rp;
  }

  // The share groups of the partitions this node leads and has loaded.
  void list_share_groups(schema::list_groups_response& out, const std::vector<std::string>& filter) const {
    if (!store_ || partitions_.empty() || (!filter.empty() && std::ranges::find(filter, "stable") == filter.end()))
      return;
    auto names = store_->share_groups();
    if (!names)
      return;
    for (auto& name : *names) {
      auto p = partition_of(name);
      if (!p || !leads(static_cast<size_t>(p->value)) || !partitions_[static_cast<size_t>(p->value)].loaded
          || coordinators_.contains(name))
        continue;
      out.groups.push_back({name, "share", "stable", 0});
    }
  }

  // Each group is described by its coordinator: here, or (cluster mode) the node leading its
  // offsets partition, which gets the groups it coordinates as one request.
  caf::result<envelope> describe(const envelope& e) {
    auto req = schema::decode<schema::describe_groups_request>(e);
    if (!req)
      return encode(schema::error_response{req.err()});
    struct gather {
      schema::describe_groups_response response;
      size_t outstanding = 0;
      caf::typed_response_promise<envelope> rp;
      void done() {
        if (--outstanding == 0)
          rp.deliver(encode(response));
      }
    };
    auto g = std::make_shared<gather>();
    g->response.groups.resize(req->groups.size());
    std::vector<std::pair<size_t, group_coordinator_actor>> asks;
    std::vector<std::pair<node_actor, std::vector<size_t>>> forwards;
    for (size_t i = 0; i < req->groups.size(); ++i) {
      auto& name = req->groups[i];
      auto& out = g->response.groups[i];
      out.group_id = name;
      out.state = "dead";
      if (auto node = coordinator_node(name, out.error)) {
        auto f = std::ranges::find(forwards, *node, &std::pair<node_actor, std::vector<size_t>>::first);
        (f == forwards.end() ? forwards.emplace_back(*node, std::vector<size_t>{}) : *f).second.push_back(i);
        continue;
      }
      if (!out.error.ok())
        continue;
      out.error = check_group(name);
      if (!out.error.ok())
        continue;
      auto it = coordinators_.find(name);
      if (it == coordinators_.end()) {
        if (auto share = describe_share(name))
          out = std::move(*share);
        else
          out.error = {errc::group_id_not_found, "group '" + name + "' does not exist"};
        continue;
      }
      asks.emplace_back(i, it->second);
    }
    if (asks.empty() && forwards.empty())
      return encode(g->response);
    g->outstanding = asks.size() + forwards.size();
    g->rp = make_response_promise<envelope>();
    for (auto& [i, c] : asks) {
      auto name = req->groups[i];
      request(c, std::chrono::seconds(10), describe_groups_atom_v)
        .then([g, i](schema::describe_groups_response::group& x) {
                g->response.groups[i] = std::move(x);
                g->done();
              },
              [g, i, name](caf::error& err) {
                g->response.groups[i].error = {errc::coordinator_not_available,
                                               "the coordinator of group '" + name
                                                 + "' did not answer: " + to_string(err)};
                g->done();
              });
    }
    for (auto& [node, indices] : forwards)
      forward_describe(g->response, node, indices, *req, [g] { g->done(); });
    status_.forwarded += forwards.size();
    return g->rp;
  }

  // Asks `node` about the groups at `indices` of `req` and fills their places in `out` (which
  // outlives the answer: it lives in the gather that `done` completes).
  void forward_describe(schema::describe_groups_response& out, const node_actor& node,
                        const std::vector<size_t>& indices, const schema::describe_groups_request& req,
                        std::function<void()> done) {
    schema::describe_groups_request sub;
    for (auto i : indices)
      sub.groups.push_back(req.groups[i]);
    auto fail = [&out, indices, done](const std::string& why) {
      for (auto i : indices)
        out.groups[i].error = {errc::coordinator_not_available,
                               "the coordinator of group '" + out.groups[i].group_id
                                 + "' did not answer: " + why};
      done();
    };
    request(node, std::chrono::seconds(10), describe_groups_atom_v, encode(sub))
      .then(
        [&out, indices, done, fail](const envelope& reply) {
          auto r = schema::decode<schema::describe_groups_response>(reply);
          if (!r || r->groups.size() != indices.size())
            return fail(r ? "an answer for other groups" : r.err().to_string());
          for (size_t k = 0; k < indices.size(); ++k)
            out.groups[indices[k]] = std::move(r->groups[k]);
          done();
        },
        [fail](caf::error& err) { fail(to_string(err)); });
  }

  // -- topics --------------------------------------------------------------------------------

  void on_topic_update(topic_spec spec) {
    if (spec.name == offsets_topic) {
      if (partitions_.empty()) {
        partitions_.resize(static_cast<size_t>(spec.partitions));
        routing_.leaders.resize(partitions_.size());
        status_.offsets_partitions = spec.partitions;
        load_all();
      }
      return;
    }
    auto& n = counts_[spec.name];
    if (n == spec.partitions)
      return;
    n = spec.partitions;
    broadcast_counts();
  }

  void broadcast_counts() {
    for (auto& [_, c] : coordinators_)
      anon_send(c, partition_counts_atom_v, partition_count_update{counts_});
  }

  void on_offsets_log(topic_actor t) {
    log_ = std::move(t);
    for (auto& p : partitions_)
      p.loaded = false;
    status_.loaded = 0;
    load_all();
  }

  // -- loading: replay each partition's log from the view's applied offset --------------------

  void load_all() {
    if (!log_ || partitions_.empty() || !store_)
      return;
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (!partitions_[i].loaded && !partitions_[i].loading && leads(i))
        load(partition_id{static_cast<int32_t>(i)});
  }

  // In a cluster a node lists only the groups it coordinates (clients ask every broker, as
  // Kafka's admin does), so only the partitions it leads must be loaded for a whole answer.
  bool all_led_loaded() const {
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (leads(i) && !partitions_[i].loaded)
        return false;
    return true;
  }

  bool leads(size_t p) const { return routing_.leads(p); }

  // Cluster mode: the leaders of __consumer_offsets changed. Partitions this node now leads
  // load (their groups' coordinators start from the view, replayed to the log end); the ones
  // it no longer leads unload (their coordinators stop; clients find the new ones).
  void on_leaders(const partition_states& s) {
    if (s.topic != offsets_topic)
      return;
    auto& leaders = routing_.leaders;
    leaders.resize(std::max(leaders.size(), s.partitions.size()));
    for (size_t i = 0; i < s.partitions.size(); ++i)
      leaders[i] = s.partitions[i].leader;
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (!leads(i) && (partitions_[i].loaded || partitions_[i].loading))
        unload(partition_id{static_cast<int32_t>(i)});
    load_all();
  }

  void unload(partition_id p) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    if (part.loaded)
      --status_.loaded;
    part.loaded = false;
    part.loading = false;
    for (auto& q : part.queue)
      q.done({errc::coordinator_not_available,
              "this node no longer leads " + std::string{offsets_topic} + "-" + std::to_string(p.value)});
    part.queue.clear();
    size_t stopped = 0;
    for (auto it = coordinators_.begin(); it != coordinators_.end();) {
      if (partition_of(it->first) != p) {
        ++it;
        continue;
      }
      send_exit(it->second, caf::exit_reason::user_shutdown);
      it = coordinators_.erase(it);
      ++stopped;
    }
    spdlog::info("groups: {}-{} unloaded (leadership moved), {} coordinator(s) stopped",
                 offsets_topic, p.value, stopped);
  }

  void load(partition_id p) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    auto from = store_->applied(p);
    if (!from) {
      status_.error = from.err().to_string();
      spdlog::error("groups: {}", status_.error);
      return;
    }
    part.loading = true;
    replay(p, *from);
  }

  void replay(partition_id p, offset from) {
    partition_fetch f{++fetch_ids_, from, load_fetch_bytes, 0, 0, false};
    f.to_log_end = true; // a new leader's HW may lag records that are committed already
    request(log_, log_timeout, fetch_atom_v, p, f)
      .then([this, p, from](fetch_reply& r) { on_replay(p, from, std::move(r)); },
            [this, p](caf::error& err) {
              partitions_[static_cast<size_t>(p.value)].loading = false;
              spdlog::warn("groups: loading {}-{} failed: {}; retrying", offsets_topic, p.value,
                           to_string(err));
              // Only what is missing: the partitions loaded meanwhile keep serving.
              delayed_send(this, load_retry, load_retry_atom::value);
            });
  }

  void on_replay(partition_id p, offset from, fetch_reply r) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    if (r.error.code == errc::offset_out_of_range && r.log_start_offset.value > from.value) {
      // Retention removed what the view already holds (the topic keeps everything, but be safe).
      replay(p, r.log_start_offset);
      return;
    }
    if (!r.error.ok() && r.error.code != errc::offset_out_of_range) {
      part.loading = false;
      status_.error = "loading " + std::string{offsets_topic} + "-" + std::to_string(p.value)
                      + ": " + r.error.to_string();
      spdlog::error("groups: {}", status_.error);
      // The metadata may reach this manager before the partition actor (a node catching up
      // hears every state at once): while this node is to lead the partition, try again.
      if (leads(static_cast<size_t>(p.value)))
        delayed_send(this, load_retry, load_retry_atom::value);
      return;
    }
    std::vector<offsets_record> records;
    offset next = from; // past the last record read, even one below `from`
    auto st = for_each_record(r.records, [&](offset o, offsets_record&& rec) {
      next = std::max(next, offset{o.value + 1});
      if (o >= from)
        records.push_back(std::move(rec));
    });
    if (!st) {
      part.loading = false;
      status_.error = st.err().to_string();
      spdlog::error("groups: {}", status_.error);
      return;
    }
    if (next > from) {
      if (auto ok = store_->apply(p, next, records); !ok) {
        part.loading = false;
        status_.error = ok.err().to_string();
        spdlog::error("groups: {}", status_.error);
        return;
      }
      status_.replayed_records += records.size();
    }
    if (!part.loading)
      return; // unloaded meanwhile
    if (next > from) {
      replay(p, next);
      return;
    }
    if (from > r.high_watermark && r.error.ok() && !args_.cluster)
      spdlog::warn("groups: {}-{} ends at {} but the view reflects up to {}: the log lost records",
                   offsets_topic, p.value, r.high_watermark.value, from.value);
    finish_load(p);
  }

  void finish_load(partition_id p) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    if (!leads(static_cast<size_t>(p.value))) {
      part.loading = false;
      return;
    }
    auto groups = store_->groups();
    if (!groups) {
      part.loading = false;
      status_.error = groups.err().to_string();
      return;
    }
    size_t restored = 0;
    for (auto& g : *groups) {
      if (partition_of(g) != p || coordinators_.contains(g))
        continue;
      auto offsets = store_->offsets(g);
      auto meta = store_->group(g);
      if (!offsets || !meta) {
        status_.error = (!offsets ? offsets.err() : meta.err()).to_string();
        spdlog::error("groups: {}", status_.error);
        continue;
      }
      spawn_coordinator(g, std::move(*offsets), std::move(*meta));
      ++restored;
    }
    part.loading = false;
    part.loaded = true;
    ++status_.loaded;
    if (restored > 0)
      spdlog::info("groups: {}-{} loaded, {} group(s) restored", offsets_topic, p.value, restored);
    pump(p);
  }

  // -- persisting: append, then apply to the view, then acknowledge ---------------------------

  caf::result<persist_reply> persist(persist_request r) {
    if (r.partition.value < 0 || static_cast<size_t>(r.partition.value) >= partitions_.size())
      return persist_reply{{errc::coordinator_not_available, "no such offsets partition"}};
    auto rp = make_response_promise<persist_reply>();
    partitions_[static_cast<size_t>(r.partition.value)].queue.push_back(
      {std::move(r.records), [rp](const schema::error& e) mutable { rp.deliver(persist_reply{e}); }});
    pump(r.partition);
    return rp;
  }

  // Everything queued for `p` goes out as one batch (a group commit of many coordinators).
  void pump(partition_id p) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    if (part.appending || !part.loaded || part.queue.empty() || !log_)
      return;
    auto batch = std::make_shared<std::vector<pending_persist>>();
    std::vector<offsets_record> all;
    while (!part.queue.empty()) {
      auto& q = part.queue.front();
      all.insert(all.end(), q.records.begin(), q.records.end());
      batch->push_back(std::move(q));
      part.queue.pop_front();
    }
    part.appending = true;
    ++status_.appends;
    auto bytes = build_batch(all, timestamp_ms{std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count()});
    auto count = static_cast<int64_t>(all.size());
    auto finish = [this, p, batch](const schema::error& e) {
      for (auto& q : *batch)
        q.done(e);
      partitions_[static_cast<size_t>(p.value)].appending = false;
      pump(p);
    };
    request(log_, log_timeout, produce_atom_v, p, append_request{std::move(bytes), schema::acks::all})
      .then(
        [this, p, count, finish, records = std::move(all)](append_reply& r) {
          if (!r.error.ok())
            return finish(r.error);
          if (auto st = store_->apply(p, offset{r.base_offset.value + count}, records); !st)
            return finish(st.err());
          status_.persisted_records += records.size();
          finish({});
        },
        [finish](caf::error& err) {
          finish({errc::coordinator_not_available,
                  std::string{"the offsets log did not answer: "} + to_string(err)});
        });
  }

  // -- share groups: the share coordinator of KIP-932 ------------------------------------------
  //
  // A share-partition's leader (actors/share_manager.hpp) persists the share-partition's state
  // here, in the group's partition of __consumer_offsets, and a new leader reads it back. The
  // log keeps the latest state per (group, topic, partition); the view answers reads. A write
  // under an older leader epoch than the latest accepted is fenced: a deposed leader must not
  // overwrite what its successor wrote.

  template <class Request>
  std::optional<schema::error> share_check(const Request& r) const {
    if (auto err = check_group(r.group_id); !err.ok())
      return err;
    if (r.topic.empty() || r.partition.value < 0)
      return schema::error{errc::invalid_request, "a share state needs a topic and a partition"};
    return std::nullopt;
  }

  caf::result<envelope> share_write(share_state_write_atom atom, const envelope& e) {
    auto req = schema::decode<schema::share_state_write_request>(e);
    if (!req)
      return encode(schema::share_state_write_response{req.err()});
    schema::error unreachable;
    if (auto node = coordinator_node(req->group_id, unreachable)) {
      ++status_.forwarded;
      return delegate(*node, atom, e);
    }
    if (!unreachable.ok())
      return encode(schema::share_state_write_response{std::move(unreachable)});
    if (auto err = share_check(*req))
      return encode(schema::share_state_write_response{std::move(*err)});
    auto key = share_key(req->group_id, req->topic, req->partition);
    auto latest = share_epochs_.find(key);
    auto stored = store_->share_state(req->group_id, req->topic, req->partition);
    if (!stored)
      return encode(schema::share_state_write_response{stored.err()});
    auto newest = std::max(latest == share_epochs_.end() ? leader_epoch{-1} : latest->second,
                           *stored ? (*stored)->epoch : leader_epoch{-1});
    if (req->epoch < newest)
      return encode(schema::share_state_write_response{
        {errc::fenced_leader_epoch, "share state of " + req->topic + "-" + std::to_string(req->partition.value)
                                      + " was written under leader epoch " + std::to_string(newest.value)
                                      + ", newer than " + std::to_string(req->epoch.value)}});
    share_epochs_[key] = req->epoch;
    ++share_pending_[key];
    auto p = *partition_of(req->group_id);
    auto rp = make_response_promise<envelope>();
    std::vector<offsets_record> records{share_state_record{
      req->group_id, req->topic, req->partition, share_state_value{req->epoch, std::move(req->state)}}};
    partitions_[static_cast<size_t>(p.value)].queue.push_back(
      {std::move(records), [this, rp, key](const schema::error& err) mutable {
         if (auto it = share_pending_.find(key); it != share_pending_.end() && --it->second == 0)
           share_pending_.erase(it);
         rp.deliver(encode(schema::share_state_write_response{err}));
       }});
    ++status_.share_writes;
    pump(p);
    return rp;
  }

  caf::result<envelope> share_read(share_state_read_atom atom, const envelope& e) {
    auto req = schema::decode<schema::share_state_read_request>(e);
    schema::share_state_read_response out;
    if (!req) {
      out.error = req.err();
      return encode(out);
    }
    schema::error unreachable;
    if (auto node = coordinator_node(req->group_id, unreachable)) {
      ++status_.forwarded;
      return delegate(*node, atom, e);
    }
    if (!unreachable.ok()) {
      out.error = std::move(unreachable);
      return encode(out);
    }
    if (auto err = share_check(*req)) {
      out.error = std::move(*err);
      return encode(out);
    }
    // A write of this share-partition still on its way to the log is not in the view yet: a
    // new leader must not load the state it replaces.
    if (share_pending_.contains(share_key(req->group_id, req->topic, req->partition))) {
      out.error = {errc::coordinator_not_available, "a share state write is in flight: retry"};
      return encode(out);
    }
    auto stored = store_->share_state(req->group_id, req->topic, req->partition);
    if (!stored) {
      out.error = stored.err();
    } else if (*stored) {
      out.found = true;
      out.epoch = (*stored)->epoch;
      out.state = std::move((*stored)->state);
    }
    return encode(out);
  }

  static std::string share_key(const std::string& group, const std::string& topic, partition_id p) {
    return group + '\0' + topic + '\0' + std::to_string(p.value);
  }

  // A share group this node coordinates, as describe shows it: its persisted share-partitions.
  std::optional<schema::describe_groups_response::group> describe_share(const std::string& name) const {
    if (!store_)
      return std::nullopt;
    auto states = store_->share_states(name);
    if (!states || states->empty())
      return std::nullopt;
    schema::describe_groups_response::group g;
    g.group_id = name;
    g.protocol_type = "share";
    g.state = "stable";
    for (auto& r : *states) {
      auto& st = r.value->state;
      int64_t finished = 0;
      for (auto& x : st.ranges)
        if (x.state == schema::record_state::acknowledged || x.state == schema::record_state::archived)
          finished += x.last - x.first + 1;
      auto& out = g.shares.emplace_back();
      out.topic = r.topic;
      out.partition = r.partition;
      out.start = st.start;
      out.end = st.end;
      out.in_flight = (st.end - st.start) - finished;
      out.finished = finished;
    }
    return g;
  }

  // -- inspect -------------------------------------------------------------------------------

  caf::result<std::string> state() {
    status_.groups = coordinators_.size();
    auto line = "group_manager groups (mailbox " + std::to_string(mailbox().size())
                + "): " + caf::deep_to_string(status_);
    std::vector<state_child> children;
    for (auto& [name, c] : coordinators_)
      children.push_back(child(c, "group_coordinator " + name));
    return gather_states(this, std::move(line), std::move(children));
  }

  static schema::group_status summary(schema::describe_groups_response::group g, partition_id p) {
    schema::group_status out{std::move(g.group_id), std::move(g.state), g.generation,
                             std::move(g.protocol), std::move(g.leader), p, {}, {}};
    for (auto& m : g.members)
      out.members.push_back({std::move(m.member_id), m.group_instance_id.value_or(""),
                             static_cast<int32_t>(m.assignment.size())});
    if (!g.error.ok())
      out.error = g.error.message;
    return out;
  }

  caf::result<std::vector<schema::group_status>> group_summaries() {
    std::vector<group_coordinator_actor> asked;
    std::vector<std::pair<std::string, partition_id>> names;
    for (auto& [name, c] : coordinators_) {
      asked.push_back(c);
      names.emplace_back(name, partition_of(name).value_or(partition_id{-1}));
    }
    auto rp = make_response_promise<std::vector<schema::group_status>>();
    auto done = [rp, names](std::vector<caf::expected<schema::describe_groups_response::group>> in) mutable {
      std::vector<schema::group_status> out;
      for (size_t i = 0; i < in.size(); ++i) {
        auto& [name, p] = names[i];
        if (in[i])
          out.push_back(summary(std::move(*in[i]), p));
        else
          out.push_back({name, "", no_generation, "", "", p, {}, "did not answer: " + to_string(in[i].error())});
      }
      rp.deliver(std::move(out));
    };
    fan_in<schema::describe_groups_response::group>(this, asked, inspect_leaf_timeout,
                                                    std::move(done), describe_groups_atom_v);
    return rp;
  }

  group_manager_args args_;
  std::unique_ptr<group_store> store_;
  topic_actor log_;
  std::vector<offsets_partition> partitions_;
  coordinator_routing routing_; // cluster mode: who leads each offsets partition
  partition_counts counts_;
  std::map<std::string, group_coordinator_actor> coordinators_;
  std::set<std::string> retiring_; // asked to retire, not answered yet
  // Share groups: the newest leader epoch accepted per share-partition (fencing; the view holds
  // the same once the write is applied).
  std::map<std::string, leader_epoch> share_epochs_;
  std::map<std::string, int> share_pending_; // share-partitions with writes not yet answered
  uint64_t coordinators_spawned_ = 0;
  uint64_t fetch_ids_ = 0;
  manager_status status_;
};

} // namespace

group_manager_actor spawn_group_manager(caf::actor_system& sys, group_manager_args args) {
  return caf::actor_cast<group_manager_actor>(sys.spawn<manager_impl>(std::move(args)));
}

} // namespace sluice::actors

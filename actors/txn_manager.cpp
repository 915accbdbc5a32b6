#include "actors/txn_manager.hpp"

#include "actors/coordinator_routing.hpp"
#include "actors/inspect_field.hpp"
#include "actors/partition_interface.hpp"
#include "actors/txn_refusal.hpp"
#include "actors/txn_store.hpp"
#include "schema/error_response.hpp"
#include "schema/txn_marker.hpp"
#include "store/log_config.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <map>

namespace sluice::actors {

namespace {

using schema::envelope;
using schema::errc;

constexpr size_t max_transactional_id_bytes = 255; // keeps its LMDB key far below 511 bytes
constexpr auto log_timeout = std::chrono::seconds(30);
constexpr auto marker_timeout = std::chrono::seconds(30);
constexpr auto producer_id_timeout = std::chrono::seconds(20);
constexpr auto load_retry = std::chrono::milliseconds(200);
constexpr int32_t load_fetch_bytes = 4 << 20;
constexpr auto describe_timeout = std::chrono::seconds(10);

// Which response a held request gets.
enum class reply_kind : uint8_t { init, add_partitions, offset_commit, end };

envelope encode_reply(reply_kind k, const txn_reply& r) {
  switch (k) {
    case reply_kind::init:
      return schema::encode(schema::init_producer_id_response{r.error, r.id, r.epoch});
    case reply_kind::add_partitions: return schema::encode(schema::add_partitions_to_txn_response{r.error});
    case reply_kind::offset_commit: return schema::encode(schema::txn_offset_commit_response{r.error});
    case reply_kind::end: return schema::encode(schema::end_txn_response{r.error});
  }
  return schema::encode(schema::error_response{r.error});
}

struct held_reply {
  reply_kind kind;
  caf::typed_response_promise<envelope> rp;
};

// One partition of __transaction_state.
struct txn_partition {
  bool loaded = false;
  bool loading = false;
  bool appending = false; // one append in flight: the view's applied offset only grows
  std::deque<txn_record> queue;
};

struct manager_status {
  int32_t txn_partitions = 0;
  int32_t loaded = 0;
  size_t transactions = 0;
  std::string by_state; // "Ongoing=2 PrepareCommit=1"
  size_t markers_pending = 0;
  uint64_t appends = 0;
  uint64_t persisted_records = 0;
  uint64_t replayed_records = 0;
  uint64_t forwarded = 0;
  uint64_t marker_requests = 0;
  uint64_t marker_retries = 0;
  uint64_t group_commits = 0;
  std::string error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, manager_status& x) {
  field partitions{"txn_partitions", x.txn_partitions};
  field loaded{"loaded", x.loaded};
  field transactions{"transactions", x.transactions};
  field by_state{"by_state", x.by_state};
  field markers{"markers_pending", x.markers_pending};
  field appends{"appends", x.appends};
  field persisted{"persisted_records", x.persisted_records};
  field replayed{"replayed_records", x.replayed_records};
  field forwarded{"forwarded", x.forwarded};
  field marker_requests{"marker_requests", x.marker_requests};
  field marker_retries{"marker_retries", x.marker_retries};
  field group_commits{"group_commits", x.group_commits};
  field error{"error", x.error};
  return f(caf::meta::type_name("txn_manager"), partitions, loaded, transactions, by_state,
           markers, appends, persisted, replayed, forwarded, marker_requests, marker_retries,
           group_commits, error);
}

using txn_retry_atom = caf::atom_constant<caf::atom("txn_retry")>; // load again (load_retry)
using manager_internal = txn_manager_actor::extend<caf::reacts_to<txn_retry_atom>>;

const std::string& id_of(const schema::init_producer_id_request& r) { return r.transactional_id; }
const std::string& id_of(const schema::add_partitions_to_txn_request& r) { return r.transactional_id; }
const std::string& id_of(const schema::txn_offset_commit_request& r) { return r.transactional_id; }
const std::string& id_of(const schema::end_txn_request& r) { return r.transactional_id; }

class manager_impl : public manager_internal::base {
public:
  manager_impl(caf::actor_config& cfg, txn_manager_args args)
    : manager_internal::base(cfg), args_(std::move(args)), core_(args_.limits) {
    if (!args_.now_ms)
      args_.now_ms = store::system_clock_ms;
    routing_ = {std::string{transaction_state_topic}, args_.node, args_.cluster, {}, {}};
  }

  const char* name() const override { return "txn_manager"; }

  behavior_type make_behavior() override {
    open_store();
    if (args_.tick_interval.count() > 0)
      delayed_send(this, args_.tick_interval, tick_atom_v);
    return {
      [this](init_producer_id_atom a, const envelope& e) {
        return route<schema::init_producer_id_request>(a, e);
      },
      [this](add_partitions_to_txn_atom a, const envelope& e) {
        return route<schema::add_partitions_to_txn_request>(a, e);
      },
      [this](txn_offset_commit_atom a, const envelope& e) {
        return route<schema::txn_offset_commit_request>(a, e);
      },
      [this](end_txn_atom a, const envelope& e) { return route<schema::end_txn_request>(a, e); },
      [this](list_transactions_atom, const envelope& e) { return list(e); },
      [this](describe_transactions_atom, const envelope& e) { return describe(e); },
      [this](txn_log_atom, topic_actor& t) { on_txn_log(std::move(t)); },
      [this](topic_update_atom, topic_spec& spec) { on_topic_update(spec); },
      [this](topic_deleted_atom, const std::string& name) { leaders_of_.erase(name); },
      [this](partition_states_atom, partition_states& s) { on_leaders(std::move(s)); },
      [this](peers_atom, controller_peers& p) { routing_.nodes = std::move(p.nodes); },
      [this](txn_retry_atom) { load_all(); },
      [this](tick_atom) {
        carry_out(core_.tick(now()));
        if (args_.tick_interval.count() > 0)
          delayed_send(this, args_.tick_interval, tick_atom_v);
      },
      [this](state_atom) { return state(); },
    };
  }

  void on_exit() override {
    schema::error stopping{errc::coordinator_not_available, "the node is stopping"};
    for (auto& [_, h] : replies_)
      h.rp.deliver(encode_reply(h.kind, {0, stopping, no_producer_id, no_producer_epoch}));
    replies_.clear();
    partitions_.clear();
    store_.reset(); // LMDB: one handle per environment and process
  }

private:
  int64_t now() const { return args_.now_ms(); }

  void open_store() {
    auto s = txn_store::open(args_.dir);
    if (!s) {
      status_.error = s.err().to_string();
      spdlog::error("transactions: {}", status_.error);
      return;
    }
    store_ = std::move(*s);
  }

  std::optional<partition_id> partition_of(const std::string& id) const {
    if (partitions_.empty())
      return std::nullopt;
    return partition_for_transactional_id(id, static_cast<int32_t>(partitions_.size()));
  }

  // Whether this node coordinates `id` now; `err` says why not (all retriable but a bad id).
  schema::error check_id(const std::string& id) const {
    if (id.empty())
      return {errc::invalid_request, "the transactional id is empty"};
    if (id.size() > max_transactional_id_bytes)
      return {errc::invalid_request, "the transactional id is " + std::to_string(id.size())
                                       + " bytes, more than " + std::to_string(max_transactional_id_bytes)};
    if (!store_)
      return {errc::coordinator_not_available, "the transaction store did not open: " + status_.error};
    auto p = partition_of(id);
    if (!p || !partitions_[static_cast<size_t>(p->value)].loaded)
      return {errc::coordinator_not_available,
              "the coordinator of transactional id '" + id + "' is loading: retry"};
    return {};
  }

  std::optional<node_actor> coordinator_node(const std::string& id, schema::error& err) const {
    auto p = partition_of(id);
    if (!p || id.empty())
      return std::nullopt;
    return routing_.other_leader(static_cast<size_t>(p->value), "transactional id '" + id + "'", err);
  }

  // -- producer requests ---------------------------------------------------------------------

  template <class Request, class Atom>
  caf::result<envelope> route(Atom atom, const envelope& e) {
    auto req = schema::decode<Request>(e);
    if (!req)
      return encode(schema::error_response{req.err()});
    auto& id = id_of(*req);
    schema::error unreachable;
    if (auto node = coordinator_node(id, unreachable)) {
      ++status_.forwarded;
      return delegate(*node, atom, e);
    }
    if (!unreachable.ok())
      return refusal(*req, std::move(unreachable));
    if (auto err = check_id(id); !err.ok())
      return refusal(*req, std::move(err));
    auto rp = make_response_promise<envelope>();
    auto t = hold(kind_of<Request>(), rp);
    if constexpr (std::is_same_v<Request, schema::init_producer_id_request>) {
      if (core_.needs_producer_id(id))
        init_with_fresh_id(t, std::move(*req));
      else
        carry_out(core_.init_producer_id(t, *req, std::nullopt, now()));
    } else if constexpr (std::is_same_v<Request, schema::add_partitions_to_txn_request>) {
      carry_out(core_.add_partitions(t, *req, now()));
    } else if constexpr (std::is_same_v<Request, schema::txn_offset_commit_request>) {
      carry_out(core_.txn_offset_commit(t, *req, now()));
    } else {
      carry_out(core_.end_txn(t, *req, now()));
    }
    return rp;
  }

  template <class Request>
  static constexpr reply_kind kind_of() {
    if constexpr (std::is_same_v<Request, schema::init_producer_id_request>)
      return reply_kind::init;
    else if constexpr (std::is_same_v<Request, schema::add_partitions_to_txn_request>)
      return reply_kind::add_partitions;
    else if constexpr (std::is_same_v<Request, schema::txn_offset_commit_request>)
      return reply_kind::offset_commit;
    else
      return reply_kind::end;
  }

  txn_token hold(reply_kind k, caf::typed_response_promise<envelope> rp) {
    auto t = ++next_token_;
    replies_.emplace(t, held_reply{k, std::move(rp)});
    return t;
  }

  void answer(const txn_reply& r) {
    auto it = replies_.find(r.token);
    if (it == replies_.end())
      return;
    it->second.rp.deliver(encode_reply(it->second.kind, r));
    replies_.erase(it);
  }

  // A fresh producer id out of the node's block (an idempotent producer's InitProducerId),
  // then the coordinator's InitProducerId with it.
  void init_with_fresh_id(txn_token t, schema::init_producer_id_request req) {
    request(args_.self, producer_id_timeout, init_producer_id_atom_v,
            encode(schema::init_producer_id_request{}))
      .then(
        [this, t, req](const envelope& reply) {
          auto r = schema::decode<schema::init_producer_id_response>(reply);
          if (!r || !r->error.ok() || r->id.value < 0)
            return answer({t,
                           {errc::coordinator_not_available,
                            "no producer id for '" + req.transactional_id + "' yet ("
                              + (!r ? r.err().to_string() : r->error.to_string()) + "): retry"},
                           no_producer_id, no_producer_epoch});
          if (auto err = check_id(req.transactional_id); !err.ok())
            return answer({t, err, no_producer_id, no_producer_epoch});
          carry_out(core_.init_producer_id(t, req, r->id, now()));
        },
        [this, t](caf::error& err) {
          answer({t,
                  {errc::coordinator_not_available, "no producer id yet (" + to_string(err) + "): retry"},
                  no_producer_id, no_producer_epoch});
        });
  }

  // -- carrying out the coordinator's effects ------------------------------------------------

  void carry_out(txn_effects fx) {
    for (auto& r : fx.replies)
      answer(r);
    std::vector<partition_id> touched;
    for (auto& w : fx.writes) {
      auto p = *partition_of(w.transactional_id);
      partitions_[static_cast<size_t>(p.value)].queue.push_back(std::move(w));
      touched.push_back(p);
    }
    for (auto p : touched)
      pump(p);
    if (!fx.markers.empty())
      send_markers(std::move(fx.markers));
    for (auto& c : fx.group_commits)
      commit_offsets(std::move(c));
    refresh_status();
  }

  // Everything queued for `p` goes out as one batch (a group commit of many transactions).
  void pump(partition_id p) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    if (part.appending || part.queue.empty())
      return;
    if (!part.loaded || !log_) {
      // Unloaded meanwhile: the coordinator forgot these ids already.
      part.queue.clear();
      return;
    }
    std::vector<txn_record> batch(std::make_move_iterator(part.queue.begin()),
                                  std::make_move_iterator(part.queue.end()));
    part.queue.clear();
    part.appending = true;
    ++status_.appends;
    auto bytes = build_txn_batch(batch, timestamp_ms{now()});
    auto count = static_cast<int64_t>(batch.size());
    auto finish = [this, p](const std::vector<txn_record>& records, const schema::error& e) {
      partitions_[static_cast<size_t>(p.value)].appending = false;
      txn_effects fx;
      for (auto& r : records)
        fx.append(e.ok() ? core_.written(r.transactional_id, now())
                         : core_.write_failed(r.transactional_id, e, now()));
      if (!e.ok())
        spdlog::warn("transactions: appending to {}-{} failed: {}", transaction_state_topic,
                     p.value, e.to_string());
      carry_out(std::move(fx));
      pump(p);
    };
    auto records = std::make_shared<std::vector<txn_record>>(std::move(batch));
    request(log_, log_timeout, produce_atom_v, p, append_request{std::move(bytes), schema::acks::all})
      .then(
        [this, p, count, finish, records](append_reply& r) {
          if (!r.error.ok())
            return finish(*records, r.error);
          if (auto st = store_->apply(p, offset{r.base_offset.value + count}, *records); !st)
            return finish(*records, st.err());
          status_.persisted_records += records->size();
          finish(*records, {});
        },
        [finish, records](caf::error& err) {
          finish(*records, {errc::request_timed_out,
                            "the transaction log did not answer: " + to_string(err)});
        });
  }

  // The node to send a partition's marker to: its leader's, else this one (which answers for
  // what it knows: a deleted topic, a partition it does not lead).
  node_actor marker_destination(const schema::txn_topic_partition& tp, node_id& who) const {
    who = args_.node;
    if (!args_.cluster)
      return args_.self;
    auto t = leaders_of_.find(tp.topic);
    if (t == leaders_of_.end() || tp.partition.value < 0
        || static_cast<size_t>(tp.partition.value) >= t->second.size())
      return args_.self;
    auto leader = t->second[static_cast<size_t>(tp.partition.value)];
    if (!leader || *leader == args_.node)
      return args_.self;
    auto n = routing_.nodes.find(*leader);
    if (n == routing_.nodes.end())
      return args_.self;
    who = *leader;
    return n->second;
  }

  int32_t coordinator_epoch(const std::string& id) const {
    auto p = partition_of(id);
    if (!p || static_cast<size_t>(p->value) >= txn_epochs_.size())
      return 0;
    return txn_epochs_[static_cast<size_t>(p->value)].value;
  }

  // One WriteTxnMarkers per destination node, holding a marker per transaction.
  void send_markers(std::vector<txn_markers> all) {
    struct sent_marker {
      std::string transactional_id;
      producer_id id;
      producer_epoch epoch;
    };
    struct outgoing {
      node_actor node;
      schema::write_txn_markers_request req;
      std::vector<sent_marker> sent;
    };
    std::map<node_id, outgoing> by_node;
    for (auto& m : all) {
      std::map<node_id, size_t> slot; // this marker's index in each node's request
      for (auto& tp : m.partitions) {
        node_id who;
        auto node = marker_destination(tp, who);
        auto& out = by_node[who];
        out.node = node;
        auto s = slot.find(who);
        if (s == slot.end()) {
          s = slot.emplace(who, out.req.markers.size()).first;
          out.req.markers.push_back({m.id, m.epoch, m.commit, coordinator_epoch(m.transactional_id), {}});
          out.sent.push_back({m.transactional_id, m.id, m.epoch});
        }
        out.req.markers[s->second].partitions.push_back(tp);
      }
    }
    for (auto& [_, out] : by_node) {
      ++status_.marker_requests;
      auto sent = std::make_shared<std::vector<sent_marker>>(std::move(out.sent));
      auto req = std::make_shared<schema::write_txn_markers_request>(std::move(out.req));
      auto report = [this, sent, req](const std::optional<schema::write_txn_markers_response>& r) {
        txn_effects fx;
        for (size_t i = 0; i < req->markers.size(); ++i) {
          auto& s = (*sent)[i];
          for (auto& tp : req->markers[i].partitions) {
            auto code = r ? result_of(*r, i, tp) : errc::request_timed_out;
            auto o = classify_marker_error(code);
            if (o == delivery_outcome::retry)
              ++status_.marker_retries;
            fx.append(core_.marker_result(s.transactional_id, s.id, s.epoch, tp, o, now()));
          }
        }
        carry_out(std::move(fx));
      };
      request(out.node, marker_timeout, write_txn_markers_atom_v, encode(*req))
        .then(
          [report](const envelope& reply) {
            auto r = schema::decode<schema::write_txn_markers_response>(reply);
            if (!r) {
              spdlog::warn("transactions: a marker answer does not decode: {}", r.err().to_string());
              return report(std::nullopt);
            }
            report(std::move(*r));
          },
          [report](caf::error&) { report(std::nullopt); });
    }
  }

  // The code answered for `tp` of the request's marker `i`; a partition left out is retried.
  static errc result_of(const schema::write_txn_markers_response& r, size_t i,
                        const schema::txn_topic_partition& tp) {
    if (i >= r.markers.size())
      return errc::unknown_server_error;
    for (auto& p : r.markers[i].partitions)
      if (p.topic == tp.topic && p.partition == tp.partition)
        return p.error.code;
    return errc::unknown_server_error;
  }

  void commit_offsets(txn_group_commit c) {
    ++status_.group_commits;
    schema::txn_offset_commit_request req{c.transactional_id, c.id, c.epoch, c.group, {}};
    for (auto& o : c.offsets)
      req.offsets.push_back({o.topic, o.partition, o.off, o.epoch, o.metadata});
    auto report = [this, c](errc code) {
      carry_out(core_.offsets_result(c.transactional_id, c.id, c.epoch, c.group,
                                     classify_group_commit_error(code), now()));
    };
    request(args_.groups, marker_timeout, write_txn_offsets_atom_v, encode(req))
      .then(
        [report](const envelope& reply) {
          auto r = schema::decode<schema::txn_offset_commit_response>(reply);
          report(r ? r->error.code : errc::coordinator_not_available);
        },
        [report](caf::error&) { report(errc::coordinator_not_available); });
  }

  // -- administration ------------------------------------------------------------------------

  caf::result<envelope> list(const envelope& e) {
    auto req = schema::decode<schema::list_transactions_request>(e);
    if (!req)
      return encode(schema::error_response{req.err()});
    std::vector<txn_state> wanted;
    for (auto& name : req->states) {
      auto s = parse_txn_state(name);
      if (!s)
        return encode(schema::list_transactions_response{
          {errc::invalid_request, "no transaction state '" + name
                                    + "' (Empty, Ongoing, PrepareCommit, PrepareAbort, "
                                      "CompleteCommit, CompleteAbort, Dead)"},
          {}});
      wanted.push_back(*s);
    }
    schema::list_transactions_response out;
    if (partitions_.empty() || !all_led_loaded())
      out.error = {errc::coordinator_not_available,
                   "transaction coordinators are loading; the list may be incomplete"};
    core_.for_each([&](const std::string& id, const txn_metadata& m) {
      if (wanted.empty() || std::ranges::find(wanted, m.state) != wanted.end())
        out.transactions.push_back({id, m.id, to_string(m.state), args_.node});
    });
    return encode(out);
  }

  schema::describe_transactions_response::description describe_one(const std::string& id) const {
    schema::describe_transactions_response::description out;
    out.transactional_id = id;
    out.coordinator = args_.node;
    if (auto err = check_id(id); !err.ok()) {
      out.error = std::move(err);
      return out;
    }
    auto* m = core_.find(id);
    if (!m || m->state == txn_state::dead) {
      out.error = {errc::transactional_id_not_found, "transactional id '" + id + "' does not exist"};
      return out;
    }
    out.state = to_string(m->state);
    out.id = m->id;
    out.epoch = m->epoch;
    out.timeout_ms = m->timeout_ms;
    out.start_time = m->state == txn_state::ongoing || is_prepare(m->state) ? m->start_time : no_timestamp;
    out.partitions = m->partitions;
    for (auto& [g, _] : m->group_offsets)
      out.groups.push_back(g);
    return out;
  }

  // Each id is described by its coordinator: here, or (cluster mode) the node leading its
  // partition, which gets the ids it coordinates as one request.
  caf::result<envelope> describe(const envelope& e) {
    auto req = schema::decode<schema::describe_transactions_request>(e);
    if (!req)
      return encode(schema::error_response{req.err()});
    struct gather {
      schema::describe_transactions_response response;
      size_t outstanding = 0;
      caf::typed_response_promise<envelope> rp;
      void done() {
        if (--outstanding == 0)
          rp.deliver(encode(response));
      }
    };
    auto g = std::make_shared<gather>();
    g->response.transactions.resize(req->transactional_ids.size());
    std::map<node_id, std::pair<node_actor, std::vector<size_t>>> forwards;
    for (size_t i = 0; i < req->transactional_ids.size(); ++i) {
      auto& id = req->transactional_ids[i];
      auto& out = g->response.transactions[i];
      out.transactional_id = id;
      schema::error unreachable;
      if (auto node = coordinator_node(id, unreachable)) {
        auto p = static_cast<size_t>(partition_of(id)->value);
        auto& f = forwards[*routing_.leaders[p]];
        f.first = *node;
        f.second.push_back(i);
        continue;
      }
      out = unreachable.ok() ? describe_one(id)
                             : schema::describe_transactions_response::description{
                                 unreachable, id, {}, no_producer_id, no_producer_epoch, 0,
                                 no_timestamp, {}, {}, node_id{-1}};
    }
    if (forwards.empty())
      return encode(g->response);
    g->outstanding = forwards.size();
    g->rp = make_response_promise<envelope>();
    status_.forwarded += forwards.size();
    for (auto& [_, f] : forwards) {
      schema::describe_transactions_request sub;
      for (auto i : f.second)
        sub.transactional_ids.push_back(req->transactional_ids[i]);
      auto indices = f.second;
      auto fail = [g, indices](const std::string& why) {
        for (auto i : indices)
          g->response.transactions[i].error = {errc::coordinator_not_available,
                                               "the coordinator did not answer: " + why};
        g->done();
      };
      request(f.first, describe_timeout, describe_transactions_atom_v, encode(sub))
        .then(
          [g, indices, fail](const envelope& reply) {
            auto r = schema::decode<schema::describe_transactions_response>(reply);
            if (!r || r->transactions.size() != indices.size())
              return fail(r ? "an answer for other ids" : r.err().to_string());
            for (size_t k = 0; k < indices.size(); ++k)
              g->response.transactions[indices[k]] = std::move(r->transactions[k]);
            g->done();
          },
          [fail](caf::error& err) { fail(to_string(err)); });
    }
    return g->rp;
  }

  // -- topics and leadership -----------------------------------------------------------------

  void on_topic_update(const topic_spec& spec) {
    if (spec.name != transaction_state_topic || !partitions_.empty())
      return;
    partitions_.resize(static_cast<size_t>(spec.partitions));
    routing_.leaders.resize(partitions_.size());
    txn_epochs_.resize(partitions_.size(), leader_epoch{0});
    status_.txn_partitions = spec.partitions;
    load_all();
  }

  void on_txn_log(topic_actor t) {
    log_ = std::move(t);
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (partitions_[i].loaded || partitions_[i].loading)
        unload(partition_id{static_cast<int32_t>(i)}, "the transaction log restarted");
    load_all();
  }

  // Cluster mode: every topic's leaders are kept for markers; for __transaction_state, the
  // partitions this node now leads load, the ones it no longer leads unload.
  void on_leaders(partition_states s) {
    auto& leaders = leaders_of_[s.topic];
    leaders.resize(s.partitions.size());
    for (size_t i = 0; i < s.partitions.size(); ++i)
      leaders[i] = s.partitions[i].leader;
    if (s.topic != transaction_state_topic)
      return;
    routing_.leaders.resize(std::max(routing_.leaders.size(), s.partitions.size()));
    txn_epochs_.resize(routing_.leaders.size(), leader_epoch{0});
    for (size_t i = 0; i < s.partitions.size(); ++i) {
      routing_.leaders[i] = s.partitions[i].leader;
      txn_epochs_[i] = s.partitions[i].epoch;
    }
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (!routing_.leads(i) && (partitions_[i].loaded || partitions_[i].loading))
        unload(partition_id{static_cast<int32_t>(i)}, "leadership moved");
    load_all();
  }

  bool all_led_loaded() const {
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (routing_.leads(i) && !partitions_[i].loaded)
        return false;
    return true;
  }

  void unload(partition_id p, const std::string& why) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    if (part.loaded)
      --status_.loaded;
    part.loaded = false;
    part.loading = false;
    part.queue.clear();
    auto n = partitions_.size();
    carry_out(core_.unload(
      [p, n](const std::string& id) {
        return partition_for_transactional_id(id, static_cast<int32_t>(n)) == p;
      },
      {errc::coordinator_not_available, "the coordinator of this transactional id moved (" + why
                                          + "): retry"}));
    spdlog::info("transactions: {}-{} unloaded ({})", transaction_state_topic, p.value, why);
  }

  // -- loading: replay each partition's log from the view's applied offset --------------------

  void load_all() {
    if (!log_ || partitions_.empty() || !store_)
      return;
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (!partitions_[i].loaded && !partitions_[i].loading && routing_.leads(i))
        load(partition_id{static_cast<int32_t>(i)});
  }

  void load(partition_id p) {
    auto from = store_->applied(p);
    if (!from) {
      status_.error = from.err().to_string();
      spdlog::error("transactions: {}", status_.error);
      return;
    }
    partitions_[static_cast<size_t>(p.value)].loading = true;
    replay(p, *from);
  }

  void replay(partition_id p, offset from) {
    partition_fetch f{++fetch_ids_, from, load_fetch_bytes, 0, 0, false};
    f.to_log_end = true; // a new leader's HW may lag records that are committed already
    request(log_, log_timeout, fetch_atom_v, p, f)
      .then([this, p, from](fetch_reply& r) { on_replay(p, from, std::move(r)); },
            [this, p](caf::error& err) {
              partitions_[static_cast<size_t>(p.value)].loading = false;
              spdlog::warn("transactions: loading {}-{} failed: {}; retrying",
                           transaction_state_topic, p.value, to_string(err));
              delayed_send(this, load_retry, txn_retry_atom::value);
            });
  }

  void on_replay(partition_id p, offset from, fetch_reply r) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    if (!part.loading)
      return; // unloaded meanwhile
    if (r.error.code == errc::offset_out_of_range && r.log_start_offset.value > from.value) {
      replay(p, r.log_start_offset);
      return;
    }
    auto fail = [&](const std::string& why, bool retry) {
      part.loading = false;
      status_.error = "loading " + std::string{transaction_state_topic} + "-"
                      + std::to_string(p.value) + ": " + why;
      spdlog::error("transactions: {}", status_.error);
      if (retry && routing_.leads(static_cast<size_t>(p.value)))
        delayed_send(this, load_retry, txn_retry_atom::value);
    };
    if (!r.error.ok() && r.error.code != errc::offset_out_of_range)
      return fail(r.error.to_string(), true);
    std::vector<txn_record> records;
    offset next = from;
    auto st = for_each_txn_record(r.records, [&](offset o, txn_record&& rec) {
      next = std::max(next, offset{o.value + 1});
      if (o >= from)
        records.push_back(std::move(rec));
    });
    if (!st)
      return fail(st.err().to_string(), false);
    if (next > from) {
      if (auto ok = store_->apply(p, next, records); !ok)
        return fail(ok.err().to_string(), false);
      status_.replayed_records += records.size();
      replay(p, next);
      return;
    }
    finish_load(p);
  }

  void finish_load(partition_id p) {
    auto& part = partitions_[static_cast<size_t>(p.value)];
    auto all = store_->transactions();
    if (!all) {
      part.loading = false;
      status_.error = all.err().to_string();
      return;
    }
    txn_effects fx;
    size_t restored = 0;
    for (auto& [id, m] : *all) {
      if (partition_of(id) != p)
        continue;
      fx.append(core_.load(id, std::move(m), now()));
      ++restored;
    }
    part.loading = false;
    part.loaded = true;
    ++status_.loaded;
    if (restored > 0)
      spdlog::info("transactions: {}-{} loaded, {} transactional id(s) restored",
                   transaction_state_topic, p.value, restored);
    carry_out(std::move(fx));
  }

  // -- inspect -------------------------------------------------------------------------------

  void refresh_status() {
    std::map<txn_state, size_t> counts;
    core_.for_each([&](const std::string&, const txn_metadata& m) { ++counts[m.state]; });
    status_.transactions = core_.size();
    status_.markers_pending = core_.markers_pending();
    status_.by_state.clear();
    for (auto& [s, n] : counts)
      status_.by_state += (status_.by_state.empty() ? "" : " ") + std::string{to_string(s)} + "="
                          + std::to_string(n);
  }

  std::string state() {
    refresh_status();
    return "txn_manager transactions (mailbox " + std::to_string(mailbox().size())
           + "): " + caf::deep_to_string(status_);
  }

  txn_manager_args args_;
  txn_coordinator core_;
  std::unique_ptr<txn_store> store_;
  topic_actor log_;
  std::vector<txn_partition> partitions_;
  std::vector<leader_epoch> txn_epochs_; // per partition: the coordinator epoch of markers
  coordinator_routing routing_;
  // Cluster mode: every topic's partition leaders (where markers go).
  std::map<std::string, std::vector<std::optional<node_id>>, std::less<>> leaders_of_;
  std::map<txn_token, held_reply> replies_;
  txn_token next_token_ = 0;
  uint64_t fetch_ids_ = 0;
  manager_status status_;
};

} // namespace

txn_manager_actor spawn_txn_manager(caf::actor_system& sys, txn_manager_args args) {
  return caf::actor_cast<txn_manager_actor>(sys.spawn<manager_impl>(std::move(args)));
}

} // namespace sluice::actors

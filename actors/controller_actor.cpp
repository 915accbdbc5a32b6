#include "actors/controller_actor.hpp"

#include "actors/inspect_field.hpp"
#include "actors/metadata_answers.hpp"
#include "actors/metadata_image.hpp"
#include "actors/metadata_record.hpp"
#include "actors/producer_id_block.hpp"
#include "actors/state_gather.hpp"
#include "cluster/broker_sessions.hpp"
#include "cluster/placement.hpp"
#include "cluster/raft_actor.hpp"
#include "schema/cluster.hpp"
#include "schema/configs.hpp"
#include "schema/error_response.hpp"
#include "schema/metadata.hpp"
#include "schema/producer_id.hpp"
#include "schema/topics.hpp"

#include <caf/actor_cast.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/sec.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <caf/weak_intrusive_ptr.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>

namespace sluice::actors {

schema::result<controller_address> parse_controller_address(std::string_view s) {
  auto bad = [&] {
    return schema::error{schema::errc::invalid_config,
                         "controller '" + std::string{s} + "' is not id@host:port"};
  };
  auto at = s.find('@');
  auto colon = s.rfind(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || colon < at + 2)
    return bad();
  int32_t id = -1;
  auto [id_end, id_err] = std::from_chars(s.data(), s.data() + at, id);
  uint32_t port = 0;
  auto [port_end, port_err] = std::from_chars(s.data() + colon + 1, s.data() + s.size(), port);
  if (id_err != std::errc{} || id_end != s.data() + at || id < 0 || port_err != std::errc{}
      || port_end != s.data() + s.size() || port == 0 || port > 65535)
    return bad();
  return controller_address{node_id{id}, std::string{s.substr(at + 1, colon - at - 1)},
                            static_cast<uint16_t>(port)};
}

schema::result<std::vector<controller_address>>
parse_controllers(const std::vector<std::string>& list) {
  std::vector<controller_address> out;
  std::set<node_id> ids;
  for (auto& s : list) {
    auto c = parse_controller_address(s);
    if (!c)
      return c.err();
    if (!ids.insert(c->id).second)
      return schema::error{schema::errc::invalid_config,
                           "controller id " + std::to_string(c->id.value) + " appears twice"};
    out.push_back(std::move(*c));
  }
  if (out.size() != 1 && out.size() != 3 && out.size() != 5)
    return schema::error{schema::errc::invalid_config,
                         "1, 3 or 5 controllers, not " + std::to_string(out.size())
                           + " (an even count tolerates no more failures than one less)"};
  return out;
}

namespace {

using schema::envelope;
using schema::errc;

using applied_atom = caf::atom_constant<caf::atom("ctl_apply")>;
using restored_atom = caf::atom_constant<caf::atom("ctl_rest")>;
using raft_changed_atom = caf::atom_constant<caf::atom("ctl_raft")>;
using controller_tick_atom = caf::atom_constant<caf::atom("ctl_tick")>;
using broker_beat_atom = caf::atom_constant<caf::atom("ctl_beat")>;

// What the Raft actor's callbacks send: they run in its thread, the image lives here.
using controller_internal = metadata_actor::extend<
  caf::reacts_to<applied_atom, int64_t, std::string>,
  caf::reacts_to<restored_atom, int64_t, std::string>,
  caf::reacts_to<raft_changed_atom, cluster::raft_status>,
  caf::reacts_to<controller_tick_atom>,
  caf::reacts_to<broker_beat_atom>>;

struct controller_status {
  std::string role = "follower";
  int32_t leader = -1;
  int64_t term = 0;
  int64_t applied = 0;
  size_t topics = 0;
  size_t brokers = 0;
  size_t peers_connected = 0;
  int64_t broker_epoch = -1; // this node's registration
  bool synced = false;       // caught up with a leader at least once
  size_t waiting = 0;        // requests waiting for an apply or a leader
  uint64_t proposals = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, controller_status& x) {
  field role{"role", x.role};
  field leader{"leader", x.leader};
  field term{"term", x.term};
  field applied{"applied", x.applied};
  field topics{"topics", x.topics};
  field brokers{"brokers", x.brokers};
  field peers{"peers_connected", x.peers_connected};
  field epoch{"broker_epoch", x.broker_epoch};
  field synced{"synced", x.synced};
  field waiting{"waiting", x.waiting};
  field proposals{"proposals", x.proposals};
  return f(caf::meta::type_name("controller"), role, leader, term, applied, topics, brokers,
           peers, epoch, synced, waiting, proposals);
}

// One client write split into records, answered when all of them applied.
struct pending_write {
  std::vector<schema::topic_result> results;
  size_t outstanding = 0;
  int64_t index = 0; // the highest log index among its records
  std::function<void(pending_write&)> finish;
};

class controller_impl : public controller_internal::base {
public:
  controller_impl(caf::actor_config& cfg, controller_args args)
    : controller_internal::base(cfg),
      args_(std::move(args)),
      image_(args_.defaults, no_broker_limit(args_.limits)),
      sessions_(args_.broker_session_timeout_ms),
      rng_(args_.seed ^ static_cast<uint64_t>(args_.self.value)) {}

  const char* name() const override { return "controller"; }

  behavior_type make_behavior() override {
    start_raft();
    set_down_handler([this](caf::down_msg& dm) {
      std::erase_if(subscribers_, [&](auto& s) { return s.address() == dm.source; });
    });
    delayed_send(this, args_.tick_interval, controller_tick_atom::value);
    send(this, broker_beat_atom::value);
    return {
      [this](metadata_atom, const envelope& e) -> caf::result<envelope> {
        auto req = schema::decode<schema::metadata_request>(e);
        if (!req)
          return encode(schema::error_response{req.err()});
        return read([this, r = std::move(*req)] { return encode(metadata(r)); });
      },
      [this](list_topics_atom, const envelope& e) -> caf::result<envelope> {
        auto req = schema::decode<schema::list_topics_request>(e);
        if (!req)
          return encode(schema::error_response{req.err()});
        return read([this, r = std::move(*req)] { return encode(answer_list_topics(image_.table(), r)); });
      },
      [this](describe_configs_atom, const envelope& e) -> caf::result<envelope> {
        auto req = schema::decode<schema::describe_configs_request>(e);
        if (!req)
          return encode(schema::error_response{req.err()});
        return read([this, r = std::move(*req)] {
          return encode(answer_describe_configs(image_.table(), r));
        });
      },
      [this](create_topics_atom, const envelope& e) { return client_write(e, false); },
      [this](create_internal_atom, const envelope& e) { return client_write(e, true); },
      [this](delete_topics_atom, const envelope& e) { return client_write(e, false); },
      [this](create_partitions_atom, const envelope& e) { return client_write(e, false); },
      [this](subscribe_atom, topic_listener& l) -> caf::result<std::vector<topic_spec>> {
        monitor(l);
        subscribers_.push_back(l);
        if (synced_) {
          send_states(l);
          return topic_list();
        }
        subscribe_waiters_.push_back(make_response_promise<std::vector<topic_spec>>());
        return subscribe_waiters_.back();
      },
      [this](state_atom) {
        return gather_states(this,
                             "metadata controller " + std::to_string(args_.self.value) + " (mailbox "
                               + std::to_string(mailbox().size())
                               + "): " + caf::deep_to_string(status()),
                             {child(raft_, "raft")});
      },
      [this](cluster::raft_atom a, const envelope& e) { send(raft_, a, e); },
      [this](peers_atom, controller_peers& p) { set_peers(std::move(p)); },
      [this](broker_heartbeat_atom, const envelope& e) { return heartbeat(e); },
      [this](cluster_status_atom, const envelope& e) { return cluster_status(e); },
      [this](alter_partition_atom, const envelope& e) { return client_write(e, true); },
      [this](reassign_partitions_atom, const envelope& e) { return client_write(e, false); },
      [this](elect_leaders_atom, const envelope& e) { return client_write(e, false); },
      [this](decommission_broker_atom, const envelope& e) { return client_write(e, false); },
      [this](allocate_producer_ids_atom, const envelope& e) { return client_write(e, false); },
      [this](controller_write_atom, const envelope& e, bool internal) {
        return forwarded_write(e, internal);
      },
      [this](read_index_atom) { return read_index(); },
      [this](applied_atom, int64_t index, std::string& cmd) { on_applied(index, cmd); },
      [this](restored_atom, int64_t index, std::string& data) { on_restored(index, data); },
      [this](raft_changed_atom, cluster::raft_status& s) { on_raft_changed(std::move(s)); },
      [this](controller_tick_atom) {
        on_tick();
        delayed_send(this, args_.tick_interval, controller_tick_atom::value);
      },
      [this](broker_beat_atom) {
        send_heartbeat();
        delayed_send(this, std::chrono::milliseconds(args_.broker_heartbeat_interval_ms),
                     broker_beat_atom::value);
      },
    };
  }

  void on_exit() override {
    send_exit(raft_, caf::exit_reason::user_shutdown);
    raft_ = nullptr;
    subscribers_.clear();
    peers_.clear();
    waiters_.clear();
    parked_.clear();
    for (auto& w : subscribe_waiters_)
      w.deliver(caf::make_error(caf::sec::runtime_error, "controller shut down"));
    subscribe_waiters_.clear();
  }

private:
  // The placement refuses R above the live brokers with the counts in its message; the table's
  // own single-node check would refuse first with a worse one.
  static topic_limits no_broker_limit(topic_limits l) {
    l.live_brokers = std::numeric_limits<int32_t>::max();
    return l;
  }

  // -- the Raft group -------------------------------------------------------------------------

  void start_raft() {
    std::vector<node_id> voters;
    for (auto& c : args_.controllers)
      voters.push_back(c.id);
    // The callbacks run in the Raft actor; a weak handle, or the two would keep each other.
    auto weak = caf::actor_cast<caf::weak_actor_ptr>(this->ctrl());
    auto to_me = [weak](auto... xs) {
      if (auto strong = weak.lock())
        caf::anon_send(caf::actor_cast<controller_internal>(strong), xs...);
    };
    // The Raft actor keeps its own image, for snapshots; this actor's follows the same log.
    auto image = std::make_shared<metadata_image>(args_.defaults, no_broker_limit(args_.limits));
    cluster::raft_actor_args ra;
    ra.self = args_.self;
    ra.voters = voters;
    ra.config = args_.raft;
    ra.seed = args_.seed;
    ra.dir = args_.raft_dir;
    ra.snapshot_every = args_.snapshot_every;
    ra.apply = [image, to_me](cluster::log_index i, const std::string& cmd) {
      if (auto r = decode_metadata_record(cmd))
        image->apply(i.value, *r);
      to_me(applied_atom::value, i.value, cmd);
      return std::string{};
    };
    ra.snapshot = [image] { return image->snapshot(); };
    ra.restore = [image, to_me](cluster::log_index i, const std::string& data) {
      if (auto st = image->restore(data); !st)
        spdlog::error("controller: snapshot at {} does not restore: {}", i.value, st.err().message);
      to_me(restored_atom::value, i.value, data);
    };
    ra.on_change = [to_me](const cluster::raft_status& s) { to_me(raft_changed_atom::value, s); };
    raft_ = cluster::spawn_raft(home_system(), std::move(ra));
    link_to(raft_); // a Raft actor that failed (its storage) takes this one down: the node restarts both
  }

  void set_peers(controller_peers p) {
    std::vector<node_id> lost;
    for (auto& [id, _] : peers_)
      if (!p.nodes.contains(id))
        lost.push_back(id);
    peers_ = std::move(p.nodes);
    cluster::raft_peers rp;
    for (auto& [id, node] : peers_)
      if (id != args_.self)
        rp.actors.emplace(id, caf::actor_cast<caf::actor>(node));
    send(raft_, cluster::raft_peers_atom::value, std::move(rp));
    retry_lost_forwards();
    retry_parked();
    // A broker whose link dropped is gone (its process died or the network split): its
    // partitions get new leaders now, not a session timeout later (issue 7's failover bound).
    // A live one heartbeats again over the next link and is unfenced.
    if (leading())
      for (auto id : lost)
        if (auto* b = image_.broker(id); b && !b->fenced && !fencing_.contains(id))
          fence(id, "its link to this controller dropped");
  }

  void on_raft_changed(cluster::raft_status s) {
    bool was_leading = leading();
    auto old_leader = leader();
    raft_status_ = std::move(s);
    if (leader() && leader() != old_leader) {
      // A heartbeat still in flight to a leader whose node died gets no answer, only its
      // timeout (CAF 0.17), long after the new leader's session check would fence this
      // broker: heartbeat the new leader now.
      heartbeat_in_flight_ = false;
      send_heartbeat();
    }
    if (leading() && !was_leading) {
      spdlog::info("controller {}: leader of term {}", args_.self.value, raft_status_.term.value);
      sessions_.restart(steady_ms());
      fencing_.clear();
      send_heartbeat(); // one now; the periodic broker_beat_atom chain goes on as it was
      // The old leader's node, most often, and any other controller node this one has no
      // link to: gone for now (see set_peers), so their partitions move without a session
      // timeout.
      for (auto& c : args_.controllers)
        if (c.id != args_.self && !peers_.contains(c.id))
          if (auto* b = image_.broker(c.id); b && !b->fenced)
            fence(c.id, "no link to it from the new controller leader");
    } else if (!leading() && was_leading) {
      spdlog::info("controller {}: no longer leads (term {})", args_.self.value,
                   raft_status_.term.value);
    }
    retry_parked();
    if (!synced_)
      sync();
  }

  bool leading() const { return raft_status_.role == cluster::raft_role::leader; }

  // The actor's clock: the test coordinator's in tests, steady time otherwise.
  int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock().now().time_since_epoch())
      .count();
  }

  std::optional<node_id> leader() const {
    if (raft_status_.role == cluster::raft_role::leader)
      return args_.self;
    return raft_status_.leader;
  }

  void on_applied(int64_t index, const std::string& cmd) {
    applied_ = std::max(applied_, index);
    auto r = decode_metadata_record(cmd);
    apply_result res;
    if (!r) {
      // Every controller refuses it alike; the proposer hears why.
      res.status = r.err();
      spdlog::error("controller {}: record {} does not decode: {}", args_.self.value, index,
                    r.err().message);
    } else {
      res = image_.apply(index, *r);
      if (res.status) {
        notify(*r, res);
        log_moves(res);
      }
      publish_states();
    }
    results_.insert_or_assign(index, res);
    while (!results_.empty() && results_.begin()->first < applied_ - 4096)
      results_.erase(results_.begin());
    run_waiters();
  }

  void on_restored(int64_t index, const std::string& data) {
    auto before = image_.table().topics();
    if (auto st = image_.restore(data); !st) {
      spdlog::error("controller {}: snapshot at {} does not restore: {}", args_.self.value,
                    index, st.err().message);
      return;
    }
    applied_ = std::max(applied_, index);
    if (synced_) { // before sync, subscribers hear nothing (publish_states)
      for (auto& [name, _] : before)
        if (!image_.table().find(name))
          for (auto& s : subscribers_)
            anon_send(s, topic_deleted_atom::value, name);
      for (auto& [_, spec] : image_.table().topics())
        for (auto& s : subscribers_)
          anon_send(s, topic_update_atom::value, spec);
    }
    publish_states();
    run_waiters();
  }

  // Each topic's partition states as the image holds them now.
  partition_states states_of(const topic_spec& spec) const {
    partition_states out{spec.name, {}};
    for (int32_t p = 0; p < spec.partitions; ++p)
      out.partitions.push_back(image_.replication(spec.name, p).value_or(cluster::partition_replicas{}));
    return out;
  }

  void send_states(const topic_listener& l) {
    for (auto& [_, spec] : image_.table().topics())
      anon_send(l, partition_states_atom::value, states_of(spec));
  }

  // Tells the subscribers of every topic whose partition states changed since the last call;
  // a topic's states go after its topic_update (notify), so a node hosts it first.
  void publish_states() {
    // Before this controller caught up (sync), the states of a replay are history: a node that
    // restarts (with an empty disk, say) and hosted by them would lead partitions whose
    // leadership has long moved on. sync() sends everybody the state it caught up to.
    if (!synced_)
      return;
    std::erase_if(published_, [&](auto& kv) { return !image_.table().find(kv.first); });
    for (auto& [name, spec] : image_.table().topics()) {
      auto now = states_of(spec);
      auto it = published_.find(name);
      if (it != published_.end() && it->second == now.partitions)
        continue;
      published_.insert_or_assign(name, now.partitions);
      for (auto& s : subscribers_)
        anon_send(s, partition_states_atom::value, now);
    }
  }

  // A topic whose spec changed (a put, or a replica assignment a move changed) goes to the
  // subscribers, which host (or stop hosting) partitions by it.
  void notify(const metadata_record& r, const apply_result& res) {
    if (!synced_)
      return; // as publish_states: the topic list at sync says what there is
    if (auto* del = std::get_if<topic_delete_record>(&r)) {
      for (auto& s : subscribers_)
        anon_send(s, topic_deleted_atom::value, del->name);
      return;
    }
    for (auto& name : res.respecified)
      if (auto* spec = image_.table().find(name))
        for (auto& s : subscribers_)
          anon_send(s, topic_update_atom::value, *spec);
  }

  // The leader says what moves (every controller applies the same; one line per change).
  void log_moves(const apply_result& res) {
    if (!leading())
      return;
    for (auto& [topic, p] : res.reassigned) {
      auto name = topic + "-" + std::to_string(p);
      auto r = image_.replication(topic, p);
      if (!r)
        continue;
      if (auto* m = image_.moving(topic, p))
        spdlog::info("controller {}: {} moving to replicas {} (replicas {}, ISR {})",
                     args_.self.value, name, caf::deep_to_string(m->target),
                     caf::deep_to_string(r->replicas), caf::deep_to_string(r->isr));
      else
        spdlog::info("controller {}: {} on replicas {} (ISR {}, leader {})", args_.self.value,
                     name, caf::deep_to_string(r->replicas), caf::deep_to_string(r->isr),
                     r->leader ? r->leader->value : -1);
    }
    for (auto& e : res.elected)
      spdlog::info("controller {}: {}-{} leader {} -> {} (preferred, epoch {})", args_.self.value,
                   e.where.topic, e.where.partition, e.from ? e.from->value : -1, e.to.value,
                   e.epoch.value);
  }

  // Runs `f` once this image applied `index`.
  void after_applied(int64_t index, std::function<void()> f) {
    if (applied_ >= index) {
      f();
      return;
    }
    waiters_.emplace(index, std::move(f));
  }

  void run_waiters() {
    while (!waiters_.empty() && waiters_.begin()->first <= applied_) {
      auto f = std::move(waiters_.begin()->second);
      waiters_.erase(waiters_.begin());
      f();
    }
  }

  apply_result result_at(int64_t index) const {
    auto it = results_.find(index);
    if (it == results_.end())
      return {schema::error{errc::unknown_server_error,
                            "the outcome of log entry " + std::to_string(index) + " was dropped"}};
    return it->second;
  }

  // Proposes `r` (leader only) and calls `done` with its outcome once this image applied it;
  // not_controller when leadership moved before it committed.
  void propose(const metadata_record& r, std::function<void(apply_result, int64_t)> done) {
    ++status_.proposals;
    request(raft_, args_.request_timeout, cluster::propose_atom::value, encode_metadata_record(r))
      .then(
        [this, done](cluster::propose_reply& rep) {
          if (rep.error != cluster::propose_errc::none) {
            done({schema::error{errc::not_controller,
                                std::string{"the controller did not commit it ("}
                                  + cluster::to_string(rep.error) + "); retry"}},
                 0);
            return;
          }
          auto index = rep.index.value;
          after_applied(index, [this, index, done] { done(result_at(index), index); });
        },
        [done](caf::error& err) {
          done({schema::error{errc::request_timed_out, "metadata log: " + to_string(err)}}, 0);
        });
  }

  // -- finding the leader -----------------------------------------------------------------------

  struct parked {
    int64_t deadline_ms;
    std::function<void(std::optional<node_actor>)> go; // nullopt: this controller leads
    std::function<void()> give_up;
  };

  // Calls `go` with the leader's node (or nullopt when this controller leads) as soon as one
  // is known and reachable, or `give_up` after request_timeout (or at `deadline_ms`).
  // `later`: park even if a leader is known (its node just said it no longer leads: wait for
  // news of the next one, at the latest the next tick, rather than ask it again at once).
  void with_leader(std::function<void(std::optional<node_actor>)> go, std::function<void()> give_up,
                   int64_t deadline_ms = 0, bool later = false) {
    parked p{deadline_ms > 0 ? deadline_ms : steady_ms() + args_.request_timeout.count(),
             std::move(go), std::move(give_up)};
    if (later || !try_route(p))
      parked_.push_back(std::move(p));
  }

  // A request forwarded to the leader's node. A request to a remote actor whose node dies gets
  // no answer in CAF (only its timeout), so losing the peer (set_peers) settles the attempt at
  // once and runs `retry`, which routes it to the next leader; the late answer or timeout of a
  // settled attempt is ignored.
  struct forward_attempt {
    node_id to;
    std::shared_ptr<bool> settled;
    std::function<void()> retry;
  };

  // The flag to test-and-set when the forwarded request answers: false if already settled.
  std::shared_ptr<bool> track_forward(std::function<void()> retry) {
    std::erase_if(forwards_, [](auto& f) { return *f.settled; });
    auto settled = std::make_shared<bool>(false);
    forwards_.push_back({leader().value_or(node_id{0}), settled, std::move(retry)});
    return settled;
  }

  static bool settle(const std::shared_ptr<bool>& settled) {
    return !std::exchange(*settled, true);
  }

  void retry_lost_forwards() {
    std::vector<std::function<void()>> retries;
    for (auto& f : forwards_)
      if (!*f.settled && !peers_.count(f.to) && settle(f.settled))
        retries.push_back(std::move(f.retry));
    std::erase_if(forwards_, [](auto& f) { return *f.settled; });
    for (auto& r : retries)
      r();
  }

  bool try_route(parked& p) {
    if (leading()) {
      p.go(std::nullopt);
      return true;
    }
    if (auto l = leader()) {
      if (auto it = peers_.find(*l); it != peers_.end() && it->second) {
        p.go(it->second);
        return true;
      }
    }
    return false;
  }

  void retry_parked() {
    auto now = steady_ms();
    auto all = std::move(parked_);
    parked_.clear();
    for (auto& p : all) {
      if (try_route(p))
        continue;
      if (now >= p.deadline_ms)
        p.give_up();
      else
        parked_.push_back(std::move(p));
    }
  }

  static schema::error no_leader() {
    return {errc::not_controller, "no metadata controller leader is reachable; retry"};
  }

  // -- reads ----------------------------------------------------------------------------------

  // A linearizable read: `answer` runs on this image once it applied everything committed
  // before the read arrived.
  caf::result<envelope> read(std::function<envelope()> answer) {
    auto rp = make_response_promise<envelope>();
    read_index_then([this, rp, answer](schema::status st) mutable {
      if (!st) {
        rp.deliver(encode(schema::error_response{st.err()}));
        return;
      }
      rp.deliver(answer());
    });
    return rp;
  }

  // Calls `then` (ok) once this image applied the leader's read index; like a write, it goes
  // to the next leader when the one asked dies first.
  void read_index_then(std::function<void(schema::status)> then, int64_t deadline_ms = 0,
                       bool later = false) {
    if (deadline_ms == 0)
      deadline_ms = steady_ms() + args_.request_timeout.count();
    with_leader(
      [this, then, deadline_ms](std::optional<node_actor> remote) {
        if (!remote) {
          propose(barrier_record{}, [then](apply_result r, int64_t) { then(r.status); });
          return;
        }
        auto settled = track_forward([this, then, deadline_ms] { read_index_then(then, deadline_ms); });
        auto wait = std::chrono::milliseconds{std::max<int64_t>(1, deadline_ms - steady_ms())};
        request(*remote, wait, read_index_atom_v)
          .then(
            [this, then, settled](int64_t index) {
              if (settle(settled))
                after_applied(index, [then] { then({}); });
            },
            [this, then, deadline_ms, settled](caf::error& err) {
              if (!settle(settled))
                return;
              if (err != caf::sec::request_timeout && steady_ms() < deadline_ms)
                return read_index_then(then, deadline_ms, true); // it left or no longer leads
              then(schema::error{errc::not_controller,
                                 "the controller leader did not answer: " + to_string(err)});
            });
      },
      [then] { then(no_leader()); }, deadline_ms, later);
  }

  caf::result<int64_t> read_index() {
    if (!leading())
      return caf::make_error(caf::sec::runtime_error, "not the controller leader");
    auto rp = make_response_promise<int64_t>();
    propose(barrier_record{}, [rp](apply_result r, int64_t index) mutable {
      if (r.status)
        rp.deliver(index);
      else
        rp.deliver(caf::make_error(caf::sec::runtime_error, r.status.err().message));
    });
    return rp;
  }

  // The first linearizable read after start: from then on the node may trust the table.
  void sync() {
    if (syncing_ || synced_)
      return;
    syncing_ = true;
    read_index_then([this](schema::status st) {
      syncing_ = false;
      if (!st || synced_)
        return; // retried at the next Raft change or tick
      synced_ = true;
      spdlog::info("controller {}: caught up at index {} ({} topics, {} brokers)",
                   args_.self.value, applied_, image_.table().topics().size(),
                   image_.brokers().size());
      auto list = topic_list();
      // What the subscribers were not told during the replay: the table, as updates (a node
      // hosting a topic already takes one as a no-op), then the partition states.
      for (auto& l : subscribers_) {
        for (auto& spec : list)
          anon_send(l, topic_update_atom::value, spec);
        send_states(l);
      }
      published_.clear();
      for (auto& [name, spec] : image_.table().topics())
        published_.insert_or_assign(name, states_of(spec).partitions);
      for (auto& w : subscribe_waiters_)
        w.deliver(list);
      subscribe_waiters_.clear();
    });
  }

  std::vector<topic_spec> topic_list() const {
    std::vector<topic_spec> out;
    for (auto& [_, spec] : image_.table().topics())
      out.push_back(spec);
    return out;
  }

  schema::metadata_response metadata(const schema::metadata_request& req) const {
    std::vector<schema::metadata_response::broker> brokers;
    for (auto& [id, b] : image_.brokers())
      if (!b.fenced)
        brokers.push_back({id, b.registration.host, b.registration.port,
                           b.registration.rack.value_or("")});
    return answer_metadata(
      image_.table(), req, std::move(brokers), leader().value_or(node_id{-1}),
      [this](const topic_spec& spec, int32_t p) {
        schema::metadata_response::partition_metadata out{{}, partition_id{p}, node_id{-1},
                                                          leader_epoch{0}, {}, {}, {}, {}};
        if (static_cast<size_t>(p) < spec.replicas.size())
          out.replicas = spec.replicas[static_cast<size_t>(p)];
        if (auto* st = image_.partition(spec.name, p)) {
          out.isr = st->isr;
          out.epoch = st->epoch;
        }
        if (auto* m = image_.moving(spec.name, p)) {
          out.adding_replicas = m->adding();
          out.removing_replicas = m->removing();
        }
        if (auto l = image_.leader_of(spec, p))
          out.leader = *l;
        else
          out.error = {errc::leader_not_available,
                       spec.name + "-" + std::to_string(p)
                         + " is offline: no in-sync replica is alive"};
        return out;
      });
  }

  // -- writes ---------------------------------------------------------------------------------

  // A client's write on any controller: done here when leading, else forwarded to the leader
  // and answered once this image applied it.
  caf::result<envelope> client_write(const envelope& e, bool internal) {
    auto rp = make_response_promise<envelope>();
    route_write(rp, e, internal, steady_ms() + args_.request_timeout.count());
    return rp;
  }

  // Until `deadline_ms`, a write whose leader died or stepped down before answering goes to
  // the next leader. It may then have committed twice over (a create answered "exists"), as
  // with any client retry after a lost answer.
  void route_write(caf::typed_response_promise<envelope> rp, const envelope& e, bool internal,
                   int64_t deadline_ms, bool later = false) {
    with_leader(
      [this, rp, e, internal, deadline_ms](std::optional<node_actor> remote) mutable {
        if (!remote) {
          leader_write(e, internal, [rp](envelope out, int64_t) mutable { rp.deliver(std::move(out)); });
          return;
        }
        auto retry = [this, rp, e, internal, deadline_ms] { route_write(rp, e, internal, deadline_ms); };
        auto settled = track_forward(retry);
        auto wait = std::chrono::milliseconds{std::max<int64_t>(1, deadline_ms - steady_ms())};
        request(*remote, wait, controller_write_atom_v, e, internal)
          .then(
            [this, rp, e, internal, deadline_ms, settled](envelope& out, int64_t index) mutable {
              if (!settle(settled))
                return;
              if (index == not_leading_index)
                return route_write(rp, e, internal, deadline_ms, true);
              after_applied(index, [rp, out = std::move(out)]() mutable { rp.deliver(std::move(out)); });
            },
            [this, rp, e, internal, deadline_ms, settled](caf::error& err) mutable {
              if (!settle(settled))
                return;
              if (err != caf::sec::request_timeout && steady_ms() < deadline_ms)
                return route_write(rp, e, internal, deadline_ms, true); // it left: next leader
              rp.deliver(refuse_all(e, {errc::not_controller, "the controller leader did not answer: "
                                                                 + to_string(err)}));
            });
      },
      [this, rp, e]() mutable { rp.deliver(refuse_all(e, no_leader())); }, deadline_ms, later);
  }

  caf::result<envelope, int64_t> forwarded_write(const envelope& e, bool internal) {
    if (!leading())
      return caf::result<envelope, int64_t>{
        refuse_all(e, {errc::not_controller, "not the controller leader"}), not_leading_index};
    auto rp = make_response_promise<envelope, int64_t>();
    leader_write(e, internal, [rp](envelope out, int64_t index) mutable {
      rp.deliver(std::move(out), index);
    });
    return rp;
  }

  // The same error for every topic of a write request.
  static envelope refuse_all(const envelope& e, const schema::error& err) {
    auto each = [&](const auto& names) {
      std::vector<schema::topic_result> out;
      for (auto& n : names)
        out.push_back({n, err});
      return out;
    };
    if (auto r = schema::decode<schema::create_topics_request>(e)) {
      std::vector<std::string> names;
      for (auto& t : r->topics)
        names.push_back(t.name);
      return encode(schema::create_topics_response{each(names)});
    }
    if (auto r = schema::decode<schema::delete_topics_request>(e))
      return encode(schema::delete_topics_response{each(r->names)});
    if (schema::decode<schema::alter_partition_request>(e)) {
      schema::alter_partition_response out;
      out.error = err;
      return encode(out);
    }
    if (auto r = schema::decode<schema::create_partitions_request>(e)) {
      std::vector<std::string> names;
      for (auto& t : r->topics)
        names.push_back(t.name);
      return encode(schema::create_partitions_response{each(names)});
    }
    if (auto r = schema::decode<schema::reassign_partitions_request>(e)) {
      schema::reassign_partitions_response out;
      for (auto& p : r->partitions)
        out.partitions.push_back({p.topic, p.partition, err, {}, {}, {}});
      return encode(out);
    }
    if (schema::decode<schema::elect_leaders_request>(e))
      return encode(schema::elect_leaders_response{err, {}});
    if (schema::decode<schema::decommission_broker_request>(e))
      return encode(schema::decommission_broker_response{err, {}});
    if (schema::decode<schema::allocate_producer_ids_request>(e))
      return encode(schema::allocate_producer_ids_response{err, no_producer_id, 0});
    return encode(schema::error_response{err});
  }

  using write_done = std::function<void(envelope, int64_t)>;

  // The index a forwarded write answers with when this controller no longer leads: the
  // forwarder routes it again.
  static constexpr int64_t not_leading_index = -1;

  void leader_write(const envelope& e, bool internal, write_done done) {
    switch (e.kind) {
      case schema::message_kind::create_topics_request: {
        auto req = schema::decode<schema::create_topics_request>(e);
        if (!req)
          return done(encode(schema::error_response{req.err()}), 0);
        return create(*req, internal, std::move(done));
      }
      case schema::message_kind::delete_topics_request: {
        auto req = schema::decode<schema::delete_topics_request>(e);
        if (!req)
          return done(encode(schema::error_response{req.err()}), 0);
        return remove(*req, std::move(done));
      }
      case schema::message_kind::create_partitions_request: {
        auto req = schema::decode<schema::create_partitions_request>(e);
        if (!req)
          return done(encode(schema::error_response{req.err()}), 0);
        return grow(*req, std::move(done));
      }
      case schema::message_kind::alter_partition_request: {
        auto req = schema::decode<schema::alter_partition_request>(e);
        if (!req)
          return done(encode(schema::error_response{req.err()}), 0);
        return alter_partition(*req, std::move(done));
      }
      case schema::message_kind::reassign_partitions_request: {
        auto req = schema::decode<schema::reassign_partitions_request>(e);
        if (!req)
          return done(encode(schema::error_response{req.err()}), 0);
        return reassign(*req, std::move(done));
      }
      case schema::message_kind::elect_leaders_request: {
        auto req = schema::decode<schema::elect_leaders_request>(e);
        if (!req)
          return done(encode(schema::error_response{req.err()}), 0);
        return elect_preferred(*req, std::move(done));
      }
      case schema::message_kind::decommission_broker_request: {
        auto req = schema::decode<schema::decommission_broker_request>(e);
        if (!req)
          return done(encode(schema::error_response{req.err()}), 0);
        return decommission(*req, std::move(done));
      }
      case schema::message_kind::allocate_producer_ids_request: {
        auto req = schema::decode<schema::allocate_producer_ids_request>(e);
        if (!req)
          return done(encode(schema::error_response{req.err()}), 0);
        return allocate_producer_ids(*req, std::move(done));
      }
      default:
        done(encode(schema::error_response{{errc::invalid_request,
                                            std::string{"not a metadata write: "}
                                              + schema::to_string(e.kind)}}),
             0);
    }
  }

  // Proposes one record per topic that passed validation (`records[i]` nullopt: refused, its
  // result already set) and calls `finish` when every one applied.
  template <class Response>
  void commit_all(std::shared_ptr<pending_write> w, std::vector<std::optional<metadata_record>> records,
                  write_done done) {
    w->finish = [done](pending_write& w) { done(encode(Response{std::move(w.results)}), w.index); };
    w->outstanding = 1; // held until every proposal left
    for (size_t i = 0; i < records.size(); ++i) {
      if (!records[i])
        continue;
      ++w->outstanding;
      propose(*records[i], [w, i](apply_result r, int64_t index) {
        if (!r.status)
          w->results[i].error = r.status.err();
        w->index = std::max(w->index, index);
        if (--w->outstanding == 0)
          w->finish(*w);
      });
    }
    if (--w->outstanding == 0)
      w->finish(*w);
  }

  void create(const schema::create_topics_request& req, bool internal, write_done done) {
    auto w = std::make_shared<pending_write>();
    std::vector<std::optional<metadata_record>> records;
    for (auto& t : req.topics) {
      w->results.push_back({t.name, {}});
      records.emplace_back();
      auto spec = image_.table().check_create(t, internal);
      if (!spec) {
        w->results.back().error = spec.err();
        continue;
      }
      auto placed = place(spec->partitions, spec->replication_factor, 0);
      if (!placed) {
        w->results.back().error = placed.err();
        continue;
      }
      spec->replicas = std::move(*placed);
      if (!req.validate_only)
        records.back() = topic_put_record{std::move(*spec), put_mode::create, 0};
    }
    commit_all<schema::create_topics_response>(w, std::move(records), std::move(done));
  }

  // Validated when applied (metadata_image::apply_alter_isr), so every controller refuses or
  // commits it alike; the answer carries the partition's state after it either way.
  void alter_partition(const schema::alter_partition_request& req, write_done done) {
    alter_isr_record r{req.topic, req.partition, req.leader, req.epoch, req.partition_epoch,
                       req.isr, req.seq};
    propose(r, [this, req, done](apply_result res, int64_t index) {
      schema::alter_partition_response out;
      if (!res.status)
        out.error = res.status.err();
      if (auto* st = image_.partition(req.topic, req.partition)) {
        out.leader = st->leader.value_or(node_id{-1});
        out.epoch = st->epoch;
        out.partition_epoch = st->version;
        out.isr = st->isr;
      }
      done(encode(out), index);
    });
  }

  // A broker's next block of producer ids (KIP-730). Blocks proposed but not yet applied are
  // skipped too, so concurrent requests get disjoint blocks; the image refuses a block below
  // its next id anyway, alike on every controller.
  void allocate_producer_ids(const schema::allocate_producer_ids_request& req, write_done done) {
    auto first = std::max(image_.next_producer_id(), producer_ids_proposed_);
    producer_ids_proposed_ = first + producer_id_block_size;
    propose(producer_ids_record{req.broker, first, producer_id_block_size},
            [done, first](apply_result r, int64_t index) {
              schema::allocate_producer_ids_response out;
              if (!r.status)
                out.error = r.status.err();
              else
                out = {{}, producer_id{first}, producer_id_block_size};
              done(encode(out), index);
            });
  }

  // -- operations (issue 7): reassignment, preferred leaders, decommissioning -----------------

  // One record per partition (KIP-455), checked here so that a bad one costs no log entry and
  // again when applied; the answer shows each partition's replicas and move after them all.
  void reassign(const schema::reassign_partitions_request& req, write_done done) {
    struct gather {
      schema::reassign_partitions_response out;
      size_t outstanding = 1; // held until every proposal left
      int64_t index = 0;
    };
    auto g = std::make_shared<gather>();
    auto finish = [this, g, done] {
      if (--g->outstanding != 0)
        return;
      for (auto& p : g->out.partitions) {
        if (auto r = image_.replication(p.topic, p.partition))
          p.replicas = r->replicas;
        if (auto* m = image_.moving(p.topic, p.partition)) {
          p.adding = m->adding();
          p.removing = m->removing();
        }
      }
      done(encode(g->out), g->index);
    };
    for (size_t i = 0; i < req.partitions.size(); ++i) {
      auto& p = req.partitions[i];
      g->out.partitions.push_back({p.topic, p.partition, {}, {}, {}, {}});
      auto mode = p.cancel ? reassign_mode::cancel : reassign_mode::start;
      if (auto st = image_.check_reassign(p.topic, p.partition, mode, p.replicas); !st) {
        g->out.partitions[i].error = st.err();
        continue;
      }
      ++g->outstanding;
      propose(reassign_record{p.topic, p.partition, mode, p.replicas, {}},
              [g, i, finish](apply_result r, int64_t index) {
                if (!r.status)
                  g->out.partitions[i].error = r.status.err();
                g->index = std::max(g->index, index);
                finish();
              });
    }
    finish();
  }

  void elect_preferred(const schema::elect_leaders_request& req, write_done done) {
    if (!req.topic.empty() && !image_.table().find(req.topic))
      return done(encode(schema::elect_leaders_response{
                    {errc::unknown_topic_or_partition, "topic '" + req.topic + "' does not exist"},
                    {}}),
                  0);
    propose(elect_preferred_record{req.topic}, [done](apply_result r, int64_t index) {
      schema::elect_leaders_response out;
      if (!r.status)
        out.error = r.status.err();
      for (auto& e : r.elected)
        out.elected.push_back({e.where.topic, e.where.partition, e.from.value_or(node_id{-1}),
                               e.to, e.epoch});
      done(encode(out), index);
    });
  }

  void decommission(const schema::decommission_broker_request& req, write_done done) {
    auto refuse = [&](schema::error err) {
      done(encode(schema::decommission_broker_response{std::move(err), {}}), 0);
    };
    if (!image_.broker(req.id))
      return refuse({errc::invalid_request, "broker " + std::to_string(req.id.value) + " is not registered"});
    if (!req.cancel)
      if (auto plan = image_.plan_decommission(req.id); !plan)
        return refuse(plan.err());
    propose(broker_decommission_record{req.id, !req.cancel, true},
            [this, done](apply_result r, int64_t index) {
              schema::decommission_broker_response out;
              if (!r.status)
                out.error = r.status.err();
              for (auto& [topic, p] : r.reassigned) {
                auto* m = image_.moving(topic, p);
                auto now = image_.replication(topic, p);
                out.moves.push_back({topic, p, m ? m->target : now ? now->replicas : std::vector<node_id>{}});
              }
              done(encode(out), index);
            });
  }

  void remove(const schema::delete_topics_request& req, write_done done) {
    auto w = std::make_shared<pending_write>();
    std::vector<std::optional<metadata_record>> records;
    for (auto& name : req.names) {
      w->results.push_back({name, {}});
      records.emplace_back();
      if (auto st = image_.table().check_delete(name); !st)
        w->results.back().error = st.err();
      else
        records.back() = topic_delete_record{name};
    }
    commit_all<schema::delete_topics_response>(w, std::move(records), std::move(done));
  }

  void grow(const schema::create_partitions_request& req, write_done done) {
    auto w = std::make_shared<pending_write>();
    std::vector<std::optional<metadata_record>> records;
    for (auto& t : req.topics) {
      w->results.push_back({t.name, {}});
      records.emplace_back();
      auto spec = image_.table().check_add_partitions(t.name, t.new_total);
      if (!spec) {
        w->results.back().error = spec.err();
        continue;
      }
      auto* old = image_.table().find(t.name);
      auto placed = place(t.new_total - old->partitions, spec->replication_factor, old->partitions);
      if (!placed) {
        w->results.back().error = placed.err();
        continue;
      }
      spec->replicas = old->replicas;
      spec->replicas.insert(spec->replicas.end(), placed->begin(), placed->end());
      records.back() = topic_put_record{std::move(*spec), put_mode::grow, old->partitions};
    }
    commit_all<schema::create_partitions_response>(w, std::move(records), std::move(done));
  }

  // Kafka's placement over the live brokers, from a random start (as Kafka) so that topics
  // created one after the other do not all lead on the same broker.
  schema::result<cluster::replica_assignment> place(int32_t partitions, int16_t rf, int32_t existing) {
    cluster::placement_request p;
    p.partitions = partitions;
    p.replication_factor = rf;
    p.start = static_cast<uint32_t>(rng_());
    p.shift = static_cast<uint32_t>(rng_());
    p.existing_partitions = existing;
    return cluster::assign_replicas(image_.live_brokers(), p);
  }

  // -- brokers --------------------------------------------------------------------------------

  caf::result<envelope> heartbeat(const envelope& e) {
    auto req = schema::decode<schema::broker_heartbeat_request>(e);
    if (!req)
      return encode(schema::error_response{req.err()});
    auto refuse = [this](schema::error err) {
      return encode(schema::broker_heartbeat_response{std::move(err), -1, false,
                                                      leader().value_or(node_id{-1})});
    };
    if (!leading())
      return refuse({errc::not_controller, "not the controller leader"});
    auto now = steady_ms();
    if (req->broker_epoch == schema::broker_heartbeat_request::register_epoch) {
      auto rp = make_response_promise<envelope>();
      broker_register_record reg{req->id, req->host, req->port, std::nullopt, -1};
      if (!req->rack.empty())
        reg.rack = req->rack;
      propose(reg, [this, rp, id = req->id, refuse](apply_result r, int64_t) mutable {
        if (!r.status) {
          rp.deliver(refuse(r.status.err()));
          return;
        }
        sessions_.heartbeat(id, steady_ms());
        spdlog::info("controller {}: broker {} registered with epoch {}", args_.self.value,
                     id.value, r.epoch);
        rp.deliver(encode(schema::broker_heartbeat_response{{}, r.epoch, false, args_.self}));
      });
      return rp;
    }
    auto* b = image_.broker(req->id);
    if (!b || b->registration.epoch != req->broker_epoch)
      return refuse({errc::stale_broker_epoch,
                     "broker " + std::to_string(req->id.value) + " has no registration with epoch "
                       + std::to_string(req->broker_epoch) + "; register again"});
    sessions_.heartbeat(req->id, now);
    if (b->fenced && !fencing_.contains(req->id)) {
      fencing_.insert(req->id);
      propose(broker_fence_record{req->id, req->broker_epoch, false},
              [this, id = req->id](apply_result r, int64_t) {
                fencing_.erase(id);
                if (r.status)
                  spdlog::info("controller {}: broker {} unfenced", args_.self.value, id.value);
              });
    }
    return encode(schema::broker_heartbeat_response{{}, req->broker_epoch, b->fenced, args_.self});
  }

  // This node's own heartbeat, through the leader (or to itself).
  void send_heartbeat() {
    if (heartbeat_in_flight_)
      return;
    heartbeat_in_flight_ = true;
    schema::broker_heartbeat_request req{args_.self, args_.host, args_.port,
                                         args_.rack.value_or(""), broker_epoch_};
    auto on_answer = [this](const envelope& e) {
      heartbeat_in_flight_ = false;
      auto r = schema::decode<schema::broker_heartbeat_response>(e);
      if (!r)
        return;
      if (r->error.code == errc::stale_broker_epoch) {
        spdlog::warn("controller {}: {}", args_.self.value, r->error.message);
        broker_epoch_ = schema::broker_heartbeat_request::register_epoch;
        send_heartbeat(); // not broker_beat_atom: that would start a second periodic chain
        return;
      }
      if (r->error.ok()) {
        if (broker_epoch_ != r->broker_epoch)
          spdlog::info("node {}: registered as broker with epoch {}", args_.self.value, r->broker_epoch);
        broker_epoch_ = r->broker_epoch;
      }
    };
    with_leader(
      [this, req, on_answer](std::optional<node_actor> remote) {
        if (!remote) {
          // Through the mailbox, as any broker's: the handler may need a proposal.
          request(caf::actor_cast<metadata_actor>(this), args_.request_timeout,
                  broker_heartbeat_atom_v, encode(req))
            .then(on_answer, [this](caf::error&) { heartbeat_in_flight_ = false; });
          return;
        }
        request(*remote, args_.request_timeout, broker_heartbeat_atom_v, encode(req))
          .then(on_answer, [this](caf::error&) { heartbeat_in_flight_ = false; });
      },
      [this] { heartbeat_in_flight_ = false; });
  }

  // Leader: fence the brokers whose session ran out.
  void check_sessions() {
    auto now = steady_ms();
    std::vector<node_id> candidates;
    for (auto& [id, b] : image_.brokers())
      if (!b.fenced && !fencing_.contains(id))
        candidates.push_back(id);
    for (auto id : sessions_.expired(candidates, now))
      fence(id, "it missed its heartbeats for " + std::to_string(args_.broker_session_timeout_ms)
                  + " ms");
  }

  void fence(node_id id, const std::string& why) {
    auto epoch = image_.broker(id)->registration.epoch;
    fencing_.insert(id);
    spdlog::warn("controller {}: fencing broker {}: {}", args_.self.value, id.value, why);
    propose(broker_fence_record{id, epoch, true},
            [this, id](apply_result, int64_t) { fencing_.erase(id); });
  }

  void on_tick() {
    retry_parked();
    if (!synced_)
      sync();
    if (leading())
      check_sessions();
  }

  caf::result<envelope> cluster_status(const envelope& e) {
    if (auto req = schema::decode<schema::cluster_status_request>(e); !req)
      return encode(schema::error_response{req.err()});
    auto rp = make_response_promise<envelope>();
    with_leader(
      [this, rp, e](std::optional<node_actor> remote) mutable {
        if (!remote) {
          leader_status(rp);
          return;
        }
        request(*remote, args_.request_timeout, cluster_status_atom_v, e)
          .then([rp](envelope& out) mutable { rp.deliver(std::move(out)); },
                [rp](caf::error& err) mutable {
                  schema::cluster_status_response out;
                  out.error = {errc::not_controller, "the controller leader did not answer: " + to_string(err)};
                  rp.deliver(encode(out));
                });
      },
      [rp]() mutable {
        schema::cluster_status_response out;
        out.error = no_leader();
        rp.deliver(encode(out));
      });
    return rp;
  }

  // Answered from the leader's memory: heartbeat times live nowhere else.
  void leader_status(caf::typed_response_promise<envelope> rp) {
    request(raft_, args_.request_timeout, cluster::raft_status_atom::value)
      .then(
        [this, rp](cluster::raft_status& rs) mutable {
          schema::cluster_status_response out;
          out.leader = args_.self;
          out.term = rs.term.value;
          out.commit_index = rs.commit.value;
          for (auto& c : args_.controllers) {
            int64_t match = c.id == args_.self ? rs.last.value : -1;
            if (auto it = rs.match.find(c.id); it != rs.match.end())
              match = it->second.value;
            out.controllers.push_back({c.id, c.host, c.port, match});
          }
          std::map<node_id, std::pair<int32_t, int32_t>> counts; // replicas, leader of
          for (auto& [_, spec] : image_.table().topics())
            for (int32_t p = 0; p < static_cast<int32_t>(spec.replicas.size()); ++p) {
              for (auto id : spec.replicas[static_cast<size_t>(p)])
                ++counts[id].first;
              if (auto l = image_.leader_of(spec, p))
                ++counts[*l].second;
            }
          auto now = steady_ms();
          for (auto& [id, b] : image_.brokers()) {
            auto hb = sessions_.last_heartbeat(id);
            out.brokers.push_back({id, b.registration.host, b.registration.port,
                                   b.registration.rack.value_or(""), b.registration.epoch,
                                   b.fenced, hb ? now - *hb : -1, counts[id].first,
                                   counts[id].second, b.decommissioned});
          }
          rp.deliver(encode(out));
        },
        [rp](caf::error& err) mutable {
          schema::cluster_status_response out;
          out.error = {errc::unknown_server_error, "raft: " + to_string(err)};
          rp.deliver(encode(out));
        });
  }

  controller_status status() {
    status_.role = cluster::to_string(raft_status_.role);
    status_.leader = leader().value_or(node_id{-1}).value;
    status_.term = raft_status_.term.value;
    status_.applied = applied_;
    status_.topics = image_.table().topics().size();
    status_.brokers = image_.brokers().size();
    status_.peers_connected = peers_.size();
    status_.broker_epoch = broker_epoch_;
    status_.synced = synced_;
    status_.waiting = waiters_.size() + parked_.size();
    return status_;
  }

  controller_args args_;
  cluster::raft_actor raft_;
  cluster::raft_status raft_status_;
  metadata_image image_;
  int64_t producer_ids_proposed_ = 0; // the end of the last block this controller proposed
  int64_t applied_ = 0;
  std::multimap<int64_t, std::function<void()>> waiters_;
  std::map<int64_t, apply_result> results_; // recent applies, for their proposers
  std::vector<parked> parked_;
  std::vector<forward_attempt> forwards_; // in flight to the leader's node
  std::map<node_id, node_actor> peers_;
  std::vector<topic_listener> subscribers_;
  std::map<std::string, std::vector<cluster::partition_replicas>> published_; // publish_states
  std::vector<caf::typed_response_promise<std::vector<topic_spec>>> subscribe_waiters_;
  bool synced_ = false;
  bool syncing_ = false;
  // Leader only: heartbeat times (memory, not replicated) and fence changes in flight.
  cluster::broker_sessions sessions_;
  std::set<node_id> fencing_;
  // This node as a broker.
  int64_t broker_epoch_ = schema::broker_heartbeat_request::register_epoch;
  bool heartbeat_in_flight_ = false;
  std::mt19937_64 rng_;
  controller_status status_;
};

} // namespace

metadata_actor spawn_controller(caf::actor_system& sys, controller_args args) {
  return caf::actor_cast<metadata_actor>(sys.spawn<controller_impl>(std::move(args)));
}

} // namespace sluice::actors

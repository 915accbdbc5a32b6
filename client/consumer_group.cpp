#include "client/consumer_group.hpp"

#include "client/reply.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <thread>

namespace sluice::client {

namespace {

struct async_commit {
  schema::offset_commit_request request;
  offset_map offsets;
  commit_callback callback;
};

} // namespace
} // namespace sluice::client

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::client::async_commit)

namespace sluice::client {

namespace {

using clock = std::chrono::steady_clock;
using commit_atom = caf::atom_constant<caf::atom("commit")>;

// Errors that mean "rejoin": the generation moved on without us, or we are no member at all.
bool membership_gone(schema::errc e) {
  return e == schema::errc::unknown_member_id || e == schema::errc::illegal_generation;
}

status commit_status(const result<schema::offset_commit_response>& r) {
  if (!r)
    return r.err();
  for (auto& p : r->partitions)
    if (!p.error.ok())
      return from_server(p.error, "commit " + p.topic + "/" + std::to_string(p.partition.value));
  return {};
}

// Reacts to what a heartbeat or commit answer says about the membership. `sent` is the
// generation an asynchronous request carried: its answer says nothing about a join under way
// or a generation the member has since moved to (Kafka's generationUnchanged), and acting on
// it would start one more rebalance or drop partitions just assigned.
void on_group_error(group_shared& g, const schema::error& e,
                    std::optional<generation_id> sent = std::nullopt) {
  std::lock_guard lock{g.mtx};
  if (sent && (g.joining || g.generation != *sent))
    return;
  if (e.code == schema::errc::rebalance_in_progress) {
    g.rejoin = true;
  } else if (membership_gone(e.code)) {
    g.rejoin = true;
    g.lost = true;
    if (e.code == schema::errc::unknown_member_id)
      g.member_id.clear();
    g.generation = no_generation;
  } else if (e.code == schema::errc::fenced_instance_id) {
    g.fatal = from_server(e, "group membership");
  } else {
    return;
  }
  if (g.wake)
    g.wake();
}

// Heartbeats every heartbeat.interval.ms while the member holds a generation, and leaves the
// group when the application stops polling for max.poll.interval.ms (Kafka's behaviour: its
// partitions go to members that still make progress). Also sends commit_async requests.
class heartbeat_actor : public caf::event_based_actor {
public:
  heartbeat_actor(caf::actor_config& cfg, std::shared_ptr<group_shared> g, std::shared_ptr<home_node> home,
                  consumer_config config)
    : caf::event_based_actor(cfg), g_(std::move(g)), home_(std::move(home)), config_(std::move(config)) {}

  const char* name() const override { return "sluice.heartbeat"; }

  caf::behavior make_behavior() override {
    delayed_send(this, config_.heartbeat_interval, caf::tick_atom_v);
    return {
      [this](caf::tick_atom) {
        beat();
        delayed_send(this, config_.heartbeat_interval, caf::tick_atom_v);
      },
      [this](commit_atom, async_commit& c) { commit(std::move(c)); },
    };
  }

private:
  void beat() {
    schema::heartbeat_request req;
    {
      std::lock_guard lock{g_->mtx};
      // During a join the application is inside poll(), and the parked join keeps the session
      // alive. Otherwise beat, a rejoin owed included (the coordinator counts those beats
      // until the rebalance timeout), and run the poll timer (Kafka's max.poll.interval.ms).
      if (g_->member_id.empty() || g_->joining || g_->fatal)
        return;
      if (clock::now() - g_->last_poll > config_.max_poll_interval) {
        leave_for_slowness();
        return;
      }
      req.member = {config_.group_id, g_->generation, g_->member_id, config_.group_instance_id};
    }
    auto node = home_->get().node;
    request(node, config_.request_timeout, heartbeat_atom_v, encode(req))
      .then(
        [this, gen = req.member.generation](schema::envelope& e) {
          auto r = decode_reply<schema::heartbeat_response>(e);
          if (r && !r->error.ok())
            on_group_error(*g_, r->error, gen);
        },
        // The session timeout decides; the next beat retries, on another node once poll()
        // found one (Kafka's heartbeat thread also leaves finding the coordinator to poll).
        [this, node](caf::error&) { home_->failed(node); });
  }

  // Called with g_->mtx held.
  void leave_for_slowness() {
    schema::leave_group_request req{config_.group_id, g_->member_id};
    if (!config_.group_instance_id)
      request(home_->get().node, config_.request_timeout, leave_group_atom_v, encode(req))
        .then([](schema::envelope&) {}, [](caf::error&) {});
    g_->member_id.clear();
    g_->generation = no_generation;
    g_->rejoin = true;
    g_->lost = true;
    if (g_->wake)
      g_->wake();
  }

  void commit(async_commit c) {
    auto done = [this, c](status st) {
      std::lock_guard lock{g_->mtx};
      if (c.callback)
        g_->completions.push_back([cb = c.callback, offsets = c.offsets, st] { cb(offsets, st); });
    };
    auto node = home_->get().node;
    request(node, config_.request_timeout, offset_commit_atom_v, encode(c.request))
      .then(
        [this, done, gen = c.request.member.generation](schema::envelope& e) {
          auto r = decode_reply<schema::offset_commit_response>(e);
          auto st = commit_status(r);
          if (!st && st.err().code == errc::server)
            on_group_error(*g_, {st.err().server, st.err().message}, gen);
          done(st);
        },
        [this, done, node](caf::error& e) {
          home_->failed(node);
          done(make_error(errc::unreachable, to_string(e)));
        });
  }

  std::shared_ptr<group_shared> g_;
  std::shared_ptr<home_node> home_;
  consumer_config config_;
};

} // namespace

consumer_group::consumer_group(std::shared_ptr<connection> conn, consumer_config config)
  : conn_(std::move(conn)), config_(std::move(config)), shared_(std::make_shared<group_shared>()) {
  heartbeat_ = conn_->system().spawn<heartbeat_actor>(shared_, conn_->home(), config_);
}

consumer_group::~consumer_group() {
  caf::anon_send_exit(heartbeat_, caf::exit_reason::user_shutdown);
}

void consumer_group::subscribe(std::vector<std::string> topics) {
  std::ranges::sort(topics);
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  if (topics == topics_)
    return;
  topics_ = std::move(topics);
  std::lock_guard lock{shared_->mtx};
  shared_->rejoin = true;
}

bool consumer_group::eager() const {
  return config_.assignors.empty() || config_.assignors.front() != "cooperative-sticky";
}

bool consumer_group::rejoin_pending() {
  std::lock_guard lock{shared_->mtx};
  return shared_->rejoin || shared_->fatal.has_value();
}

void consumer_group::note_poll() {
  std::lock_guard lock{shared_->mtx};
  shared_->last_poll = clock::now();
}

schema::group_member_ref consumer_group::member_ref() {
  std::lock_guard lock{shared_->mtx};
  return {config_.group_id, shared_->generation, shared_->member_id, config_.group_instance_id};
}

result<assignment_change>
consumer_group::ensure_active(const std::function<void(const assignment_change&)>& before_join) {
  assignment_change change;
  bool lost = false;
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->fatal)
      return *shared_->fatal;
    if (!shared_->rejoin)
      return change;
    lost = std::exchange(shared_->lost, false);
  }
  // Before the join, while no other member can have them yet: lost partitions are dropped
  // (Kafka calls onPartitionsLost here too), an eager member commits and revokes everything.
  if (lost || (eager() && !owned_.empty())) {
    assignment_change gone;
    (lost ? gone.lost : gone.revoked).assign(owned_.begin(), owned_.end());
    before_join(gone);
    owned_.clear();
  }
  auto next = join_and_sync();
  if (!next) {
    {
      std::lock_guard lock{shared_->mtx};
      shared_->rejoin = true; // the next poll() tries again
    }
    return next.err();
  }
  std::set<topic_partition> target(next->begin(), next->end());
  for (auto& tp : owned_)
    if (!target.contains(tp))
      change.revoked.push_back(tp);
  for (auto& tp : target)
    if (!owned_.contains(tp))
      change.assigned.push_back(tp);
  owned_ = std::move(target);
  change.now.assign(owned_.begin(), owned_.end());
  // KIP-429's follow-up rebalance, when this one revoked anything, is started by the
  // coordinator once every member synced; the heartbeat hears of it. Rejoining here at once
  // instead would race the other members' syncs and cost them a retry.
  return change;
}

// One JoinGroup (which parks until the group's rebalance completes) and its SyncGroup. A
// retriable answer (the coordinator loading, a rebalance restarting) is retried until the
// rebalance timeout.
result<std::vector<topic_partition>> consumer_group::join_and_sync() {
  struct joining_guard {
    group_shared& g;
    explicit joining_guard(group_shared& g) : g(g) { set(true); }
    ~joining_guard() { set(false); }
    void set(bool v) {
      std::lock_guard lock{g.mtx};
      g.joining = v;
    }
  } joining{*shared_};
  auto deadline = clock::now() + config_.max_poll_interval;
  auto join_timeout = config_.max_poll_interval + config_.request_timeout;
  for (;;) {
    schema::join_group_request req;
    req.group_id = config_.group_id;
    req.session_timeout_ms = static_cast<int32_t>(config_.session_timeout.count());
    req.rebalance_timeout_ms = static_cast<int32_t>(config_.max_poll_interval.count());
    {
      std::lock_guard lock{shared_->mtx};
      req.member_id = shared_->member_id;
      shared_->rejoin = false;
    }
    req.group_instance_id = config_.group_instance_id;
    req.protocols = config_.assignors;
    req.topics = topics_;
    for (auto& tp : owned_)
      req.owned.push_back({tp.topic, tp.partition});
    auto joined = conn_->call<schema::join_group_response>(join_group_atom_v, req, join_timeout);
    // The coordinator forgot our member id: the next join comes as a new member.
    auto forget_if_unknown = [&](schema::errc code) {
      if (code != schema::errc::unknown_member_id)
        return;
      std::lock_guard lock{shared_->mtx};
      shared_->member_id.clear();
    };
    // A coordinator loading or a lost connection is worth a pause; a rebalance that moved on
    // (rebalance in progress, a new generation, a forgotten member id) wants a new join now.
    auto retry = [&](const error& e) -> std::optional<error> {
      if (clock::now() >= deadline)
        return e;
      bool protocol = e.code == errc::server
                      && (membership_gone(e.server) || e.server == schema::errc::rebalance_in_progress);
      if (!protocol)
        std::this_thread::sleep_for(config_.retry_backoff);
      return std::nullopt;
    };
    if (!joined) {
      if (!joined.err().retriable())
        return joined.err();
      if (auto e = retry(joined.err()))
        return *e;
      continue;
    }
    if (!joined->error.ok()) {
      auto e = from_server(joined->error, "join group '" + config_.group_id + "'");
      forget_if_unknown(joined->error.code);
      if (joined->error.code == schema::errc::fenced_instance_id) {
        std::lock_guard lock{shared_->mtx};
        shared_->fatal = e;
      }
      if (joined->error.code == schema::errc::fenced_instance_id || !(e.retriable()
          || membership_gone(joined->error.code)
          || joined->error.code == schema::errc::rebalance_in_progress))
        return e;
      if (auto err = retry(e))
        return *err;
      continue;
    }
    {
      std::lock_guard lock{shared_->mtx};
      shared_->member_id = joined->member_id;
      shared_->generation = joined->generation;
    }
    auto synced = conn_->call<schema::sync_group_response>(sync_group_atom_v,
                                                           schema::sync_group_request{member_ref()});
    if (synced && synced->error.ok()) {
      std::vector<topic_partition> out;
      for (auto& p : synced->assignment)
        out.push_back({p.topic, p.partition});
      std::lock_guard lock{shared_->mtx};
      shared_->last_poll = clock::now();
      return out;
    }
    // A rebalance began between our join and sync (another member came or went): join again.
    auto e = synced ? from_server(synced->error, "sync group '" + config_.group_id + "'")
                    : synced.err();
    if (synced)
      forget_if_unknown(synced->error.code);
    if (auto err = retry(e))
      return *err;
  }
}

status consumer_group::commit_sync(const offset_map& offsets) {
  if (offsets.empty())
    return {};
  schema::offset_commit_request req{member_ref(), {}};
  for (auto& [tp, off] : offsets)
    req.partitions.push_back({tp.topic, tp.partition, off, leader_epoch{-1}, {}});
  auto r = conn_->call<schema::offset_commit_response>(offset_commit_atom_v, req);
  auto st = commit_status(r);
  if (!st && st.err().code == errc::server)
    on_group_error(*shared_, {st.err().server, st.err().message});
  return st;
}

void consumer_group::commit_async(offset_map offsets, commit_callback cb) {
  if (offsets.empty()) {
    if (cb)
      cb(offsets, {});
    return;
  }
  schema::offset_commit_request req{member_ref(), {}};
  for (auto& [tp, off] : offsets)
    req.partitions.push_back({tp.topic, tp.partition, off, leader_epoch{-1}, {}});
  caf::anon_send(heartbeat_, commit_atom::value, async_commit{std::move(req), std::move(offsets), std::move(cb)});
}

void consumer_group::run_completions() {
  std::vector<std::function<void()>> done;
  {
    std::lock_guard lock{shared_->mtx};
    done.swap(shared_->completions);
  }
  for (auto& f : done)
    f();
}

result<std::map<topic_partition, std::optional<offset>>>
fetch_committed(const connection& conn, const consumer_config& config,
                const std::vector<topic_partition>& tps) {
  schema::offset_fetch_request req{config.group_id, {}};
  for (auto& tp : tps)
    req.partitions.push_back({tp.topic, tp.partition});
  for (auto deadline = clock::now() + config.request_timeout;;) {
    auto r = conn.call<schema::offset_fetch_response>(offset_fetch_atom_v, req);
    auto err = !r ? std::optional<error>{r.err()}
                  : !r->error.ok() ? std::optional<error>{from_server(r->error, "fetch committed offsets")}
                                   : std::nullopt;
    if (!err) {
      std::map<topic_partition, std::optional<offset>> out;
      for (auto& p : r->partitions) {
        if (!p.error.ok())
          return from_server(p.error, "committed offset of " + p.topic);
        out[{p.topic, p.partition}] =
          p.committed.value >= 0 ? std::optional<offset>{p.committed} : std::nullopt;
      }
      return out;
    }
    if (!err->retriable() || clock::now() >= deadline)
      return *err;
    std::this_thread::sleep_for(config.retry_backoff);
  }
}

void consumer_group::leave() {
  schema::leave_group_request req;
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->member_id.empty() || config_.group_instance_id)
      return;
    req = {config_.group_id, shared_->member_id};
    shared_->member_id.clear();
    shared_->generation = no_generation;
  }
  (void)conn_->call<schema::leave_group_response>(leave_group_atom_v, req);
}

} // namespace sluice::client

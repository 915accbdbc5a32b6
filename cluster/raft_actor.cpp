#include "cluster/raft_actor.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <stdexcept>

namespace sluice::cluster {

namespace {

class raft_impl : public raft_actor::base {
public:
  raft_impl(caf::actor_config& cfg, raft_actor_args args)
    : raft_actor::base(cfg), args_(std::move(args)) {}

  const char* name() const override { return "raft"; }

  behavior_type make_behavior() override {
    if (auto err = open(); !err.empty()) {
      quit(caf::make_error(caf::sec::runtime_error, err));
      return {
        [](raft_atom, const schema::envelope&) {},
        [](raft_peers_atom, const raft_peers&) {},
        [](propose_atom, const std::string&) { return propose_reply{propose_errc::not_leader, {}, {}, {}}; },
        [](raft_tick_atom) {},
        [](raft_flush_atom) {},
        [err](raft_state_atom) { return "raft: " + err; },
        [](raft_status_atom) { return raft_status{}; },
      };
    }
    delayed_send(this, args_.tick_interval, raft_tick_atom::value);
    return {
      [this](raft_atom, const schema::envelope& e) {
        auto m = schema::decode<schema::raft_message>(e);
        if (!m || m->to != args_.self)
          return; // a peer that does not speak Raft, or a misrouted message: drop it
        node_->step(*m, now_ms());
        schedule_drain();
      },
      [this](raft_peers_atom, raft_peers& peers) {
        std::vector<node_id> lost;
        for (auto& [id, _] : peers_)
          if (!peers.actors.count(id))
            lost.push_back(id);
        peers_ = std::move(peers.actors);
        for (auto id : lost)
          node_->peer_unreachable(id, now_ms());
        if (!lost.empty())
          drain();
      },
      [this](propose_atom, std::string& cmd) -> caf::result<propose_reply> {
        auto r = node_->propose(std::move(cmd), now_ms());
        if (r.error != propose_errc::none)
          return propose_reply{r.error, r.leader_hint, {}, {}};
        auto rp = make_response_promise<propose_reply>();
        pending_.emplace(r.index, pending{r.term, rp});
        schedule_drain();
        return rp;
      },
      [this](raft_flush_atom) {
        flush_scheduled_ = false;
        drain();
      },
      [this](raft_tick_atom) {
        node_->tick(now_ms());
        drain();
        delayed_send(this, args_.tick_interval, raft_tick_atom::value);
      },
      [this](raft_status_atom) { return status(); },
      [this](raft_state_atom) {
        return std::string{"raft "} + std::to_string(args_.self.value) + " (mailbox "
               + std::to_string(mailbox().size()) + "): role " + to_string(node_->role())
               + ", term " + std::to_string(node_->term().value) + ", leader "
               + (node_->leader() ? std::to_string(node_->leader()->value) : "-")
               + ", snapshot " + std::to_string(node_->snapshot_index().value) + ", last "
               + std::to_string(node_->last_index().value) + ", commit "
               + std::to_string(node_->commit_index().value) + ", applied "
               + std::to_string(applied_.value) + ", pending " + std::to_string(pending_.size());
      },
    };
  }

  void on_exit() override {
    for (auto& [index, p] : pending_)
      p.rp.deliver(propose_reply{propose_errc::not_leader, std::nullopt, index, {}});
    pending_.clear();
    peers_.clear(); // the replicas hold each other (and themselves): a cycle otherwise
    node_.reset();
    storage_.reset(); // LMDB: one handle per environment and process
  }

private:
  struct pending {
    raft_term term;
    caf::typed_response_promise<propose_reply> rp;
  };

  int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock().now().time_since_epoch())
      .count();
  }

  std::string open() {
    auto s = raft_storage::open(args_.dir);
    if (!s)
      return s.err().to_string();
    auto restart = (*s)->load();
    if (!restart)
      return restart.err().to_string();
    storage_ = std::move(*s);
    // The core hands out only entries after the snapshot: the state machine must hold it first.
    if (restart->snapshot && !args_.restore)
      return "raft: " + args_.dir.string() + " holds a snapshot but the state machine cannot "
             "restore one";
    if (restart->snapshot)
      restore(*restart->snapshot);
    try {
      node_.emplace(args_.self, args_.voters, args_.config, args_.seed, std::move(*restart));
    } catch (const std::logic_error& e) {
      return e.what();
    }
    return {};
  }

  void schedule_drain() {
    if (flush_scheduled_)
      return;
    flush_scheduled_ = true;
    send(this, raft_flush_atom::value);
  }

  // The durability rule of cluster/raft.hpp: persist, then send, then restore and apply.
  void drain() {
    while (node_->has_ready()) {
      auto ready = node_->take_ready();
      if (auto st = storage_->persist(ready); !st) {
        // Nothing of this ready may leave the node; without durable state it cannot take
        // part in Raft at all.
        quit(caf::make_error(caf::sec::runtime_error, st.err().to_string()));
        return;
      }
      for (auto& m : ready.messages)
        if (auto it = peers_.find(m.to); it != peers_.end())
          anon_send(it->second, raft_atom::value, schema::encode(m));
      if (ready.restore)
        restore(*ready.restore);
      for (auto& e : ready.committed)
        apply(e);
      maybe_compact();
    }
    fail_overtaken();
    auto now = status();
    now.match.clear();
    now.last = {};
    now.commit = {};
    if (args_.on_change && !(now == reported_)) {
      reported_ = now;
      args_.on_change(status());
    }
  }

  raft_status status() const {
    return raft_status{node_->role(), node_->term(), node_->leader(), node_->last_index(),
                       node_->commit_index(), node_->matches()};
  }

  void restore(const raft_snapshot& s) {
    applied_ = s.index;
    last_snapshot_ = s.index;
    if (args_.restore)
      args_.restore(s.index, s.data);
    // Proposals the snapshot covers were never applied here, so their answers are unknown:
    // not_leader sends the client to the leader (the entry may have committed, as with any
    // not_leader answer after a proposal went out).
    for (auto it = pending_.begin(); it != pending_.end() && it->first <= s.index;) {
      it->second.rp.deliver(propose_reply{propose_errc::not_leader, node_leader(), it->first, {}});
      it = pending_.erase(it);
    }
  }

  std::optional<node_id> node_leader() const {
    return node_ ? node_->leader() : std::nullopt;
  }

  // Compacts once snapshot_every entries were applied since the last snapshot; the core's
  // ready then carries the snapshot, persisted by the next turn of drain's loop.
  void maybe_compact() {
    // Without `restore` a snapshot could never be used again (a restart or a lagging follower
    // would skip its state): never take one.
    if (args_.snapshot_every == 0 || !args_.snapshot || !args_.restore
        || applied_ - last_snapshot_ < static_cast<int64_t>(args_.snapshot_every))
      return;
    node_->compact(applied_, args_.snapshot());
    last_snapshot_ = applied_;
  }

  void apply(const log_entry& e) {
    applied_ = e.index;
    std::string result;
    if (!e.command.empty() && args_.apply)
      result = args_.apply(e.index, e.command);
    auto it = pending_.find(e.index);
    if (it == pending_.end())
      return;
    // The entry at this index is ours only if it carries the term we proposed it in.
    if (it->second.term == e.term)
      it->second.rp.deliver(propose_reply{propose_errc::none, args_.self, e.index, std::move(result)});
    else
      it->second.rp.deliver(propose_reply{propose_errc::not_leader, node_->leader(), e.index, {}});
    pending_.erase(it);
  }

  // Proposals whose entry left the log (a new leader truncated it) or that a follower can no
  // longer see through: answer them now rather than at some later apply.
  void fail_overtaken() {
    if (node_->role() == raft_role::leader)
      return;
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto i = it->first;
      // Below first_index() only what was applied (and answered) or restored (and answered).
      bool gone = i > node_->last_index() || i < node_->first_index()
                  || node_->log()[static_cast<size_t>(i - node_->first_index())].term
                       != it->second.term;
      if (!gone) {
        ++it;
        continue;
      }
      it->second.rp.deliver(propose_reply{propose_errc::not_leader, node_->leader(), i, {}});
      it = pending_.erase(it);
    }
  }

  raft_actor_args args_;
  std::unique_ptr<raft_storage> storage_;
  std::optional<raft_node> node_;
  std::map<node_id, caf::actor> peers_;
  std::map<log_index, pending> pending_;
  log_index applied_{0};
  bool flush_scheduled_ = false; // a raft_flush_atom is in the mailbox
  log_index last_snapshot_{0}; // the index of the latest snapshot taken or restored
  raft_status reported_; // what on_change last heard (role, term, leader only)
};

} // namespace

raft_actor spawn_raft(caf::actor_system& sys, raft_actor_args args) {
  return sys.spawn<raft_impl>(std::move(args));
}

} // namespace sluice::cluster

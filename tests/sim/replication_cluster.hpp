#pragma once

// A seeded simulation of one partition replicated over a few brokers: the pure cores
// cluster/partition_leader and cluster/partition_follower, driven in one process by a simulator
// that owns time and a network that drops, delays, reorders and partitions messages, and
// crashes and restarts brokers. Around the cores it models what the actor shells and the
// metadata actor do:
//
//   - broker: a log of (epoch, value) records (it survives a crash, as the page cache survives
//     kill -9), a checkpointed HW, and a leader or follower core as the metadata says. The
//     leader appends produces stamped with its epoch and answers fetches and epoch queries from
//     its log; a follower asks for its latest epoch's end, truncates, then fetches.
//   - controller: the metadata actor (Raft-replicated, so here one reliable state machine).
//     Brokers heartbeat to it; one silent for the session timeout is fenced: removed from the
//     ISR (unless it is the last member, as KRaft keeps it to come back with the data), and if
//     it led, a new leader is elected from the live ISR with a new leader epoch (none live:
//     offline). A restarted broker registers anew, which fences its old incarnation. ISR
//     proposals are committed only against the current leader epoch and partition epoch and
//     with live members. Every change is sent to every broker (and re-sent periodically, since
//     messages get lost).
//   - producer: sends acks=all produces of unique values to the leader it last heard of and
//     records what was acknowledged (value and offset).
//   - consumer: reads below the leader's HW and records what it saw.
//
// Checkers (the first violation is kept in `failure`):
//   - no acknowledged record is lost or moved: at the end every acknowledged value is at its
//     offset in the final leader's log;
//   - no consumed record vanishes: what a consumer read below a HW stays at its offset on
//     every later leader;
//   - replicas agree below their HWs: the common prefix up to the smaller HW of any two live
//     brokers is the same;
//   - a follower never truncates below its HW, and a leader's HW never decreases in its epoch;
//   - at most one broker leads an epoch.

#include "cluster/partition_follower.hpp"
#include "cluster/partition_leader.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace sluice::cluster::sim {

struct repl_options {
  size_t brokers = 3;
  int32_t min_insync = 2;
  int64_t lag_time_max_ms = 200;
  int64_t session_timeout_ms = 300;
  int64_t heartbeat_ms = 50;
  int64_t fetch_interval_ms = 5;
  int64_t metadata_resend_ms = 100;
  int64_t produce_timeout_ms = 500;
  size_t max_fetch_records = 8;
  double drop = 0;
  int64_t delay_min_ms = 1;
  int64_t delay_max_ms = 5;
  bool trace = false; // narrate elections, roles, truncations, ISR changes and acks
  // unclean.leader.election.enable, as actors/metadata_image.hpp elects: with no live ISR
  // member, the first live replica leads alone. Only to show what it costs.
  bool unclean = false;
};

struct record {
  leader_epoch epoch;
  int64_t value;
  bool operator==(const record&) const = default;
};

class repl_cluster {
public:
  static constexpr int controller = 0; // network address of the controller; brokers are 1..n

  repl_cluster(uint64_t seed, repl_options opt) : opt_(opt), rng_(seed) {
    brokers_.resize(opt_.brokers);
    for (size_t i = 0; i < opt_.brokers; ++i) {
      brokers_[i].id = node_id{int32_t(i + 1)};
      state_.replicas.push_back(brokers_[i].id);
      group_.push_back(0);
    }
    group_.push_back(0); // the controller's group, at index n
    state_.isr = state_.replicas;
    state_.leader = state_.replicas.front();
    state_.epoch = leader_epoch{1};
    state_.version = partition_epoch{1};
    for (auto& b : brokers_) {
      b.up = true;
      b.incarnation = 1;
      registered_[b.id] = {1, 0};
      apply_metadata(b, state_);
    }
  }

  // ---- driving --------------------------------------------------------------------------------

  void run_for(int64_t ms) {
    for (int64_t end = now_ + ms; now_ < end && failure_.empty();)
      step();
  }

  void crash(node_id id) {
    auto& b = broker(id);
    trace("crash " + std::to_string(id.value));
    b.up = false;
    b.leader.reset(); // unanswered produces stay unanswered: the client never heard "acked"
    b.follower.reset();
    b.pending.clear();
    b.known = {}; // a restarted process learns the metadata anew
  }

  void restart(node_id id) {
    auto& b = broker(id);
    if (b.up)
      return;
    b.up = true;
    ++b.incarnation;
    trace("restart " + std::to_string(id.value) + " log " + std::to_string(b.log.size()));
    send(int(id.value), controller, heartbeat{b.id, b.incarnation});
  }

  // group[i] for broker i + 1, group[n] for the controller: different groups cannot talk.
  void partition(std::vector<int> g) {
    std::string gs;
    for (auto x : g)
      gs += std::to_string(x);
    trace("partition " + gs);
    group_ = std::move(g);
  }
  void heal() { std::ranges::fill(group_, 0); }
  // No more message loss (the settle phase).
  void calm() { opt_.drop = 0; }

  // The producer sends one acks=all produce to the leader it knows of.
  void produce() {
    auto value = ++last_value_;
    if (!client_view_.leader)
      return;
    send(-1, int(client_view_.leader->value), produce_req{value});
  }

  // The consumer reads what the leader it knows of exposes below HW.
  void consume() {
    if (client_view_.leader)
      send(-1, int(client_view_.leader->value), consume_req{});
  }

  // ---- observing ------------------------------------------------------------------------------

  const std::string& failure() const { return failure_; }
  const std::string& trace_log() const { return trace_; }
  const partition_replicas& metadata() const { return state_; }
  size_t acked() const { return acked_.size(); }
  size_t refused() const { return refused_; }
  size_t elections() const { return elections_; }
  size_t truncations() const { return truncations_; }
  size_t shrinks() const { return shrinks_; }
  size_t expands() const { return expands_; }

  // Final check once healed and settled: every acknowledged value is where it was acknowledged
  // in the leader's log, and every live broker holds the leader's log below its HW.
  void check_final() {
    if (!failure_.empty())
      return;
    if (!state_.leader)
      return fail("final: the partition is offline");
    auto& l = broker(*state_.leader);
    if (!l.up || !l.leader)
      return fail("final: the leader " + std::to_string(state_.leader->value) + " is not leading");
    for (auto& [value, at] : acked_) {
      auto o = size_t(at.value);
      if (o >= l.log.size() || l.log[o].value != value)
        return fail("acknowledged value " + std::to_string(value) + " at offset "
                    + std::to_string(at.value) + " is lost (leader " + std::to_string(l.id.value)
                    + " log end " + std::to_string(l.log.size()) + ")");
    }
    for (auto& [o, value] : consumed_)
      if (size_t(o) >= l.log.size() || l.log[size_t(o)].value != value)
        return fail("consumed value " + std::to_string(value) + " at offset " + std::to_string(o)
                    + " vanished");
    check_agreement();
  }

  // One line per broker: up, role (and follower phase), log end, HW, metadata heard.
  std::string describe() const {
    std::string out;
    for (auto& b : brokers_) {
      out += "broker " + std::to_string(b.id.value) + (b.up ? " up" : " down");
      if (b.leader)
        out += " leader";
      if (b.follower)
        out += " follower phase " + std::to_string(int(b.follower->current()));
      out += " log " + std::to_string(b.log.size()) + " hw " + std::to_string(hw_of(b).value)
             + " knows " + show(b.known) + "\n";
    }
    return out + "controller: " + show(state_) + "\n";
  }

  // Whether every live broker caught up with the leader (log and HW), after a settle.
  bool converged() const {
    if (!state_.leader)
      return false;
    auto& l = brokers_[size_t(state_.leader->value - 1)];
    if (!l.leader)
      return false;
    for (auto& b : brokers_)
      if (b.up && (b.log != l.log || hw_of(b) != l.leader->high_watermark()))
        return false;
    return true;
  }

private:
  // ---- messages -------------------------------------------------------------------------------
  struct heartbeat { node_id id; uint64_t incarnation; };
  // `incarnation`: the receiver's registration the state includes. A restarted broker acts on
  // none before its new registration (as a KRaft broker stays fenced until its metadata has
  // caught up past its registration): the old incarnation's leadership ended with it.
  struct metadata_msg { partition_replicas state; uint64_t incarnation = 0; };
  struct alter_isr { node_id from; isr_proposal p; };
  struct alter_isr_refused { leader_epoch epoch; uint64_t seq; };
  struct fetch_req { node_id from; leader_epoch epoch; offset at; };
  struct fetch_resp { leader_epoch epoch; offset at; repl_errc error; offset hw; std::vector<record> records; };
  struct epoch_req { node_id from; leader_epoch epoch; leader_epoch asked; };
  struct epoch_resp { leader_epoch epoch; epoch_end answer; repl_errc error; };
  struct produce_req { int64_t value; };
  struct produce_resp { int64_t value; repl_errc error; offset at; };
  struct consume_req {};
  struct consume_resp { std::vector<record> records; };
  using payload = std::variant<heartbeat, metadata_msg, alter_isr, alter_isr_refused, fetch_req, fetch_resp,
                               epoch_req, epoch_resp, produce_req, produce_resp, consume_req,
                               consume_resp>;
  struct message { int from; int to; payload p; };

  struct sim_broker {
    node_id id;
    bool up = false;
    uint64_t incarnation = 0;
    std::vector<record> log;
    offset hw_checkpoint{0};
    partition_replicas known; // the latest metadata it heard
    std::optional<partition_leader> leader;
    std::optional<partition_follower> follower;
    bool query_in_flight = false;
    int64_t next_fetch_ms = 0;
    int64_t next_heartbeat_ms = 0;
    std::map<uint64_t, std::pair<int64_t, offset>> pending; // produce id -> (value, offset)
  };

  sim_broker& broker(node_id id) { return brokers_[size_t(id.value - 1)]; }

  static offset hw_of(const sim_broker& b) {
    if (b.leader)
      return b.leader->high_watermark();
    if (b.follower)
      return b.follower->high_watermark();
    return b.hw_checkpoint;
  }

  bool chance(double p) { return p > 0 && double(rng_() % 1'000'000) < p * 1e6; }
  int64_t between(int64_t lo, int64_t hi) { return lo + int64_t(rng_() % uint64_t(hi - lo + 1)); }

  int group_of(int addr) const {
    if (addr < 0)
      return -1; // the clients reach everyone
    return group_[addr == controller ? opt_.brokers : size_t(addr - 1)];
  }

  void send(int from, int to, payload p) {
    if (from >= 0 && to >= 0 && group_of(from) != group_of(to))
      return;
    if (chance(opt_.drop))
      return;
    net_.emplace(std::pair{now_ + between(opt_.delay_min_ms, opt_.delay_max_ms), seq_++},
                 message{from, to, std::move(p)});
  }

  void step() {
    ++now_;
    while (!net_.empty() && net_.begin()->first.first <= now_ && failure_.empty()) {
      auto m = std::move(net_.begin()->second);
      net_.erase(net_.begin());
      // A partition made after the send also cuts what is in flight.
      if (m.from >= 0 && m.to >= 0 && group_of(m.from) != group_of(m.to))
        continue;
      deliver(m);
    }
    for (auto& b : brokers_)
      if (b.up && failure_.empty())
        broker_tick(b);
    controller_tick();
    if (now_ % 20 == 0)
      check_agreement();
  }

  // ---- broker ---------------------------------------------------------------------------------

  void apply_metadata(sim_broker& b, const partition_replicas& s) {
    if (s.epoch < b.known.epoch || (s.epoch == b.known.epoch && s.version < b.known.version))
      return;
    b.known = s;
    if (b.leader) {
      if (b.leader->on_metadata(s, now_)) {
        finish_produces(b);
        return;
      }
      step_down(b);
    }
    if (b.follower && !b.follower->on_metadata(s))
      step_down(b);
    if (!s.leader || std::ranges::find(s.replicas, b.id) == s.replicas.end())
      return;
    if (*s.leader == b.id && !b.leader) {
      if (leaders_of_epoch_.count(s.epoch) && leaders_of_epoch_[s.epoch] != b.id)
        return fail("two leaders in epoch " + std::to_string(s.epoch.value));
      leaders_of_epoch_[s.epoch] = b.id;
      trace("broker " + std::to_string(b.id.value) + " leads: " + show(s) + " log "
            + std::to_string(b.log.size()) + " hw " + std::to_string(b.hw_checkpoint.value));
      b.leader.emplace(b.id, s, offset{int64_t(b.log.size())}, b.hw_checkpoint,
                       leader_config{opt_.min_insync, opt_.lag_time_max_ms}, now_);
    } else if (*s.leader != b.id && !b.follower) {
      b.follower.emplace(b.id, s, offset{int64_t(b.log.size())}, b.hw_checkpoint);
      trace("broker " + std::to_string(b.id.value) + " follows: " + show(s) + " log "
            + std::to_string(b.log.size()));
      b.query_in_flight = false;
    }
  }

  void step_down(sim_broker& b) {
    if (b.leader) {
      b.hw_checkpoint = b.leader->high_watermark();
      for (auto& [id, v] : b.pending)
        send(int(b.id.value), -1, produce_resp{v.first, repl_errc::not_leader, v.second});
      b.pending.clear();
    }
    if (b.follower)
      b.hw_checkpoint = b.follower->high_watermark();
    b.leader.reset();
    b.follower.reset();
  }

  void broker_tick(sim_broker& b) {
    if (now_ >= b.next_heartbeat_ms) {
      send(int(b.id.value), controller, heartbeat{b.id, b.incarnation});
      b.next_heartbeat_ms = now_ + opt_.heartbeat_ms;
    }
    if (b.leader) {
      b.leader->tick(now_);
      b.leader->expire(now_, opt_.produce_timeout_ms);
      if (auto p = b.leader->take_proposal())
        send(int(b.id.value), controller, alter_isr{b.id, *p});
      finish_produces(b);
    }
    if (b.follower && now_ >= b.next_fetch_ms) {
      b.next_fetch_ms = now_ + opt_.fetch_interval_ms;
      auto to = int(b.follower->leader().value);
      using ph = partition_follower::phase;
      if (b.follower->current() == ph::truncating)
        send(int(b.id.value), to, epoch_req{b.id, b.follower->epoch(), latest_epoch(b)});
      else if (b.follower->current() == ph::fetching)
        send(int(b.id.value), to, fetch_req{b.id, b.follower->epoch(), b.follower->fetch_offset()});
    }
  }

  static leader_epoch latest_epoch(const sim_broker& b) {
    return b.log.empty() ? leader_epoch{-1} : b.log.back().epoch;
  }

  // KIP-279 on a log of (epoch, value): the largest epoch <= asked and where it ends.
  static epoch_end end_for(const std::vector<record>& log, leader_epoch asked,
                           std::optional<leader_epoch> current = std::nullopt) {
    epoch_end out{leader_epoch{-1}, offset{0}};
    for (size_t i = 0; i < log.size(); ++i)
      if (log[i].epoch <= asked)
        out = {log[i].epoch, offset{int64_t(i + 1)}};
    if (current && *current <= asked && out.epoch < *current)
      out = {*current, offset{int64_t(log.size())}}; // the leader's own, possibly empty, epoch
    if (out.epoch < leader_epoch{0})
      return {leader_epoch{-1}, offset{0}};
    // `end` is where the next higher epoch starts (or the log end).
    for (size_t i = 0; i < log.size(); ++i)
      if (log[i].epoch > out.epoch)
        return {out.epoch, offset{int64_t(i)}};
    return {out.epoch, offset{int64_t(log.size())}};
  }

  void finish_produces(sim_broker& b) {
    if (!b.leader)
      return;
    auto hw = b.leader->high_watermark();
    auto [it_hw, fresh_hw] = leader_hw_.try_emplace({b.id.value, b.leader->epoch().value}, hw);
    if (!fresh_hw) {
      if (hw < it_hw->second)
        return fail("the HW of leader " + std::to_string(b.id.value) + " went down");
      it_hw->second = hw;
    }
    for (auto& [id, err] : b.leader->take_completed()) {
      auto it = b.pending.find(id);
      if (it == b.pending.end())
        continue;
      send(int(b.id.value), -1, produce_resp{it->second.first, err, it->second.second});
      b.pending.erase(it);
    }
  }

  void deliver(const message& m) {
    if (m.to == controller)
      return controller_receive(m);
    if (m.to == -1)
      return client_receive(m);
    auto& b = broker(node_id{m.to});
    if (!b.up)
      return;
    std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, alter_isr_refused>) {
          if (b.leader && b.leader->epoch() == p.epoch)
            b.leader->on_refused(p.seq, now_);
        } else if constexpr (std::is_same_v<T, metadata_msg>) {
          if (p.incarnation == b.incarnation)
            apply_metadata(b, p.state);
        } else if constexpr (std::is_same_v<T, fetch_req>) {
          if (!b.leader)
            return send(m.to, m.from, fetch_resp{p.epoch, p.at, repl_errc::not_leader, offset{0}, {}});
          auto a = b.leader->on_fetch(p.from, p.epoch, p.at, now_);
          fetch_resp r{p.epoch, p.at, a.error, a.high_watermark, {}};
          if (a.error == repl_errc::none)
            for (auto i = size_t(p.at.value); i < b.log.size() && r.records.size() < opt_.max_fetch_records; ++i)
              r.records.push_back(b.log[i]);
          finish_produces(b);
          send(m.to, m.from, std::move(r));
        } else if constexpr (std::is_same_v<T, fetch_resp>) {
          if (!b.follower || b.follower->epoch() != p.epoch || b.follower->fetch_offset() != p.at
              || b.follower->current() != partition_follower::phase::fetching)
            return; // stale or duplicate
          for (auto& r : p.records)
            b.log.push_back(r);
          b.follower->on_appended(offset{int64_t(b.log.size())});
          b.follower->on_fetch_answer(p.error, p.hw);
        } else if constexpr (std::is_same_v<T, epoch_req>) {
          if (!b.leader || b.leader->epoch() != p.epoch)
            return send(m.to, m.from, epoch_resp{p.epoch, {}, b.leader && b.leader->epoch() > p.epoch
                                                                  ? repl_errc::fenced_leader_epoch
                                                                  : repl_errc::not_leader});
          send(m.to, m.from, epoch_resp{p.epoch, end_for(b.log, p.asked, b.leader->epoch()), repl_errc::none});
        } else if constexpr (std::is_same_v<T, epoch_resp>) {
          if (!b.follower || b.follower->epoch() != p.epoch
              || b.follower->current() != partition_follower::phase::truncating)
            return;
          if (p.error != repl_errc::none)
            return b.follower->on_fetch_answer(p.error, offset{0});
          auto mine = end_for(b.log, p.answer.epoch).end_offset;
          auto hw_before = b.follower->high_watermark();
          auto cut = b.follower->on_epoch_end(p.answer, mine);
          if (cut < hw_before)
            return fail("broker " + std::to_string(b.id.value) + " truncates to "
                        + std::to_string(cut.value) + " below its HW " + std::to_string(hw_before.value));
          if (size_t(cut.value) < b.log.size()) {
            trace("broker " + std::to_string(b.id.value) + " truncates " + std::to_string(b.log.size())
                  + " -> " + std::to_string(cut.value) + " (leader answered epoch "
                  + std::to_string(p.answer.epoch.value) + " end " + std::to_string(p.answer.end_offset.value) + ")");
            ++truncations_;
            b.log.resize(size_t(cut.value));
          }
        } else if constexpr (std::is_same_v<T, produce_req>) {
          if (!b.leader)
            return send(m.to, -1, produce_resp{p.value, repl_errc::not_leader, offset{-1}});
          if (auto e = b.leader->check_produce(-1); e != repl_errc::none) {
            ++refused_;
            return send(m.to, -1, produce_resp{p.value, e, offset{-1}});
          }
          offset at{int64_t(b.log.size())};
          b.log.push_back({b.leader->epoch(), p.value});
          auto id = ++produce_ids_;
          b.pending[id] = {p.value, at};
          b.leader->on_append(offset{int64_t(b.log.size())}, now_);
          b.leader->await(id, at + 1, now_);
          finish_produces(b);
        } else if constexpr (std::is_same_v<T, consume_req>) {
          if (!b.leader)
            return;
          consume_resp r;
          for (int64_t i = 0; i < b.leader->high_watermark().value; ++i)
            r.records.push_back(b.log[size_t(i)]);
          send(m.to, -1, std::move(r));
        }
      },
      m.p);
  }

  void client_receive(const message& m) {
    if (auto* r = std::get_if<produce_resp>(&m.p)) {
      if (r->error == repl_errc::none) {
        if (acked_.count(r->value))
          return fail("value " + std::to_string(r->value) + " acknowledged twice");
        acked_[r->value] = r->at;
        trace("acked " + std::to_string(r->value) + " at " + std::to_string(r->at.value) + " by " + std::to_string(m.from));
      }
    } else if (auto* c = std::get_if<consume_resp>(&m.p)) {
      for (size_t i = 0; i < c->records.size(); ++i) {
        auto [it, fresh] = consumed_.try_emplace(int64_t(i), c->records[i].value);
        if (!fresh && it->second != c->records[i].value)
          return fail("offset " + std::to_string(i) + " was consumed as "
                      + std::to_string(it->second) + " and later as "
                      + std::to_string(c->records[i].value));
      }
    } else if (auto* md = std::get_if<metadata_msg>(&m.p)) {
      client_view_ = md->state;
    }
  }

  // ---- controller -----------------------------------------------------------------------------

  void controller_receive(const message& m) {
    if (auto* hb = std::get_if<heartbeat>(&m.p)) {
      auto& reg = registered_[hb->id];
      if (hb->incarnation < reg.first)
        return;
      bool fresh = hb->incarnation > reg.first;
      bool was_fenced = fenced_.count(hb->id) > 0;
      reg = {hb->incarnation, now_};
      if (fresh && !was_fenced)
        fence(hb->id); // a new incarnation: the old one's leadership and ISR place end
      if (fenced_.count(hb->id)) {
        fenced_.erase(hb->id);
        if (!state_.leader
            && (opt_.unclean || std::ranges::find(state_.isr, hb->id) != state_.isr.end()))
          elect();
      }
    } else if (auto* a = std::get_if<alter_isr>(&m.p)) {
      if (a->p.epoch != state_.epoch)
        return; // from an old leader: it hears of the new epoch from the broadcasts
      auto& last = last_seq_[state_.epoch];
      auto ok = a->p.version == state_.version && state_.leader == a->from && a->p.seq > last
                && std::ranges::all_of(a->p.isr, [&](node_id id) { return !fenced_.count(id); });
      last = std::max(last, a->p.seq); // a refusal is final: late duplicates are refused too
      if (ok) {
        (a->p.isr.size() < state_.isr.size() ? shrinks_ : expands_)++;
        state_.isr = a->p.isr;
        ++state_.version;
        broadcast();
      } else {
        send(controller, int(a->from.value), alter_isr_refused{a->p.epoch, a->p.seq});
      }
    }
  }

  void controller_tick() {
    for (auto& [id, reg] : registered_)
      if (!fenced_.count(id) && now_ - reg.second > opt_.session_timeout_ms)
        fence(id);
    if (now_ >= next_broadcast_ms_)
      broadcast();
  }

  void fence(node_id id) {
    fenced_.insert(id);
    bool changed = false;
    if (state_.isr.size() > 1 && std::ranges::find(state_.isr, id) != state_.isr.end()) {
      std::erase(state_.isr, id);
      changed = true;
    }
    if (state_.leader == id) {
      elect();
      return;
    }
    if (changed) {
      ++state_.version;
      broadcast();
    }
  }

  // A new leader from the live ISR (the first in assignment order), else offline.
  void elect() {
    state_.leader.reset();
    for (auto id : state_.replicas)
      if (std::ranges::find(state_.isr, id) != state_.isr.end() && !fenced_.count(id)) {
        state_.leader = id;
        break;
      }
    if (!state_.leader && opt_.unclean)
      for (auto id : state_.replicas)
        if (!fenced_.count(id)) {
          state_.leader = id;
          state_.isr = {id};
          break;
        }
    ++state_.epoch;
    ++state_.version;
    ++elections_;
    broadcast();
  }

  void broadcast() {
    if (!(state_ == traced_))
      trace("controller: " + show(state_));
    traced_ = state_;
    next_broadcast_ms_ = now_ + opt_.metadata_resend_ms;
    for (auto& b : brokers_)
      send(controller, int(b.id.value), metadata_msg{state_, registered_[b.id].first});
    send(controller, -1, metadata_msg{state_});
  }

  // ---- checks ---------------------------------------------------------------------------------

  void check_agreement() {
    for (size_t i = 0; i < brokers_.size() && failure_.empty(); ++i)
      for (size_t j = i + 1; j < brokers_.size() && failure_.empty(); ++j) {
        auto& a = brokers_[i];
        auto& b = brokers_[j];
        auto upto = std::min({hw_of(a).value, hw_of(b).value, int64_t(a.log.size()), int64_t(b.log.size())});
        for (int64_t k = 0; k < upto; ++k)
          if (a.log[size_t(k)] != b.log[size_t(k)])
            return fail("brokers " + std::to_string(a.id.value) + " and " + std::to_string(b.id.value)
                        + " disagree at offset " + std::to_string(k) + " below their HWs");
      }
  }

  void trace(const std::string& line) {
    if (opt_.trace)
      trace_ += "t=" + std::to_string(now_) + " " + line + "\n";
  }

  static std::string show(const partition_replicas& s) {
    std::string isr;
    for (auto id : s.isr)
      isr += std::to_string(id.value);
    return "leader " + (s.leader ? std::to_string(s.leader->value) : std::string{"-"}) + " epoch "
           + std::to_string(s.epoch.value) + " isr " + isr + " v" + std::to_string(s.version.value);
  }

  void fail(std::string what) {
    if (failure_.empty())
      failure_ = "t=" + std::to_string(now_) + "ms: " + std::move(what);
  }

  repl_options opt_;
  std::mt19937_64 rng_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  std::map<std::pair<int64_t, uint64_t>, message> net_;
  std::vector<int> group_;
  std::vector<sim_broker> brokers_;

  partition_replicas state_; // the controller's
  std::map<node_id, std::pair<uint64_t, int64_t>> registered_; // incarnation, last heartbeat
  std::set<node_id> fenced_;
  std::map<leader_epoch, uint64_t> last_seq_; // the highest ISR proposal seq seen per epoch
  int64_t next_broadcast_ms_ = 0;
  partition_replicas traced_;

  partition_replicas client_view_;
  int64_t last_value_ = 0;
  uint64_t produce_ids_ = 0;
  std::map<int64_t, offset> acked_;      // value -> offset
  std::map<int64_t, int64_t> consumed_;  // offset -> value
  size_t refused_ = 0;

  std::map<leader_epoch, node_id> leaders_of_epoch_;
  std::map<std::pair<int32_t, int32_t>, offset> leader_hw_; // (broker, epoch) -> its HW
  size_t elections_ = 0, truncations_ = 0, shrinks_ = 0, expands_ = 0;
  std::string failure_;
  std::string trace_;
};

} // namespace sluice::cluster::sim

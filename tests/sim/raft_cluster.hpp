#pragma once

// A simulated Raft cluster for tests: raft_node cores (cluster/raft.hpp) in one process, with
// virtual time, a seeded network (drop, delay, duplicate, reorder, partition), per-node disks
// and crash/restart, plus the checkers of the Raft safety properties (Raft paper, Figure 3).
//
// Persistence model: a node's `disk` changes only when the simulator drains that node's ready
// (and, per the durability rule, before the ready's messages enter the network). Readies are
// drained with probability `drain_probability` after each input and at the end of each time
// step, so a crash in between loses the node's undrained state: exactly what was not fsynced.
//
// Checkers (the first violation is kept in `failure`; the simulation stops acting after it):
//   - election safety: at most one leader per term;
//   - log matching: two logs with an entry of the same index and term agree on every entry up
//     to it (checked over the in-memory and on-disk logs of every node);
//   - leader completeness: an entry committed by term B is in the log of every leader of a term
//     > B. B is bounded from above by the term of each node that applied the entry;
//   - state machine safety: no two nodes apply different entries at one index, each node
//     applies indexes 1, 2, ... in order, and no committed entry is ever truncated from a disk;
//   - a persisted vote never changes within a term, and the persisted term never decreases.

#include "cluster/raft.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace sluice::cluster::sim {

struct sim_options {
  size_t nodes = 3;
  raft_config cfg;
  double drop = 0;      // per message
  double duplicate = 0; // per message
  int64_t delay_min_ms = 1;
  int64_t delay_max_ms = 10;
  double drain_probability = 1.0;
  bool trace = false; // narrate every event into `trace_log`
};

struct disk_state {
  hard_state hard;
  std::vector<log_entry> log;
};

struct sim_node {
  node_id id;
  std::unique_ptr<raft_node> raft; // null while crashed
  disk_state disk;
  std::vector<log_entry> applied; // the state machine: applied entries, index i at [i - 1]
  uint64_t incarnation = 0;
  int64_t down_until_ms = 0;
};

class sim_cluster {
public:
  sim_cluster(uint64_t seed, sim_options opt, std::vector<disk_state> initial = {})
      : opt_(opt), rng_(seed), seed_(seed) {
    for (size_t i = 0; i < opt_.nodes; ++i)
      voters_.push_back(node_id{int32_t(i + 1)});
    group_.assign(opt_.nodes, 0);
    for (size_t i = 0; i < opt_.nodes; ++i) {
      sim_node n;
      n.id = voters_[i];
      if (i < initial.size())
        n.disk = initial[i];
      nodes_.push_back(std::move(n));
    }
    for (auto& n : nodes_)
      boot(n);
  }

  // ---- driving ----------------------------------------------------------------------------------

  int64_t now_ms() const { return now_ms_; }
  const std::string& failure() const { return failure_; }
  const std::string& trace_log() const { return trace_; }
  sim_options& options() { return opt_; }
  std::mt19937_64& rng() { return rng_; }

  // Advances virtual time by `ms`, one millisecond at a time: due messages are delivered (in
  // delivery-time order, so random delays reorder them), then every live node ticks.
  void run_for(int64_t ms) {
    for (int64_t end = now_ms_ + ms; now_ms_ < end && failure_.empty();)
      step_ms();
  }

  void step_ms() {
    ++now_ms_;
    while (!net_.empty() && net_.begin()->first.first <= now_ms_ && failure_.empty()) {
      auto msg = std::move(net_.begin()->second);
      net_.erase(net_.begin());
      deliver(msg);
    }
    for (auto& n : nodes_) {
      if (!n.raft || !failure_.empty())
        continue;
      guarded(n, [&] { n.raft->tick(now_ms_); });
    }
    for (auto& n : nodes_)
      if (n.raft && chance(opt_.drain_probability))
        drain(n);
  }

  propose_result propose(node_id id, std::string command) {
    auto& n = node(id);
    if (!n.raft)
      return {propose_errc::not_leader, {}, {}, {}};
    propose_result r;
    guarded(n, [&] { r = n.raft->propose(command, now_ms_); });
    if (opt_.trace)
      trace("propose " + command + " at " + str(id) + ": " + to_string(r.error));
    return r;
  }

  // Crash: everything not drained is lost; the disk survives.
  void crash(node_id id) {
    auto& n = node(id);
    if (opt_.trace)
      trace("crash " + str(id));
    if (n.raft)
      ++crashes_;
    n.raft.reset();
  }

  void restart(node_id id) {
    auto& n = node(id);
    if (!n.raft)
      boot(n);
  }

  // Nodes in different groups cannot exchange messages (also those already in flight).
  void partition(std::vector<int> group) {
    group_ = std::move(group);
    if (opt_.trace) {
      std::string g;
      for (auto x : group_)
        g += std::to_string(x);
      trace("partition " + g);
    }
  }
  void isolate(node_id id) {
    std::vector<int> g(nodes_.size(), 0);
    g[size_t(id() - 1)] = 1;
    partition(g);
  }
  void heal() { partition(std::vector<int>(nodes_.size(), 0)); }

  // ---- observing --------------------------------------------------------------------------------

  sim_node& node(node_id id) { return nodes_[size_t(id() - 1)]; }
  std::vector<sim_node>& nodes() { return nodes_; }
  const std::vector<node_id>& voters() const { return voters_; }

  // The live leader of the highest term, if any.
  std::optional<node_id> leader() const {
    std::optional<node_id> best;
    raft_term best_term{-1};
    for (auto& n : nodes_)
      if (n.raft && n.raft->role() == raft_role::leader && n.raft->term() > best_term) {
        best = n.id;
        best_term = n.raft->term();
      }
    return best;
  }

  size_t committed_count() const { return committed_.size(); }
  size_t leader_count() const { return leaders_.size(); }
  size_t crash_count() const { return crashes_; }

  // Whether every node applied an entry with this command.
  bool applied_everywhere(const std::string& command) const {
    return std::ranges::all_of(nodes_, [&](const sim_node& n) {
      return std::ranges::any_of(n.applied, [&](auto& e) { return e.command == command; });
    });
  }

  // The checks that look at whole logs; the others run as events happen.
  void check_logs() {
    std::vector<const std::vector<log_entry>*> logs;
    for (auto& n : nodes_) {
      logs.push_back(&n.disk.log);
      if (n.raft)
        logs.push_back(&n.raft->log());
    }
    for (size_t i = 0; i < logs.size() && failure_.empty(); ++i)
      for (size_t j = i + 1; j < logs.size() && failure_.empty(); ++j)
        check_log_matching(*logs[i], *logs[j]);
    for (auto& [t, log] : leader_logs_)
      for (auto& [index, c] : committed_)
        if (c.term_bound < t
            && (index() > int64_t(log.size()) || log[size_t(index() - 1)] != c.entry))
          return fail("leader completeness: leader of term " + str(t) + " lacks committed "
                      + describe(c.entry) + " (committed by term " + str(c.term_bound) + ")");
  }

private:
  struct committed_entry {
    log_entry entry;
    raft_term term_bound; // the entry was committed in a term <= this
  };

  bool chance(double p) { return p >= 1.0 || (p > 0 && double(rng_() % 1'000'000) < p * 1e6); }
  int64_t between(int64_t lo, int64_t hi) { return lo + int64_t(rng_() % uint64_t(hi - lo + 1)); }

  void boot(sim_node& n) {
    ++n.incarnation;
    n.applied.clear(); // the state machine is rebuilt from the log (no snapshots yet)
    uint64_t node_seed = seed_ * 1'000'003 + uint64_t(n.id()) * 7919 + n.incarnation;
    n.raft = std::make_unique<raft_node>(n.id, voters_, opt_.cfg, node_seed,
                                         raft_persisted{n.disk.hard, n.disk.log});
    if (opt_.trace)
      trace("boot " + str(n.id) + " #" + std::to_string(n.incarnation) + " term "
            + str(n.disk.hard.term) + " log " + std::to_string(n.disk.log.size()));
  }

  void deliver(const raft_message& m) {
    auto& n = node(m.to);
    if (!n.raft || group_[size_t(m.from() - 1)] != group_[size_t(m.to() - 1)])
      return;
    if (opt_.trace)
      trace(describe(m));
    guarded(n, [&] { n.raft->step(m, now_ms_); });
  }

  // Runs one input, then the checks that look at the node's role, then maybe drains.
  template <class F>
  void guarded(sim_node& n, F&& input) {
    if (!failure_.empty())
      return;
    try {
      input();
    } catch (const std::exception& e) {
      return fail(std::string{"raft_node threw: "} + e.what());
    }
    observe(n);
    if (n.raft && chance(opt_.drain_probability))
      drain(n);
  }

  void observe(sim_node& n) {
    auto& r = *n.raft;
    if (r.role() != raft_role::leader)
      return;
    auto [it, fresh] = leaders_.try_emplace(r.term(), n.id);
    if (it->second != n.id)
      return fail("two leaders in term " + str(r.term()) + ": " + str(it->second) + " and "
                  + str(n.id));
    auto& log = leader_logs_[r.term()];
    if (fresh && opt_.trace)
      trace("leader " + str(n.id) + " term " + str(r.term()));
    // A leader's log only grows during its term, so copying its new tail after every input
    // keeps `log` equal to everything it ever held as leader.
    for (size_t i = log.size(); i < r.log().size(); ++i)
      log.push_back(r.log()[i]);
  }

  // Carries out a ready in the order of the durability rule: disk, then network, then apply.
  void drain(sim_node& n) {
    if (!n.raft->has_ready())
      return;
    auto rd = n.raft->take_ready();
    auto& d = n.disk;
    if (rd.hard) {
      if (rd.hard->term < d.hard.term)
        return fail("persisted term went back on " + str(n.id));
      if (rd.hard->term == d.hard.term && d.hard.voted_for
          && rd.hard->voted_for != d.hard.voted_for)
        return fail("persisted vote changed within term " + str(d.hard.term) + " on " + str(n.id));
      d.hard = *rd.hard;
    }
    if (rd.truncate_from) {
      for (auto i = *rd.truncate_from; i() <= int64_t(d.log.size()); ++i) {
        auto c = committed_.find(i);
        if (c != committed_.end() && c->second.entry == d.log[size_t(i() - 1)])
          return fail("node " + str(n.id) + " truncates committed " + describe(c->second.entry));
      }
      if (*rd.truncate_from <= log_index{int64_t(d.log.size())})
        d.log.resize(size_t(rd.truncate_from->value - 1));
    }
    for (auto& e : rd.entries) {
      if (e.index() != int64_t(d.log.size()) + 1)
        return fail("ready entries not contiguous with the disk of " + str(n.id));
      d.log.push_back(e);
    }
    for (auto& m : rd.messages)
      send(m);
    for (auto& e : rd.committed)
      apply(n, e);
  }

  void send(const raft_message& m) {
    if (group_[size_t(m.from() - 1)] != group_[size_t(m.to() - 1)] || chance(opt_.drop))
      return;
    int copies = chance(opt_.duplicate) ? 2 : 1;
    for (int i = 0; i < copies; ++i)
      net_.emplace(std::pair{now_ms_ + between(opt_.delay_min_ms, opt_.delay_max_ms),
                             next_seq_++},
                   m);
  }

  void apply(sim_node& n, const log_entry& e) {
    if (e.index() != int64_t(n.applied.size()) + 1)
      return fail("node " + str(n.id) + " applies " + describe(e) + " out of order");
    n.applied.push_back(e);
    auto term = n.raft->term();
    auto [it, fresh] = committed_.try_emplace(e.index, committed_entry{e, term});
    if (!fresh) {
      if (it->second.entry != e)
        return fail("state machine safety: node " + str(n.id) + " applies " + describe(e)
                    + " where another applied " + describe(it->second.entry));
      it->second.term_bound = std::min(it->second.term_bound, term);
    }
    if (opt_.trace)
      trace("apply " + str(n.id) + " " + describe(e));
  }

  void check_log_matching(const std::vector<log_entry>& a, const std::vector<log_entry>& b) {
    auto n = std::min(a.size(), b.size());
    size_t same = n;
    while (same > 0 && a[same - 1].term != b[same - 1].term)
      --same;
    for (size_t i = 0; i < same; ++i)
      if (a[i] != b[i])
        return fail("log matching: same term at index " + std::to_string(same) + " but "
                    + describe(a[i]) + " != " + describe(b[i]));
  }

  void fail(std::string what) {
    if (failure_.empty())
      failure_ = "t=" + std::to_string(now_ms_) + "ms: " + std::move(what);
  }

  void trace(const std::string& line) {
    trace_ += std::to_string(now_ms_) + " " + line + "\n";
  }

  template <class T>
  static std::string str(T x) {
    return std::to_string(x());
  }

  static std::string describe(const log_entry& e) {
    return "(" + str(e.index) + "," + str(e.term) + ",'" + e.command + "')";
  }

  static std::string describe(const raft_message& m) {
    std::ostringstream os;
    os << m.from << "->" << m.to << " " << message_name(m.payload);
    std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        os << " term " << p.term;
        if constexpr (std::is_same_v<T, append_request>) {
          os << " prev " << p.prev_index << "/" << p.prev_term << " n " << p.entries.size()
             << " commit " << p.leader_commit;
        } else if constexpr (std::is_same_v<T, append_response>) {
          if (p.success)
            os << " ok match " << p.match_index;
          else
            os << " reject " << p.rejected_index << " hint " << p.hint_index << "/" << p.hint_term;
        } else if constexpr (requires { p.granted; }) {
          os << (p.granted ? " granted" : " refused");
        } else {
          os << " last " << p.last_index << "/" << p.last_term;
        }
      },
      m.payload);
    return os.str();
  }

  sim_options opt_;
  std::mt19937_64 rng_;
  uint64_t seed_;
  int64_t now_ms_ = 0;
  uint64_t next_seq_ = 0;
  std::vector<node_id> voters_;
  std::vector<sim_node> nodes_;
  std::vector<int> group_;
  // In flight, by (delivery time ms, send sequence): random delays reorder, the sequence keeps
  // a replay exact.
  std::map<std::pair<int64_t, uint64_t>, raft_message> net_;

  std::map<raft_term, node_id> leaders_;
  std::map<raft_term, std::vector<log_entry>> leader_logs_;
  std::map<log_index, committed_entry> committed_;
  size_t crashes_ = 0;
  std::string failure_;
  std::string trace_;
};

} // namespace sluice::cluster::sim

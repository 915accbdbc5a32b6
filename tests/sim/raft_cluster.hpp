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
// State machine: the applied entries, summed up by a chained digest. A snapshot's data is
// "<count> <digest>"; restoring one checks it against the digest of the committed prefix of that
// length (recorded when the first node applied it) and then takes that prefix as the applied
// list, so a node restored from a snapshot holds exactly the entries everyone else applied.
// With compact_every > 0 a node compacts once that many entries were applied since its last
// snapshot, and with compact_anytime also at random moments at a random applied index;
// snapshots go to the disk with the ready that carries them, and a restart restores the
// disk's snapshot before the node applies anything. A snapshot from the leader must move the
// state machine forward, never back over entries it applied.
//
// Checkers (the first violation is kept in `failure`; the simulation stops acting after it):
//   - election safety: at most one leader per term;
//   - log matching: two logs with an entry of the same index and term agree on every entry up
//     to it, where both hold entries (checked over the in-memory and on-disk logs of every node
//     and the committed log, so a compacted prefix is still compared through the latter);
//   - leader completeness: an entry committed by term B is in the log of every leader of a term
//     > B, or covered by that leader's snapshot. B is bounded from above by the term of each
//     node that applied the entry;
//   - state machine safety: no two nodes apply different entries at one index, each node
//     applies indexes 1, 2, ... in order (after a restored snapshot: from the one after it),
//     every snapshot persisted or restored equals the committed prefix it claims to cover, and
//     no committed entry is ever truncated from a disk;
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
  size_t compact_every = 0; // applied entries between two snapshots of a node (0: never)
  // Per live node and ms: also compact at a random index in (snapshot, applied], between
  // inputs with a ready pending, not only right after a drain (compact()'s whole contract).
  double compact_anytime = 0;
  // Transport hints (raft_node::peer_unreachable): the chance that the others hear of a crash,
  // or that two nodes cut apart by a partition hear of each other, as a middleman reports a
  // closed connection; and per live node and ms, a wrong hint about a random peer (a flapping
  // connection), which must cost at most an election.
  double hint_probability = 0;
  double spurious_hint = 0;
  bool trace = false; // narrate every event into `trace_log`
};

struct disk_state {
  hard_state hard;
  std::vector<log_entry> log; // from snapshot->index + 1 (1 without a snapshot)
  std::optional<raft_snapshot> snapshot = {};
};

struct sim_node {
  node_id id;
  std::unique_ptr<raft_node> raft; // null while crashed
  disk_state disk;
  // The state machine: the applied entries, index i at [i - 1], and their chained digest.
  std::vector<log_entry> applied;
  uint64_t digest = 0;
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
      if (n.raft && failure_.empty() && chance(opt_.spurious_hint))
        hint(n, voters_[size_t(rng_() % voters_.size())]);
    for (auto& n : nodes_)
      if (n.raft && chance(opt_.drain_probability))
        drain(n);
    for (auto& n : nodes_)
      if (n.raft && failure_.empty() && chance(opt_.compact_anytime)) {
        auto lo = n.raft->snapshot_index() + 1;
        auto hi = log_index{int64_t(n.applied.size())}; // the node's applied index
        if (lo <= hi)
          compact(n, log_index{between(lo(), hi())});
      }
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
    for (auto& other : nodes_)
      if (other.raft && failure_.empty() && chance(opt_.hint_probability))
        hint(other, id);
  }

  // `n` hears from its transport that `peer` is unreachable.
  void hint(sim_node& n, node_id peer) {
    if (opt_.trace)
      trace("hint " + str(n.id) + ": " + str(peer) + " unreachable");
    ++hints_;
    guarded(n, [&] { n.raft->peer_unreachable(peer, now_ms_); });
  }

  void restart(node_id id) {
    auto& n = node(id);
    if (!n.raft)
      boot(n);
  }

  // Nodes in different groups cannot exchange messages (also those already in flight).
  void partition(std::vector<int> group) {
    for (size_t a = 0; a < nodes_.size() && a < group.size(); ++a)
      for (size_t b = 0; b < nodes_.size() && b < group.size(); ++b)
        if (a != b && group[a] != group[b] && group_[a] == group_[b] && nodes_[a].raft
            && failure_.empty() && chance(opt_.hint_probability))
          hint(nodes_[a], nodes_[b].id);
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
  size_t hint_count() const { return hints_; } // peer_unreachable calls
  size_t snapshot_count() const { return snapshots_; } // compactions
  size_t restore_count() const { return restores_; }   // from a disk at boot or from a leader
  size_t install_count() const { return installs_; }   // of those, from a leader (InstallSnapshot)
  size_t quorum_stepdown_count() const { return quorum_stepdowns_; } // leaders that lost touch

  // Whether every node applied an entry with this command.
  bool applied_everywhere(const std::string& command) const {
    return std::ranges::all_of(nodes_, [&](const sim_node& n) {
      return std::ranges::any_of(n.applied, [&](auto& e) { return e.command == command; });
    });
  }

  // The checks that look at whole logs; the others run as events happen.
  void check_logs() {
    std::vector<log_entry> committed_log;
    committed_log.reserve(committed_.size());
    for (auto& c : committed_)
      committed_log.push_back(c.entry);
    std::vector<log_view> logs{{log_index{0}, &committed_log}};
    for (auto& n : nodes_) {
      logs.push_back({n.disk.snapshot ? n.disk.snapshot->index : log_index{0}, &n.disk.log});
      if (n.raft)
        logs.push_back({n.raft->snapshot_index(), &n.raft->log()});
    }
    for (size_t i = 0; i < logs.size() && failure_.empty(); ++i)
      for (size_t j = i + 1; j < logs.size() && failure_.empty(); ++j)
        check_log_matching(logs[i], logs[j]);
    for (auto& [t, log] : leader_logs_)
      for (size_t k = 0; k < committed_.size(); ++k) {
        auto& c = committed_[k];
        if (c.term_bound >= t || c.entry.index <= log.covered)
          continue; // not committed before t, or in the leader's snapshot (checked when made)
        auto at = size_t(c.entry.index - log.covered - 1);
        if (at >= log.entries.size() || log.entries[at] != c.entry)
          return fail("leader completeness: leader of term " + str(t) + " lacks committed "
                      + describe(c.entry) + " (committed by term " + str(c.term_bound) + ")");
      }
  }

private:
  struct committed_entry {
    log_entry entry;
    raft_term term_bound; // the entry was committed in a term <= this
    uint64_t digest;      // of the state machine after applying 1 .. entry.index
  };

  // A log whose entries start after a (possibly empty) compacted prefix.
  struct log_view {
    log_index snapshot;
    const std::vector<log_entry>* entries; // indexes snapshot + 1, + 2, ...
    log_index first() const { return snapshot + 1; }
    log_index last() const { return snapshot + int64_t(entries->size()); }
    const log_entry& at(log_index i) const { return (*entries)[size_t(i - first())]; }
  };

  // Everything a term's leader held as its log during the term.
  struct leader_log {
    log_index covered{0}; // by its snapshot when first seen leading
    std::vector<log_entry> entries; // indexes covered + 1, + 2, ...
  };

  bool chance(double p) { return p >= 1.0 || (p > 0 && double(rng_() % 1'000'000) < p * 1e6); }
  int64_t between(int64_t lo, int64_t hi) { return lo + int64_t(rng_() % uint64_t(hi - lo + 1)); }

  void boot(sim_node& n) {
    ++n.incarnation;
    if (opt_.trace)
      trace("boot " + str(n.id) + " #" + std::to_string(n.incarnation) + " term "
            + str(n.disk.hard.term) + " snapshot "
            + (n.disk.snapshot ? str(n.disk.snapshot->index) : "-") + " log "
            + std::to_string(n.disk.log.size()));
    // The state machine is rebuilt from the disk's snapshot, then from the log after it.
    n.applied.clear();
    n.digest = 0;
    if (n.disk.snapshot && !restore(n, *n.disk.snapshot))
      return;
    uint64_t node_seed = seed_ * 1'000'003 + uint64_t(n.id()) * 7919 + n.incarnation;
    n.raft = std::make_unique<raft_node>(n.id, voters_, opt_.cfg, node_seed,
                                         raft_persisted{n.disk.hard, n.disk.log, n.disk.snapshot});
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
    bool led = n.raft && n.raft->role() == raft_role::leader;
    auto term = n.raft ? n.raft->term() : raft_term{0};
    try {
      input();
    } catch (const std::exception& e) {
      return fail(std::string{"raft_node threw: "} + e.what());
    }
    if (led && n.raft->role() != raft_role::leader && n.raft->term() == term) {
      ++quorum_stepdowns_; // only check-quorum leaves leadership without a higher term
      if (opt_.trace)
        trace("check-quorum: " + str(n.id) + " steps down in term " + str(term));
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
    // A leader's log only grows at its end during its term, and it compacts only entries it
    // applied after they were copied here, so copying its new tail after every input keeps
    // `log` equal to everything it ever held as leader.
    if (fresh)
      log.covered = r.snapshot_index();
    auto have = log.covered + int64_t(log.entries.size());
    if (r.first_index() > have + 1)
      return fail("sim: leader " + str(n.id) + " compacted entries never observed");
    for (auto i = have + 1; i <= r.last_index(); ++i)
      log.entries.push_back(r.log()[size_t(i - r.first_index())]);
  }

  // Carries out a ready in the order of the durability rule: disk, then network, then restore
  // and apply, then maybe compact.
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
    auto disk_snapshot = [&] { return d.snapshot ? d.snapshot->index : log_index{0}; };
    auto disk_last = [&] { return disk_snapshot() + int64_t(d.log.size()); };
    if (rd.snapshot) {
      auto& snap = *rd.snapshot;
      if (snap.index <= disk_snapshot())
        return fail("node " + str(n.id) + " persists snapshot " + str(snap.index)
                    + " not beyond its disk's " + str(disk_snapshot()));
      if (!check_snapshot(n, snap))
        return;
      // The entries it covers are committed (checked above), so dropping them loses nothing.
      auto covered = std::min(size_t(snap.index - disk_snapshot()), d.log.size());
      d.log.erase(d.log.begin(), d.log.begin() + std::ptrdiff_t(covered));
      d.snapshot = snap;
    }
    if (rd.truncate_from) {
      if (*rd.truncate_from <= disk_snapshot())
        return fail("node " + str(n.id) + " truncates into its snapshot");
      for (auto i = *rd.truncate_from; i <= disk_last(); ++i) {
        auto& e = d.log[size_t(i - disk_snapshot() - 1)];
        if (i() <= int64_t(committed_.size()) && committed_[size_t(i() - 1)].entry == e)
          return fail("node " + str(n.id) + " truncates committed " + describe(e));
      }
      if (*rd.truncate_from <= disk_last())
        d.log.resize(size_t(*rd.truncate_from - disk_snapshot() - 1));
    }
    for (auto& e : rd.entries) {
      if (e.index != disk_last() + 1)
        return fail("ready entries not contiguous with the disk of " + str(n.id));
      d.log.push_back(e);
    }
    for (auto& m : rd.messages)
      send(m);
    if (rd.restore) {
      // The leader's snapshot replaces the state machine only to move it forward: rolling
      // back what was applied would undo answers already given.
      if (rd.restore->index() <= int64_t(n.applied.size()))
        return fail("node " + str(n.id) + " restores snapshot " + str(rd.restore->index)
                    + " over " + std::to_string(n.applied.size()) + " applied entries");
      if (!restore(n, *rd.restore))
        return;
      ++installs_;
    }
    for (auto& e : rd.committed)
      apply(n, e);
    if (opt_.compact_every > 0 && failure_.empty()
        && n.applied.size() - size_t(n.raft->snapshot_index()()) >= opt_.compact_every)
      compact(n, log_index{int64_t(n.applied.size())});
  }

  // The state machine's snapshot as of `index` (<= applied) handed to the node.
  void compact(sim_node& n, log_index index) {
    auto i = size_t(index());
    auto data = std::to_string(i) + " " + std::to_string(committed_[i - 1].digest);
    try {
      n.raft->compact(index, std::move(data));
    } catch (const std::exception& e) {
      return fail(std::string{"raft_node threw: "} + e.what());
    }
    ++snapshots_;
    if (opt_.trace)
      trace("compact " + str(n.id) + " at " + str(index));
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
    n.digest = chain(n.digest, e);
    auto term = n.raft->term();
    if (e.index() > int64_t(committed_.size())) {
      committed_.push_back({e, term, n.digest}); // applied in order, so the record is a prefix
    } else {
      auto& c = committed_[size_t(e.index() - 1)];
      if (c.entry != e)
        return fail("state machine safety: node " + str(n.id) + " applies " + describe(e)
                    + " where another applied " + describe(c.entry));
      c.term_bound = std::min(c.term_bound, term);
    }
    if (opt_.trace)
      trace("apply " + str(n.id) + " " + describe(e));
  }

  static uint64_t mix(uint64_t x) { // splitmix64's finaliser
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }

  static uint64_t chain(uint64_t digest, const log_entry& e) {
    uint64_t h = mix(digest ^ uint64_t(e.index()));
    h = mix(h ^ uint64_t(e.term()));
    for (unsigned char ch : e.command)
      h = mix(h ^ ch);
    return mix(h ^ e.command.size());
  }

  // Whether `snap` is the state after applying exactly the committed prefix through its index.
  bool check_snapshot(const sim_node& n, const raft_snapshot& snap) {
    std::istringstream in{snap.data};
    int64_t count = -1;
    uint64_t digest = 0;
    in >> count >> digest;
    auto i = snap.index();
    std::string wrong;
    if (!in || count != i || i < 1)
      wrong = "a malformed snapshot";
    else if (i > int64_t(committed_.size()))
      wrong = "a snapshot beyond every applied index";
    else if (committed_[size_t(i - 1)].entry.term != snap.term
             || committed_[size_t(i - 1)].digest != digest)
      wrong = "a snapshot that differs from the applied prefix (state machine safety)";
    if (!wrong.empty())
      fail("node " + str(n.id) + " holds " + wrong + " at " + str(snap.index));
    return wrong.empty();
  }

  // Replaces n's state machine with a snapshot; false (and a failure) if it is not valid.
  bool restore(sim_node& n, const raft_snapshot& snap) {
    if (!check_snapshot(n, snap))
      return false;
    n.applied.clear();
    for (int64_t i = 0; i < snap.index(); ++i)
      n.applied.push_back(committed_[size_t(i)].entry);
    n.digest = committed_[size_t(snap.index() - 1)].digest;
    ++restores_;
    if (opt_.trace)
      trace("restore " + str(n.id) + " snapshot " + str(snap.index) + "/" + str(snap.term));
    return true;
  }

  void check_log_matching(const log_view& a, const log_view& b) {
    auto lo = std::max(a.first(), b.first());
    auto same = std::min(a.last(), b.last());
    while (same >= lo && a.at(same).term != b.at(same).term)
      same = same - 1;
    for (auto i = lo; i <= same; ++i)
      if (a.at(i) != b.at(i))
        return fail("log matching: same term at index " + str(same) + " but "
                    + describe(a.at(i)) + " != " + describe(b.at(i)));
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
        } else if constexpr (std::is_same_v<T, install_snapshot_request>) {
          os << " snapshot " << p.snapshot.index << "/" << p.snapshot.term;
        } else if constexpr (std::is_same_v<T, install_snapshot_response>) {
          os << " match " << p.match_index;
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
  std::map<raft_term, leader_log> leader_logs_;
  std::vector<committed_entry> committed_; // index i at [i - 1]: the committed log so far
  size_t crashes_ = 0;
  size_t hints_ = 0;
  size_t snapshots_ = 0;
  size_t restores_ = 0;
  size_t installs_ = 0;
  size_t quorum_stepdowns_ = 0;
  std::string failure_;
  std::string trace_;
};

} // namespace sluice::cluster::sim

// Consumer group rebalances (issue 5), eager (range) against cooperative (cooperative-sticky):
//   stable_ms   from the 10th member's first poll until all 10 hold a stable assignment;
//   stop_*      when an 11th member joins, how long each partition has no owner (revoked or
//               lost by the old one, not yet assigned to the new one): the longest pause, the
//               sum over partitions (partition-ms), how many partitions paused, and how long
//               no partition at all was owned.
//
//   sluice-bench-group-rebalance
//     SLUICE_BENCH_ROUNDS        rounds per protocol (default 5)
//     SLUICE_BENCH_HEARTBEAT_MS  heartbeat.interval.ms of every member (default 50)
//     SLUICE_BENCH_TRACE         1: print the assignment changes of a failed round, 2: of all
//
// One process: an in-process node on a temporary data dir, one connection, one thread per
// member polling in a loop as an application would. The 10 members start spread over one
// heartbeat interval (see run_round). Figures, not tests.

#include "actors/node_actor.hpp"
#include "client/admin.hpp"
#include "client/consumer.hpp"
#include "client/producer.hpp"
#include "schema/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace sluice;
using client::connection;
using client::consumer_config;
using sclock = std::chrono::steady_clock;

constexpr int partitions = 60;
constexpr int initial_members = 10;
constexpr int records_per_partition = 50;
const std::string topic = "rebalance-bench";
// Every wait is bounded by this, so a group that never stabilises ends the round, not the run.
constexpr auto wait_bound = 30s;
// A stable assignment counts only once it has held this long without a revocation: a group
// that looks stable between two rebalances must not end the measurement early.
constexpr auto settle = 300ms;
constexpr auto poll_timeout = 20ms;

double to_ms(sclock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

enum class change_kind { assigned, revoked, lost };

struct change_event {
  sclock::time_point at;
  int member;
  int32_t generation;
  change_kind kind;
  std::vector<int> parts;
};

// Every member's assignment changes on one timeline. The time is taken under the lock, so the
// log is in time order across threads.
class change_log {
public:
  void add(int member, int32_t generation, change_kind kind,
           const std::vector<client::topic_partition>& tps) {
    std::vector<int> parts;
    for (auto& tp : tps)
      parts.push_back(tp.partition.value);
    std::lock_guard lock{mtx_};
    events_.push_back({sclock::now(), member, generation, kind, std::move(parts)});
    if (kind != change_kind::assigned)
      last_revocation_ = events_.back().at;
  }

  size_t size() const {
    std::lock_guard lock{mtx_};
    return events_.size();
  }

  std::vector<change_event> since(size_t index) const {
    std::lock_guard lock{mtx_};
    return {events_.begin() + static_cast<std::ptrdiff_t>(std::min(index, events_.size())),
            events_.end()};
  }

  sclock::time_point last_revocation() const {
    std::lock_guard lock{mtx_};
    return last_revocation_;
  }

private:
  mutable std::mutex mtx_;
  std::vector<change_event> events_;
  sclock::time_point last_revocation_{};
};

// Called inside poll() on the member's thread, so it may ask its consumer for the generation.
class recording_listener : public client::rebalance_listener {
public:
  recording_listener(change_log& log, int member, const client::consumer& c)
    : log_(log), member_(member), c_(c) {}
  void on_partitions_revoked(const std::vector<client::topic_partition>& tps) override {
    add(change_kind::revoked, tps);
  }
  void on_partitions_assigned(const std::vector<client::topic_partition>& tps) override {
    add(change_kind::assigned, tps);
  }
  void on_partitions_lost(const std::vector<client::topic_partition>& tps) override {
    add(change_kind::lost, tps);
  }

private:
  void add(change_kind kind, const std::vector<client::topic_partition>& tps) {
    log_.add(member_, c_.group_membership().second.value, kind, tps);
  }

  change_log& log_;
  int member_;
  const client::consumer& c_;
};

struct member {
  member(std::shared_ptr<connection> conn, const consumer_config& cfg, change_log& log, int index)
    : c(std::move(conn), cfg), listener(log, index, c) {}

  client::consumer c;
  recording_listener listener;
  // Set once subscribe() returned: from then on the monitor may read the membership and the
  // assignment, which the consumer guards with its own locks, until `stop`.
  std::atomic<bool> polling{false};
  sclock::time_point first_poll{}; // written before `polling`
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::mutex err_mtx;
  int errors = 0;
  std::string first_error;
  std::thread thread;

  void note_error(const std::string& e) {
    std::lock_guard lock{err_mtx};
    if (errors++ == 0)
      first_error = e;
  }
};

void run_member(member& m) {
  if (auto st = m.c.subscribe({topic}, &m.listener); !st) {
    m.note_error("subscribe: " + st.err().to_string());
    m.done = true;
    return;
  }
  m.first_poll = sclock::now();
  m.polling.store(true, std::memory_order_release);
  while (!m.stop.load(std::memory_order_acquire)) {
    auto r = m.c.poll(poll_timeout);
    if (!r) {
      m.note_error("poll: " + r.err().to_string());
      std::this_thread::sleep_for(poll_timeout); // no busy loop on a persistent error
    }
  }
  m.c.close();
  m.done.store(true, std::memory_order_release);
}

using member_list = std::vector<std::unique_ptr<member>>;

// The common generation when every member of `ms` holds a non-empty assignment, all of them
// the same generation, and every partition is owned exactly once. The members are read one
// after the other, not atomically; the settle period of wait_stable covers that.
std::optional<int32_t> stable_generation(const member_list& ms) {
  std::array<int, partitions> owners{};
  std::optional<generation_id> gen;
  for (auto& m : ms) {
    if (!m->polling.load(std::memory_order_acquire))
      return std::nullopt;
    auto [id, g] = m->c.group_membership();
    if (id.empty() || g == no_generation || (gen && *gen != g))
      return std::nullopt;
    gen = g;
    auto a = m->c.assignment();
    if (a.empty())
      return std::nullopt;
    for (auto& tp : a) {
      if (tp.topic != topic || tp.partition.value < 0 || tp.partition.value >= partitions)
        return std::nullopt;
      ++owners[static_cast<size_t>(tp.partition.value)];
    }
  }
  if (!std::ranges::all_of(owners, [](int n) { return n == 1; }))
    return std::nullopt;
  return gen->value;
}

struct stable_state {
  sclock::time_point since; // first moment of the stable period
  int32_t generation = -1;
  int breaks = 0;           // stable-looking states that did not last
};

std::optional<stable_state> wait_stable(const member_list& ms, const change_log& log) {
  auto deadline = sclock::now() + wait_bound;
  std::optional<sclock::time_point> since;
  stable_state out;
  while (sclock::now() < deadline) {
    auto now = sclock::now();
    auto g = stable_generation(ms);
    if (g && since && *g == out.generation) {
      if (log.last_revocation() > *since) {
        ++out.breaks;
        since.reset();
      } else if (now - *since >= settle) {
        out.since = *since;
        return out;
      }
    } else {
      if (since)
        ++out.breaks;
      since.reset();
      if (g) {
        since = now;
        out.generation = *g;
      }
    }
    std::this_thread::sleep_for(1ms);
  }
  return std::nullopt;
}

struct pause_stats {
  double max_ms = 0;
  double sum_ms = 0;
  double none_owned_ms = 0; // no partition owned by anyone
  int paused = 0;
  // Assigned while another member's listener had not yet given it up. A lost partition is
  // reported only after its owner rejoined (consumer::rebalance), so this may be that lag.
  int double_owned = 0;
};

// Replays the changes after a stable state in which every partition had one owner.
pause_stats pauses(const std::vector<change_event>& events) {
  std::array<int, partitions> owners;
  owners.fill(1);
  std::array<std::optional<sclock::time_point>, partitions> unowned_since{};
  std::array<double, partitions> paused_ms{};
  std::array<bool, partitions> paused{};
  int owned = partitions;
  std::optional<sclock::time_point> none_since;
  pause_stats out;
  for (auto& e : events) {
    for (int p : e.parts) {
      if (p < 0 || p >= partitions)
        continue;
      auto i = static_cast<size_t>(p);
      if (e.kind == change_kind::assigned) {
        if (owners[i] == 0) {
          if (unowned_since[i])
            paused_ms[i] += to_ms(e.at - *unowned_since[i]);
          unowned_since[i].reset();
          if (owned++ == 0 && none_since) {
            out.none_owned_ms += to_ms(e.at - *none_since);
            none_since.reset();
          }
        }
        if (++owners[i] > 1)
          ++out.double_owned;
      } else if (owners[i] > 0 && --owners[i] == 0) {
        unowned_since[i] = e.at;
        paused[i] = true;
        if (--owned == 0)
          none_since = e.at;
      }
    }
  }
  for (size_t i = 0; i < partitions; ++i) {
    out.max_ms = std::max(out.max_ms, paused_ms[i]);
    out.sum_ms += paused_ms[i];
    out.paused += paused[i] ? 1 : 0;
  }
  return out;
}

struct round_result {
  double stable_ms = 0;
  double join11_ms = 0; // 11th member's first poll until stable with 11
  pause_stats stop;
  int breaks = 0;
};

struct bench_env {
  caf::actor_system& sys;
  std::shared_ptr<connection> conn;
};

long env_number(const char* name, long fallback, long lo, long hi) {
  const char* s = std::getenv(name);
  if (!s)
    return fallback;
  char* end = nullptr;
  long n = std::strtol(s, &end, 10);
  if (end != s && *end == '\0' && n >= lo && n <= hi)
    return n;
  std::cerr << name << " must be a number in [" << lo << ", " << hi << "]; using " << fallback << '\n';
  return fallback;
}

// Members learn of a rebalance another member started through their heartbeat, so the
// interval bounds how fast either protocol can react; the same for both.
const std::chrono::milliseconds heartbeat_interval{env_number("SLUICE_BENCH_HEARTBEAT_MS", 50, 10, 3000)};
// 1: the assignment changes of a round that hit a bound or double-assigned; 2: of every round.
const long trace = env_number("SLUICE_BENCH_TRACE", 0, 0, 2);

// A round's assignment changes, relative to `t0`, for finding out why it went wrong.
void dump(const std::vector<change_event>& events, sclock::time_point t0) {
  constexpr size_t limit = 80;
  std::cerr << "  " << events.size() << " assignment change(s)"
            << (events.size() > limit ? ", the first " + std::to_string(limit) : std::string{}) << ":\n";
  for (size_t i = 0; i < std::min(events.size(), limit); ++i) {
    auto& e = events[i];
    std::cerr << "    +" << to_ms(e.at - t0) << " ms member " << e.member << " gen " << e.generation << ' '
              << (e.kind == change_kind::assigned ? "assigned" : e.kind == change_kind::revoked ? "revoked" : "lost")
              << " [";
    for (size_t j = 0; j < e.parts.size(); ++j)
      std::cerr << (j ? " " : "") << e.parts[j];
    std::cerr << "]\n";
  }
}

consumer_config member_config(const std::string& group, const std::string& assignor) {
  consumer_config cfg;
  cfg.group_id = group;
  cfg.assignors = {assignor};
  cfg.heartbeat_interval = heartbeat_interval;
  cfg.session_timeout = 10s;
  // Also the rebalance timeout; joins wait at most this plus request_timeout, within wait_bound.
  cfg.max_poll_interval = 10s;
  cfg.request_timeout = 5s;
  // Members read the records, so revocations commit real positions as an application's would.
  cfg.auto_offset_reset = client::offset_reset::earliest;
  return cfg;
}

void start_member(member_list& ms, bench_env& env, const consumer_config& cfg, change_log& log) {
  auto m = std::make_unique<member>(env.conn, cfg, log, static_cast<int>(ms.size()));
  m->thread = std::thread{run_member, std::ref(*m)};
  ms.push_back(std::move(m));
}

bool wait_polling(const member_list& ms) {
  auto deadline = sclock::now() + wait_bound;
  while (sclock::now() < deadline) {
    if (std::ranges::all_of(ms, [](auto& m) { return m->polling.load() || m->done.load(); }))
      return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

// Stops and closes every member. A member that does not finish within the bound leaves a
// thread using the actor system behind, which cannot be torn down: the caller must exit.
bool stop_members(member_list& ms) {
  for (auto& m : ms)
    m->stop = true;
  auto deadline = sclock::now() + wait_bound;
  while (sclock::now() < deadline
         && !std::ranges::all_of(ms, [](auto& m) { return m->done.load(); }))
    std::this_thread::sleep_for(5ms);
  bool all = true;
  for (auto& m : ms) {
    if (m->done.load()) {
      m->thread.join();
    } else {
      std::cerr << "error: a member did not close within " << wait_bound.count() << " s\n";
      all = false;
    }
  }
  for (auto& m : ms) {
    std::lock_guard lock{m->err_mtx};
    if (m->errors > 0)
      std::cerr << "  member error (" << m->errors << "x): " << m->first_error << '\n';
  }
  return all;
}

void describe_group(bench_env& env, const std::string& group) {
  client::admin admin{env.conn};
  auto d = admin.describe_group(group);
  if (!d) {
    std::cerr << "  describe_group: " << d.err().to_string() << '\n';
    return;
  }
  std::cerr << "  group " << group << ": state " << d->state << ", generation "
            << d->generation.value << ", protocol " << d->protocol << ", " << d->members.size()
            << " members\n";
}

// One round: 10 members form the group, then an 11th joins. nullopt when a bound was hit;
// `fatal` when members could not be closed.
std::optional<round_result> run_round(bench_env& env, const std::string& name,
                                      const std::string& assignor, int round, bool& fatal) {
  auto group = "bench-" + name + "-" + std::to_string(round);
  auto cfg = member_config(group, assignor);
  change_log log;
  member_list ms;
  std::optional<round_result> out;
  auto fail = [&](const std::string& what) {
    std::cerr << "error: " << name << " round " << round << ": " << what << '\n';
    describe_group(env, group);
  };
  // Spread over one heartbeat interval: a heartbeat actor starts at subscribe, so members
  // started together beat in phase and all learn of a rebalance at once, which real members,
  // started at unrelated times, do not. In phase, eager looks far better than it is.
  for (int i = 0; i < initial_members; ++i) {
    if (i > 0)
      std::this_thread::sleep_for(heartbeat_interval / initial_members);
    start_member(ms, env, cfg, log);
  }
  if (!wait_polling(ms)) {
    fail("members did not subscribe within the bound");
  } else if (auto formed = wait_stable(ms, log); !formed) {
    fail("10 members reached no stable assignment within " + std::to_string(wait_bound.count()) + " s");
    if (trace)
      dump(log.since(0), ms.front()->first_poll);
  } else {
    round_result r;
    auto t0 = (*std::ranges::max_element(ms, {}, [](auto& m) { return m->first_poll; }))->first_poll;
    r.stable_ms = to_ms(formed->since - t0);
    r.breaks = formed->breaks;
    if (trace > 1 && formed->breaks > 0) {
      std::cerr << "  formation, stable at +" << to_ms(formed->since - ms.front()->first_poll) << " ms, generation "
                << formed->generation << ":\n";
      dump(log.since(0), ms.front()->first_poll);
    }
    auto from = log.size();
    start_member(ms, env, cfg, log);
    if (!wait_polling(ms)) {
      fail("the 11th member did not subscribe within the bound");
    } else if (auto grown = wait_stable(ms, log); !grown) {
      fail("11 members reached no stable assignment within " + std::to_string(wait_bound.count()) + " s");
      if (trace)
        dump(log.since(from), ms.back()->first_poll);
    } else {
      r.join11_ms = to_ms(grown->since - ms.back()->first_poll);
      r.breaks += grown->breaks;
      // Up to the end of the settle period: assignment callbacks run just after the
      // assignment they report became visible to the monitor.
      r.stop = pauses(log.since(from));
      if (trace > 1 || (trace && r.stop.double_owned > 0))
        dump(log.since(from), ms.back()->first_poll);
      out = r;
    }
  }
  fatal = !stop_members(ms);
  return out;
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::ranges::sort(v);
  auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct protocol_summary {
  double stable_ms, stop_max_ms, stop_sum_ms, paused, none_owned_ms, join11_ms;
  size_t rounds;
};

std::optional<protocol_summary> run_protocol(bench_env& env, const std::string& name,
                                             const std::string& assignor, int rounds, bool& fatal) {
  std::vector<double> stable, stop_max, stop_sum, paused, none_owned, join11;
  for (int round = 0; round < rounds && !fatal; ++round) {
    auto r = run_round(env, name, assignor, round, fatal);
    if (!r)
      continue;
    std::printf("  %-11s round %d: stable_ms %7.1f  join11_ms %7.1f  stop_max_ms %6.1f  "
                "stop_sum_ms %8.1f  paused_partitions %2d  none_owned_ms %6.1f  breaks %d%s\n",
                name.c_str(), round, r->stable_ms, r->join11_ms, r->stop.max_ms, r->stop.sum_ms,
                r->stop.paused, r->stop.none_owned_ms, r->breaks,
                r->stop.double_owned > 0 ? "  DOUBLE-OWNED PARTITIONS" : "");
    std::fflush(stdout);
    stable.push_back(r->stable_ms);
    stop_max.push_back(r->stop.max_ms);
    stop_sum.push_back(r->stop.sum_ms);
    paused.push_back(r->stop.paused);
    none_owned.push_back(r->stop.none_owned_ms);
    join11.push_back(r->join11_ms);
  }
  if (stable.empty())
    return std::nullopt;
  return protocol_summary{median(stable),   median(stop_max),   median(stop_sum), median(paused),
                          median(none_owned), median(join11), stable.size()};
}

struct bench_config : caf::actor_system_config {
  bench_config() { schema::register_message_types(*this); }
};

bool setup_topic(bench_env& env) {
  client::admin admin{env.conn};
  if (auto st = admin.create_topic({topic, partitions, 1, {}}); !st) {
    std::cerr << "error: create topic: " << st.err().to_string() << '\n';
    return false;
  }
  client::producer producer{env.conn};
  std::string value(100, 'x');
  for (int p = 0; p < partitions; ++p)
    for (int i = 0; i < records_per_partition; ++i)
      if (auto st = producer.send(
            client::producer_record{.topic = topic, .value = value, .partition = partition_id{p}}, {});
          !st) {
        std::cerr << "error: produce: " << st.err().to_string() << '\n';
        return false;
      }
  if (!producer.flush(wait_bound) || producer.stats().failed_records > 0) {
    std::cerr << "error: produce did not complete\n";
    return false;
  }
  return true;
}

int run(const std::filesystem::path& dir, int rounds) {
  bench_config cfg;
  caf::actor_system sys{cfg};
  actors::node_config node_cfg;
  node_cfg.id = node_id{1};
  node_cfg.data_dir = dir;
  auto node = actors::spawn_node(sys, node_cfg);
  bool ready = false;
  {
    caf::scoped_actor self{sys};
    self->request(node, caf::duration{wait_bound}, actors::ready_atom_v)
      .receive([&](bool ok) { ready = ok; },
               [&](caf::error& e) { std::cerr << "error: node not ready: " << sys.render(e) << '\n'; });
  }
  bench_env env{sys, ready ? connection::attach(sys, caf::actor_cast<actors::node_actor>(node))
                           : nullptr};
  int rc = 1;
  bool fatal = false;
  if (ready && setup_topic(env)) {
    std::printf("group rebalance: %d partitions, %d members then 1 more, heartbeat %lld ms, %d "
                "round(s) per protocol\n",
                partitions, initial_members, static_cast<long long>(heartbeat_interval.count()), rounds);
    auto eager = run_protocol(env, "eager", "range", rounds, fatal);
    auto coop = fatal ? std::nullopt
                      : run_protocol(env, "cooperative", "cooperative-sticky", rounds, fatal);
    auto line = [&](const char* name, const std::optional<protocol_summary>& s) {
      if (!s) {
        std::printf("%-11s no round completed\n", name);
        return;
      }
      std::printf("%-11s stable_ms p50 %.1f  stop_max_ms p50 %.1f  stop_sum_ms p50 %.1f  "
                  "paused_partitions p50 %.0f  none_owned_ms p50 %.1f  join11_ms p50 %.1f  "
                  "(%zu of %d rounds)\n",
                  name, s->stable_ms, s->stop_max_ms, s->stop_sum_ms, s->paused,
                  s->none_owned_ms, s->join11_ms, s->rounds, rounds);
    };
    line("eager", eager);
    line("cooperative", coop);
    if (eager && coop && eager->stop_sum_ms > 0)
      std::printf("cooperative/eager stop_sum_ms p50 ratio %.3f  stop_max_ms p50 ratio %.3f\n",
                  coop->stop_sum_ms / eager->stop_sum_ms,
                  eager->stop_max_ms > 0 ? coop->stop_max_ms / eager->stop_max_ms : 0.0);
    rc = eager && coop && !fatal ? 0 : 1;
  }
  if (fatal) {
    // Member threads still use the actor system: it cannot be destroyed safely.
    std::fflush(stdout);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::_Exit(3);
  }
  env.conn.reset();
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  return rc;
}

} // namespace

int main() {
  spdlog::set_level(spdlog::level::warn);
  auto rounds = static_cast<int>(env_number("SLUICE_BENCH_ROUNDS", 5, 1, 1000));
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-group-bench-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) {
    std::perror("mkdtemp");
    return 1;
  }
  std::filesystem::path dir{tmpl};
  int rc = run(dir, rounds);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}

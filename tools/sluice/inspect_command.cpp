// sluice inspect [NODE] [ACTOR] [--watch [SECONDS] [--count N]] [--timeout-ms MS]
//
// Without NODE every broker of the cluster is asked at once, each within the per-node timeout;
// a node that does not answer is one "unreachable" line and the others still print. Exit 0
// when at least one node answered (with --watch: in the last snapshot), 1 when none did; with
// NODE, that node's failure is the command's (one line, exit 1), as before.

#include "client/cluster_inspect.hpp"
#include "client/inspect_report.hpp"
#include "tools/sluice/commands.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <thread>
#include <unistd.h>

namespace sluice::cli {

namespace {

constexpr int64_t default_node_timeout_ms = 5000;

bool is_node_id(const std::string& s) {
  int32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && end == s.data() + s.size();
}

struct inspect_scope {
  std::optional<std::string> node; // a node id or HOST:PORT; unset: every node
  std::string filter;              // actor names; empty: all
};

// NODE is a node id or HOST:PORT; anything else is taken as ACTOR.
inspect_scope scope_of(std::vector<std::string> args) {
  inspect_scope out;
  if (!args.empty() && (is_node_id(args[0]) || args[0].find(':') != std::string::npos)) {
    out.node = args[0];
    args.erase(args.begin());
  }
  if (!args.empty())
    out.filter = args[0];
  return out;
}

std::string ids_of(const std::vector<client::inspect_target>& targets) {
  std::string out;
  for (auto& t : targets)
    out += (out.empty() ? "" : ",") + std::to_string(t.id.value);
  return out;
}

client::result<client::inspect_target> resolve(const conn_ptr& conn, const std::string& node,
                                                std::chrono::milliseconds timeout) {
  if (!is_node_id(node)) {
    auto addr = client::parse_address(node);
    if (!addr)
      return addr.err();
    return client::inspect_target{node_id{-1}, *addr, ""};
  }
  auto plan = client::list_nodes(*conn, timeout);
  if (!plan)
    return plan.err();
  for (auto& t : plan->targets)
    if (std::to_string(t.id.value) == node)
      return t;
  return client::make_error(client::errc::invalid_argument,
                            "unknown node " + node + " (nodes: " + ids_of(plan->targets) + ")");
}

struct snapshot {
  std::string text;
  bool answered = false; // at least one node
  std::optional<client::error> failure; // why nobody answered, when nobody did
};

// The pinned node, else every node of the cluster (client::inspect_cluster).
client::result<client::cluster_inspection> inspect_now(const conn_ptr& conn, const inspect_scope& scope,
                                                       const std::optional<client::inspect_target>& pinned,
                                                       std::vector<client::inspect_target>& known,
                                                       std::chrono::milliseconds timeout) {
  if (pinned)
    return client::cluster_inspection{client::inspect_nodes(*conn, {*pinned}, scope.filter, timeout), ""};
  return client::inspect_cluster(*conn, scope.filter, timeout, known);
}

snapshot take(const conn_ptr& conn, const inspect_scope& scope,
              const std::optional<client::inspect_target>& pinned,
              std::vector<client::inspect_target>& known, std::chrono::milliseconds timeout) {
  snapshot out;
  auto got = inspect_now(conn, scope, pinned, known, timeout);
  if (!got) {
    out.failure = got.err();
    out.text = "no node answered: " + got.err().to_string() + "\n";
    return out;
  }
  if (!got->warning.empty())
    out.text += "warning: " + got->warning + "\n";
  if (!pinned)
    out.text += client::render_tally(got->nodes);
  client::report_options opts{!scope.filter.empty()};
  for (auto& n : got->nodes) {
    out.text += client::render_node(n, opts);
    out.answered = out.answered || n.answer.ok();
    if (!n.answer && !out.failure)
      out.failure = n.answer.err();
  }
  return out;
}

std::string clock_now() {
  auto t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// Each snapshot is bounded by the per-node timeout; the loop by --count, or it runs until
// interrupted, which is what --watch is for.
int watch(const cli_options& o, const conn_ptr& conn, const inspect_scope& scope,
          const std::optional<client::inspect_target>& pinned, std::chrono::milliseconds timeout) {
  bool terminal = isatty(STDOUT_FILENO) == 1;
  std::vector<client::inspect_target> known;
  auto interval = std::chrono::duration<double>(o.watch_seconds);
  for (int64_t n = 1;; ++n) {
    auto snap = take(conn, scope, pinned, known, timeout);
    if (terminal)
      std::fputs("\033[H\033[2J", stdout); // cursor home, clear the screen
    std::printf("--- snapshot %lld  %s  every %gs ---\n", static_cast<long long>(n),
                clock_now().c_str(), o.watch_seconds);
    std::fwrite(snap.text.data(), 1, snap.text.size(), stdout);
    std::fflush(stdout);
    if (o.watch_count && n >= *o.watch_count)
      return snap.answered ? 0 : exit_failure;
    std::this_thread::sleep_for(interval);
  }
}

} // namespace

int run_inspect(const cli_options& o, const conn_ptr& conn) {
  auto scope = scope_of(o.inspect_args);
  std::chrono::milliseconds timeout{o.timeout_ms.value_or(default_node_timeout_ms)};
  std::optional<client::inspect_target> pinned;
  if (scope.node) {
    auto t = resolve(conn, *scope.node, timeout);
    if (!t)
      return fail(t.err());
    pinned = *t;
  }
  if (o.watch)
    return watch(o, conn, scope, pinned, timeout);
  std::vector<client::inspect_target> known;
  auto snap = take(conn, scope, pinned, known, timeout);
  if (pinned && !snap.answered)
    return fail(*snap.failure);
  std::fwrite(snap.text.data(), 1, snap.text.size(), stdout);
  if (!snap.answered)
    return fail("no node answered" + (snap.failure ? ": " + snap.failure->to_string() : ""));
  return 0;
}

} // namespace sluice::cli

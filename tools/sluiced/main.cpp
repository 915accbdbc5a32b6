// sluiced: one Sluice node. See tools/sluiced/args.cpp for the command line.

#include "actors/kafka_listener.hpp"
#include "actors/node_actor.hpp"
#include "actors/startup_progress.hpp"
#include "net/links.hpp"
#include "net/tls.hpp"
#include "schema/scheduler_tuning.hpp"
#include "schema/type_ids.hpp"
#include "tools/sluiced/args.hpp"
#include "tools/sluiced/http_server.hpp"
#include "tools/sluiced/recovery_bar.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <malloc.h>
#include <pthread.h>

namespace {

using namespace sluice;

constexpr int exit_cannot_start = 1;
constexpr int exit_bad_args = 2;

struct config : caf::actor_system_config {
  explicit config(const net::tls_options& tls) {
    load<caf::io::middleman>();
    tls_files = net::use_tls(*this, tls);
    schema::register_message_types(*this);
    // Links between nodes carry heartbeats, so a peer that hangs (not only one whose socket
    // closes) is noticed: CAF's default of 0 disables them.
    set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(500)});
    schema::tune_scheduler(*this);
  }

  net::tls_snapshot tls_files; // what CAF reads; the config outlives its actor system
};

int fail(int code, const std::string& message) {
  std::cerr << "sluiced: " << message << std::endl;
  return code;
}

// Fetch and produce move megabyte buffers between threads all the time. glibc's defaults
// serve each from fresh mmap'd or just-trimmed pages, so every response paid page faults and
// zeroing (half the node's CPU when consuming). Keeping them in the heap: static thresholds
// (32 MiB is glibc's largest mmap threshold), freed memory kept up to 256 MiB per arena.
void tune_malloc() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

// Blocked in every thread (CAF's included, which inherit the mask) so that only sigwait in
// main sees them. A shell starting us in the background without job control hands us
// SIGINT ignored, and an ignored signal never reaches sigwait: restore the default first.
sigset_t stop_signals() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}

// The HTTP listeners the config asks for (--metrics-listen, --http-listen; one server when
// both name the same address), started once the node serves. `failure` says why not.
std::vector<std::unique_ptr<tools::http_server>> start_http(caf::actor_system& sys, const tools::snapshot_sources& from,
                                                            const actors::node_config& cfg, std::string& failure) {
  std::vector<std::unique_ptr<tools::http_server>> out;
  auto start = [&](const actors::listen_address& address, tools::http_server::role r) {
    auto s = tools::http_server::start(sys, from, address, r);
    if (auto* err = std::get_if<std::string>(&s)) {
      failure = *err;
      return;
    }
    out.push_back(std::move(std::get<std::unique_ptr<tools::http_server>>(s)));
    spdlog::info("node {}: {} on http://{}/", cfg.id.value,
                 r == tools::http_server::role::console ? "web console and /metrics" : "/metrics",
                 address.to_string());
  };
  if (cfg.http_listen.enabled())
    start(cfg.http_listen, tools::http_server::role::console);
  if (failure.empty() && cfg.metrics_listen.enabled() && cfg.metrics_listen != cfg.http_listen)
    start(cfg.metrics_listen, tools::http_server::role::metrics);
  return out;
}

// A wildcard bind address is no address a client can dial: advertise the node's own host.
actors::kafka_listener_config kafka_listener_config(const actors::node_config& cfg) {
  actors::kafka_listener_config k;
  k.host = cfg.kafka_listen.host;
  k.port = cfg.kafka_listen.port;
  k.self = cfg.id;
  bool wildcard = k.host.empty() || k.host == "0.0.0.0" || k.host == "::";
  k.advertised_host = wildcard ? cfg.host : k.host;
  k.port_offset = static_cast<int32_t>(k.port) - static_cast<int32_t>(cfg.port);
  return k;
}

int run(const actors::node_config& cfg) {
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec)
    return fail(exit_cannot_start, "cannot create data dir " + cfg.data_dir.string() + ": "
                                     + ec.message());
  // The two modes keep topics in different places (DATA/meta alone, DATA/raft in a cluster):
  // started in the other mode, a node would not see its topics and would remove their logs
  // as orphans.
  bool clustered = !cfg.controllers.empty();
  if (clustered && std::filesystem::exists(cfg.data_dir / "meta")
      && !std::filesystem::exists(cfg.data_dir / "raft"))
    return fail(exit_cannot_start, cfg.data_dir.string()
                                     + " holds a single node's topics (meta/); a cluster node "
                                       "needs a data dir of its own");
  if (!clustered && std::filesystem::exists(cfg.data_dir / "raft"))
    return fail(exit_cannot_start, cfg.data_dir.string()
                                     + " belongs to a cluster node (raft/); start it with its "
                                       "--controllers");
  config sys_cfg{cfg.tls};
  if (cfg.scheduler_threads > 0)
    sys_cfg.set("scheduler.max-threads", cfg.scheduler_threads);
  // Before the actor system, so that the bar's thread is joined after the last partition.
  tools::recovery_bar recovery{tools::count_partition_dirs(cfg.data_dir / "topics"),
                               actors::partition_logs_opened()};
  caf::actor_system sys{sys_cfg};
  auto node = actors::spawn_node(sys, cfg);
  auto listen = cfg.host + ":" + std::to_string(cfg.port);
  std::string failure;
  auto publish = [&] {
    // reuse = true: a restarted node can take its port while old connections linger in
    // TIME_WAIT; a live listener on the port still makes this fail.
    auto port = net::publish(caf::actor_cast<actors::node_actor>(node), cfg.port, cfg.host.c_str(), true);
    if (!port)
      failure = "cannot listen on " + listen + " (address in use or unavailable): "
                + sys.render(port.error());
  };
  // Alone, the node opens its port once it serves. In a cluster it must open it first: its
  // metadata is ready only after the controllers elected a leader, which needs the port.
  if (clustered)
    publish();
  auto signals = stop_signals();
  if (failure.empty()) {
    // Asked in short rounds so that SIGTERM stops a node still waiting for its controllers
    // (a cluster node can wait as long as no quorum is up).
    caf::scoped_actor self{sys};
    auto limit = std::chrono::steady_clock::now()
                 + (clustered ? std::chrono::seconds(3600) : std::chrono::seconds(120));
    for (bool ready = false; !ready && failure.empty();) {
      self->request(node, std::chrono::milliseconds(250), actors::ready_atom_v)
        .receive([&](bool) { ready = true; },
                 [&](caf::error& err) {
                   if (err != caf::sec::request_timeout
                       || std::chrono::steady_clock::now() >= limit)
                     failure = sys.render(err);
                 });
      timespec zero{};
      if (!ready && sigtimedwait(&signals, nullptr, &zero) > 0) {
        spdlog::info("node {}: stopped while starting", cfg.id.value);
        caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
        return 0;
      }
    }
  }
  if (failure.empty() && !clustered)
    publish();
  std::optional<actors::kafka_listener> kafka;
  if (failure.empty() && cfg.kafka_listen.enabled()) {
    auto listener = actors::spawn_kafka_listener(sys, caf::actor_cast<actors::node_actor>(node),
                                                 kafka_listener_config(cfg));
    if (listener)
      kafka = *listener;
    else
      failure = listener.err().message;
  }
  if (!failure.empty()) {
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return fail(exit_cannot_start, failure);
  }
  if (kafka)
    std::cout << "sluiced node " << cfg.id.value << " serving Kafka clients on " << cfg.kafka_listen.host
              << ":" << kafka->port << std::endl;
  if (cfg.tls.enabled)
    spdlog::info("node {}: TLS on every link (certificate {}, CA {})", cfg.id.value, cfg.tls.certificate.string(),
                 cfg.tls.ca.string());
  tools::scheduler_probe probe;
  if (cfg.http_listen.enabled() || cfg.metrics_listen.enabled())
    probe = tools::spawn_scheduler_probe(sys, std::chrono::milliseconds(100));
  auto servers = start_http(sys, {caf::actor_cast<actors::node_actor>(node), probe}, cfg, failure);
  if (!failure.empty()) {
    (void) net::unpublish(caf::actor_cast<actors::node_actor>(node), cfg.port);
    if (probe)
      caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return fail(exit_cannot_start, failure);
  }
  std::cout << "sluiced node " << cfg.id.value << " listening on " << listen << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("node {}: {} received, shutting down", cfg.id.value, sig == SIGTERM ? "SIGTERM" : "SIGINT");
  servers.clear(); // no HTTP request asks the actors once they stop
  // Stop accepting first, then stop the actors: each partition closes its log (flush and
  // checkpoint) on the way out, and the actor system's destructor waits for all of them.
  if (auto r = net::unpublish(caf::actor_cast<actors::node_actor>(node), cfg.port); !r)
    spdlog::warn("node {}: unpublish: {}", cfg.id.value, sys.render(r.error()));
  if (kafka)
    caf::anon_send_exit(kafka->broker, caf::exit_reason::user_shutdown);
  if (probe)
    caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = tools::parse_sluiced_args(std::vector<std::string>(argv + 1, argv + argc));
  if (std::holds_alternative<tools::show_help>(parsed)) {
    std::cout << tools::sluiced_usage();
    return 0;
  }
  if (auto* bad = std::get_if<tools::bad_args>(&parsed))
    return fail(exit_bad_args, bad->message);
  auto& cfg = std::get<actors::node_config>(parsed);
  // A node shows its own certificate to the other nodes, which check it against the same CA.
  if (auto st = net::check_tls(cfg.tls, net::node_tls_names, true); !st)
    return fail(exit_bad_args, st.err().message);
  tune_malloc();
  auto signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  auto log = spdlog::stderr_logger_mt("sluiced");
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  spdlog::set_default_logger(log);
  if (!cfg.tls.enabled && !(cfg.tls.certificate.empty() && cfg.tls.key.empty() && cfg.tls.ca.empty()))
    spdlog::warn("node {}: tls.* files are set but tls.enabled is not true: no TLS", cfg.id.value);
  auto rc = run(cfg);
  if (rc == 0)
    spdlog::info("node stopped");
  return rc;
}

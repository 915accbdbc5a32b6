#include "tools/sluiced/http_server.hpp"

#include "tools/sluiced/console_api.hpp"
#include "tools/sluiced/console_assets.hpp"
#include "tools/sluiced/metrics_text.hpp"
#include "tools/sluiced/take_snapshot.hpp"

#include <httplib.h>

namespace sluice::tools {

namespace {

constexpr size_t worker_threads = 2;

// Answers `render(snapshot)` with `type`, or 503 when the node does not answer.
template <class Render>
httplib::Server::Handler snapshot_handler(caf::actor_system& sys, const snapshot_sources& from,
                                          std::string type, Render render) {
  return [&sys, from, type = std::move(type), render](const httplib::Request&, httplib::Response& res) {
    auto s = take_snapshot(sys, from, http_snapshot_timeout);
    if (auto* failure = std::get_if<std::string>(&s)) {
      res.status = 503;
      res.set_content(*failure + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(render(std::get<node_snapshot>(s)), type.c_str());
  };
}

httplib::Server::Handler asset(std::string_view body, const char* type) {
  return [body, type](const httplib::Request&, httplib::Response& res) {
    res.set_content(body.data(), body.size(), type);
  };
}

} // namespace

std::variant<std::unique_ptr<http_server>, std::string>
http_server::start(caf::actor_system& sys, snapshot_sources from, const actors::listen_address& address, role r) {
  std::unique_ptr<http_server> out{new http_server};
  out->server_ = std::make_unique<httplib::Server>();
  auto& svr = *out->server_;
  svr.new_task_queue = [] { return new httplib::ThreadPool(worker_threads); };
  // cpp-httplib's default sets SO_REUSEPORT, with which a second node given the same port
  // binds it too and the kernel splits the scrapes between them. SO_REUSEADDR alone still
  // lets a restarted node take its port while old connections linger in TIME_WAIT.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.Get("/metrics", snapshot_handler(sys, from, std::string{metrics_content_type}, render_metrics));
  if (r == role::console) {
    constexpr auto json = "application/json";
    svr.Get("/", asset(console_index_html, "text/html; charset=utf-8"));
    svr.Get("/console.js", asset(console_js, "text/javascript; charset=utf-8"));
    svr.Get("/console.css", asset(console_css, "text/css; charset=utf-8"));
    svr.Get("/api/cluster", snapshot_handler(sys, from, json, render_cluster_json));
    svr.Get("/api/topics", snapshot_handler(sys, from, json, render_topics_json));
    svr.Get("/api/groups", snapshot_handler(sys, from, json, render_groups_json));
  }
  if (!svr.bind_to_port(address.host, address.port))
    return "cannot listen on " + address.to_string() + " for "
           + (r == role::console ? "--http-listen" : "--metrics-listen")
           + " (address in use or unavailable)";
  out->thread_ = std::thread{[&svr] { svr.listen_after_bind(); }};
  return out;
}

http_server::~http_server() {
  if (server_)
    server_->stop();
  if (thread_.joinable())
    thread_.join();
}

} // namespace sluice::tools

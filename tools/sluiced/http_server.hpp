#pragma once

// sluiced's HTTP listeners (issue 11), each a cpp-httplib server on a thread of its own with
// a pool of two workers, outside CAF's scheduler: every request asks the node actor through
// a scoped actor (take_snapshot.hpp) and renders the answer with pure functions.
//
//   metrics server: GET /metrics (Prometheus text 0.0.4)
//   console server: GET / (the single-page console), /console.js, /console.css,
//                   /api/cluster, /api/topics, /api/groups (console_api.hpp), /metrics
//
// A node that does not answer within the timeout makes the request a 503 with one line.

#include "actors/node_config.hpp"
#include "actors/node_interface.hpp"
#include "tools/sluiced/take_snapshot.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <variant>

namespace httplib {
class Server;
}

namespace sluice::tools {

class http_server {
public:
  enum class role { metrics, console };

  // Binds `address` and starts serving; one line when the address cannot be bound.
  static std::variant<std::unique_ptr<http_server>, std::string>
  start(caf::actor_system& sys, snapshot_sources from, const actors::listen_address& address, role r);

  // Stops accepting, finishes the requests being served and joins the thread.
  ~http_server();

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

private:
  http_server() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// How long one HTTP request waits for the node's actors.
inline constexpr std::chrono::milliseconds http_snapshot_timeout{5000};

} // namespace sluice::tools

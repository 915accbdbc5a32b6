#pragma once

// A real single node (actors/node_actor.hpp) on CAF's test coordinator, for the tests that
// drive a node's managers through its requests: the node's data lives in `dir`/data, so
// restart() brings back what it wrote. Timers are off unless `configure` turns one on.

#include "actors/node_actor.hpp"
#include "schema/topics.hpp"
#include "tests/actors/actor_fixture.hpp"

#include <functional>
#include <map>
#include <string>
#include <utility>

namespace sluice::test {

struct node_fixture : actor_fixture {
  actors::node_internal_actor node;
  // What a test changes of the node's config, applied on every start.
  std::function<void(actors::node_config&)> configure;

  ~node_fixture() override { self->send_exit(node, caf::exit_reason::user_shutdown); }

  // Starts the node and runs it until its internal topics are created and loaded.
  void start() {
    actors::node_config cfg;
    cfg.id = node_id{1};
    cfg.data_dir = dir / "data";
    cfg.tick_interval = std::chrono::milliseconds{0};
    cfg.group_tick_interval = std::chrono::milliseconds{0};
    cfg.cleaner_own_thread = false; // a detached cleaner would run beside the test coordinator
    if (configure)
      configure(cfg);
    node = actors::spawn_node(sys, cfg);
    self->send(node, actors::ready_atom_v);
    consume();
    CAF_REQUIRE(require_reply<bool>());
    consume();
  }

  void restart() {
    self->send_exit(node, caf::exit_reason::user_shutdown);
    consume();
    start();
  }

  // The node's one answer to `req`, decoded as Response.
  template <class Response, class Atom, class Request>
  Response ask(Atom atom, const Request& req) {
    self->send(node, atom, encode(req));
    consume();
    auto r = decoded_reply<Response>();
    CAF_REQUIRE(mailbox_empty());
    return r;
  }

  void create(const std::string& name, int32_t partitions = 1,
              const std::map<std::string, std::string>& configs = {}) {
    schema::create_topics_request req;
    req.topics.push_back({name, partitions, 1, {}});
    for (auto& [k, v] : configs)
      req.topics.back().configs.push_back({k, v});
    auto r = ask<schema::create_topics_response>(create_topics_atom_v, req);
    CAF_REQUIRE(r.topics.at(0).error.ok());
  }
};

} // namespace sluice::test

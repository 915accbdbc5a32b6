#include "client/connection.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/remote_actor.hpp>

namespace sluice::client {

namespace {

struct client_config : caf::actor_system_config {
  client_config() {
    load<caf::io::middleman>();
    schema::register_message_types(*this);
  }
};

} // namespace

struct connection::owned_system {
  client_config cfg;
  caf::actor_system sys{cfg};
};

connection::~connection() {
  node_ = nullptr;
}

result<std::shared_ptr<connection>> connection::open(std::string_view bootstrap,
                                                     std::chrono::milliseconds request_timeout) {
  auto addr = parse_address(bootstrap);
  if (!addr)
    return addr.err();
  std::shared_ptr<connection> c{new connection};
  c->owned_ = std::make_unique<owned_system>();
  c->sys_ = &c->owned_->sys;
  c->address_ = *addr;
  c->request_timeout_ = request_timeout;
  auto node = caf::io::remote_actor<actors::node_actor>(*c->sys_, addr->host, addr->port);
  if (!node)
    return make_error(errc::unreachable,
                      "cannot reach node at " + addr->to_string() + ": " + describe(node.error()));
  c->node_ = std::move(*node);
  return c;
}

std::shared_ptr<connection> connection::attach(caf::actor_system& sys, actors::node_actor node,
                                               std::chrono::milliseconds request_timeout) {
  std::shared_ptr<connection> c{new connection};
  c->sys_ = &sys;
  c->node_ = std::move(node);
  c->request_timeout_ = request_timeout;
  return c;
}

std::string connection::peer() const {
  return address_ ? "node at " + address_->to_string() : std::string{"in-process node"};
}

} // namespace sluice::client

#include "client/connection.hpp"

#include "schema/metadata.hpp"
#include "schema/scheduler_tuning.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/remote_actor.hpp>

namespace sluice::client {

namespace {

struct client_config : caf::actor_system_config {
  client_config() {
    load<caf::io::middleman>();
    schema::register_message_types(*this);
    schema::tune_scheduler(*this);
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
  c->connector_ = middleman_connector();
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

std::shared_ptr<connection>
connection::attach_cluster(caf::actor_system& sys, node_address bootstrap,
                           std::function<actors::node_actor(const node_address&)> find,
                           std::chrono::milliseconds request_timeout) {
  std::shared_ptr<connection> c{new connection};
  c->sys_ = &sys;
  c->node_ = find(bootstrap);
  c->address_ = std::move(bootstrap);
  c->request_timeout_ = request_timeout;
  // A metadata round trip with the node found stands for the connect handshake: the answer
  // comes later in the actor's context, as a real connect's does, and a dead node fails it.
  c->find_ = find;
  c->connector_ = [find](caf::event_based_actor* self, const node_address& addr,
                         std::chrono::milliseconds timeout, connect_done done) {
    auto peer = "node at " + addr.to_string();
    // A request to no node (none at that address) fails later too.
    auto node = find(addr);
    self->request(node, caf::duration{timeout}, metadata_atom_v, encode(schema::metadata_request{false, {}}))
      .then([done, node](schema::envelope&) { done(node, {}); },
            [done, peer, found = static_cast<bool>(node)](caf::error& e) {
              done(actors::node_actor{}, make_error(errc::unreachable, "cannot reach " + peer + ": "
                                                            + (found ? describe(e) : "nothing listens there")));
            });
  };
  return c;
}

result<actors::node_actor> connection::node_at(const node_address& addr) const {
  if (!address_ || addr == *address_)
    return node_;
  if (find_) {
    if (auto n = find_(addr))
      return n;
    return make_error(errc::unreachable, "cannot reach node at " + addr.to_string() + ": nothing listens there");
  }
  auto node = caf::io::remote_actor<actors::node_actor>(*sys_, addr.host, addr.port);
  if (!node)
    return make_error(errc::unreachable,
                      "cannot reach node at " + addr.to_string() + ": " + describe(node.error()));
  return std::move(*node);
}

std::string connection::peer() const {
  return address_ ? "node at " + address_->to_string() : std::string{"in-process node"};
}

} // namespace sluice::client

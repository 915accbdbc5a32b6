#include "client/node_link.hpp"

#include "client/reply.hpp"

#include <caf/actor_cast.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>

#include <set>

namespace sluice::client {

void node_link::watch(caf::event_based_actor* self) {
  if (node_)
    self->monitor(node_);
}

bool node_link::on_down(const caf::down_msg& dm) {
  if (!node_ || dm.source != node_.address())
    return false;
  node_ = nullptr;
  return true;
}

std::string node_link::peer() const {
  return address_ ? "node at " + address_->to_string() : std::string{"in-process node"};
}

void node_link::reconnect(caf::event_based_actor* self, std::chrono::milliseconds timeout,
                          std::function<void(const error&)> done) {
  if (connecting_ || !address_)
    return;
  connecting_ = true;
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, caf::duration{timeout}, caf::connect_atom_v, address_->host, address_->port)
    .then(
      [this, self, done](const caf::node_id&, caf::strong_actor_ptr& ptr,
                         const std::set<std::string>&) {
        connecting_ = false;
        if (!ptr) {
          done(make_error(errc::unreachable, "cannot reach " + peer() + ": no actor published there"));
          return;
        }
        node_ = caf::actor_cast<actors::node_actor>(std::move(ptr));
        self->monitor(node_);
        done({});
      },
      [this, done](caf::error& e) {
        connecting_ = false;
        done(make_error(errc::unreachable, "cannot reach " + peer() + ": " + describe(e)));
      });
}

} // namespace sluice::client

#include "client/node_link.hpp"

#include "client/reply.hpp"
#include "net/links.hpp"

#include <caf/actor_cast.hpp>

#include <set>

namespace sluice::client {

node_connector middleman_connector() {
  return [](caf::event_based_actor* self, const node_address& addr, std::chrono::milliseconds timeout,
            connect_done done) {
    auto peer = "node at " + addr.to_string();
    self->request(net::connector(self->system()), caf::duration{timeout}, caf::connect_atom_v, addr.host, addr.port)
      .then(
        [done, peer](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
          if (!ptr)
            done(actors::node_actor{}, make_error(errc::unreachable, "cannot reach " + peer + ": no actor published there"));
          else
            done(caf::actor_cast<actors::node_actor>(std::move(ptr)), {});
        },
        [done, peer](caf::error& e) {
          done(actors::node_actor{}, make_error(errc::unreachable, "cannot reach " + peer + ": " + describe(e)));
        });
  };
}

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
  if (connecting_ || !can_reconnect())
    return;
  connecting_ = true;
  connector_(self, *address_, timeout, [this, self, done](actors::node_actor node, const error& e) {
    connecting_ = false;
    if (!node) {
      done(e.ok() ? make_error(errc::unreachable, "cannot reach " + peer()) : e);
      return;
    }
    node_ = std::move(node);
    self->monitor(node_);
    done({});
  });
}

} // namespace sluice::client

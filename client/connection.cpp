#include "client/connection.hpp"

#include "client/routing_table.hpp"
#include "net/links.hpp"
#include "schema/metadata.hpp"
#include "schema/scheduler_tuning.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <set>

namespace sluice::client {

namespace {

constexpr std::chrono::milliseconds max_connect_wait{5000};

struct client_config : caf::actor_system_config {
  explicit client_config(const net::tls_options& tls) {
    load<caf::io::middleman>();
    tls_files = net::use_tls(*this, tls);
    schema::register_message_types(*this);
    schema::tune_scheduler(*this);
  }

  net::tls_snapshot tls_files; // what CAF reads; the config outlives its actor system
};

const net::tls_setting_names tls_names{"tls", "tls.certificate", "tls.key", "tls.ca"};

// "cannot reach node at HOST:PORT: ...", with what a failed handshake most likely means: CAF
// says only that the connection closed, and TLS on one side only is the common cause.
error unreachable(caf::actor_system& sys, const node_address& addr, const caf::error& e) {
  auto msg = "cannot reach node at " + addr.to_string() + ": " + describe(e);
  bool tls = net::tls_on(sys);
  bool handshake = e == caf::sec::disconnect_during_handshake || (tls && e == caf::sec::cannot_connect_to_node);
  if (handshake)
    msg += tls ? " (TLS handshake failed: is TLS on at the node, and does each side trust the CA that signed "
                 "the other's certificate?)"
               : " (a node with TLS on refuses connections without TLS)";
  return make_error(errc::unreachable, std::move(msg));
}

} // namespace

struct connection::owned_system {
  explicit owned_system(const net::tls_options& tls) : cfg{tls} {}
  client_config cfg;
  caf::actor_system sys{cfg};
};

connection::~connection() {
  if (learner_)
    caf::anon_send_exit(learner_, caf::exit_reason::kill);
  home_.reset();
}

result<std::shared_ptr<connection>> connection::open(std::string_view bootstrap, connection_options options) {
  std::vector<node_address> addrs;
  for (size_t from = 0;;) {
    auto comma = bootstrap.find(',', from);
    auto addr = parse_address(bootstrap.substr(from, comma == std::string_view::npos ? comma : comma - from));
    if (!addr)
      return addr.err();
    addrs.push_back(std::move(*addr));
    if (comma == std::string_view::npos)
      break;
    from = comma + 1;
  }
  // Before CAF sees them: it checks the files only when a connection opens, and throws then.
  if (auto st = net::check_tls(options.tls, tls_names, false); !st)
    return make_error(errc::invalid_argument, st.err().message);
  std::shared_ptr<connection> c{new connection};
  c->owned_ = std::make_unique<owned_system>(options.tls);
  c->sys_ = &c->owned_->sys;
  c->request_timeout_ = options.request_timeout;
  c->bootstrap_ = addrs;
  c->connector_ = middleman_connector();
  error last;
  for (auto& addr : addrs) {
    auto node = net::remote_actor<actors::node_actor>(*c->sys_, addr.host, addr.port);
    if (!node) {
      last = unreachable(*c->sys_, addr, node.error());
      continue;
    }
    c->address_ = addr;
    c->home_ = std::make_shared<home_node>(home_node::entry{std::move(*node), addr});
    c->learn_brokers(c->home_->get().node, addr);
    return c;
  }
  return last;
}

std::shared_ptr<connection> connection::attach(caf::actor_system& sys, actors::node_actor node,
                                               std::chrono::milliseconds request_timeout) {
  std::shared_ptr<connection> c{new connection};
  c->sys_ = &sys;
  c->home_ = std::make_shared<home_node>(home_node::entry{std::move(node), std::nullopt});
  c->request_timeout_ = request_timeout;
  return c;
}

std::shared_ptr<connection>
connection::attach_cluster(caf::actor_system& sys, node_address bootstrap,
                           std::function<actors::node_actor(const node_address&)> find,
                           std::chrono::milliseconds request_timeout) {
  std::shared_ptr<connection> c{new connection};
  c->sys_ = &sys;
  c->home_ = std::make_shared<home_node>(home_node::entry{find(bootstrap), bootstrap});
  c->bootstrap_ = {bootstrap};
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
  if (auto h = c->home_->get(); h.node)
    c->learn_brokers(h.node, *c->address_);
  return c;
}

result<actors::node_actor> connection::node_at(const node_address& addr) const {
  auto h = home_->get();
  if (!address_ || addr == h.address)
    return h.node;
  if (find_) {
    if (auto n = find_(addr))
      return n;
    return make_error(errc::unreachable, "cannot reach node at " + addr.to_string() + ": nothing listens there");
  }
  auto node = net::remote_actor<actors::node_actor>(*sys_, addr.host, addr.port);
  if (!node)
    return unreachable(*sys_, addr, node.error());
  return std::move(*node);
}

std::string connection::peer() const { return peer_of(home_->get().address); }

std::string connection::peer_of(const std::optional<node_address>& a) {
  return a ? "node at " + a->to_string() : std::string{"in-process node"};
}

// Asynchronous: a node without a controller quorum holds a metadata request for seconds, and
// no command should wait for that before its own request. The learner is killed with the
// connection (the actor system would otherwise wait for its answer before shutting down).
void connection::learn_brokers(const actors::node_actor& node, const node_address& at) const {
  auto learned = learned_;
  auto timeout = request_timeout_;
  std::lock_guard lock{failover_mtx_};
  if (learner_)
    caf::anon_send_exit(learner_, caf::exit_reason::user_shutdown);
  learner_ = sys_->spawn([learned, node, at, timeout](caf::event_based_actor* self) {
    self->request(node, caf::duration{timeout}, metadata_atom_v, encode(schema::metadata_request{false, {}}))
      .then(
        [learned, at](schema::envelope& e) {
          auto r = decode_reply<schema::metadata_response>(e);
          if (!r)
            return; // the bootstrap list stays the only way back
          std::vector<node_address> found;
          for (auto& b : r->brokers)
            found.push_back(dial_address(b, at));
          learned->set(std::move(found));
        },
        [](caf::error&) {});
  });
}

void connection::recover() const {
  if (!can_fail_over() || !home_->suspect())
    return;
  std::unique_lock lock{failover_mtx_};
  if (!home_->suspect())
    return; // another thread found a node meanwhile
  // The bootstrap list, then the brokers learned, each once, starting after the node that
  // failed (it comes last: it may be back).
  auto failed = home_->get().address;
  std::vector<node_address> order;
  for (const auto& list : {bootstrap_, learned_->get()})
    for (auto& a : list)
      if (std::ranges::find(order, a) == order.end())
        order.push_back(a);
  if (auto at = std::ranges::find(order, failed); at != order.end())
    std::ranges::rotate(order, at + 1);
  for (auto& addr : order) {
    auto node = connect(addr);
    if (!node)
      continue;
    home_->replace({node, addr});
    lock.unlock();
    learn_brokers(node, addr);
    return;
  }
}

actors::node_actor connection::connect(const node_address& addr) const {
  if (find_)
    return find_(addr);
  // Through the middleman actor with a deadline: a blocking remote_actor has none, and a
  // paused node takes the TCP connect but never the handshake.
  caf::scoped_actor self{*sys_};
  actors::node_actor out;
  auto timeout = std::min(request_timeout_, max_connect_wait);
  self->request(net::connector(*sys_), caf::duration{timeout}, caf::connect_atom_v, addr.host, addr.port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        out = caf::actor_cast<actors::node_actor>(std::move(ptr));
      },
      [](caf::error&) {});
  return out;
}

} // namespace sluice::client

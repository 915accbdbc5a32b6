#pragma once

// What producer, consumer and admin share: the actor system the client's actors run in and
// the typed handle of a node (actors/node_interface.hpp). Either the client owns both (open:
// a process of its own talking to a node over the network) or borrows them (attach: a node in
// the same actor system, as in tests). Admin, metadata and group requests go to the home node
// (client/home_node.hpp): first a bootstrap node, and after it failed any other node the
// bootstrap list or the cluster's metadata names (Kafka's bootstrap.servers, then the
// brokers it learned). The producer and consumer send partition requests to each partition's
// leader (client/cluster_router.hpp), except with an attached node, which is the only one.

#include "actors/node_interface.hpp"
#include "client/home_node.hpp"
#include "client/node_address.hpp"
#include "client/node_link.hpp"
#include "client/reply.hpp"
#include "client/result.hpp"
#include "net/tls.hpp"
#include "schema/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::client {

inline constexpr std::chrono::milliseconds default_request_timeout{30000};

// How connection::open talks to the nodes.
struct connection_options {
  std::chrono::milliseconds request_timeout = default_request_timeout;
  // TLS to every node (net/tls.hpp): certificate, key and CA, all three, as nodes with TLS on
  // verify their clients. A node with TLS on refuses clients without it, and the reverse.
  net::tls_options tls;
};

class connection {
public:
  static constexpr std::chrono::milliseconds default_request_timeout = client::default_request_timeout;

  // Starts an actor system with the middleman and connects to the first node of `bootstrap`
  // (HOST:PORT[,HOST:PORT...]) that answers, then learns the cluster's brokers from it. Fails
  // with "cannot reach node at HOST:PORT: ..." (the last one tried) when none answers (or the
  // TLS handshake failed), invalid_argument when the TLS files cannot serve.
  static result<std::shared_ptr<connection>> open(std::string_view bootstrap, connection_options options = {});

  // A node in `sys` (which must outlive the connection); no reconnecting.
  static std::shared_ptr<connection>
  attach(caf::actor_system& sys, actors::node_actor node,
         std::chrono::milliseconds request_timeout = default_request_timeout);

  // Test support: in-process nodes that stand for a cluster's brokers at made-up addresses.
  // `find` names the node at an address now (nullptr: none, as for a dead broker); the
  // bootstrap is the node at `bootstrap`. Unlike attach, requests follow the metadata to
  // each partition's leader, as with open.
  static std::shared_ptr<connection>
  attach_cluster(caf::actor_system& sys, node_address bootstrap,
                 std::function<actors::node_actor(const node_address&)> find,
                 std::chrono::milliseconds request_timeout = default_request_timeout);

  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  caf::actor_system& system() const { return *sys_; }
  // The home node now.
  actors::node_actor node() const { return home_->get().node; }
  const std::shared_ptr<home_node>& home() const { return home_; }
  // Where the bootstrap node that answered first listens; nullopt for an attached node.
  const std::optional<node_address>& address() const { return address_; }
  std::chrono::milliseconds request_timeout() const { return request_timeout_; }
  // Whether partition requests follow the metadata to the partitions' leaders (open,
  // attach_cluster); false for an attached node, which gets everything.
  bool routed() const { return address_.has_value(); }
  // The home node as a link for one of the client's actors.
  node_link bootstrap_link() const {
    auto h = home_->get();
    return node_link{std::move(h.node), std::move(h.address), connector_};
  }
  // The brokers the metadata named, learned after open and after each move (failover
  // candidates after the bootstrap list).
  std::vector<node_address> learned_brokers() const { return learned_->get(); }
  // "node at HOST:PORT" of the home node, for messages.
  std::string peer() const;

  // When a request to the home node found it gone or silent: connects to the next node of the
  // bootstrap list and the brokers learned (each connect bounded by the request timeout) and
  // makes the first that answers home. Blocking; every call_within starts with it, and a
  // consumer's poll() calls it for the heartbeat, which only reports.
  void recover() const;

  // One blocking request/response with the node, from a thread that is not an actor.
  template <class Response, class Atom, class Request>
  result<Response> call(Atom atom, const Request& req) const {
    return call<Response>(atom, req, request_timeout_);
  }

  // With its own timeout: a group join parks until the rebalance completes.
  template <class Response, class Atom, class Request>
  result<Response> call(Atom atom, const Request& req, std::chrono::milliseconds timeout) const {
    auto reply = call_within<schema::envelope>(timeout, atom, encode(req)); // ADL: encode overloads live beside each Request
    if (!reply)
      return reply.err();
    return decode_reply<Response>(*reply);
  }

  // As call, for requests whose reply is not an envelope (inspect).
  template <class Reply, class... Ts>
  result<Reply> call_raw(Ts&&... xs) const {
    return call_within<Reply>(request_timeout_, std::forward<Ts>(xs)...);
  }

  template <class Reply, class... Ts>
  result<Reply> call_within(std::chrono::milliseconds timeout, Ts&&... xs) const {
    recover();
    auto h = home_->get();
    auto r = ask<Reply>(h.node, peer_of(h.address), timeout, std::forward<Ts>(xs)...);
    if (!r && r.err().no_answer() && can_fail_over())
      home_->failed(h.node);
    return r;
  }

  // The broker listening at `addr`, for a request that its partitions' leader must answer
  // (a blocking connect the first time; the middleman keeps one connection per node). The
  // bootstrap node for its own address, and an attached node for every address.
  result<actors::node_actor> node_at(const node_address& addr) const;

  // As call, to another broker (node_at); `who` names it in errors.
  template <class Response, class Atom, class Request>
  result<Response> call_on(const actors::node_actor& node, const std::string& who, Atom atom,
                           const Request& req) const {
    auto reply = ask<schema::envelope>(node, who, request_timeout_, atom, encode(req));
    if (!reply)
      return reply.err();
    return decode_reply<Response>(*reply);
  }

private:
  struct owned_system;

  connection() = default;

  static std::string peer_of(const std::optional<node_address>& a);
  bool can_fail_over() const { return address_.has_value(); }
  // Remembers the brokers the metadata of `node` names, as failover candidates, once it
  // answers (returns at once).
  void learn_brokers(const actors::node_actor& node, const node_address& at) const;
  // The node at `addr`, or none when it does not answer within the request timeout.
  actors::node_actor connect(const node_address& addr) const;

  // CAF 0.17 never answers a request in flight to a node whose connection dropped (only its
  // timeout fires), so the node is monitored and its death ends the wait at once. A plain
  // send: its reply comes back as an ordinary message, which a receive can take beside the
  // down message (a request's receive takes only its response).
  template <class Reply, class... Ts>
  result<Reply> ask(const actors::node_actor& node, const std::string& who, std::chrono::milliseconds timeout,
                    Ts&&... xs) const {
    if (!node)
      return make_error(errc::unreachable, "lost connection to " + who);
    caf::scoped_actor self{*sys_};
    self->monitor(node);
    self->send(node, std::forward<Ts>(xs)...);
    std::optional<result<Reply>> out;
    self->receive([&](Reply& r) { out.emplace(std::move(r)); },
                  [&](caf::error& e) { out.emplace(from_caf(e, who)); },
                  [&](caf::down_msg& dm) {
                    out.emplace(make_error(errc::unreachable, "lost connection to " + who + ": "
                                                                + describe(dm.reason)));
                  },
                  caf::after(timeout) >> [&] { out.emplace(make_error(errc::timed_out, who + " did not answer in time")); });
    return std::move(*out);
  }

  std::unique_ptr<owned_system> owned_; // declared first: destroyed after home_
  caf::actor_system* sys_ = nullptr;
  std::shared_ptr<home_node> home_;
  std::optional<node_address> address_;
  std::vector<node_address> bootstrap_; // as given to open, in order
  // The brokers the metadata named, filled by the learner actor (learn_brokers).
  struct broker_list {
    std::vector<node_address> get() const {
      std::lock_guard lock{mtx};
      return list;
    }
    void set(std::vector<node_address> l) {
      std::lock_guard lock{mtx};
      list = std::move(l);
    }
    mutable std::mutex mtx;
    std::vector<node_address> list;
  };
  std::shared_ptr<broker_list> learned_ = std::make_shared<broker_list>();
  mutable std::mutex failover_mtx_; // one recover at a time; guards learner_
  mutable caf::actor learner_;
  node_connector connector_; // empty for an attached node: no way back once it is gone
  std::function<actors::node_actor(const node_address&)> find_; // attach_cluster only
  std::chrono::milliseconds request_timeout_{default_request_timeout};
};

} // namespace sluice::client

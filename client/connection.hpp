#pragma once

// What producer, consumer and admin share: the actor system the client's actors run in and
// the typed handle of the bootstrap node (actors/node_interface.hpp). Either the client owns
// both (open: a process of its own talking to a node over the network) or borrows them
// (attach: a node in the same actor system, as in tests). Admin, metadata and group requests
// go to the bootstrap node; the producer and consumer send partition requests to each
// partition's leader (client/cluster_router.hpp), except with an attached node, which is the
// only one.

#include "actors/node_interface.hpp"
#include "client/node_address.hpp"
#include "client/node_link.hpp"
#include "client/reply.hpp"
#include "client/result.hpp"
#include "schema/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::client {

class connection {
public:
  static constexpr std::chrono::milliseconds default_request_timeout{30000};

  // Starts an actor system with the middleman and connects to the node at `bootstrap`
  // (HOST:PORT). Fails with "cannot reach node at HOST:PORT: ..." when nothing answers there.
  static result<std::shared_ptr<connection>>
  open(std::string_view bootstrap, std::chrono::milliseconds request_timeout = default_request_timeout);

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
  const actors::node_actor& node() const { return node_; }
  // Where the node listens; nullopt for an attached in-process node.
  const std::optional<node_address>& address() const { return address_; }
  std::chrono::milliseconds request_timeout() const { return request_timeout_; }
  // Whether partition requests follow the metadata to the partitions' leaders (open,
  // attach_cluster); false for an attached node, which gets everything.
  bool routed() const { return address_.has_value(); }
  // The bootstrap node as a link for one of the client's actors.
  node_link bootstrap_link() const { return node_link{node_, address_, connector_}; }
  // "node at HOST:PORT", for messages.
  std::string peer() const;

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
    return ask<Reply>(node_, peer(), timeout, std::forward<Ts>(xs)...);
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

  template <class Reply, class... Ts>
  result<Reply> ask(const actors::node_actor& node, const std::string& who, std::chrono::milliseconds timeout,
                    Ts&&... xs) const {
    caf::scoped_actor self{*sys_};
    std::optional<result<Reply>> out;
    self->request(node, caf::duration{timeout}, std::forward<Ts>(xs)...)
      .receive([&](Reply& r) { out.emplace(std::move(r)); },
               [&](caf::error& e) { out.emplace(from_caf(e, who)); });
    return std::move(*out);
  }

  std::unique_ptr<owned_system> owned_; // declared first: destroyed after node_
  caf::actor_system* sys_ = nullptr;
  actors::node_actor node_;
  std::optional<node_address> address_;
  node_connector connector_; // empty for an attached node: no way back once it is gone
  std::function<actors::node_actor(const node_address&)> find_; // attach_cluster only
  std::chrono::milliseconds request_timeout_{default_request_timeout};
};

} // namespace sluice::client

#pragma once

// Where the partition requests of one of the client's actors (the producer's sender, the
// consumer's fetcher) go, and the links that carry them. Lives inside that actor and runs only
// in its context.
//
// - The routing table (client/routing_table.hpp) says which broker leads each partition; a
//   metadata request refreshes it when the table says so: one at a time, to the bootstrap
//   node while its link is up, else to any other broker whose link is.
// - One link per broker address, opened lazily the first time a partition routes there, the
//   bootstrap's link included (a broker at the bootstrap address is the bootstrap). A link
//   that failed to connect waits retry.backoff, doubled per failure up to
//   reconnect_backoff_max, before the next attempt.
// - A lost link forgets its node (requests in flight on it are the actor's to retry: CAF
//   never answers them) and asks for a refresh: its partitions' new leaders come from there.
// - An attached in-process node (connection::attach) is the only node: every partition goes
//   to it, metadata is never asked for and a lost link stays lost.

#include "client/node_link.hpp"
#include "client/produce_plan.hpp"
#include "client/routing_table.hpp"
#include "schema/metadata.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::client {

class cluster_router {
public:
  using clock = std::chrono::steady_clock;
  static constexpr link_id bootstrap_id = 0;

  struct options {
    std::chrono::milliseconds retry_backoff{100};          // refresh backoff, first reconnect backoff
    std::chrono::milliseconds reconnect_backoff_max{1000}; // reconnect.backoff.max.ms
    std::chrono::milliseconds metadata_max_age{300000};    // metadata.max.age.ms
    std::chrono::milliseconds request_timeout{30000};      // metadata requests and connects
  };

  // Where a partition's next request goes.
  struct target {
    enum class kind : uint8_t {
      ready,             // on `link`, which is up
      waiting,           // no leader known: later, after a refresh
      dialling,          // the leader is known, its link (`link`) is down and being dialled
      unknown_topic,     // the cluster says the topic does not exist
      unknown_partition, // the topic has fewer partitions, as far as known
    };
    kind what = kind::waiting;
    link_id link = bootstrap_id;
  };

  // What the actor hears of; each runs in its context, never from inside a router call.
  struct hooks {
    std::function<void()> changed;                                   // route again: an answer, a link up or failed
    std::function<void(const schema::metadata_response&)> metadata; // every answer, once the table took it
    std::function<void(const error&)> unreachable;                  // no link is up and a connect failed
  };

  cluster_router(caf::event_based_actor* self, node_link bootstrap, bool routed, options o, hooks h);
  cluster_router(const cluster_router&) = delete;
  cluster_router& operator=(const cluster_router&) = delete;

  // Monitors the bootstrap node (from make_behavior).
  void start();
  // The links a down message was about (then forgotten): none, one, or several when two
  // addresses reached the same node.
  std::vector<link_id> on_down(const caf::down_msg& dm);

  bool routed() const { return routed_; }
  // Per partition, per request: a hash lookup, no allocation once the link exists. Dials the
  // leader's link when it is down and its backoff has passed.
  target route(std::string_view topic, partition_id p, clock::time_point now);
  // The partition's leader refused it: no route until the next answer.
  void invalidate(std::string_view topic, partition_id p) { table_.invalidate(topic, p); }
  // Something suggests the table is out of date (a timeout, a lost link).
  void request_refresh() { table_.request_refresh(); }

  // Sends a metadata request when one is due and dials links that are waited for; returns
  // when to call again (nullopt: only after a hook or a route).
  std::optional<clock::time_point> poll(clock::time_point now);

  node_link& link(link_id id) { return *links_.at(id).link; }
  size_t link_count() const { return links_.size(); }
  // Distinct partition leaders known (1 until known): the number of links worth filling.
  size_t leader_count() const { return routed_ ? table_.leader_count() : 1; }
  const routing_table& table() const { return table_; }

private:
  struct link_entry {
    std::unique_ptr<node_link> link; // stable: a connect in progress holds it
    clock::time_point next_attempt{};
    int failures = 0;
    bool wanted = false; // something waits for it to come up
  };

  link_id link_to(node_id broker, const routing_table::broker& b);
  void connect(link_id id, clock::time_point now);
  bool send_refresh(clock::time_point now);
  void on_answer(const schema::metadata_response& md);
  bool any_up() const;
  bool any_connecting() const;

  caf::event_based_actor* self_;
  bool routed_;
  options options_;
  hooks hooks_;
  routing_table table_;
  std::vector<link_entry> links_; // [0] is the bootstrap node's
  std::map<std::string, link_id> by_address_;
  std::unordered_map<int32_t, link_id> by_broker_; // cache of link_to, cleared by every answer
  std::optional<link_id> refresh_on_;              // the link a metadata request is in flight on
  uint64_t refresh_seq_ = 0;                       // answers of an older request are dropped
};

} // namespace sluice::client

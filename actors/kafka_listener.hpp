#pragma once

// The Kafka wire protocol listener (issue 11): a CAF broker on --kafka-listen that accepts
// Kafka clients (librdkafka, kcat, ...), decodes their requests (kafka/codec.hpp) into Sluice
// requests, sends them to the node actor (actors/node_interface.hpp) exactly as Sluice's own
// clients do, and encodes the answers back. Requests of one connection are answered
// concurrently and their responses written in request order (kafka/response_queue.hpp); a
// connection with max_in_flight requests unanswered is not read until some are.
//
// A request the listener cannot parse, an API it does not serve or a version outside
// kafka/api.hpp closes the connection, as a Kafka broker does; ApiVersions of any version is
// answered (KIP-511).

#include "actors/node_interface.hpp"
#include "schema/result.hpp"
#include "store/types.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstdint>
#include <string>

namespace sluice::actors {

struct kafka_listener_config {
  std::string host;        // the address to bind
  uint16_t port = 0;       // 0: any free port (tests)
  node_id self{0};         // the node the listener belongs to
  // The address Metadata and FindCoordinator give clients for this node.
  std::string advertised_host;
  // Cluster mode: another node's Kafka listener is named at its --listen host and
  // port + port_offset (every node of a cluster listens at the same offset from its own port).
  int32_t port_offset = 0;
  size_t max_in_flight = 128; // per connection
};

struct kafka_listener {
  caf::actor broker;
  uint16_t port = 0; // the bound port
};

// Binds host:port and spawns the broker serving it; a bind failure is an error naming the
// address. Stop it with an exit message to `broker`.
schema::result<kafka_listener> spawn_kafka_listener(caf::actor_system& sys, node_actor node,
                                                    kafka_listener_config cfg);

} // namespace sluice::actors

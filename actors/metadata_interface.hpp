#pragma once

// The metadata actor: the topic table of the cluster (names, partition counts, configs, replica
// placement) and, in cluster mode, the registered brokers. Two implementations behind this one
// interface: on a single node it is local and persisted in LMDB (actors/metadata_actor.hpp);
// with --controllers it is the Raft-replicated controller (actors/controller_actor.hpp).
// Requests are the client's envelopes (so a node can forward them unchanged, also to a remote
// controller); every committed change goes to the subscribers (the nodes hosting partitions)
// before the request is answered, so a client that saw "created" finds the topic on the node
// that answered.

#include "actors/atoms.hpp"
#include "actors/node_interface.hpp"
#include "actors/partition_states.hpp"
#include "actors/topic_spec.hpp"
#include "cluster/raft_actor.hpp"
#include "schema/envelope.hpp"
#include "schema/type_ids.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <map>
#include <string>
#include <vector>

namespace sluice::actors {

// What a node hears of the topic table after subscribing: a topic created or changed, a
// topic deleted, and (cluster mode) the replication state of a topic's partitions, all of
// them at subscription and a topic's whole list again when one of them changes.
using topic_listener = caf::typed_actor<caf::reacts_to<topic_update_atom, topic_spec>,
                                        caf::reacts_to<topic_deleted_atom, std::string>,
                                        caf::reacts_to<partition_states_atom, partition_states>>;

// The node's links to the other controllers' nodes (cluster mode), the whole set after every
// change: a controller reaches its peers through their published node actor.
struct controller_peers {
  std::map<node_id, node_actor> nodes;
};

using metadata_actor = caf::typed_actor<
  caf::replies_to<metadata_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<create_topics_atom, schema::envelope>::with<schema::envelope>,
  // The node's own create_topics_request for internal topics (offsets_topic), which clients
  // may not create.
  caf::replies_to<create_internal_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<delete_topics_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<list_topics_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<create_partitions_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<describe_configs_atom, schema::envelope>::with<schema::envelope>,
  // The whole table now; changes follow as topic_listener messages. Fails (a CAF error) when
  // the metadata store did not open.
  caf::replies_to<subscribe_atom, topic_listener>::with<std::vector<topic_spec>>,
  caf::replies_to<state_atom>::with<std::string>,
  // Cluster mode (a single node answers these with not_controller, or ignores them):
  // a peer controller's Raft message, and where the peers are.
  caf::reacts_to<cluster::raft_atom, schema::envelope>,
  caf::reacts_to<peers_atom, controller_peers>,
  // A broker's registration or heartbeat, and `sluice cluster status`.
  caf::replies_to<broker_heartbeat_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<cluster_status_atom, schema::envelope>::with<schema::envelope>,
  // Between controllers: a write forwarded to the leader (a create/delete topics or create
  // partitions request; the flag: an internal topic's create, the node's own), answered with
  // the response and the log index to wait for; and the
  // leader's read index for a linearizable read (thesis 6.4).
  caf::replies_to<controller_write_atom, schema::envelope, bool>::with<schema::envelope, int64_t>,
  caf::replies_to<read_index_atom>::with<int64_t>,
  // A partition leader's ISR change (alter_partition_request), committed through the
  // controller leader like a topic write; answered with alter_partition_response.
  caf::replies_to<alter_partition_atom, schema::envelope>::with<schema::envelope>,
  // Operators' partition reassignment, preferred leader election and decommissioning
  // (reassign_partitions, elect_leaders, decommission_broker requests), committed through the
  // controller leader like a topic write.
  caf::replies_to<reassign_partitions_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<elect_leaders_atom, schema::envelope>::with<schema::envelope>,
  caf::replies_to<decommission_broker_atom, schema::envelope>::with<schema::envelope>,
  // A node's next block of producer ids (allocate_producer_ids_request, KIP-730): reserved
  // durably (a single node) or committed through the controller leader like a topic write.
  caf::replies_to<allocate_producer_ids_atom, schema::envelope>::with<schema::envelope>>;

} // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::controller_peers)

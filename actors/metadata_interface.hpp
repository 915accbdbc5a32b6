#pragma once

// The metadata actor: the topic table of the cluster (names, partition counts, configs),
// persisted in LMDB. On one node it is local; with issue 6 it becomes a Raft group over the
// controller nodes behind this same interface. Requests are the client's envelopes (so a node
// can forward them unchanged, also to a remote controller); every committed change goes to
// the subscribers (the nodes hosting partitions) before the request is answered, so a client
// that saw "created" finds the topic on the node that answered.

#include "actors/atoms.hpp"
#include "actors/topic_spec.hpp"
#include "schema/envelope.hpp"
#include "schema/type_ids.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>
#include <vector>

namespace sluice::actors {

// What a node hears of the topic table after subscribing: a topic created or changed, a
// topic deleted.
using topic_listener = caf::typed_actor<caf::reacts_to<topic_update_atom, topic_spec>,
                                        caf::reacts_to<topic_deleted_atom, std::string>>;

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
  caf::replies_to<state_atom>::with<std::string>>;

} // namespace sluice::actors

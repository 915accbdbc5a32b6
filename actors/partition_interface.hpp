#pragma once

// The partition actor: one per partition replica on a node, the only owner of its
// store::partition_log. Node-local: the node (through the topic actor) is its only client, so
// its messages are plain structs that never leave the process (CAF_ALLOW_UNSAFE_MESSAGE_TYPE
// below: CAF refuses to serialise them).
//
// Fetch is a long poll: a fetch that finds fewer than min_bytes parks until appends bring them
// or max_wait_ms passes, then answers with what the log holds. Parked fetches are named by
// `id`, which the requester makes unique among its own fetches; fetch_done(id) answers one at
// once (the node uses it when other partitions of the same request already satisfied it).
//
// Transactions (KIP-98): the leader appends a transaction coordinator's marker as a control
// batch (write_txn_markers) and answers once it is below the high watermark, as an acks=all
// append. read_committed fetches read below the last stable offset (min(HW, first offset of an
// open transaction)) and get the aborted transactions of what they read; parked ones wake when
// the last stable offset moves.
//
// Replication (cluster mode, actors/partition_states.hpp): the actor is the partition's leader,
// a follower or neither, as the metadata's latest state of the partition says. Only the
// leader appends produce requests and serves fetches; consumers read below the high
// watermark, followers (fetch with replica_id) up to the log end. A follower gets records
// from its node's replica fetcher (actors/replica_fetcher.hpp) as replica_data and answers
// with where to fetch next.

#include "actors/atoms.hpp"
#include "actors/partition_states.hpp"
#include "filter/filter_expr.hpp"
#include "schema/errc.hpp"
#include "schema/fetch.hpp"
#include "schema/isolation_level.hpp"
#include "schema/inspect.hpp"
#include "schema/offsets.hpp"
#include "schema/produce.hpp"
#include "schema/type_ids.hpp"
#include "store/byte_buffer.hpp"
#include "store/types.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sluice::actors {

struct append_request {
  std::vector<std::byte> records; // whole batches back to back; offsets assigned in place
  schema::acks acks = schema::acks::leader;
  int32_t timeout_ms = 30'000;    // acks=all: how long to wait for the ISR
};

struct append_reply {
  schema::error error;
  offset base_offset{-1};
  timestamp_ms log_append_time = no_timestamp; // -1: topics use create time
  offset log_start_offset{-1};
};

struct partition_fetch {
  uint64_t id = 0;
  offset fetch_offset{0};
  int32_t max_bytes = 1 << 20; // at least one batch is returned regardless
  int32_t min_bytes = 1;
  int32_t max_wait_ms = 0;
  // While parked, tell the requester (a fetch_listener) how many bytes each append brought,
  // so it can count min_bytes over several partitions.
  bool report_progress = false;
  node_id replica_id{-1};                 // a follower's fetch: up to the log end, not HW
  leader_epoch current_leader_epoch{-1};  // -1: not checked (KIP-320)
  // The leader's own node reading everything it holds, HW or not: a group coordinator
  // loading __consumer_offsets when its node becomes leader (all of it will commit).
  bool to_log_end = false;
  // A consumer's filter, parsed once per request by the node (null: none; never set for a
  // replica's fetch). Shared, not copied, by every partition of the request: in-process only.
  std::shared_ptr<const filter::filter_expr> filter{};
  // A consumer's: read_committed reads below the last stable offset instead of HW. Ignored
  // for a replica's fetch and to_log_end.
  schema::isolation_level isolation = schema::isolation_level::read_uncommitted;
};

struct fetch_reply {
  schema::error error;
  offset high_watermark{-1};
  offset log_start_offset{-1};
  store::byte_buffer records;
  offset next_offset{-1}; // filtered fetches: past every record scanned (fetch_response)
  offset last_stable_offset{-1};
  // read_committed: the aborted transactions whose batches may be in `records` (marker at or
  // after the fetch offset, first offset below the end of what was read).
  std::vector<schema::fetch_response::aborted_transaction> aborted_transactions{};
};

struct offsets_query {
  schema::offset_query query = schema::offset_query::latest;
  timestamp_ms timestamp = no_timestamp;
  // read_committed: latest is the last stable offset, and a timestamp lookup stops there.
  schema::isolation_level isolation = schema::isolation_level::read_uncommitted;
};

// A transaction coordinator's marker for this partition (schema/txn_marker.hpp, one marker and
// partition of a WriteTxnMarkers request).
struct txn_marker {
  producer_id id = no_producer_id;
  producer_epoch epoch = no_producer_epoch;
  bool commit = false; // false: abort
  int32_t coordinator_epoch = 0;
  int32_t timeout_ms = 30'000; // how long to wait for the marker to reach the high watermark
};

struct txn_marker_reply {
  schema::error error;
  offset marker_offset{-1};
};

struct offsets_reply {
  schema::error error;
  offset off{-1};
  timestamp_ms timestamp = no_timestamp;
};

// A follower's KIP-279 query: where does `epoch` end in the leader's log?
struct epoch_query {
  leader_epoch current_leader_epoch{-1};
  leader_epoch epoch{-1};
};

struct epoch_reply {
  schema::error error;
  leader_epoch epoch{-1};
  offset end_offset{-1};
};

// Where a follower wants its fetcher to go on. `seq` grows with every position the partition
// hands out, so a fetcher keeps the newest when two arrive out of order.
struct follower_position {
  enum class step : uint8_t { query_epoch, fetch, wait };
  step next = step::wait;
  leader_epoch epoch{-1};        // the leader epoch followed (sent as current_leader_epoch)
  leader_epoch latest_local{-1}; // query_epoch: the latest epoch in the local log
  offset fetch_offset{0};        // fetch: the local log end
  uint64_t seq = 0;
};

// What the fetcher brings back for one partition: an epoch query's answer or a fetch's.
struct replica_data {
  leader_epoch epoch{-1}; // the position's epoch the request was made under
  bool epoch_answer = false;
  schema::error error;
  leader_epoch answer_epoch{-1}; // epoch_answer: the leader's epoch and where it ends
  offset end_offset{-1};
  offset high_watermark{-1};     // fetch: the leader's
  offset log_start_offset{-1};
  // Whole batches, viewed in the fetch response they came in, which `owner` keeps alive.
  std::shared_ptr<const void> owner;
  std::span<const std::byte> records;
};

// Whoever asks with report_progress: (fetch id, bytes appended since the last report).
using fetch_listener = caf::typed_actor<caf::reacts_to<fetch_progress_atom, uint64_t, int64_t>>;

using partition_actor = caf::typed_actor<
  caf::replies_to<produce_atom, append_request>::with<append_reply>,
  // Leader only (not_leader otherwise); answered once the marker is below HW.
  caf::replies_to<write_txn_markers_atom, txn_marker>::with<txn_marker_reply>,
  caf::replies_to<fetch_atom, partition_fetch>::with<fetch_reply>,
  caf::reacts_to<fetch_done_atom, uint64_t>,
  caf::replies_to<list_offsets_atom, offsets_query>::with<offsets_reply>,
  caf::replies_to<epoch_query_atom, epoch_query>::with<epoch_reply>,
  // The metadata's state of this partition (cluster mode).
  caf::reacts_to<partition_states_atom, cluster::partition_replicas>,
  caf::replies_to<replica_data_atom, replica_data>::with<follower_position>,
  // Answers parked fetches, closes the log, removes the partition directory, then quits.
  caf::replies_to<delete_data_atom>::with<bool>,
  caf::replies_to<state_atom>::with<std::string>,
  // Its replication role and positions, and the leader's view of each follower (inspect).
  caf::replies_to<inspect_atom>::with<schema::replica_status>,
  caf::reacts_to<tick_atom>,
  caf::reacts_to<fetch_expire_atom>,
  caf::reacts_to<propose_atom, uint64_t>>; // self-sent: send ISR proposal `seq` again

} // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::append_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::append_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::partition_fetch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::fetch_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::offsets_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::offsets_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::txn_marker)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::txn_marker_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::epoch_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::epoch_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::follower_position)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::replica_data)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::replica_status)

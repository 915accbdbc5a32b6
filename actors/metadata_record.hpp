#pragma once

// The commands of the replicated metadata log (issue 6): what the controller leader proposes to
// Raft (cluster/raft_actor.hpp) after validating a request against its metadata_image, and what
// every controller applies, in log order, to its own image (actors/metadata_image.hpp). Like
// KRaft's records they state results, not requests (a put carries the validated spec with its
// replica placement, not the create request), so applying is deterministic: every replica ends
// with the same image. A record may still be refused at apply time (a create of a topic that a
// concurrent create made first); the refusal is the same on every replica.
//
//   record = u8 version (1) | u8 type | payload        (encodings of store/kv_store_format.hpp)
//     type 0  topic put       u8 mode | i32 expected partitions | str(name) |
//                             u32 len | len bytes: metadata_store.hpp's topic record value |
//                             u32 n | n x (u32 r | r x i32 broker)      (replicas per partition)
//     type 1  topic delete    str(name)
//     type 2  broker register i32 id | str host | u16 port | u8 has rack | str rack | i64 epoch
//     type 3  broker fence    i32 id | i64 epoch | u8 fenced (1) or unfenced (0)
//     type 4  barrier         (nothing: a linearizable read's place in the log)
//     type 5  partition state str topic | i32 partition | i32 leader (-1: none) | i32 leader epoch |
//                             ids isr | i32 partition epoch | u64 isr seq
//     type 6  ISR change      str topic | i32 partition | i32 leader | i32 leader epoch |
//                             i32 partition epoch | ids isr | u64 seq
//     type 7  reassignment    u8 mode | str topic | i32 partition | ids target | ids original
//     type 8  preferred election  str topic (empty: every topic)
//     type 9  decommission    i32 id | u8 decommissioned | u8 move replicas
//     type 10 producer ids    i32 broker | i64 first | i32 count   (KIP-730; snapshots: broker
//                             -1, count 0, first = the next id to allocate)
//   ids = u32 n | n x i32 broker
//
// A register's epoch is -1 when proposed: the broker epoch becomes the Raft index of the
// record (as KRaft's is its offset), unique and increasing; snapshots carry it explicitly.

#include "actors/topic_spec.hpp"
#include "schema/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace sluice::actors {

enum class put_mode : uint8_t {
  create = 0,  // refused when the topic exists
  grow = 1,    // refused unless the topic has `expected_partitions` partitions
  restore = 2, // unconditional (snapshots)
};

struct topic_put_record {
  topic_spec spec;
  put_mode mode = put_mode::restore;
  int32_t expected_partitions = 0; // grow only
  bool operator==(const topic_put_record&) const = default;
};

struct topic_delete_record {
  std::string name;
  bool operator==(const topic_delete_record&) const = default;
};

struct broker_register_record {
  node_id id{0};
  std::string host;
  uint16_t port = 0;
  std::optional<std::string> rack;
  int64_t epoch = -1; // -1: the record's log index
  bool operator==(const broker_register_record&) const = default;
};

struct broker_fence_record {
  node_id id{0};
  int64_t epoch = 0; // applies only to this registration
  bool fenced = true;
  bool operator==(const broker_fence_record&) const = default;
};

struct barrier_record {
  bool operator==(const barrier_record&) const = default;
};

// The replication state of one partition: everything of cluster::partition_replicas but the
// replicas, which the topic's assignment holds.
struct partition_state {
  std::optional<node_id> leader; // none: offline
  leader_epoch epoch{0};
  std::vector<node_id> isr;
  int32_t version = 0;  // the partition epoch
  uint64_t isr_seq = 0; // the highest ISR proposal seq processed in this leader epoch
  bool operator==(const partition_state&) const = default;
};

// The image writes these into snapshots; in the log, elections and ISR shrinks on fencing are
// consequences of fence and registration records, computed alike by every controller.
struct partition_state_record {
  std::string topic;
  int32_t partition = 0;
  partition_state state;
  bool operator==(const partition_state_record&) const = default;
};

// A partition leader asks for an ISR change (Kafka's AlterPartition; see
// cluster::isr_proposal for when it commits).
struct alter_isr_record {
  std::string topic;
  int32_t partition = 0;
  node_id leader{0};
  leader_epoch epoch{0};
  int32_t version = 0;
  std::vector<node_id> isr;
  uint64_t seq = 0;
  bool operator==(const alter_isr_record&) const = default;
};

enum class reassign_mode : uint8_t {
  start = 0,   // move to `target` (replacing a move in progress: from its original replicas)
  cancel = 1,  // back to the original replicas of the move in progress
  restore = 2, // snapshots: the move in progress as it stands, unconditionally
};

// An operator moves a partition's replicas (KIP-455; metadata_image.hpp has the rules). Like an
// ISR change it is validated when applied, against the state it then meets.
struct reassign_record {
  std::string topic;
  int32_t partition = 0;
  reassign_mode mode = reassign_mode::start;
  std::vector<node_id> target;   // start, restore: the replicas once done, preferred leader first
  std::vector<node_id> original; // restore: the replicas before the move began
  bool operator==(const reassign_record&) const = default;
};

// Preferred leader election: every partition (of `topic`, or of all topics when empty) whose
// first replica is alive, in the ISR and not leading gets it as leader in the next epoch.
struct elect_preferred_record {
  std::string topic;
  bool operator==(const elect_preferred_record&) const = default;
};

// A broker leaves the cluster for good: no new replica is placed on it, and (`move_replicas`)
// every partition it holds starts moving that replica to another live broker, all or none.
// `decommissioned` false takes it back as a placement candidate (moves already made stay).
// Snapshots write it with `move_replicas` false: the moves are in the partition records.
struct broker_decommission_record {
  node_id id{0};
  bool decommissioned = true;
  bool move_replicas = true;
  bool operator==(const broker_decommission_record&) const = default;
};

// A block of producer ids [first, first + count) for a broker to hand out (issue 9). Applied
// only when it starts at or after every block before it (else refused alike everywhere), so
// blocks never overlap; the image's next id is first + count.
struct producer_ids_record {
  node_id broker{-1};
  int64_t first = 0;
  int32_t count = 0;
  bool operator==(const producer_ids_record&) const = default;
};

using metadata_record = std::variant<topic_put_record, topic_delete_record,
                                     broker_register_record, broker_fence_record, barrier_record,
                                     partition_state_record, alter_isr_record, reassign_record,
                                     elect_preferred_record, broker_decommission_record,
                                     producer_ids_record>;

std::string encode_metadata_record(const metadata_record& r);
// corrupt_message for bytes that are not a version-1 record.
schema::result<metadata_record> decode_metadata_record(std::string_view bytes);

} // namespace sluice::actors

#pragma once

// The replicated state of the cluster controller: the topic table with each topic's replica
// placement, each partition's replication state (leader, leader epoch, ISR, partition epoch),
// and the registered brokers with their epochs and fencing. Every controller holds one and
// applies the committed metadata records (actors/metadata_record.hpp) to it in log order;
// brokers answer metadata requests from it. Pure: no CAF, no I/O.
//
// Partition leadership, as Kafka's controller does it with unclean election off:
//   - a new partition's ISR is its live replicas, its leader the first of them;
//   - a broker that is fenced, or registers again (a restart: its old incarnation's state is
//     gone), leaves every ISR it is in unless it is the last member (kept, so the partition
//     can come back with the data when it returns), and every partition it led gets the first
//     live ISR member in assignment order as leader with the next leader epoch, or none
//     (offline);
//   - a broker that comes back (unfenced or registered) leads every offline partition whose
//     ISR holds it, in assignment order;
//   - an ISR change commits only as cluster::isr_proposal says (alter_isr_record).
//   - preferred leader election (elect_preferred_record) makes a partition's first replica its
//     leader where it is alive, in the ISR and not leading.
//   - unclean leader election, only for a topic created with
//     unclean.leader.election.enable=true (its own override: every controller decides the
//     same whatever its node defaults): when a partition's leader is lost and no ISR member is
//     alive, or a replica comes back to a partition left offline, the first live replica in
//     assignment order leads, alone in the ISR, in the next leader epoch. It trades what the
//     old ISR held beyond that replica's log (records producers were told were committed,
//     with acks=all too) for the partition being writable again; the old members truncate to
//     it when they return (KIP-279).
// Every change of leader or ISR bumps the partition epoch; a leader change also the leader
// epoch (and starts the ISR proposal seqs afresh).
//
// Reassignment (KIP-455, reassign_record): a partition moving from its original replicas O to a
// target T is served by the replicas T + (O - T) (target first, so elections prefer it) while
// the adding ones (T - O) catch up as followers and join the ISR through the leader's ISR
// changes. The ISR change that makes T a subset of the ISR completes the move in the same
// record: replicas := T, ISR := ISR & T, and a leader outside T hands over to the first ISR
// member of T in the next leader epoch. The removed replicas (O - T) then stop hosting.
//
//   start  T            no move: O := replicas. A move in progress is replaced: its O stays,
//                       replicas := T + (O - T), ISR := ISR & replicas.
//          same set     as the replicas (a reordering): replicas := T at once, no move.
//   cancel              replicas := O, ISR := ISR & O.
//   Refused: unknown topic or partition, an empty or duplicated target, a target broker that
//   is not registered, fenced or decommissioned, a cancel with no move in progress, and a
//   change that would leave the ISR empty. Either leader change elects as above.
//
// Decommission (broker_decommission_record): the broker takes no new replica (placement skips
// it) and every partition whose replicas (or move target) hold it starts moving that replica to
// the broker cluster::choose_replacement picks (racks, then load), all partitions or none.
//
// Snapshots (cluster/raft.hpp compacts the log behind them) are the image written as the
// records that rebuild it: registrations (with their epochs), fences, decommissions, topic puts,
// the partition states, then the moves in progress.
//
//   snapshot = u8 version (1) | u32 count | count x (u32 length | record)
//
// Producer id blocks (producer_ids_record, issue 9): the image keeps the next id to allocate;
// a block starting below it is refused, so no two brokers ever hold the same id.

#include "actors/metadata_record.hpp"
#include "actors/topic_table.hpp"
#include "cluster/placement.hpp"
#include "cluster/replication_types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::actors {

struct broker_entry {
  broker_register_record registration; // its epoch is the registration's
  bool fenced = false;
  bool decommissioned = false; // kept across registrations: it belongs to the id
};

// A partition's move in progress (see above).
struct reassignment {
  std::vector<node_id> target;   // the replicas once done
  std::vector<node_id> original; // the replicas before it began
  std::vector<node_id> adding() const;   // target - original, in target order
  std::vector<node_id> removing() const; // original - target, in original order
  bool operator==(const reassignment&) const = default;
};

struct partition_ref {
  std::string topic;
  int32_t partition = 0;
  bool operator==(const partition_ref&) const = default;
};

// A leadership a preferred leader election moved.
struct leader_change {
  partition_ref where;
  std::optional<node_id> from; // none: the partition was offline
  node_id to{0};
  leader_epoch epoch{0};
  bool operator==(const leader_change&) const = default;
};

// What applying one record answered: the refusal (same on every replica; nothing changed
// then) and what changed that a proposer or the nodes must hear of.
struct apply_result {
  schema::status status;
  int64_t epoch = -1;                     // a registration: the broker epoch it got
  std::vector<std::string> respecified{};  // topics whose spec (replica assignment) changed
  std::vector<partition_ref> reassigned{}; // partitions whose move started, changed or ended
  std::vector<leader_change> elected{};    // a preferred leader election's moves
};

class metadata_image {
public:
  metadata_image(topic_config defaults, topic_limits limits) : table_(std::move(defaults), limits) {}

  // `index`: the record's position in the Raft log (a registration's epoch).
  apply_result apply(int64_t index, const metadata_record& r);

  std::string snapshot() const;
  // Replaces the image with the one `bytes` describe; corrupt_message when they do not decode
  // (the image is then unchanged).
  schema::status restore(std::string_view bytes);

  const topic_table& table() const { return table_; }
  const std::map<node_id, broker_entry>& brokers() const { return brokers_; }
  const broker_entry* broker(node_id id) const;

  // Placement candidates: registered brokers that are neither fenced nor decommissioned, by id.
  std::vector<cluster::broker_info> live_brokers() const;
  // The partition's leader (see above). nullopt: offline, or no such partition.
  std::optional<node_id> leader_of(const topic_spec& spec, int32_t partition) const;
  const partition_state* partition(const std::string& topic, int32_t partition) const;
  // The partition's move in progress; nullptr: none.
  const reassignment* moving(const std::string& topic, int32_t partition) const;
  // Whether a reassign record with this mode and target would apply now (and why not).
  schema::status check_reassign(const std::string& topic, int32_t partition, reassign_mode mode,
                                const std::vector<node_id>& target) const;
  // The moves a decommission of `id` starts: each partition holding it, with its new target.
  // Refused (invalid_replica_assignment) when some partition finds no broker to move to.
  schema::result<std::vector<std::pair<partition_ref, std::vector<node_id>>>>
  plan_decommission(node_id id) const;
  // The partition's state with its replicas, as the replication cores take it.
  std::optional<cluster::partition_replicas> replication(const std::string& topic,
                                                         int32_t partition) const;
  bool usable(node_id id) const;
  // The first producer id no block has covered (producer_ids_record).
  int64_t next_producer_id() const { return next_producer_id_; }

private:
  // A partition's next assignment and state, computed before anything changes.
  struct partition_change {
    partition_ref where;
    std::vector<node_id> replicas;
    partition_state state;
    std::optional<reassignment> move;
  };

  schema::status apply_alter_isr(const alter_isr_record& r, apply_result& out);
  apply_result apply_reassign(const reassign_record& r);
  apply_result apply_elect_preferred(const elect_preferred_record& r);
  apply_result apply_decommission(const broker_decommission_record& r);
  schema::result<partition_change> prepare_move(const std::string& topic, int32_t partition,
                                                reassign_mode mode, std::vector<node_id> target) const;
  void commit(const partition_change& c, apply_result& out);
  void complete_move(const std::string& topic, int32_t partition, apply_result& out);
  // Eligible for new replicas: registered, not fenced, not decommissioned.
  bool placeable(node_id id) const;
  void sync_partitions(const topic_spec& spec); // new partitions get their first state
  void lose(node_id id);   // fenced or restarted: out of ISRs, its leaderships elected away
  void regain(node_id id); // back: leads the offline partitions whose ISR holds it
  // The first live ISR member in assignment order leads, in the next leader epoch; none
  // leads when there is none, unless `unclean`: then the first live replica, alone in the ISR.
  void elect(partition_state& s, const std::vector<node_id>& assignment, bool unclean = false) const;

  topic_table table_;
  std::map<node_id, broker_entry> brokers_;
  std::map<std::string, std::vector<partition_state>> partitions_; // by topic, index = partition
  std::map<std::string, std::map<int32_t, reassignment>> moves_;     // in progress, by topic
  int64_t next_producer_id_ = 0;
};

} // namespace sluice::actors

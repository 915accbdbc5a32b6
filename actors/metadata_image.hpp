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
// Every change of leader or ISR bumps the partition epoch; a leader change also the leader
// epoch (and starts the ISR proposal seqs afresh).
//
// Snapshots (cluster/raft.hpp compacts the log behind them) are the image written as the
// records that rebuild it: registrations (with their epochs), fences, topic puts, then the
// partition states.
//
//   snapshot = u8 version (1) | u32 count | count x (u32 length | record)

#include "actors/metadata_record.hpp"
#include "actors/topic_table.hpp"
#include "cluster/placement.hpp"
#include "cluster/replication_types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

struct broker_entry {
  broker_register_record registration; // its epoch is the registration's
  bool fenced = false;
};

// What applying one record answered: the refusal (same on every replica) and, for a
// registration, the broker epoch it got.
struct apply_result {
  schema::status status;
  int64_t epoch = -1;
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

  // Placement candidates: registered brokers that are not fenced, by id.
  std::vector<cluster::broker_info> live_brokers() const;
  // The partition's leader (see above). nullopt: offline, or no such partition.
  std::optional<node_id> leader_of(const topic_spec& spec, int32_t partition) const;
  const partition_state* partition(const std::string& topic, int32_t partition) const;
  // The partition's state with its replicas, as the replication cores take it.
  std::optional<cluster::partition_replicas> replication(const std::string& topic,
                                                         int32_t partition) const;
  bool usable(node_id id) const;

private:
  schema::status apply_alter_isr(const alter_isr_record& r);
  void sync_partitions(const topic_spec& spec); // new partitions get their first state
  void lose(node_id id);   // fenced or restarted: out of ISRs, its leaderships elected away
  void regain(node_id id); // back: leads the offline partitions whose ISR holds it
  void elect(partition_state& s, const std::vector<node_id>& assignment);

  topic_table table_;
  std::map<node_id, broker_entry> brokers_;
  std::map<std::string, std::vector<partition_state>> partitions_; // by topic, index = partition
};

} // namespace sluice::actors

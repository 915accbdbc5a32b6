#pragma once

// The replicated state of the cluster controller (issue 6): the topic table with each topic's
// replica placement, and the registered brokers with their epochs and fencing. Every
// controller holds one and applies the committed metadata records (actors/metadata_record.hpp)
// to it in log order; brokers answer metadata requests from it. Pure: no CAF, no I/O.
//
// Snapshots (cluster/raft.hpp compacts the log behind them) are the image written as the
// records that rebuild it: registrations (with their epochs), fences, then topic puts.
//
//   snapshot = u8 version (1) | u32 count | count x (u32 length | record)

#include "actors/metadata_record.hpp"
#include "actors/topic_table.hpp"
#include "cluster/placement.hpp"

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
  // The partition's leader: its first replica that is registered and not fenced (a fenced
  // broker leads nothing). nullopt: no replica can lead.
  std::optional<node_id> leader_of(const topic_spec& spec, int32_t partition) const;
  bool usable(node_id id) const;

private:
  topic_table table_;
  std::map<node_id, broker_entry> brokers_;
};

} // namespace sluice::actors

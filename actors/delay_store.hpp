#pragma once

// The node's index of `__delayed` (store/delayed_format.hpp), in its own LMDB environment
// DATA/delayed: a cache derived from the replicated log, never the truth. A scheduler taking
// over a partition catches its index up by reading the log from indexed_through(p) on, so only
// the slot being delivered is ever in memory, however many records are pending.
//
//   pending  int32(p) int64(deliver-at) int64(offset) -> entry    records waiting for a slot
//   open     int32(p) int64(deliver-at) int64(offset) -> entry    the members of p's last slot
//   seqs     int32(p) str(topic) int32(partition)     -> int64    next delivery sequence
//   state    int32(p)                                 -> partition state (below)
//   applied  int32(p)                                 -> int64    indexed through (next offset)
//
// index() derives all of it from committed log records, in log order, in one write
// transaction with applied(p), so replaying a range again changes nothing and a crash at any
// point is repaired by replaying from indexed_through(p). The derivation, the same on every
// node (which is what makes a new leader deliver the same batches with the same sequences):
//
//   delayed record     -> pending
//   pid record         -> the partition's producer id, unless it has one
//   slot record (id, end, below, count)
//                      valid only when id == last slot id + 1 and the last slot is done
//                      (else ignored: a slot a fenced leader appended): the first `count`
//                      pending entries by (deliver-at, offset) with deliver-at <= end and
//                      offset < below move to `open`; the slot is the open one, not done
//   done record (id)   valid only for the open slot: every target's sequence moves on by its
//                      records in the slot, `open` is cleared, the slot is done
//   anything else      counted as skipped (the broker validates what clients write)
//
// Commits skip fsync: a power loss rolls the index back, and the same replay repairs it.
// One writer: the delay manager actor (actors/delay_manager.hpp).

#include "actors/applied_offsets.hpp"
#include "schema/result.hpp"
#include "store/batch.hpp"
#include "store/kv_store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sluice::actors {

// One delayed record as the index keeps it: its delivery and what the target gets.
struct delay_entry {
  offset off{0}; // in __delayed
  int64_t deliver_at_ms = 0;
  std::string topic;
  partition_id partition{0};
  std::optional<std::string> key;
  std::optional<std::string> value;
  // The record's headers without sluice.deliver-to (sluice.deliver-at stays: consumers see
  // when a record was due).
  std::vector<std::pair<std::string, std::string>> headers;

  size_t payload_bytes() const;
  bool operator==(const delay_entry&) const = default;
};

struct delay_slot {
  int64_t id = 0;
  int64_t end_ms = 0;
  offset below{0};
  int64_t count = 0;  // as the slot record asked
  int64_t members = 0; // as indexing found (<= count)
  bool done = true;    // slot 0 (none yet) counts as done

  bool operator==(const delay_slot&) const = default;
};

struct delay_partition_state {
  offset indexed_through{0};
  producer_id pid = no_producer_id;
  delay_slot open;
  int64_t pending = 0;   // entries in `pending`
  int64_t delivered = 0; // records of done slots
  int64_t skipped = 0;   // log records that are neither delayed nor control records

  bool operator==(const delay_partition_state&) const = default;
};

class delay_store {
public:
  // Errors are storage_error with the LMDB message.
  static schema::result<std::unique_ptr<delay_store>> open(const std::filesystem::path& dir);

  schema::result<delay_partition_state> state(partition_id p) const;

  // Indexes the records at offsets >= from of `batches` (whole batches read from p's log at
  // `from`, committed ones only), then sets indexed_through to past the last of them. A batch
  // that does not validate is corrupt_message (the log handed out damage).
  schema::result<delay_partition_state> index(partition_id p, offset from,
                                              std::span<const std::byte> batches);

  // How many entries a slot closed now would take: pending, deliver-at <= end_ms, offset <
  // below, in (deliver-at, offset) order, at most max_count and (after the first) at most
  // max_bytes of payload.
  schema::result<int64_t> due_count(partition_id p, int64_t end_ms, offset below,
                                    int64_t max_count, size_t max_bytes) const;
  // The earliest deliver-at pending; nullopt when nothing is.
  schema::result<std::optional<int64_t>> next_due(partition_id p) const;
  // The open slot's members in (deliver-at, offset) order.
  schema::result<std::vector<delay_entry>> open_entries(partition_id p) const;
  // The next delivery sequence of target (topic, partition); 0 at first.
  schema::result<int32_t> next_sequence(partition_id p, std::string_view topic,
                                        partition_id target) const;

private:
  delay_store(std::unique_ptr<store::kv_store> kv, store::kv_db pending, store::kv_db open,
              store::kv_db seqs, store::kv_db state, applied_offsets applied)
    : kv_(std::move(kv)), pending_(pending), open_(open), seqs_(seqs), state_(state),
      applied_(std::move(applied)) {}

  std::unique_ptr<store::kv_store> kv_;
  store::kv_db pending_;
  store::kv_db open_;
  store::kv_db seqs_;
  store::kv_db state_;
  applied_offsets applied_;
};

// The encodings of an index entry (exposed for tests).
std::string encode_delay_entry(const delay_entry& e);
std::optional<delay_entry> decode_delay_entry(std::string_view key, std::string_view value);

} // namespace sluice::actors

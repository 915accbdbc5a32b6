#pragma once

#include <caf/binary_deserializer.hpp>
#include <caf/deserializer.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/serializer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace sluice::schema {

// Which root struct of schema/*.capnp an envelope holds. The values travel in the envelope
// (outside the capnp bytes): append only, never renumber.
enum class message_kind : uint16_t {
  none = 0,
  produce_request = 1,
  produce_response = 2,
  fetch_request = 3,
  fetch_response = 4,
  metadata_request = 5,
  metadata_response = 6,
  create_topics_request = 7,
  create_topics_response = 8,
  delete_topics_request = 9,
  delete_topics_response = 10,
  list_topics_request = 11,
  list_topics_response = 12,
  list_offsets_request = 13,
  list_offsets_response = 14,
  error_response = 15,
  create_partitions_request = 16,
  create_partitions_response = 17,
  describe_configs_request = 18,
  describe_configs_response = 19,
  join_group_request = 20,
  join_group_response = 21,
  sync_group_request = 22,
  sync_group_response = 23,
  heartbeat_request = 24,
  heartbeat_response = 25,
  leave_group_request = 26,
  leave_group_response = 27,
  offset_commit_request = 28,
  offset_commit_response = 29,
  offset_fetch_request = 30,
  offset_fetch_response = 31,
  list_groups_request = 32,
  list_groups_response = 33,
  describe_groups_request = 34,
  describe_groups_response = 35,
  raft_message = 36, // schema/raft.hpp: between controllers, not clients
  broker_heartbeat_request = 37, // schema/cluster.hpp: broker -> controller
  broker_heartbeat_response = 38,
  cluster_status_request = 39,
  cluster_status_response = 40,
  alter_partition_request = 41, // partition leader -> controller
  alter_partition_response = 42,
  offset_for_leader_epoch_request = 43, // follower -> partition leader (KIP-279)
  offset_for_leader_epoch_response = 44,
  reassign_partitions_request = 45, // operator -> controller (KIP-455)
  reassign_partitions_response = 46,
  elect_leaders_request = 47, // operator -> controller: preferred leader election
  elect_leaders_response = 48,
  decommission_broker_request = 49, // operator -> controller
  decommission_broker_response = 50,
  inspect_request = 51, // sluice inspect -> any node, about that node only (issue 8)
  inspect_response = 52,
  init_producer_id_request = 53, // producer -> any node (schema/producer_id.hpp)
  init_producer_id_response = 54,
  allocate_producer_ids_request = 55, // node -> controller (KIP-730)
  allocate_producer_ids_response = 56,
  add_partitions_to_txn_request = 57, // producer -> transaction coordinator (schema/txn.hpp)
  add_partitions_to_txn_response = 58,
  txn_offset_commit_request = 59,     // producer -> transaction coordinator
  txn_offset_commit_response = 60,
  end_txn_request = 61,               // producer -> transaction coordinator
  end_txn_response = 62,
  list_transactions_request = 63,     // sluice txn list -> any node
  list_transactions_response = 64,
  describe_transactions_request = 65, // sluice txn describe -> any node
  describe_transactions_response = 66,
  write_txn_markers_request = 67,     // coordinator -> partition leader (schema/txn_marker.hpp)
  write_txn_markers_response = 68,
  share_fetch_request = 69,          // share consumer -> partition leader (schema/share.hpp)
  share_fetch_response = 70,
  share_acknowledge_request = 71,    // share consumer -> partition leader
  share_acknowledge_response = 72,
  share_state_write_request = 73,    // partition leader -> the share group's coordinator
  share_state_write_response = 74,
  share_state_read_request = 75,     // partition leader -> the share group's coordinator
  share_state_read_response = 76,
};

// The highest kind this build knows; tests iterate over [1, last_message_kind].
inline constexpr message_kind last_message_kind = message_kind::share_state_read_response;

const char* to_string(message_kind k) noexcept;

// Bytes owned elsewhere that continue an envelope's framing: a fetch response's records, which
// capnp references in place (schema::encode_referencing) instead of copying into its message.
struct envelope_tail {
  std::shared_ptr<const void> owner;        // keeps every piece alive
  std::vector<std::span<const char>> pieces; // in framing order, each a whole number of words
};

// The one CAF message type that carries a Sluice wire message between nodes: the kind of the
// root struct and the message in capnp's flat-array framing (segment table, then segments).
// Bytes are std::vector<char> because CAF 0.17 serialises a vector<char> with one copy and a
// vector<caf::byte> element by element (~140x slower). Nothing here is trusted: decode<T>
// (schema/codec.hpp) checks kind, size, alignment and every pointer before a field is used.
//
// With a tail, the framing is `bytes` followed by the tail's pieces: serialised for another
// node they are written one after the other, so the receiver loads one flat vector (the same
// bytes on the wire) and a replicated fetch response is never joined on the leader. Readers in
// this process see the framing through flat_bytes() / make_flat().
struct envelope {
  envelope() = default;
  envelope(message_kind k, std::vector<char> b) : kind(k), bytes(std::move(b)) {}

  message_kind kind = message_kind::none;
  std::vector<char> bytes;
  std::shared_ptr<const envelope_tail> tail; // null for every envelope but encode_referencing's

  // The framing's size in bytes, tail included.
  size_t size() const noexcept {
    size_t n = bytes.size();
    if (tail)
      for (auto& p : tail->pieces)
        n += p.size();
    return n;
  }

  // Equal kinds and equal framings, however either is split.
  bool operator==(const envelope& other) const;
};

// The whole framing in one vector: `bytes` itself without a tail, else a joined copy.
std::vector<char> flat_bytes(const envelope& e);

// Joins a tail into `bytes` (and drops it), for a reader that needs the framing contiguous.
void make_flat(envelope& e);

// Loading an envelope from a remote node: CAF's own loading of a vector<char> resizes it
// (zero-filling every byte) and then copies into it, two passes over each byte of every
// fetch response and produce request. Read from BASP's binary_deserializer, the bytes are
// copied once, straight from its buffer.
inline caf::error load_envelope_bytes(caf::deserializer& f, std::vector<char>& out) {
  auto* binary = dynamic_cast<caf::binary_deserializer*>(&f);
  if (binary == nullptr)
    return f(out);
  size_t n = 0;
  if (auto err = binary->begin_sequence(n))
    return err;
  auto rest = binary->remainder();
  if (n > rest.size())
    return caf::sec::end_of_stream;
  auto first = reinterpret_cast<const char*>(rest.data());
  out.assign(first, first + n);
  binary->skip(n);
  return binary->end_sequence();
}

// Saving an envelope: as CAF saves a vector<char> (its size, then its bytes with one copy),
// but with the tail's pieces written after `bytes`, so a loader sees one sequence.
inline caf::error save_envelope_bytes(caf::serializer& f, const envelope& x) {
  auto n = x.size();
  if (auto err = f.begin_sequence(n))
    return err;
  auto put = [&](std::span<const char> b) -> caf::error {
    return b.empty() ? caf::error{} : f.apply_raw(b.size(), const_cast<char*>(b.data()));
  };
  if (auto err = put(x.bytes))
    return err;
  if (x.tail)
    for (auto& p : x.tail->pieces)
      if (auto err = put(p))
        return err;
  return f.end_sequence();
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, envelope& x) {
  if constexpr (std::is_base_of_v<caf::deserializer, Inspector>) {
    if (auto err = f(caf::meta::type_name("sluice::schema::envelope"), x.kind))
      return err;
    x.tail.reset();
    return load_envelope_bytes(f, x.bytes);
  } else if constexpr (std::is_base_of_v<caf::serializer, Inspector>) {
    if (auto err = f(caf::meta::type_name("sluice::schema::envelope"), x.kind))
      return err;
    return save_envelope_bytes(f, x);
  } else {
    auto flat = flat_bytes(x);
    return f(caf::meta::type_name("sluice::schema::envelope"), x.kind, flat);
  }
}

} // namespace sluice::schema

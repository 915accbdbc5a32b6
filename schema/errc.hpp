#pragma once

#include <cstdint>
#include <string>

namespace sluice::schema {

// The outcome code of every wire response: ErrorCode in schema/common.capnp, same names and
// ordinals (checked in errc.cpp). Codes only grow; a code from a newer peer that this build
// does not know decodes as unknown_server_error.
enum class errc : uint16_t {
  none = 0,
  unknown_topic_or_partition,
  invalid_topic,
  not_leader,
  offset_out_of_range,
  record_too_large,
  corrupt_message,
  invalid_request,
  request_timed_out,
  not_enough_replicas,
  topic_already_exists,
  invalid_partitions,
  invalid_replication_factor,
  invalid_config,
  unknown_server_error,
  leader_not_available,
  fenced_leader_epoch,
  unknown_leader_epoch,
  not_enough_replicas_after_append,
  not_controller,
  storage_error,
  unknown_member_id,
  illegal_generation,
  rebalance_in_progress,
  fenced_instance_id,
  inconsistent_group_protocol,
  coordinator_not_available,
  non_empty_group,
  group_id_not_found,
  invalid_group_id,
  invalid_session_timeout,
  stale_broker_epoch,
  invalid_replica_assignment,
  no_reassignment_in_progress,
  out_of_order_sequence,
  invalid_producer_epoch,
  concurrent_transactions,
  invalid_txn_state,
  transactional_id_not_found,
  invalid_transaction_timeout,
  invalid_record,
  invalid_record_state,
};

inline constexpr errc last_errc = errc::invalid_record_state;

const char* to_string(errc e) noexcept;

// An error as a value: a code to branch on and a one-line message for a human. The same pair
// travels in responses (errorCode, errorMessage) and comes back from decode, so an actor can
// answer a request it could not decode with the error it got.
struct error {
  errc code = errc::none;
  std::string message;

  bool ok() const { return code == errc::none; }
  std::string to_string() const { return std::string{schema::to_string(code)} + ": " + message; }
  bool operator==(const error&) const = default;
};

} // namespace sluice::schema

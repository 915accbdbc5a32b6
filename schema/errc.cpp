#include "schema/errc.hpp"

#include "schema/common.capnp.h"

namespace sluice::schema {

namespace {

// errc mirrors wire::ErrorCode ordinal by ordinal; framing.hpp converts with a cast.
constexpr bool same(errc e, wire::ErrorCode w) { return static_cast<uint16_t>(e) == static_cast<uint16_t>(w); }
static_assert(same(errc::none, wire::ErrorCode::NONE));
static_assert(same(errc::unknown_topic_or_partition, wire::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION));
static_assert(same(errc::invalid_topic, wire::ErrorCode::INVALID_TOPIC));
static_assert(same(errc::not_leader, wire::ErrorCode::NOT_LEADER));
static_assert(same(errc::offset_out_of_range, wire::ErrorCode::OFFSET_OUT_OF_RANGE));
static_assert(same(errc::record_too_large, wire::ErrorCode::RECORD_TOO_LARGE));
static_assert(same(errc::corrupt_message, wire::ErrorCode::CORRUPT_MESSAGE));
static_assert(same(errc::invalid_request, wire::ErrorCode::INVALID_REQUEST));
static_assert(same(errc::request_timed_out, wire::ErrorCode::REQUEST_TIMED_OUT));
static_assert(same(errc::not_enough_replicas, wire::ErrorCode::NOT_ENOUGH_REPLICAS));
static_assert(same(errc::topic_already_exists, wire::ErrorCode::TOPIC_ALREADY_EXISTS));
static_assert(same(errc::invalid_partitions, wire::ErrorCode::INVALID_PARTITIONS));
static_assert(same(errc::invalid_replication_factor, wire::ErrorCode::INVALID_REPLICATION_FACTOR));
static_assert(same(errc::invalid_config, wire::ErrorCode::INVALID_CONFIG));
static_assert(same(errc::unknown_server_error, wire::ErrorCode::UNKNOWN_SERVER_ERROR));
static_assert(same(errc::leader_not_available, wire::ErrorCode::LEADER_NOT_AVAILABLE));
static_assert(same(errc::fenced_leader_epoch, wire::ErrorCode::FENCED_LEADER_EPOCH));
static_assert(same(errc::unknown_leader_epoch, wire::ErrorCode::UNKNOWN_LEADER_EPOCH));
static_assert(same(errc::not_enough_replicas_after_append,
                   wire::ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND));
static_assert(same(errc::not_controller, wire::ErrorCode::NOT_CONTROLLER));
static_assert(same(errc::storage_error, wire::ErrorCode::STORAGE_ERROR));
static_assert(same(errc::unknown_member_id, wire::ErrorCode::UNKNOWN_MEMBER_ID));
static_assert(same(errc::illegal_generation, wire::ErrorCode::ILLEGAL_GENERATION));
static_assert(same(errc::rebalance_in_progress, wire::ErrorCode::REBALANCE_IN_PROGRESS));
static_assert(same(errc::fenced_instance_id, wire::ErrorCode::FENCED_INSTANCE_ID));
static_assert(same(errc::inconsistent_group_protocol, wire::ErrorCode::INCONSISTENT_GROUP_PROTOCOL));
static_assert(same(errc::coordinator_not_available, wire::ErrorCode::COORDINATOR_NOT_AVAILABLE));
static_assert(same(errc::non_empty_group, wire::ErrorCode::NON_EMPTY_GROUP));
static_assert(same(errc::group_id_not_found, wire::ErrorCode::GROUP_ID_NOT_FOUND));
static_assert(same(errc::invalid_group_id, wire::ErrorCode::INVALID_GROUP_ID));
static_assert(same(errc::invalid_session_timeout, wire::ErrorCode::INVALID_SESSION_TIMEOUT));
static_assert(same(errc::stale_broker_epoch, wire::ErrorCode::STALE_BROKER_EPOCH));
static_assert(same(errc::invalid_replica_assignment, wire::ErrorCode::INVALID_REPLICA_ASSIGNMENT));
static_assert(same(errc::no_reassignment_in_progress, wire::ErrorCode::NO_REASSIGNMENT_IN_PROGRESS));
static_assert(same(errc::out_of_order_sequence, wire::ErrorCode::OUT_OF_ORDER_SEQUENCE));
static_assert(same(errc::invalid_producer_epoch, wire::ErrorCode::INVALID_PRODUCER_EPOCH));
static_assert(same(errc::concurrent_transactions, wire::ErrorCode::CONCURRENT_TRANSACTIONS));
static_assert(same(errc::invalid_txn_state, wire::ErrorCode::INVALID_TXN_STATE));
static_assert(same(errc::transactional_id_not_found, wire::ErrorCode::TRANSACTIONAL_ID_NOT_FOUND));
static_assert(same(errc::invalid_transaction_timeout, wire::ErrorCode::INVALID_TRANSACTION_TIMEOUT));
static_assert(same(errc::invalid_record, wire::ErrorCode::INVALID_RECORD));
static_assert(same(errc::invalid_record_state, wire::ErrorCode::INVALID_RECORD_STATE));
// The enumerant count (a new wire code needs a new errc) is checked by tests/schema/errc_test.cpp.

} // namespace

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::none: return "none";
    case errc::unknown_topic_or_partition: return "unknown_topic_or_partition";
    case errc::invalid_topic: return "invalid_topic";
    case errc::not_leader: return "not_leader";
    case errc::offset_out_of_range: return "offset_out_of_range";
    case errc::record_too_large: return "record_too_large";
    case errc::corrupt_message: return "corrupt_message";
    case errc::invalid_request: return "invalid_request";
    case errc::request_timed_out: return "request_timed_out";
    case errc::not_enough_replicas: return "not_enough_replicas";
    case errc::topic_already_exists: return "topic_already_exists";
    case errc::invalid_partitions: return "invalid_partitions";
    case errc::invalid_replication_factor: return "invalid_replication_factor";
    case errc::invalid_config: return "invalid_config";
    case errc::unknown_server_error: return "unknown_server_error";
    case errc::leader_not_available: return "leader_not_available";
    case errc::fenced_leader_epoch: return "fenced_leader_epoch";
    case errc::unknown_leader_epoch: return "unknown_leader_epoch";
    case errc::not_enough_replicas_after_append: return "not_enough_replicas_after_append";
    case errc::not_controller: return "not_controller";
    case errc::storage_error: return "storage_error";
    case errc::unknown_member_id: return "unknown_member_id";
    case errc::illegal_generation: return "illegal_generation";
    case errc::rebalance_in_progress: return "rebalance_in_progress";
    case errc::fenced_instance_id: return "fenced_instance_id";
    case errc::inconsistent_group_protocol: return "inconsistent_group_protocol";
    case errc::coordinator_not_available: return "coordinator_not_available";
    case errc::non_empty_group: return "non_empty_group";
    case errc::group_id_not_found: return "group_id_not_found";
    case errc::invalid_group_id: return "invalid_group_id";
    case errc::invalid_session_timeout: return "invalid_session_timeout";
    case errc::stale_broker_epoch: return "stale_broker_epoch";
    case errc::invalid_replica_assignment: return "invalid_replica_assignment";
    case errc::no_reassignment_in_progress: return "no_reassignment_in_progress";
    case errc::out_of_order_sequence: return "out_of_order_sequence";
    case errc::invalid_producer_epoch: return "invalid_producer_epoch";
    case errc::concurrent_transactions: return "concurrent_transactions";
    case errc::invalid_txn_state: return "invalid_txn_state";
    case errc::transactional_id_not_found: return "transactional_id_not_found";
    case errc::invalid_transaction_timeout: return "invalid_transaction_timeout";
    case errc::invalid_record: return "invalid_record";
    case errc::invalid_record_state: return "invalid_record_state";
  }
  return "unknown";
}

} // namespace sluice::schema

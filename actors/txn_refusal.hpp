#pragma once

// A transaction request refused as a whole (by the txn manager before its coordinator sees it,
// or by the coordinator), answered in the request's own response type.

#include "schema/producer_id.hpp"
#include "schema/txn.hpp"

namespace sluice::actors {

inline schema::envelope refusal(const schema::init_producer_id_request&, schema::error e) {
  return schema::encode(schema::init_producer_id_response{std::move(e), no_producer_id, no_producer_epoch});
}
inline schema::envelope refusal(const schema::add_partitions_to_txn_request&, schema::error e) {
  return schema::encode(schema::add_partitions_to_txn_response{std::move(e)});
}
inline schema::envelope refusal(const schema::txn_offset_commit_request&, schema::error e) {
  return schema::encode(schema::txn_offset_commit_response{std::move(e)});
}
inline schema::envelope refusal(const schema::end_txn_request&, schema::error e) {
  return schema::encode(schema::end_txn_response{std::move(e)});
}

} // namespace sluice::actors

#pragma once

// A group request refused as a whole (the manager before routing, the coordinator before the
// membership protocol), answered in the request's own response type: every part of it gets
// the error.

#include "actors/txn_refusal.hpp"
#include "schema/group.hpp"

namespace sluice::actors {

inline schema::envelope refusal(const schema::join_group_request& r, schema::error e) {
  return schema::encode(schema::join_group_response{std::move(e), no_generation, {}, {}, r.member_id, {}});
}
inline schema::envelope refusal(const schema::sync_group_request&, schema::error e) {
  return schema::encode(schema::sync_group_response{std::move(e), {}});
}
inline schema::envelope refusal(const schema::heartbeat_request&, schema::error e) {
  return schema::encode(schema::heartbeat_response{std::move(e)});
}
inline schema::envelope refusal(const schema::leave_group_request&, schema::error e) {
  return schema::encode(schema::leave_group_response{std::move(e)});
}
inline schema::envelope refusal(const schema::offset_commit_request& r, schema::error e) {
  schema::offset_commit_response out;
  for (auto& p : r.partitions)
    out.partitions.push_back({p.topic, p.partition, e});
  return schema::encode(out);
}
inline schema::envelope refusal(const schema::offset_fetch_request&, schema::error e) {
  return schema::encode(schema::offset_fetch_response{std::move(e), {}});
}

} // namespace sluice::actors

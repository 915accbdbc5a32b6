#pragma once

// Replication outcomes (cluster::repl_errc) as the wire errors clients and followers see, and
// back: a follower's fetcher hears wire errors from the leader's node and hands the follower
// core its own codes.

#include "cluster/replication_types.hpp"
#include "schema/errc.hpp"

#include <string>

namespace sluice::actors {

inline schema::error to_wire_error(cluster::repl_errc e, const std::string& what) {
  using cluster::repl_errc;
  using schema::errc;
  switch (e) {
    case repl_errc::none: return {};
    case repl_errc::not_leader: return {errc::not_leader, what + ": not the leader"};
    case repl_errc::fenced_leader_epoch:
      return {errc::fenced_leader_epoch, what + ": the request's leader epoch is stale"};
    case repl_errc::unknown_leader_epoch:
      return {errc::unknown_leader_epoch, what + ": the request's leader epoch is not known here yet"};
    case repl_errc::not_replica: return {errc::not_leader, what + ": the fetching node holds no replica"};
    case repl_errc::offset_out_of_range:
      return {errc::offset_out_of_range, what + ": fetch offset beyond the leader's log end"};
    case repl_errc::not_enough_replicas:
      return {errc::not_enough_replicas, what + ": the ISR is smaller than min.insync.replicas"};
    case repl_errc::not_enough_replicas_after_append:
      return {errc::not_enough_replicas_after_append,
              what + ": appended, but the ISR shrank below min.insync.replicas"};
    case repl_errc::request_timed_out:
      return {errc::request_timed_out, what + ": the in-sync replicas did not confirm in time"};
  }
  return {errc::unknown_server_error, what};
}

inline cluster::repl_errc from_wire_error(schema::errc e) {
  using cluster::repl_errc;
  using schema::errc;
  switch (e) {
    case errc::none: return repl_errc::none;
    case errc::fenced_leader_epoch: return repl_errc::fenced_leader_epoch;
    case errc::unknown_leader_epoch: return repl_errc::unknown_leader_epoch;
    case errc::offset_out_of_range: return repl_errc::offset_out_of_range;
    default: return repl_errc::not_leader; // anything else: ask again later
  }
}

} // namespace sluice::actors

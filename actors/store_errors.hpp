#pragma once

#include "schema/errc.hpp"
#include "store/result.hpp"

namespace sluice::actors {

// A store error as the wire error a client sees: batch problems keep their meaning, anything
// the disk did is storage_error.
inline schema::error to_wire_error(const store::error& e) {
  using store::errc;
  auto code = schema::errc::storage_error;
  switch (e.code) {
    case errc::corrupt_batch: code = schema::errc::corrupt_message; break;
    case errc::record_too_large: code = schema::errc::record_too_large; break;
    case errc::offset_out_of_range: code = schema::errc::offset_out_of_range; break;
    case errc::invalid_argument: code = schema::errc::invalid_request; break;
    // An append under a leader epoch older than the log's newest: a stale leader.
    case errc::stale_epoch: code = schema::errc::fenced_leader_epoch; break;
    case errc::out_of_order_sequence: code = schema::errc::out_of_order_sequence; break;
    case errc::producer_fenced: code = schema::errc::invalid_producer_epoch; break;
    case errc::invalid_record: code = schema::errc::invalid_record; break;
    default: break;
  }
  return {code, e.message};
}

} // namespace sluice::actors

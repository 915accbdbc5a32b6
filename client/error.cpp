#include "client/error.hpp"

#include <algorithm>

namespace sluice::client {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::server: return "server error";
    case errc::unreachable: return "node unreachable";
    case errc::timed_out: return "timed out";
    case errc::buffer_full: return "producer buffer full";
    case errc::closed: return "client closed";
    case errc::invalid_argument: return "invalid argument";
    case errc::protocol: return "protocol error";
  }
  return "unknown client error";
}

bool error::retriable() const {
  switch (code) {
    case errc::unreachable:
    case errc::timed_out:
      return true;
    case errc::server:
      switch (server) {
        case schema::errc::not_leader:
        case schema::errc::leader_not_available:
        case schema::errc::request_timed_out:
        case schema::errc::not_enough_replicas:
        case schema::errc::not_enough_replicas_after_append:
        case schema::errc::fenced_leader_epoch:
        case schema::errc::unknown_leader_epoch:
        case schema::errc::coordinator_not_available:
        // The producer's previous transaction is still completing (its markers being written).
        case schema::errc::concurrent_transactions:
        // An idempotent producer's batch whose predecessor of the partition did not land (it
        // failed and is being retried): it goes again after it.
        case schema::errc::out_of_order_sequence:
          return true;
        default:
          return false;
      }
    default:
      return false;
  }
}

bool error::stale_leader() const {
  if (code != errc::server)
    return false;
  switch (server) {
    case schema::errc::not_leader:
    case schema::errc::leader_not_available:
    case schema::errc::fenced_leader_epoch:
    case schema::errc::unknown_leader_epoch:
      return true;
    default:
      return false;
  }
}

error from_server(const schema::error& e, const std::string& context) {
  if (e.ok())
    return {};
  std::string msg = context.empty() ? "" : context + ": ";
  std::string code = schema::to_string(e.code);
  std::replace(code.begin(), code.end(), '_', ' '); // "invalid topic", "record too large"
  msg += code;
  if (!e.message.empty())
    msg += " (" + e.message + ")";
  return {errc::server, e.code, std::move(msg)};
}

} // namespace sluice::client

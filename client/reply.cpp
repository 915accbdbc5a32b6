#include "client/reply.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <caf/to_string.hpp>

#include <algorithm>

namespace sluice::client {

std::string describe(const caf::error& e) {
  if (!e)
    return "no error";
  std::string out;
  if (e.category() == caf::atom("system")) {
    out = caf::to_string(static_cast<caf::sec>(e.code()));
    std::replace(out.begin(), out.end(), '_', ' ');
  } else {
    out = caf::to_string(e);
  }
  if (!e.context().empty()) {
    auto ctx = caf::to_string(e.context());
    ctx.erase(std::remove(ctx.begin(), ctx.end(), '"'), ctx.end());
    out += " " + ctx;
  }
  return out;
}

error from_caf(const caf::error& e, const std::string& peer) {
  if (e.category() == caf::atom("system") && static_cast<caf::sec>(e.code()) == caf::sec::request_timeout)
    return make_error(errc::timed_out, peer + " did not answer in time");
  return make_error(errc::unreachable, "lost connection to " + peer + ": " + describe(e));
}

} // namespace sluice::client

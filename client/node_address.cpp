#include "client/node_address.hpp"

#include <charconv>

namespace sluice::client {

result<node_address> parse_address(std::string_view text) {
  auto bad = [&](const char* why) {
    return make_error(errc::invalid_argument,
                      "invalid address '" + std::string{text} + "': " + why + " (want HOST:PORT)");
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return bad("no port");
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty())
    return bad("empty host");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return bad("port must be 1..65535");
  return node_address{std::string{host}, static_cast<uint16_t>(port)};
}

} // namespace sluice::client

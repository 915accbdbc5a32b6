#pragma once

#include "client/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::client {

// HOST:PORT of a node's --listen socket, as given to --bootstrap.
struct node_address {
  std::string host;
  uint16_t port = 0;

  std::string to_string() const { return host + ":" + std::to_string(port); }
  bool operator==(const node_address&) const = default;
};

// "host:port" with a non-empty host and a port in 1..65535; "[::1]:9292" for IPv6.
result<node_address> parse_address(std::string_view text);

} // namespace sluice::client

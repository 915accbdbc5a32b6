#pragma once

// sluiced's command line:
//   sluiced --node-id N --data-dir DIR --listen HOST:PORT [--controllers id@host:port,...]
//           [--config FILE] [--fsync always|never]
//           [--metrics-listen HOST:PORT] [--http-listen HOST:PORT]

#include "actors/node_config.hpp"

#include <string>
#include <variant>
#include <vector>

namespace sluice::tools {

struct show_help {};
struct bad_args {
  std::string message; // one line
};

using sluiced_args = std::variant<actors::node_config, show_help, bad_args>;

// Flags first, then the config file on top of the defaults, then --fsync, --metrics-listen and
// --http-listen (so the command line wins).
sluiced_args parse_sluiced_args(const std::vector<std::string>& args);

std::string sluiced_usage();

} // namespace sluice::tools

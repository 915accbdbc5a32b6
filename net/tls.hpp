#pragma once

// TLS on every link of a Sluice process, with CAF's OpenSSL module (libcaf-openssl): nodes
// with each other and clients with nodes. CAF's module always authenticates both ends: each
// side presents a certificate and checks the other's against its CA file, so a client needs
// a certificate of its own just as a node does. It checks the chain only, not the peer's
// name: every certificate the CA signed is accepted for any node, and the CA is the whole
// trust boundary (a cluster's own CA, not a public one).

#include "schema/result.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace caf {
class actor_system_config;
}

namespace sluice::net {

struct tls_options {
  bool enabled = false;
  std::filesystem::path certificate; // PEM: this side's certificate, then any intermediates
  std::filesystem::path key;         // PEM: its private key, unencrypted
  std::filesystem::path ca;          // PEM: the CA certificates that sign the peers'
};

// How the three files are set where a message must name them: config keys for sluiced,
// flags for sluice.
struct tls_setting_names {
  std::string enabled;
  std::string certificate;
  std::string key;
  std::string ca;
};

inline const tls_setting_names node_tls_names{"tls.enabled", "tls.certificate", "tls.key", "tls.ca"};

// Whether the files can serve before anything listens or connects: set, readable, PEM, the
// key matching the certificate, a CA in the CA file, and with `verify_own` the certificate
// signed by that CA and valid now (a node: the other nodes check it against the same CA
// file). CAF checks these only when a connection opens, and a failure there throws in its
// I/O thread, ending the process. Errors are invalid_config, one line naming the setting and
// file. Disabled options pass.
schema::status check_tls(const tls_options& opts, const tls_setting_names& names, bool verify_own);

// The three files as they were when the process started, in memory files of its own that
// live as long as this object. CAF reads the files again for every connection, and throws in
// its I/O thread (ending the process) when one is missing or half written: a certificate
// renewal that replaced the files would have stopped the node at its next connection.
class tls_snapshot {
public:
  tls_snapshot() = default;
  tls_snapshot(tls_snapshot&& other) noexcept : fds_(std::move(other.fds_)) { other.fds_.clear(); }
  tls_snapshot& operator=(tls_snapshot&& other) noexcept;
  tls_snapshot(const tls_snapshot&) = delete;
  tls_snapshot& operator=(const tls_snapshot&) = delete;
  ~tls_snapshot();

  // A path that reads as `file` read now (/proc/self/fd/N), or `file` itself when it cannot be
  // copied (no memfd): CAF then reads the file as it is at each connection.
  std::string keep(const std::filesystem::path& file);

private:
  std::vector<int> fds_;
};

// Loads CAF's OpenSSL module into `cfg` with snapshots of these files (nothing when
// disabled); keep the result as long as the actor system. Call after check_tls passed.
// Connect and publish through net/links.hpp then.
[[nodiscard]] tls_snapshot use_tls(caf::actor_system_config& cfg, const tls_options& opts);

} // namespace sluice::net

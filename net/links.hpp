#pragma once

// Which of CAF's two middleman actors opens and accepts this process's links: the OpenSSL
// module's when net::use_tls loaded it, else the plain one. Every connect and publish of a
// Sluice process goes through here, so that a TLS process never opens a plaintext link (the
// plain middleman would still do so if asked).

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>

#include <cstdint>
#include <string>

namespace sluice::net {

inline bool tls_on(caf::actor_system& sys) { return sys.has_openssl_manager(); }

// The actor to send (connect_atom, host, port) to from an event-based actor.
inline caf::io::middleman_actor connector(caf::actor_system& sys) {
  return tls_on(sys) ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
}

// Blocking connect, for threads that are not actors.
template <class Handle>
caf::expected<Handle> remote_actor(caf::actor_system& sys, std::string host, uint16_t port) {
  if (tls_on(sys))
    return caf::openssl::remote_actor<Handle>(sys, std::move(host), port);
  return sys.middleman().remote_actor<Handle>(std::move(host), port);
}

template <class Handle>
caf::expected<uint16_t> publish(const Handle& whom, uint16_t port, const char* host, bool reuse) {
  auto& sys = whom.home_system();
  if (tls_on(sys))
    return caf::openssl::publish(whom, port, host, reuse);
  return sys.middleman().publish(whom, port, host, reuse);
}

// Either middleman actor hands this to the one BASP broker that holds every published port.
// (caf::openssl::unpublish does not compile in 0.17.6: it leaves out the actor's address.)
template <class Handle>
caf::expected<void> unpublish(const Handle& whom, uint16_t port) {
  return whom.home_system().middleman().unpublish(whom, port);
}

} // namespace sluice::net

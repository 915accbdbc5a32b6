#include "net/tls.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/openssl/manager.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <utility>

namespace sluice::net {

namespace {

schema::error invalid(std::string message) {
  return {schema::errc::invalid_config, std::move(message)};
}

// The reason of OpenSSL's oldest queued error ("no start line", "bad decrypt").
std::string openssl_reason() {
  std::string out;
  if (auto e = ERR_peek_error())
    if (auto r = ERR_reason_error_string(e))
      out = r;
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Without this, OpenSSL asks for the passphrase of an encrypted key on the terminal, which
// would hang a daemon: refuse instead.
int no_passphrase(char*, int, int, void*) { return -1; }

schema::status readable(const std::string& name, const std::filesystem::path& file) {
  std::ifstream in{file};
  if (!in)
    return invalid(name + " " + file.string() + ": cannot read it (" + std::strerror(errno) + ")");
  return {};
}

} // namespace

schema::status check_tls(const tls_options& opts, const tls_setting_names& names, bool verify_own) {
  if (!opts.enabled)
    return {};
  struct setting {
    const std::string& name;
    const std::filesystem::path& file;
  };
  for (const setting& s : {setting{names.certificate, opts.certificate}, setting{names.key, opts.key},
                           setting{names.ca, opts.ca}}) {
    if (s.file.empty())
      return invalid(names.enabled + " needs " + s.name + " (CAF's TLS authenticates both ends)");
    if (auto st = readable(s.name, s.file); !st)
      return st;
  }
  // OpenSSL queues errors per thread: leave none behind for CAF's own reports.
  struct clear_errors {
    clear_errors() { ERR_clear_error(); }
    ~clear_errors() { ERR_clear_error(); }
  } clear;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return invalid("cannot set up TLS: " + openssl_reason());
  auto cert = opts.certificate.string(), key = opts.key.string(), ca = opts.ca.string();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1)
    return invalid(names.certificate + " " + cert + ": not a PEM certificate (" + openssl_reason() + ")");
  std::unique_ptr<BIO, decltype(&BIO_free)> key_file{BIO_new_file(key.c_str(), "r"), BIO_free};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{
    key_file ? PEM_read_bio_PrivateKey(key_file.get(), nullptr, no_passphrase, nullptr) : nullptr, EVP_PKEY_free};
  if (!pkey)
    return invalid(names.key + " " + key + ": not an unencrypted PEM private key (" + openssl_reason() + ")");
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx.get()), pkey.get()) != 1)
    return invalid(names.key + " " + key + " does not match the certificate in " + names.certificate + " "
                   + cert);
  if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1)
    return invalid(names.ca + " " + ca + ": no PEM CA certificate in it (" + openssl_reason() + ")");
  if (!verify_own)
    return {};
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx.get(), &chain);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> check{X509_STORE_CTX_new(), X509_STORE_CTX_free};
  if (!check
      || X509_STORE_CTX_init(check.get(), SSL_CTX_get_cert_store(ctx.get()), SSL_CTX_get0_certificate(ctx.get()),
                             chain)
           != 1)
    return invalid("cannot set up TLS: " + openssl_reason());
  if (X509_verify_cert(check.get()) != 1)
    return invalid(names.certificate + " " + cert + " does not verify against " + names.ca + " " + ca + " ("
                   + X509_verify_cert_error_string(X509_STORE_CTX_get_error(check.get()))
                   + "): the other nodes would refuse it");
  return {};
}

tls_snapshot& tls_snapshot::operator=(tls_snapshot&& other) noexcept {
  std::swap(fds_, other.fds_);
  return *this;
}

tls_snapshot::~tls_snapshot() {
  for (int fd : fds_)
    ::close(fd);
}

std::string tls_snapshot::keep(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  int fd = in ? ::memfd_create("sluice-tls", MFD_CLOEXEC) : -1;
  if (fd < 0)
    return file.string();
  fds_.push_back(fd);
  if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
    return file.string();
  return "/proc/self/fd/" + std::to_string(fd);
}

tls_snapshot use_tls(caf::actor_system_config& cfg, const tls_options& opts) {
  tls_snapshot files;
  if (!opts.enabled)
    return files;
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = files.keep(opts.certificate);
  cfg.openssl_key = files.keep(opts.key);
  cfg.openssl_cafile = files.keep(opts.ca);
  // BASP's automatic connections (straight to a node known only through another one) dial
  // plain TCP whatever module is loaded. Off, which is also CAF's default, such messages go
  // through the node that introduced the other, over the TLS links already open.
  cfg.set("middleman.enable-automatic-connections", false);
  return files;
}

} // namespace sluice::net

// CAF's OpenSSL module reads SSL_get_error after each SSL call on its non-blocking sockets,
// but OpenSSL reports from the calling thread's error queue, which must be empty before the
// call. CAF drains it only in log statements, and Debian builds CAF with logging compiled
// out: one failed connection (a client that closed its socket, a refused handshake) left its
// error queued in the I/O thread, and the next SSL_read on any other link that merely had no
// data yet read as a failure and closed that link. Nodes linked both ways lost each other
// every few milliseconds (the redundant second link BASP closes is such a failure). These
// definitions in the executable come before libssl's in symbol lookup, so CAF's calls reach
// them; each empties the queue and calls libssl's own. They live here because every program
// that can load CAF's module calls use_tls, which links this file.
namespace {

template <class F>
F libssl(const char* name) {
  auto f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  if (!f)
    std::abort(); // libssl is linked in with CAF's module: cannot happen
  return f;
}

} // namespace

extern "C" int SSL_read(SSL* ssl, void* buf, int num) {
  static auto real = libssl<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

extern "C" int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto real = libssl<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

extern "C" int SSL_connect(SSL* ssl) {
  static auto real = libssl<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

extern "C" int SSL_accept(SSL* ssl) {
  static auto real = libssl<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

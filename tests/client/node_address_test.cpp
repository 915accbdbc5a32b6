#define CAF_SUITE client.node_address
#include <caf/test/unit_test.hpp>

#include "client/node_address.hpp"

using namespace sluice::client;

CAF_TEST(host and port) {
  auto a = parse_address("127.0.0.1:9292");
  CAF_REQUIRE(a.ok());
  CAF_CHECK_EQUAL(a->host, "127.0.0.1");
  CAF_CHECK_EQUAL(a->port, 9292);
  CAF_CHECK_EQUAL(a->to_string(), "127.0.0.1:9292");
  auto b = parse_address("localhost:1");
  CAF_REQUIRE(b.ok());
  CAF_CHECK_EQUAL(b->host, "localhost");
  auto v6 = parse_address("[::1]:9292");
  CAF_REQUIRE(v6.ok());
  CAF_CHECK_EQUAL(v6->host, "::1");
}

CAF_TEST(malformed addresses say why) {
  for (auto bad : {"", "127.0.0.1", ":9292", "host:", "host:0", "host:65536", "host:12x", "host:-1"}) {
    auto a = parse_address(bad);
    CAF_CHECK(!a.ok());
    if (!a.ok()) {
      CAF_CHECK(a.err().code == errc::invalid_argument);
      CAF_CHECK(a.err().message.find("HOST:PORT") != std::string::npos);
    }
  }
}

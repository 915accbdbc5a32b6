#define CAF_SUITE schema.errc
#include <caf/test/unit_test.hpp>

#include "schema/errc.hpp"

#include "schema/common.capnp.h"

#include <capnp/schema.h>

#include <cctype>
#include <string>

using namespace sluice::schema;

namespace {

std::string snake_case(std::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace

CAF_TEST(errc mirrors the wire ErrorCode name by name) {
  auto enumerants = capnp::Schema::from<wire::ErrorCode>().getEnumerants();
  CAF_CHECK_EQUAL(enumerants.size(), static_cast<size_t>(last_errc) + 1);
  for (auto e : enumerants) {
    auto wire_name = snake_case(e.getProto().getName().cStr());
    CAF_CHECK_EQUAL(wire_name, to_string(static_cast<errc>(e.getOrdinal())));
  }
}

CAF_TEST(an error prints its code and message) {
  error e{errc::not_leader, "partition orders-3 is led by node 2"};
  CAF_CHECK_EQUAL(e.to_string(), "not_leader: partition orders-3 is led by node 2");
  CAF_CHECK(!e.ok());
  CAF_CHECK(error{}.ok());
}

#define CAF_SUITE schema.type_ids
#include <caf/test/unit_test.hpp>

#include "schema/type_ids.hpp"

#include "tests/schema/samples.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/to_string.hpp>

#include <chrono>

using namespace sluice;
using namespace sluice::schema;

namespace {

struct config : caf::actor_system_config {
  config() { register_message_types(*this); }
};

struct fixture {
  config cfg;
  caf::actor_system sys{cfg};
};

// A partition leader in miniature: it sees only envelopes, plain structs and errors. A class,
// not a function: CAF 0.17's function-actor factory binds a reference to a null argument
// tuple, which UBSan reports.
class leader : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

  caf::behavior make_behavior() override {
    return {
      [](produce_atom, const envelope& e) -> envelope {
        produce_response out;
        auto req = decode<produce_request>(e);
        if (!req) {
          out.partitions.push_back({"", partition_id{-1}, req.err(), offset{-1}, no_timestamp,
                                    offset{-1}});
          return encode(out);
        }
        for (auto& p : req->partitions)
          out.partitions.push_back({p.topic, p.partition, {}, offset{42}, no_timestamp,
                                    offset{0}});
        return encode(out);
      },
    };
  }
};

} // namespace

CAF_TEST(envelope has the first custom type id) {
  CAF_CHECK_EQUAL(caf::type_id<envelope>::value, caf::first_custom_type_id);
  CAF_CHECK_EQUAL(std::string{caf::type_name<envelope>::value}, "sluice::schema::envelope");
  CAF_CHECK_EQUAL(caf::id_block::sluice::end - caf::id_block::sluice::begin, 1);
}

CAF_TEST_FIXTURE_SCOPE(type_ids_tests, fixture)

CAF_TEST(a caf message with an atom and an envelope survives serialisation) {
  auto sent = std::get<produce_request>(test::samples());
  auto msg = caf::make_message(produce_atom_v, encode(sent));
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(msg))
    CAF_FAIL("serialize: " << sys.render(err));
  caf::message got;
  caf::binary_deserializer source{sys, buf};
  if (auto err = source(got))
    CAF_FAIL("deserialize: " << sys.render(err));
  CAF_REQUIRE((got.match_elements<produce_atom, envelope>()));
  auto back = decode<produce_request>(got.get_as<envelope>(1));
  CAF_REQUIRE(back.ok());
  CAF_CHECK(*back == sent);
}

CAF_TEST(an actor answers a valid request and a corrupt one with a value) {
  auto a = sys.spawn<leader>();
  caf::scoped_actor self{sys};
  auto ask = [&](const envelope& e) {
    produce_response out;
    self->request(a, std::chrono::seconds(10), produce_atom_v, e)
      .receive(
        [&](const envelope& reply) {
          auto r = decode<produce_response>(reply);
          CAF_REQUIRE(r.ok());
          out = *r;
        },
        [&](const caf::error& err) { CAF_FAIL(sys.render(err)); });
    return out;
  };
  auto ok = ask(encode(std::get<produce_request>(test::samples())));
  CAF_REQUIRE_EQUAL(ok.partitions.size(), 3u);
  CAF_CHECK_EQUAL(ok.partitions[0].base_offset, offset{42});
  auto corrupt = encode(std::get<produce_request>(test::samples()));
  corrupt.bytes.resize(corrupt.bytes.size() / 2);
  auto refused = ask(corrupt);
  CAF_REQUIRE_EQUAL(refused.partitions.size(), 1u);
  CAF_CHECK_EQUAL(refused.partitions[0].error.code, errc::corrupt_message);
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

CAF_TEST_FIXTURE_SCOPE_END()

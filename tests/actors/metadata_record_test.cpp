#define CAF_SUITE actors.metadata_record
#include <caf/test/unit_test.hpp>

#include "actors/metadata_record.hpp"

#include <random>

using namespace sluice;
using namespace sluice::actors;

namespace {

topic_spec spec(std::string name, int32_t partitions) {
  return {std::move(name), partitions, 3, {{"retention.ms", "1000"}, {"cleanup.policy", "delete"}}};
}

} // namespace

CAF_TEST(records round trip) {
  for (auto& r : std::vector<metadata_record>{topic_put_record{spec("orders", 12)},
                                              topic_put_record{{"bare", 1, 1, {}}},
                                              topic_delete_record{"orders"}}) {
    auto back = decode_metadata_record(encode_metadata_record(r));
    CAF_REQUIRE(back);
    CAF_CHECK(*back == r);
  }
}

CAF_TEST(every truncation and a foreign version or type is refused) {
  auto bytes = encode_metadata_record(topic_put_record{spec("orders", 12)});
  for (size_t n = 0; n < bytes.size(); ++n)
    CAF_CHECK(!decode_metadata_record(std::string_view{bytes}.substr(0, n)));
  auto version = bytes;
  version[0] = 9;
  CAF_CHECK(!decode_metadata_record(version));
  auto type = bytes;
  type[1] = 7;
  auto r = decode_metadata_record(type);
  CAF_REQUIRE(!r);
  CAF_CHECK_EQUAL(r.err().code, schema::errc::corrupt_message);
  CAF_CHECK(!decode_metadata_record(encode_metadata_record(topic_delete_record{"x"}) + "y"));
}

CAF_TEST(replicas applying the same log end with the same table) {
  std::mt19937_64 rng{5};
  std::vector<std::string> log;
  for (int i = 0; i < 300; ++i) {
    auto name = "t" + std::to_string(rng() % 20);
    if (rng() % 3 == 0)
      log.push_back(encode_metadata_record(topic_delete_record{name}));
    else
      log.push_back(encode_metadata_record(topic_put_record{spec(name, 1 + static_cast<int32_t>(rng() % 50))}));
  }
  topic_table a{{}, {}}, b{{}, {}};
  for (auto& bytes : log) {
    auto r = decode_metadata_record(bytes);
    CAF_REQUIRE(r);
    apply_metadata_record(a, *r);
    apply_metadata_record(b, *r);
  }
  CAF_CHECK(a.topics() == b.topics());
  CAF_CHECK(!a.topics().empty());
}

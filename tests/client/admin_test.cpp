#define CAF_SUITE client.admin
#include <caf/test/unit_test.hpp>

#include "client/admin.hpp"
#include "tests/client/fake_node.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

struct fixture : test::fake_node_fixture {
  admin adm{conn};
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(admin_tests, fixture)

CAF_TEST(create list describe delete) {
  CAF_REQUIRE(adm.create_topic({"b", 3, 1, {}}).ok());
  CAF_REQUIRE(adm.create_topic({"a", 1, 1, {{"retention.ms", "1000"}}}).ok());
  auto again = adm.create_topic({"a", 1, 1, {}});
  CAF_REQUIRE(!again.ok());
  CAF_CHECK(again.err().server == schema::errc::topic_already_exists);
  auto ls = adm.list_topics();
  CAF_REQUIRE(ls.ok());
  CAF_REQUIRE_EQUAL(ls->size(), 2u);
  CAF_CHECK_EQUAL(ls->at(0).name, "a"); // sorted
  auto d = adm.describe_topic("b");
  CAF_REQUIRE(d.ok());
  CAF_CHECK_EQUAL(d->partitions.size(), 3u);
  CAF_CHECK_EQUAL(d->partitions[2].partition.value, 2);
  CAF_CHECK_EQUAL(d->partitions[0].leader.value, 1);
  CAF_CHECK_EQUAL(d->partitions[0].log_end.value, 0);
  CAF_CHECK_EQUAL(d->configs.size(), 2u);
  CAF_REQUIRE(adm.delete_topic("b").ok());
  auto gone = adm.delete_topic("b");
  CAF_REQUIRE(!gone.ok());
  CAF_CHECK_EQUAL(gone.err().message, "unknown topic 'b'");
}

CAF_TEST(unknown topics say so by name) {
  auto d = adm.describe_topic("zz");
  CAF_REQUIRE(!d.ok());
  CAF_CHECK_EQUAL(d.err().message, "unknown topic 'zz'");
  auto c = adm.describe_configs("zz");
  CAF_REQUIRE(!c.ok());
  CAF_CHECK_EQUAL(c.err().message, "unknown topic 'zz'");
}

CAF_TEST(partitions only grow) {
  st->add_topic("t", 2);
  CAF_REQUIRE(adm.create_partitions("t", 4).ok());
  auto md = adm.metadata({"t"});
  CAF_REQUIRE(md.ok());
  CAF_CHECK_EQUAL(md->topics.at(0).partitions.size(), 4u);
  auto shrink = adm.create_partitions("t", 3);
  CAF_REQUIRE(!shrink.ok());
  CAF_CHECK(shrink.err().server == schema::errc::invalid_partitions);
}

CAF_TEST(list offsets and inspect) {
  st->add_topic("t", 2);
  auto offs = adm.list_offsets({{"t", partition_id{0}}, {"t", partition_id{1}}}, schema::offset_query::latest);
  CAF_REQUIRE(offs.ok());
  CAF_CHECK_EQUAL(offs->size(), 2u);
  auto text = adm.inspect("partition");
  CAF_REQUIRE(text.ok());
  CAF_CHECK_EQUAL(*text, "fake node; filter=partition");
}

CAF_TEST_FIXTURE_SCOPE_END()

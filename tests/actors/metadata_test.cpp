#define CAF_SUITE actors.metadata
#include "tests/actors/actor_fixture.hpp"

#include "actors/metadata_actor.hpp"
#include "actors/metadata_store.hpp"
#include "schema/configs.hpp"
#include "schema/error_response.hpp"
#include "schema/topics.hpp"

using namespace sluice;
using namespace sluice::actors;
using schema::errc;

namespace {

// Records what the metadata tells its subscribers.
class listener : public topic_listener::base {
public:
  listener(caf::actor_config& cfg, std::vector<std::string>* log)
    : topic_listener::base(cfg), log_(log) {}

  behavior_type make_behavior() override {
    return {
      [this](topic_update_atom, const topic_spec& s) {
        log_->push_back("put " + s.name + "/" + std::to_string(s.partitions));
      },
      [this](topic_deleted_atom, const std::string& name) { log_->push_back("del " + name); },
      [this](partition_states_atom, const partition_states& s) {
        log_->push_back("states " + s.topic); // a single node never sends any
      },
    };
  }

private:
  std::vector<std::string>* log_;
};

struct fixture : test::actor_fixture {
  metadata_actor md;
  std::vector<std::string> heard;

  fixture() { start(); }
  ~fixture() override { self->send_exit(md, caf::exit_reason::user_shutdown); }

  void start() {
    metadata_args args{dir / "meta", topic_config{}, topic_limits{}, {node_id{7}, "h", 9292, ""}};
    md = spawn_metadata(sys, std::move(args));
    consume();
  }

  void restart() {
    self->send_exit(md, caf::exit_reason::user_shutdown);
    consume();
    start();
  }

  template <class Response, class Atom, class Request>
  Response ask(Atom atom, const Request& req) {
    self->send(md, atom, encode(req));
    consume();
    auto e = require_reply<schema::envelope>();
    auto r = schema::decode<Response>(e);
    if (!r)
      CAF_FAIL("reply does not decode as expected: " << r.err().to_string());
    return *r;
  }

  schema::error create(const std::string& name, int32_t partitions = 1, int16_t rf = 1,
                       std::vector<schema::create_topics_request::config> configs = {}) {
    schema::create_topics_request req;
    req.topics.push_back({name, partitions, rf, std::move(configs)});
    auto r = ask<schema::create_topics_response>(create_topics_atom_v, req);
    CAF_REQUIRE_EQUAL(r.topics.size(), 1u);
    return r.topics[0].error;
  }

  std::vector<std::string> list() {
    std::vector<std::string> out;
    for (auto& t : ask<schema::list_topics_response>(list_topics_atom_v,
                                                     schema::list_topics_request{})
                     .topics)
      out.push_back(t.name + "/" + std::to_string(t.partitions));
    return out;
  }

  schema::error grow(const std::string& name, int32_t total) {
    schema::create_partitions_request req{{{name, total}}, 1000};
    return ask<schema::create_partitions_response>(create_partitions_atom_v, req).topics.at(0).error;
  }
};

using strings = std::vector<std::string>;

} // namespace

CAF_TEST(topic names follow Kafka) {
  CAF_CHECK(validate_topic_name("orders.v2_eu-west"));
  CAF_CHECK(validate_topic_name(std::string(249, 'a')));
  for (auto bad : {std::string{}, std::string{"."}, std::string{".."}, std::string{"a/b"},
                   std::string{"sp ace"}, std::string{"ü"}, std::string(250, 'a')}) {
    auto st = validate_topic_name(bad);
    CAF_CHECK_EQUAL(st.code(), errc::invalid_topic);
  }
}

CAF_TEST(topic configs parse with bounds and name the bad key) {
  topic_config c;
  CAF_CHECK(set_config(c, "retention.ms", "-1"));
  CAF_CHECK_EQUAL(c.retention_ms, -1);
  CAF_CHECK(set_config(c, "segment.bytes", "1048576"));
  auto st = set_config(c, "segment.bytes", "12");
  CAF_CHECK_EQUAL(st.code(), errc::invalid_config);
  CAF_CHECK(st.err().message.find("segment.bytes") != std::string::npos);
  CAF_CHECK_EQUAL(set_config(c, "retention.ms", "soon").code(), errc::invalid_config);
  CAF_CHECK_EQUAL(set_config(c, "retention.ms", "10x").code(), errc::invalid_config);
  CAF_CHECK_EQUAL(set_config(c, "cleanup.policy", "compacted").code(), errc::invalid_config);
  CAF_CHECK(set_config(c, "cleanup.policy", "delete,compact"));
  CAF_CHECK_EQUAL(c.cleanup_policy, "compact,delete");
  CAF_CHECK(set_config(c, "min.cleanable.dirty.ratio", "0.25"));
  CAF_CHECK_EQUAL(c.min_cleanable_dirty_ratio, 0.25);
  CAF_CHECK_EQUAL(set_config(c, "min.cleanable.dirty.ratio", "1.5").code(), errc::invalid_config);
  CAF_CHECK_EQUAL(set_config(c, "min.cleanable.dirty.ratio", "x").code(), errc::invalid_config);
  CAF_CHECK_EQUAL(set_config(c, "delete.retention.ms", "-1").code(), errc::invalid_config);
  auto compact = to_log_config(*effective_config(
    {}, {{"cleanup.policy", "compact"}, {"delete.retention.ms", "5"}, {"min.compaction.lag.ms", "7"}}));
  CAF_CHECK(compact.compacted);
  CAF_CHECK_EQUAL(compact.retention_ms, -1); // compaction alone never deletes by age
  CAF_CHECK_EQUAL(compact.delete_retention_ms, 5);
  CAF_CHECK_EQUAL(compact.min_compaction_lag_ms, 7);
  auto both = to_log_config(*effective_config({}, {{"cleanup.policy", "compact,delete"}}));
  CAF_CHECK(both.compacted);
  CAF_CHECK_EQUAL(both.retention_ms, topic_config{}.retention_ms);
  CAF_CHECK(!to_log_config(topic_config{}).compacted);
  auto unknown = set_config(c, "retention.hours", "1");
  CAF_CHECK_EQUAL(unknown.code(), errc::invalid_config);
  CAF_MESSAGE(unknown.err().message);
  auto log = to_log_config(*effective_config({}, {{"flush.messages", "1"}}));
  CAF_CHECK(log.flush.mode == store::flush_policy::kind::always);
}

CAF_TEST(topic specs round trip through their LMDB encoding) {
  topic_spec s{"orders", 12, 1, {{"retention.ms", "1000"}, {"segment.bytes", "4096"}}, {}};
  auto back = decode_topic_spec("orders", encode_topic_spec(s));
  CAF_REQUIRE(back.has_value());
  CAF_CHECK(*back == s);
  auto bytes = encode_topic_spec(s);
  CAF_CHECK(!decode_topic_spec("orders", bytes.substr(0, bytes.size() - 1)));
  CAF_CHECK(!decode_topic_spec("orders", bytes + "x"));
}

CAF_TEST_FIXTURE_SCOPE(metadata_tests, fixture)

CAF_TEST(create list describe and delete) {
  auto l = sys.spawn<listener>(&heard);
  self->send(md, subscribe_atom_v, l);
  consume();
  CAF_CHECK(require_reply<std::vector<topic_spec>>().empty());

  CAF_CHECK(create("orders", 3, 1, {{"retention.ms", "60000"}}).ok());
  CAF_CHECK(create("audit").ok());
  CAF_CHECK_EQUAL(list(), (strings{"audit/1", "orders/3"}));

  auto m = ask<schema::metadata_response>(metadata_atom_v, schema::metadata_request{false, {"orders", "nope"}});
  CAF_REQUIRE_EQUAL(m.brokers.size(), 1u);
  CAF_CHECK_EQUAL(m.brokers[0].id, node_id{7});
  CAF_CHECK_EQUAL(m.controller_id, node_id{7});
  CAF_REQUIRE_EQUAL(m.topics.size(), 2u);
  CAF_CHECK_EQUAL(m.topics[0].partitions.size(), 3u);
  CAF_CHECK_EQUAL(m.topics[0].partitions[2].leader, node_id{7});
  CAF_CHECK_EQUAL(m.topics[1].error.code, errc::unknown_topic_or_partition);

  auto c = ask<schema::describe_configs_response>(describe_configs_atom_v,
                                                  schema::describe_configs_request{{"orders"}});
  CAF_REQUIRE_EQUAL(c.topics.size(), 1u);
  bool saw_override = false;
  for (auto& e : c.topics[0].configs) {
    if (e.key == "retention.ms") {
      saw_override = true;
      CAF_CHECK_EQUAL(e.value, "60000");
      CAF_CHECK(!e.is_default);
    } else {
      CAF_CHECK(e.is_default);
    }
  }
  CAF_CHECK(saw_override);
  CAF_CHECK_EQUAL(c.topics[0].configs.size(), 16u); // every key of topic_config (actors/topic_config.hpp)

  auto d = ask<schema::delete_topics_response>(delete_topics_atom_v,
                                               schema::delete_topics_request{{"audit", "nope"}, 1000});
  CAF_CHECK(d.topics.at(0).error.ok());
  CAF_CHECK_EQUAL(d.topics.at(1).error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(list(), (strings{"orders/3"}));
  CAF_CHECK_EQUAL(heard, (strings{"put orders/3", "put audit/1", "del audit"}));
  self->send_exit(l, caf::exit_reason::user_shutdown);
}

CAF_TEST(topics survive a restart of the metadata actor) {
  CAF_CHECK(create("orders", 4, 1, {{"segment.bytes", "65536"}}).ok());
  CAF_CHECK(create("gone").ok());
  ask<schema::delete_topics_response>(delete_topics_atom_v, schema::delete_topics_request{{"gone"}, 1000});
  restart();
  CAF_CHECK_EQUAL(list(), (strings{"orders/4"}));
  self->send(md, subscribe_atom_v, caf::actor_cast<topic_listener>(sys.spawn<listener>(&heard)));
  consume();
  auto snapshot = require_reply<std::vector<topic_spec>>();
  CAF_REQUIRE_EQUAL(snapshot.size(), 1u);
  CAF_CHECK_EQUAL(snapshot[0].configs.at("segment.bytes"), "65536");
}

CAF_TEST(bad creates are refused with the matching code) {
  CAF_CHECK_EQUAL(create("bad/name").code, errc::invalid_topic);
  CAF_CHECK_EQUAL(create("").code, errc::invalid_topic);
  CAF_CHECK_EQUAL(create("p0", 0).code, errc::invalid_partitions);
  CAF_CHECK_EQUAL(create("p1", -5).code, errc::invalid_partitions);
  CAF_CHECK_EQUAL(create("p2", topic_limits{}.max_partitions + 1).code, errc::invalid_partitions);
  CAF_CHECK_EQUAL(create("rf", 1, 3).code, errc::invalid_replication_factor);
  CAF_CHECK_EQUAL(create("rf0", 1, 0).code, errc::invalid_replication_factor);
  auto unknown = create("cfg", 1, 1, {{"retention.hours", "1"}});
  CAF_CHECK_EQUAL(unknown.code, errc::invalid_config);
  CAF_CHECK(unknown.message.find("retention.hours") != std::string::npos);
  CAF_CHECK_EQUAL(create("cfg", 1, 1, {{"retention.ms", "a week"}}).code, errc::invalid_config);
  CAF_CHECK(create("dup").ok());
  CAF_CHECK_EQUAL(create("dup").code, errc::topic_already_exists);
  CAF_CHECK(create("defaults", -1, -1).ok()); // Kafka's "use the broker default"
  CAF_CHECK_EQUAL(list(), (strings{"defaults/1", "dup/1"}));
}

CAF_TEST(validate_only creates nothing) {
  schema::create_topics_request req;
  req.validate_only = true;
  req.topics.push_back({"dry", 2, 1, {}});
  req.topics.push_back({"dry run", 2, 1, {}});
  auto r = ask<schema::create_topics_response>(create_topics_atom_v, req);
  CAF_CHECK(r.topics.at(0).error.ok());
  CAF_CHECK_EQUAL(r.topics.at(1).error.code, errc::invalid_topic);
  CAF_CHECK(list().empty());
}

CAF_TEST(partitions can be added but never removed) {
  CAF_CHECK(create("orders", 2).ok());
  CAF_CHECK(grow("orders", 5).ok());
  CAF_CHECK_EQUAL(grow("orders", 5).code, errc::invalid_partitions);
  CAF_CHECK_EQUAL(grow("orders", 3).code, errc::invalid_partitions);
  CAF_CHECK_EQUAL(grow("nope", 3).code, errc::unknown_topic_or_partition);
  restart();
  CAF_CHECK_EQUAL(list(), (strings{"orders/5"}));
}

CAF_TEST(an undecodable request gets an error_response) {
  self->send(md, create_topics_atom_v, schema::envelope{schema::message_kind::create_topics_request, {1, 2, 3}});
  consume();
  auto r = schema::decode<schema::error_response>(require_reply<schema::envelope>());
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->error.code, errc::corrupt_message);
  // A request of the wrong kind for the atom.
  self->send(md, create_topics_atom_v, encode(schema::list_topics_request{}));
  consume();
  auto k = schema::decode<schema::error_response>(require_reply<schema::envelope>());
  CAF_REQUIRE(k.ok());
  CAF_CHECK_EQUAL(k->error.code, errc::invalid_request);
  CAF_CHECK(create("fine").ok());
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE actors.txn_manager
#include "tests/actors/node_fixture.hpp"

// The txn manager (actors/txn_manager.hpp) driven by CAF's test coordinator, two ways:
//   - alone, over a real __transaction_state topic actor, with a fake node (producer ids,
//     markers) and a fake group manager, so markers, retries and recovery are observable;
//   - inside a real single node, for routing, group offsets and every refusal.

#include "actors/node_actor.hpp"
#include "actors/topic_actor.hpp"
#include "actors/txn_manager.hpp"
#include "schema/error_response.hpp"
#include "schema/group.hpp"
#include "schema/metadata.hpp"
#include "schema/producer_id.hpp"
#include "schema/topics.hpp"
#include "schema/txn.hpp"
#include "schema/txn_marker.hpp"

#include <caf/event_based_actor.hpp>

using namespace sluice;
using namespace sluice::actors;
using schema::errc;
using schema::envelope;
using namespace std::chrono_literals;

namespace {

using tp = schema::txn_topic_partition;

// What the fake node and group manager saw and how they answer.
struct fake_world {
  int64_t next_pid = 7000;
  std::vector<schema::write_txn_markers_request> markers;
  std::vector<schema::txn_offset_commit_request> group_writes;
  errc marker_answer = errc::none;
};

class fake_node : public caf::event_based_actor {
public:
  fake_node(caf::actor_config& cfg, std::shared_ptr<fake_world> w)
    : caf::event_based_actor(cfg), w_(std::move(w)) {}

  caf::behavior make_behavior() override {
    return {
      [this](init_producer_id_atom, const envelope&) {
        return encode(schema::init_producer_id_response{{}, producer_id{w_->next_pid++},
                                                        producer_epoch{0}});
      },
      [this](write_txn_markers_atom, const envelope& e) {
        auto req = schema::decode<schema::write_txn_markers_request>(e);
        schema::write_txn_markers_response out;
        if (req) {
          w_->markers.push_back(*req);
          for (auto& m : req->markers) {
            auto& r = out.markers.emplace_back();
            r.id = m.id;
            for (auto& p : m.partitions)
              r.partitions.push_back({p.topic, p.partition, {w_->marker_answer, "fake"}});
          }
        }
        return encode(out);
      },
      [this](write_txn_offsets_atom, const envelope& e) {
        auto req = schema::decode<schema::txn_offset_commit_request>(e);
        if (req)
          w_->group_writes.push_back(*req);
        return encode(schema::txn_offset_commit_response{});
      },
    };
  }

private:
  std::shared_ptr<fake_world> w_;
};

struct fixture : test::actor_fixture {
  std::shared_ptr<fake_world> world = std::make_shared<fake_world>();
  caf::actor fake;
  topic_actor log;
  txn_manager_actor txns;
  int64_t clock_ms = 1'000'000;

  fixture() {
    fake = sys.spawn<fake_node>(world);
    topic_args ta;
    ta.spec = {std::string{transaction_state_topic}, 2, 1, {}, {}};
    ta.topics_dir = dir / "topics";
    ta.tick_interval = 0ms;
    log = spawn_topic(sys, ta);
    start();
  }

  ~fixture() override {
    self->send_exit(txns, caf::exit_reason::user_shutdown);
    self->send_exit(log, caf::exit_reason::user_shutdown);
    self->send_exit(fake, caf::exit_reason::user_shutdown);
  }

  void start() {
    txn_manager_args a;
    a.dir = dir / "transactions";
    a.node = node_id{1};
    a.self = caf::actor_cast<node_actor>(fake);
    a.groups = caf::actor_cast<group_request_actor>(fake);
    a.tick_interval = 0ms; // the test sends ticks
    a.limits = {60'000, 100, 1'000, 600'000};
    a.now_ms = [this] { return clock_ms; };
    txns = spawn_txn_manager(sys, a);
    self->send(txns, topic_update_atom_v, topic_spec{std::string{transaction_state_topic}, 2, 1, {}, {}});
    self->send(txns, txn_log_atom_v, log);
    consume();
  }

  void restart() {
    self->send_exit(txns, caf::exit_reason::user_shutdown);
    consume();
    start();
  }

  template <class Response, class Atom, class Request>
  Response ask(Atom atom, const Request& req) {
    self->send(txns, atom, encode(req));
    consume();
    return decoded_reply<Response>();
  }

  schema::init_producer_id_response init(const std::string& id, int32_t timeout_ms = 10'000) {
    return ask<schema::init_producer_id_response>(
      init_producer_id_atom_v, schema::init_producer_id_request{id, no_producer_id, no_producer_epoch, timeout_ms});
  }

  errc add(const std::string& id, const schema::init_producer_id_response& p, std::vector<tp> parts) {
    return ask<schema::add_partitions_to_txn_response>(
             add_partitions_to_txn_atom_v, schema::add_partitions_to_txn_request{id, p.id, p.epoch, parts})
      .error.code;
  }

  errc end(const std::string& id, const schema::init_producer_id_response& p, bool commit) {
    return ask<schema::end_txn_response>(end_txn_atom_v, schema::end_txn_request{id, p.id, p.epoch, commit})
      .error.code;
  }

  schema::describe_transactions_response::description describe(const std::string& id) {
    auto r = ask<schema::describe_transactions_response>(describe_transactions_atom_v,
                                                         schema::describe_transactions_request{{id}});
    CAF_REQUIRE_EQUAL(r.transactions.size(), 1u);
    return r.transactions[0];
  }

  void tick(int64_t advance_ms) {
    clock_ms += advance_ms;
    self->send(txns, tick_atom_v);
    consume();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(txn_manager_tests, fixture)

CAF_TEST(a commit writes markers to every partition then completes) {
  auto p = init("job");
  CAF_REQUIRE_EQUAL(p.error.code, errc::none);
  CAF_CHECK_EQUAL(p.id, producer_id{7000});
  CAF_CHECK_EQUAL(add("job", p, {{"out", partition_id{0}}, {"out", partition_id{1}}}), errc::none);
  auto offsets = ask<schema::txn_offset_commit_response>(
    txn_offset_commit_atom_v,
    schema::txn_offset_commit_request{"job", p.id, p.epoch, "readers",
                                      {{"in", partition_id{0}, offset{17}, leader_epoch{-1}, ""}}});
  CAF_CHECK_EQUAL(offsets.error.code, errc::none);
  CAF_CHECK(world->group_writes.empty()); // not before the commit
  CAF_CHECK_EQUAL(end("job", p, true), errc::none);
  CAF_REQUIRE_EQUAL(world->markers.size(), 1u);
  auto& m = world->markers[0].markers.at(0);
  CAF_CHECK(m.commit);
  CAF_CHECK_EQUAL(m.id, p.id);
  CAF_CHECK_EQUAL(m.partitions.size(), 2u);
  CAF_REQUIRE_EQUAL(world->group_writes.size(), 1u);
  CAF_CHECK_EQUAL(world->group_writes[0].group, "readers");
  CAF_CHECK_EQUAL(world->group_writes[0].offsets.at(0).off, offset{17});
  auto d = describe("job");
  CAF_CHECK_EQUAL(d.error.code, errc::none);
  CAF_CHECK_EQUAL(d.state, "CompleteCommit");
  CAF_CHECK(d.partitions.empty());
}

CAF_TEST(markers refused retriably are sent again on a later tick) {
  world->marker_answer = errc::not_leader;
  auto p = init("job");
  CAF_CHECK_EQUAL(add("job", p, {{"out", partition_id{0}}}), errc::none);
  CAF_CHECK_EQUAL(end("job", p, false), errc::none);
  CAF_CHECK_EQUAL(world->markers.size(), 1u);
  CAF_CHECK_EQUAL(describe("job").state, "PrepareAbort");
  tick(50);
  CAF_CHECK_EQUAL(world->markers.size(), 1u); // backoff not over
  world->marker_answer = errc::none;
  tick(100);
  CAF_CHECK_EQUAL(world->markers.size(), 2u);
  CAF_CHECK_EQUAL(describe("job").state, "CompleteAbort");
}

CAF_TEST(a restarted manager drives a prepared transaction to complete) {
  world->marker_answer = errc::request_timed_out;
  auto p = init("job");
  CAF_CHECK_EQUAL(add("job", p, {{"out", partition_id{1}}}), errc::none);
  CAF_CHECK_EQUAL(end("job", p, true), errc::none);
  CAF_CHECK_EQUAL(describe("job").state, "PrepareCommit");
  world->marker_answer = errc::none;
  restart();
  CAF_CHECK_EQUAL(world->markers.size(), 2u); // sent again at load
  auto d = describe("job");
  CAF_CHECK_EQUAL(d.state, "CompleteCommit");
  CAF_CHECK_EQUAL(d.id, p.id);
  // The epoch continues from the log.
  auto q = init("job");
  CAF_CHECK_EQUAL(q.id, p.id);
  CAF_CHECK_EQUAL(q.epoch, producer_epoch{1});
}

CAF_TEST(a timed out transaction is aborted and its producer fenced) {
  auto p = init("job", 1000);
  CAF_CHECK_EQUAL(add("job", p, {{"out", partition_id{0}}}), errc::none);
  tick(1001);
  CAF_REQUIRE_EQUAL(world->markers.size(), 1u);
  CAF_CHECK(!world->markers[0].markers.at(0).commit);
  CAF_CHECK_EQUAL(world->markers[0].markers.at(0).epoch, producer_epoch{1});
  CAF_CHECK_EQUAL(describe("job").state, "CompleteAbort");
  CAF_CHECK_EQUAL(end("job", p, true), errc::invalid_producer_epoch);
}

CAF_TEST(an idle transactional id expires from the log and the index) {
  CAF_REQUIRE_EQUAL(init("old").id, producer_id{7000});
  CAF_REQUIRE_EQUAL(init("kept").id, producer_id{7001});
  tick(300'000);
  CAF_CHECK_EQUAL(init("kept").epoch, producer_epoch{1}); // a change: its clock restarts
  tick(300'000);
  CAF_CHECK_EQUAL(describe("old").state, "Empty"); // exactly the expiration: not yet
  tick(1);
  CAF_CHECK_EQUAL(describe("old").error.code, errc::transactional_id_not_found);
  CAF_CHECK_EQUAL(describe("kept").state, "Empty");
  restart(); // from the LMDB index, which the tombstone emptied
  CAF_CHECK_EQUAL(describe("old").error.code, errc::transactional_id_not_found);
  CAF_CHECK_EQUAL(describe("kept").epoch, producer_epoch{1});
  auto again = init("old");
  CAF_CHECK_EQUAL(again.id, producer_id{7002}); // a new producer id
  CAF_CHECK_EQUAL(again.epoch, producer_epoch{0});
}

CAF_TEST(list filters by state and refuses an unknown state) {
  auto a = init("a");
  init("b");
  CAF_CHECK_EQUAL(add("a", a, {{"out", partition_id{0}}}), errc::none);
  auto all = ask<schema::list_transactions_response>(list_transactions_atom_v,
                                                     schema::list_transactions_request{});
  CAF_CHECK_EQUAL(all.error.code, errc::none);
  CAF_CHECK_EQUAL(all.transactions.size(), 2u);
  auto ongoing = ask<schema::list_transactions_response>(list_transactions_atom_v,
                                                         schema::list_transactions_request{{"Ongoing"}});
  CAF_REQUIRE_EQUAL(ongoing.transactions.size(), 1u);
  CAF_CHECK_EQUAL(ongoing.transactions[0].transactional_id, "a");
  CAF_CHECK_EQUAL(ongoing.transactions[0].coordinator, node_id{1});
  auto bad = ask<schema::list_transactions_response>(list_transactions_atom_v,
                                                     schema::list_transactions_request{{"Running"}});
  CAF_CHECK_EQUAL(bad.error.code, errc::invalid_request);
}

CAF_TEST(unknown ids fenced epochs and bad inputs are refused) {
  CAF_CHECK_EQUAL(describe("nobody").error.code, errc::transactional_id_not_found);
  schema::init_producer_id_response ghost{{}, producer_id{1}, producer_epoch{0}};
  CAF_CHECK_EQUAL(add("nobody", ghost, {{"out", partition_id{0}}}), errc::transactional_id_not_found);
  CAF_CHECK_EQUAL(end("nobody", ghost, true), errc::transactional_id_not_found);
  CAF_CHECK_EQUAL(init("job", 0).error.code, errc::invalid_transaction_timeout);
  CAF_CHECK_EQUAL(init("job", 60'001).error.code, errc::invalid_transaction_timeout);
  CAF_CHECK_EQUAL(init("", 1000).error.code, errc::invalid_request);
  CAF_CHECK_EQUAL(init(std::string(256, 'x'), 1000).error.code, errc::invalid_request);
  auto p = init("job");
  auto q = init("job");
  CAF_CHECK_EQUAL(add("job", p, {{"out", partition_id{0}}}), errc::invalid_producer_epoch);
  CAF_CHECK_EQUAL(end("job", q, true), errc::invalid_txn_state);
  // A malformed envelope, for every request the manager takes.
  envelope junk{schema::message_kind::end_txn_request, {'x', 'y', 'z'}};
  auto check_junk = [&](auto atom) {
    self->send(txns, atom, junk);
    consume();
    auto e = require_reply<envelope>();
    CAF_CHECK(e.kind == schema::message_kind::error_response);
  };
  check_junk(init_producer_id_atom_v);
  check_junk(add_partitions_to_txn_atom_v);
  check_junk(txn_offset_commit_atom_v);
  check_junk(end_txn_atom_v);
  check_junk(list_transactions_atom_v);
  check_junk(describe_transactions_atom_v);
}

CAF_TEST(inspect shows transactions by state) {
  auto p = init("job");
  CAF_CHECK_EQUAL(add("job", p, {{"out", partition_id{0}}}), errc::none);
  self->send(txns, state_atom_v);
  consume();
  auto line = require_reply<std::string>();
  CAF_CHECK(line.find("Ongoing=1") != std::string::npos);
  CAF_CHECK(line.find("loaded(2)") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- inside a real node ----------------------------------------------------------------------

namespace {

struct node_fixture : test::node_fixture {
  node_fixture() {
    configure = [](node_config& cfg) {
      cfg.offsets_partitions = 2;
      cfg.transaction_state_partitions = 2;
    };
    start(); // the internal topics created, hosted and loaded
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(txn_node_tests, node_fixture)

CAF_TEST(a transaction of offsets only commits them to the group through the node) {
  auto p = ask<schema::init_producer_id_response>(
    init_producer_id_atom_v, schema::init_producer_id_request{"job", no_producer_id, no_producer_epoch, 10'000});
  CAF_REQUIRE_EQUAL(p.error.code, errc::none);
  CAF_CHECK_GREATER_OR_EQUAL(p.id.value, 0);
  auto c = ask<schema::txn_offset_commit_response>(
    txn_offset_commit_atom_v,
    schema::txn_offset_commit_request{"job", p.id, p.epoch, "readers",
                                      {{"in", partition_id{0}, offset{5}, leader_epoch{-1}, "m"}}});
  CAF_CHECK_EQUAL(c.error.code, errc::none);
  auto before = ask<schema::offset_fetch_response>(offset_fetch_atom_v,
                                                   schema::offset_fetch_request{"readers", {}});
  CAF_CHECK(before.partitions.empty());
  auto end = ask<schema::end_txn_response>(end_txn_atom_v,
                                           schema::end_txn_request{"job", p.id, p.epoch, true});
  CAF_CHECK_EQUAL(end.error.code, errc::none);
  auto after = ask<schema::offset_fetch_response>(offset_fetch_atom_v,
                                                  schema::offset_fetch_request{"readers", {}});
  CAF_REQUIRE_EQUAL(after.partitions.size(), 1u);
  CAF_CHECK_EQUAL(after.partitions[0].committed, offset{5});
  auto d = ask<schema::describe_transactions_response>(describe_transactions_atom_v,
                                                       schema::describe_transactions_request{{"job", "nobody"}});
  CAF_REQUIRE_EQUAL(d.transactions.size(), 2u);
  CAF_CHECK_EQUAL(d.transactions[0].state, "CompleteCommit");
  CAF_CHECK_EQUAL(d.transactions[1].error.code, errc::transactional_id_not_found);
  restart();
  auto again = ask<schema::init_producer_id_response>(
    init_producer_id_atom_v, schema::init_producer_id_request{"job", no_producer_id, no_producer_epoch, 10'000});
  CAF_CHECK_EQUAL(again.id, p.id);
  CAF_CHECK_EQUAL(again.epoch, producer_epoch{1});
}

CAF_TEST(the node still answers idempotent producers itself) {
  auto p = ask<schema::init_producer_id_response>(init_producer_id_atom_v,
                                                  schema::init_producer_id_request{});
  CAF_CHECK_EQUAL(p.error.code, errc::none);
  CAF_CHECK_EQUAL(p.epoch, producer_epoch{0});
}

CAF_TEST(the node creates __transaction_state with its configured partitions) {
  schema::metadata_request md{false, {std::string{transaction_state_topic}}};
  auto r = ask<schema::metadata_response>(metadata_atom_v, md);
  CAF_REQUIRE_EQUAL(r.topics.size(), 1u);
  CAF_CHECK_EQUAL(r.topics[0].error.code, errc::none);
  CAF_CHECK_EQUAL(r.topics[0].partitions.size(), 2u);
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE actors.group_coordinator
#include "tests/actors/node_fixture.hpp"

// The group coordinator inside a real node (real partition logs, real LMDB), driven by CAF's
// test coordinator: time moves only when the test advances it, so session expiry and
// rebalance sequences are exact.

#include "schema/error_response.hpp"
#include "schema/group.hpp"

#include <filesystem>

using namespace sluice;
using namespace sluice::actors;
using schema::errc;
using namespace std::chrono_literals;

namespace {

using parts = std::vector<schema::group_partition>;

struct member {
  std::string id;
  generation_id gen = no_generation;
  std::optional<std::string> instance;
};

struct fixture : test::node_fixture {
  fixture() {
    configure = [](node_config& cfg) {
      cfg.offsets_partitions = 4;
      cfg.group_tick_interval = 100ms;
    };
    start(); // __consumer_offsets created, hosted and loaded
  }

  template <class Atom, class Request>
  void send(Atom atom, const Request& req) {
    self->send(node, atom, encode(req));
    consume();
  }

  // Every reply in self's mailbox, decoded as Response.
  template <class Response>
  std::vector<Response> replies() {
    std::vector<Response> out;
    while (auto e = reply<schema::envelope>()) {
      auto r = schema::decode<Response>(*e);
      if (!r)
        CAF_FAIL("reply does not decode: " << r.err().to_string());
      out.push_back(std::move(*r));
    }
    return out;
  }

  schema::join_group_request join_request(const member& m, std::string protocol = "range",
                                          parts owned = {}) {
    schema::join_group_request req;
    req.group_id = "g";
    req.session_timeout_ms = 1000;
    req.rebalance_timeout_ms = 5000;
    req.member_id = m.id;
    req.group_instance_id = m.instance;
    req.protocols = {std::move(protocol)};
    req.topics = {"t"};
    req.owned = std::move(owned);
    return req;
  }

  schema::group_member_ref ref(const member& m) { return {"g", m.gen, m.id, m.instance}; }

  parts sync(member& m, errc expected = errc::none) {
    auto r = ask<schema::sync_group_response>(sync_group_atom_v, schema::sync_group_request{ref(m)});
    CAF_CHECK_EQUAL(r.error.code, expected);
    return r.assignment;
  }

  errc heartbeat(const member& m) {
    return ask<schema::heartbeat_response>(heartbeat_atom_v, schema::heartbeat_request{ref(m)}).error.code;
  }

  errc commit(const member& m, int32_t partition, int64_t off) {
    schema::offset_commit_request req{ref(m), {{"t", partition_id{partition}, offset{off}, leader_epoch{-1}, ""}}};
    auto r = ask<schema::offset_commit_response>(offset_commit_atom_v, req);
    CAF_REQUIRE_EQUAL(r.partitions.size(), 1u);
    return r.partitions[0].error.code;
  }

  int64_t committed(int32_t partition, const std::string& group = "g") {
    auto r = ask<schema::offset_fetch_response>(offset_fetch_atom_v,
                                                schema::offset_fetch_request{group, {{"t", partition_id{partition}}}});
    CAF_REQUIRE_EQUAL(r.partitions.size(), 1u);
    return r.partitions[0].committed.value;
  }

  // Applies a completed join to the member it answers.
  static void take(member& m, const schema::join_group_response& r) {
    CAF_REQUIRE(r.error.ok());
    m.id = r.member_id;
    m.gen = r.generation;
  }

  schema::join_group_response join_now(member& m, std::string protocol = "range", parts owned = {}) {
    send(join_group_atom_v, join_request(m, std::move(protocol), std::move(owned)));
    auto rs = replies<schema::join_group_response>();
    CAF_REQUIRE_EQUAL(rs.size(), 1u);
    take(m, rs.front());
    return rs.front();
  }

  // b joins a group where a is the only member; a rejoins; both sync.
  void join_second(member& a, member& b) {
    send(join_group_atom_v, join_request(b));
    send(join_group_atom_v, join_request(a));
    for (auto& r : replies<schema::join_group_response>())
      take(r.member_id == a.id ? a : b, r);
    sync(a);
    sync(b);
  }

  // Topic t with 2 partitions, and a sole member of g that committed 42 and 7 to them.
  member member_with_commits() {
    create("t", 2);
    member a;
    join_now(a);
    sync(a);
    CAF_CHECK_EQUAL(commit(a, 0, 42), errc::none);
    CAF_CHECK_EQUAL(commit(a, 1, 7), errc::none);
    return a;
  }

  // The LMDB view is only a cache of __consumer_offsets: a start without it rebuilds it.
  void restart_without_view() {
    self->send_exit(node, caf::exit_reason::user_shutdown);
    consume();
    std::filesystem::remove_all(dir / "data" / "groups");
    start();
  }

  void advance(std::chrono::milliseconds d) {
    sched.advance_time(d);
    consume();
  }
};

parts p(std::initializer_list<int32_t> ps) {
  parts out;
  for (auto x : ps)
    out.push_back({"t", partition_id{x}});
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(group_coordinator_tests, fixture)

CAF_TEST(join sync heartbeat: a second member rebalances the group) {
  create("t", 4);
  member a;
  auto ra = join_now(a);
  CAF_CHECK_EQUAL(ra.generation, generation_id{1});
  CAF_CHECK_EQUAL(ra.leader, a.id);
  CAF_CHECK_EQUAL(sync(a), p({0, 1, 2, 3}));
  CAF_CHECK_EQUAL(heartbeat(a), errc::none);
  member b;
  send(join_group_atom_v, join_request(b));
  CAF_CHECK(replies<schema::join_group_response>().empty()); // parked until a rejoins
  CAF_CHECK_EQUAL(heartbeat(a), errc::rebalance_in_progress);
  send(join_group_atom_v, join_request(a));
  auto done = replies<schema::join_group_response>();
  CAF_REQUIRE_EQUAL(done.size(), 2u);
  for (auto& r : done)
    take(r.member_id == a.id ? a : b, r);
  CAF_CHECK_EQUAL(a.gen, generation_id{2});
  CAF_CHECK_EQUAL(b.gen, generation_id{2});
  CAF_CHECK_EQUAL(sync(a), p({0, 1}));
  CAF_CHECK_EQUAL(sync(b), p({2, 3}));
  CAF_CHECK_EQUAL(heartbeat(a), errc::none);
  CAF_CHECK_EQUAL(heartbeat(b), errc::none);
  auto d = ask<schema::describe_groups_response>(describe_groups_atom_v, schema::describe_groups_request{{"g"}});
  CAF_REQUIRE_EQUAL(d.groups.size(), 1u);
  CAF_CHECK_EQUAL(d.groups[0].state, "stable");
  CAF_CHECK_EQUAL(d.groups[0].members.size(), 2u);
  auto l = ask<schema::list_groups_response>(list_groups_atom_v, schema::list_groups_request{});
  CAF_REQUIRE_EQUAL(l.groups.size(), 1u);
  CAF_CHECK_EQUAL(l.groups[0].members, 2);
}

CAF_TEST(commits and heartbeats of a zombie member are fenced and change nothing) {
  create("t", 2);
  member a;
  join_now(a);
  sync(a);
  CAF_CHECK_EQUAL(commit(a, 0, 10), errc::none);
  auto zombie = a;
  member b;
  join_second(a, b);
  CAF_CHECK_EQUAL(commit(zombie, 0, 99), errc::illegal_generation);
  CAF_CHECK_EQUAL(heartbeat(zombie), errc::illegal_generation);
  member stranger{"g-nobody", a.gen, std::nullopt};
  CAF_CHECK_EQUAL(commit(stranger, 0, 99), errc::unknown_member_id);
  CAF_CHECK_EQUAL(committed(0), 10);
  CAF_CHECK_EQUAL(commit(a, 0, 20), errc::none);
  CAF_CHECK_EQUAL(committed(0), 20);
  // An admin commit (no member, generation -1) is refused while the group has members.
  member admin{"", no_generation, std::nullopt};
  CAF_CHECK_EQUAL(commit(admin, 0, 0), errc::unknown_member_id);
  CAF_CHECK_EQUAL(committed(0), 20);
}

CAF_TEST(a member whose session expires is removed and its partitions reassigned) {
  create("t", 4);
  member a, b;
  join_now(a);
  sync(a);
  join_second(a, b);
  for (int i = 0; i < 5; ++i) { // a keeps beating, b is silent
    advance(300ms);
    CAF_CHECK_EQUAL(heartbeat(a), i < 3 ? errc::none : errc::rebalance_in_progress);
  }
  CAF_CHECK_EQUAL(heartbeat(b), errc::unknown_member_id);
  auto r = join_now(a);
  CAF_CHECK_EQUAL(r.members, std::vector<std::string>{a.id});
  CAF_CHECK_EQUAL(sync(a), p({0, 1, 2, 3}));
}

CAF_TEST(a static member restarting within its session keeps its partitions without a rebalance) {
  create("t", 4);
  member s{"", no_generation, std::string{"host-1"}};
  member a;
  join_now(s);
  sync(s);
  send(join_group_atom_v, join_request(a));
  send(join_group_atom_v, join_request(s));
  for (auto& r : replies<schema::join_group_response>())
    take(r.member_id == s.id ? s : a, r);
  auto before = sync(s);
  sync(a);
  auto gen = s.gen;
  auto old = s;
  member restarted{"", no_generation, std::string{"host-1"}};
  auto r = join_now(restarted);
  CAF_CHECK_EQUAL(r.generation, gen); // no new generation: no rebalance
  CAF_CHECK_NOT_EQUAL(restarted.id, old.id);
  CAF_CHECK_EQUAL(sync(restarted), before);
  CAF_CHECK_EQUAL(heartbeat(a), errc::none);
  CAF_CHECK_EQUAL(heartbeat(old), errc::fenced_instance_id);
  CAF_CHECK_EQUAL(commit(old, 0, 5), errc::fenced_instance_id);
}

CAF_TEST(a cooperative rebalance never revokes a partition that does not move) {
  create("t", 6);
  member a, b;
  join_now(a, "cooperative-sticky");
  auto first = sync(a);
  CAF_CHECK_EQUAL(first, p({0, 1, 2, 3, 4, 5}));
  send(join_group_atom_v, join_request(b, "cooperative-sticky"));
  send(join_group_atom_v, join_request(a, "cooperative-sticky", first));
  for (auto& r : replies<schema::join_group_response>())
    take(r.member_id == a.id ? a : b, r);
  auto kept = sync(a);
  auto given = sync(b);
  CAF_CHECK_EQUAL(kept.size(), 3u);
  CAF_CHECK(given.empty()); // the moved partitions are revoked from a before b gets them
  for (auto& tp : kept)
    CAF_CHECK(std::ranges::find(first, tp) != first.end());
  // The coordinator starts the follow-up rebalance once both hold their assignment.
  CAF_CHECK_EQUAL(heartbeat(b), errc::rebalance_in_progress);
  send(join_group_atom_v, join_request(a, "cooperative-sticky", kept));
  send(join_group_atom_v, join_request(b, "cooperative-sticky"));
  for (auto& r : replies<schema::join_group_response>())
    take(r.member_id == a.id ? a : b, r);
  auto a2 = sync(a);
  auto b2 = sync(b);
  CAF_CHECK_EQUAL(a2, kept); // nothing a kept was taken in the second round either
  CAF_CHECK_EQUAL(b2.size(), 3u);
  for (auto& tp : b2)
    CAF_CHECK(std::ranges::find(kept, tp) == kept.end());
  CAF_CHECK_EQUAL(heartbeat(a), errc::none);
}

CAF_TEST(more partitions in a subscribed topic rebalance the group) {
  create("t", 2);
  create("u", 1);
  member a;
  join_now(a);
  CAF_CHECK_EQUAL(sync(a), p({0, 1}));
  auto grow = [&](const std::string& topic, int32_t n) {
    auto r = ask<schema::create_partitions_response>(
      create_partitions_atom_v, schema::create_partitions_request{{{topic, n}}, 1000});
    CAF_REQUIRE(r.topics.at(0).error.ok());
  };
  grow("u", 3); // not subscribed: nothing happens
  CAF_CHECK_EQUAL(heartbeat(a), errc::none);
  grow("t", 4);
  CAF_CHECK_EQUAL(heartbeat(a), errc::rebalance_in_progress);
  join_now(a);
  CAF_CHECK_EQUAL(sync(a), p({0, 1, 2, 3}));
}

CAF_TEST(committed offsets and the generation survive a restart and a lost LMDB view) {
  auto a = member_with_commits();
  auto gen = a.gen;
  restart();
  CAF_CHECK_EQUAL(committed(0), 42);
  CAF_CHECK_EQUAL(committed(1), 7);
  restart_without_view();
  CAF_CHECK_EQUAL(committed(0), 42);
  CAF_CHECK_EQUAL(committed(1), 7);
  member b;
  auto r = join_now(b);
  CAF_CHECK_GREATER(r.generation.value, gen.value); // generations keep growing: zombies stay fenced
  CAF_CHECK_EQUAL(commit(a, 0, 1), errc::unknown_member_id);
  CAF_CHECK_EQUAL(committed(0), 42);
}

CAF_TEST(bad group requests get one clear error and change nothing) {
  create("t", 2);
  member a;
  auto bad = [&](schema::join_group_request req, errc expected) {
    send(join_group_atom_v, req);
    auto rs = replies<schema::join_group_response>();
    CAF_REQUIRE_EQUAL(rs.size(), 1u);
    CAF_CHECK_EQUAL(rs[0].error.code, expected);
    CAF_CHECK(!rs[0].error.message.empty());
  };
  auto req = join_request(a);
  req.group_id = "";
  bad(req, errc::invalid_group_id);
  req.group_id = std::string(300, 'g');
  bad(req, errc::invalid_group_id);
  req = join_request(a);
  req.session_timeout_ms = 1;
  bad(req, errc::invalid_session_timeout);
  req = join_request(a, "sticky");
  bad(req, errc::inconsistent_group_protocol);
  req = join_request(a);
  req.protocol_type = "connect";
  bad(req, errc::inconsistent_group_protocol);
  // Undecodable bytes: an error_response, as for every request.
  self->send(node, join_group_atom_v, schema::envelope{schema::message_kind::join_group_request, {'x', 'y'}});
  consume();
  auto e = require_reply<schema::envelope>();
  CAF_CHECK(e.kind == schema::message_kind::error_response);
  // Unknown partitions in a commit are refused one by one.
  join_now(a);
  sync(a);
  schema::offset_commit_request c{ref(a), {{"t", partition_id{0}, offset{3}, leader_epoch{-1}, ""},
                                           {"t", partition_id{9}, offset{3}, leader_epoch{-1}, ""},
                                           {"nosuch", partition_id{0}, offset{3}, leader_epoch{-1}, ""}}};
  auto cr = ask<schema::offset_commit_response>(offset_commit_atom_v, c);
  CAF_REQUIRE_EQUAL(cr.partitions.size(), 3u);
  CAF_CHECK_EQUAL(cr.partitions[0].error.code, errc::none);
  CAF_CHECK_EQUAL(cr.partitions[1].error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(cr.partitions[2].error.code, errc::unknown_topic_or_partition);
  CAF_CHECK_EQUAL(committed(0), 3);
  auto d = ask<schema::describe_groups_response>(describe_groups_atom_v, schema::describe_groups_request{{"nosuch"}});
  CAF_CHECK_EQUAL(d.groups.at(0).error.code, errc::group_id_not_found);
  CAF_CHECK_EQUAL(heartbeat(member{"x", generation_id{1}, std::nullopt}), errc::unknown_member_id);
  CAF_CHECK_EQUAL(committed(0, "never-seen"), -1);
}

// Retention of 1 s, looked at every 100 ms (Kafka: offsets.retention.minutes, 7 days, and
// offsets.retention.check.interval.ms, 10 minutes).
void short_retention(fixture& f) {
  f.configure = [](node_config& cfg) {
    cfg.offsets_partitions = 4;
    cfg.group_tick_interval = 100ms;
    cfg.offsets_retention_ms = 1000;
    cfg.offsets_retention_check_ms = 100;
  };
  f.restart();
}

std::vector<std::string> listed(fixture& f) {
  std::vector<std::string> out;
  for (auto& g : f.ask<schema::list_groups_response>(list_groups_atom_v, schema::list_groups_request{}).groups)
    out.push_back(g.group_id);
  return out;
}

// The groups the node's coordinators hold, as `sluice inspect` shows them.
std::vector<std::string> inspected_groups(fixture& f) {
  std::vector<std::string> out;
  for (auto& g : f.ask<schema::inspect_response>(inspect_atom_v, schema::inspect_request{}).groups)
    out.push_back(g.group_id);
  return out;
}

// The node's inspect text (`sluice inspect`), where the group manager counts what it retired.
std::string node_state(fixture& f) {
  f.self->send(f.node, inspect_atom_v, std::string{});
  f.consume();
  return f.require_reply<std::string>();
}

CAF_TEST(a group with members keeps its offsets and an empty one loses them after the retention) {
  short_retention(*this);
  auto a = member_with_commits();
  for (int i = 0; i < 10; ++i) { // 3 s with a member: nothing expires
    advance(300ms);
    CAF_CHECK_EQUAL(heartbeat(a), errc::none);
  }
  CAF_CHECK_EQUAL(committed(0), 42);
  auto left = ask<schema::leave_group_response>(leave_group_atom_v, schema::leave_group_request{"g", a.id});
  CAF_CHECK(left.error.ok());
  for (int i = 0; i < 9; ++i) // 900 ms empty: still within the retention
    advance(100ms);
  CAF_CHECK_EQUAL(committed(0), 42);
  CAF_CHECK_EQUAL(listed(*this), std::vector<std::string>{"g"});
  advance(100ms);
  advance(100ms);
  CAF_CHECK_EQUAL(committed(0), -1);
  CAF_CHECK_EQUAL(committed(1), -1);
  CAF_CHECK(listed(*this).empty()); // the group went with its last offset
  auto d = ask<schema::describe_groups_response>(describe_groups_atom_v, schema::describe_groups_request{{"g"}});
  CAF_REQUIRE_EQUAL(d.groups.size(), 1u);
  CAF_CHECK_EQUAL(d.groups[0].state, "dead");
  // Nor does its coordinator stay: the node no longer holds the group at all.
  CAF_CHECK(inspected_groups(*this).empty());
  auto text = node_state(*this);
  if (text.find("retired(1)") == std::string::npos)
    CAF_FAIL("the manager retired no coordinator: " << text);
  // The tombstones are in __consumer_offsets: neither a restart nor a rebuilt view brings the
  // offsets or the group back.
  restart();
  CAF_CHECK_EQUAL(committed(0), -1);
  CAF_CHECK(listed(*this).empty());
  restart_without_view();
  CAF_CHECK_EQUAL(committed(1), -1);
  CAF_CHECK(listed(*this).empty());
  // The group can start over: a commit stores it again, and a restart keeps it.
  member admin{"", no_generation, std::nullopt};
  CAF_CHECK_EQUAL(commit(admin, 0, 5), errc::none);
  restart();
  CAF_CHECK_EQUAL(committed(0), 5);
  CAF_CHECK_EQUAL(listed(*this), std::vector<std::string>{"g"});
}

CAF_TEST(an offset committed to an empty group counts its retention from the commit) {
  short_retention(*this);
  create("t", 2);
  member admin{"", no_generation, std::nullopt};
  CAF_CHECK_EQUAL(commit(admin, 0, 10), errc::none);
  advance(600ms);
  CAF_CHECK_EQUAL(commit(admin, 1, 20), errc::none);
  for (int i = 0; i < 5; ++i) // 1.1 s after the first commit, 500 ms after the second
    advance(100ms);
  CAF_CHECK_EQUAL(committed(0), -1);
  CAF_CHECK_EQUAL(committed(1), 20);
  CAF_CHECK_EQUAL(listed(*this), std::vector<std::string>{"g"}); // it still has an offset
  restart(); // partition 0's tombstone holds; partition 1 starts its retention over
  CAF_CHECK_EQUAL(committed(0), -1);
  CAF_CHECK_EQUAL(committed(1), 20);
  for (int i = 0; i < 12; ++i)
    advance(100ms);
  CAF_CHECK_EQUAL(committed(1), -1);
  CAF_CHECK(listed(*this).empty());
  // A group of offsets alone goes from memory too, and a later commit starts it over in a new
  // coordinator without a restart.
  CAF_CHECK(inspected_groups(*this).empty());
  CAF_CHECK_EQUAL(commit(admin, 1, 30), errc::none);
  CAF_CHECK_EQUAL(committed(1), 30);
  CAF_CHECK_EQUAL(listed(*this), std::vector<std::string>{"g"});
  CAF_CHECK_EQUAL(inspected_groups(*this), std::vector<std::string>{"g"});
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE client.cluster_inspect
#include <caf/test/unit_test.hpp>

// Inspecting a cluster (client/cluster_inspect.hpp) of three fake brokers in the test's actor
// system (connection::attach_cluster): every node is asked, a dead one is one unreachable
// line while the others answer, and the report prints what sluice inspect prints
// (client/inspect_report.hpp).

#include "client/cluster_inspect.hpp"
#include "client/inspect_report.hpp"
#include "tests/client/fake_node.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

struct fixture : test::fake_cluster_fixture {
  fixture() : fake_cluster_fixture(false) {}

  std::vector<inspect_target> all() const {
    return {{node_id{1}, address(1), ""}, {node_id{2}, address(2), ""}, {node_id{3}, address(3), "fenced"}};
  }
};

bool contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("'" << part << "' not in:\n" << text);
  return false;
}

schema::inspect_response sample_node() {
  schema::inspect_response r;
  r.node = node_id{2};
  r.tree = "node 2 (mailbox 1): node(...)\n  topic orders (mailbox 3): topic(...)";
  r.replicas.push_back({"orders", partition_id{0}, "leader", node_id{2}, leader_epoch{4},
                        offset{0}, offset{120}, offset{100}, {node_id{2}, node_id{1}, node_id{3}},
                        {node_id{2}, node_id{1}},
                        {{node_id{1}, offset{100}, 20, 15, true}, {node_id{3}, offset{-1}, -1, 31000, false}},
                        ""});
  r.replicas.push_back({"orders", partition_id{1}, "follower", node_id{1}, leader_epoch{2},
                        offset{0}, offset{80}, offset{80}, {node_id{1}, node_id{2}}, {node_id{1}, node_id{2}},
                        {}, ""});
  r.replicas.push_back({"orders", partition_id{2}, "", node_id{-1}, leader_epoch{-1}, offset{-1},
                        offset{-1}, offset{-1}, {}, {}, {}, "did not answer: request timeout"});
  r.groups.push_back({"billing", "stable", generation_id{3}, "range", "m-1", partition_id{5},
                      {{"m-1", "", 2}, {"m-2", "host-b", 1}}, ""});
  return r;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_inspect, fixture)

CAF_TEST(every node answers for itself) {
  auto got = inspect_nodes(*conn, all(), "part", 2s);
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    CAF_REQUIRE(got[static_cast<size_t>(i)].answer.ok());
    auto& a = *got[static_cast<size_t>(i)].answer;
    CAF_CHECK_EQUAL(a.node, node_id{i + 1});
    CAF_CHECK_EQUAL(a.tree, "fake node " + std::to_string(i + 1) + "; filter=part");
  }
}

CAF_TEST(a dead node is unreachable and the others still answer) {
  kill(2);
  auto got = inspect_nodes(*conn, all(), "", 2s);
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  CAF_CHECK(got[0].answer.ok());
  CAF_REQUIRE(!got[1].answer.ok());
  CAF_CHECK(got[1].answer.err().no_answer());
  CAF_CHECK(got[2].answer.ok());
  auto line = render_node(got[1]);
  CAF_CHECK(contains(line, "node 2  10.0.0.2:9002  unreachable: "));
  CAF_CHECK_EQUAL(std::count(line.begin(), line.end(), '\n'), 1);
  CAF_CHECK_EQUAL(render_tally(got), "3 nodes  2 answered  1 unreachable\n");
  CAF_CHECK(contains(render_node(got[2]), "node 3  10.0.0.3:9003  fenced\n"));
}

CAF_TEST(without a bootstrap node nobody is asked over its link) {
  kill(1);
  auto got = inspect_nodes(*conn, all(), "", 1s);
  CAF_CHECK(!got[0].answer.ok());
  CAF_CHECK(got[1].answer.ok());
  CAF_CHECK(got[2].answer.ok());
}

CAF_TEST(a single node is the only node of the cluster) {
  auto plan = list_nodes(*conn, 2s);
  CAF_REQUIRE(plan.ok());
  CAF_REQUIRE_EQUAL(plan->targets.size(), 1u); // fake nodes are no cluster and know no controllers
  CAF_CHECK_EQUAL(plan->targets[0].id, node_id{1});
  CAF_CHECK_EQUAL(plan->targets[0].address, address(1));
  CAF_CHECK(plan->warning.empty());
  std::vector<inspect_target> known;
  auto snap = inspect_cluster(*conn, "", 2s, known);
  CAF_REQUIRE(snap.ok());
  CAF_REQUIRE_EQUAL(snap->nodes.size(), 1u);
  CAF_CHECK(snap->nodes[0].answer.ok());
  CAF_CHECK_EQUAL(known.size(), 1u);
}

CAF_TEST(without the bootstrap node the known nodes are asked) {
  std::vector<inspect_target> known;
  kill(1);
  CAF_CHECK(!inspect_cluster(*conn, "", 1s, known).ok()); // nothing known yet
  known = all();
  auto snap = inspect_cluster(*conn, "", 1s, known);
  CAF_REQUIRE(snap.ok());
  CAF_CHECK(contains(snap->warning, "no node the connection knows answered"));
  CAF_REQUIRE_EQUAL(snap->nodes.size(), 3u);
  CAF_CHECK(!snap->nodes[0].answer.ok());
  CAF_CHECK_EQUAL(snap->nodes[0].target.id, node_id{1}); // named as known
  CAF_CHECK(snap->nodes[1].answer.ok());
  CAF_CHECK(snap->nodes[2].answer.ok());
}

CAF_TEST(a dead home node hands over to the next node the connection knows) {
  list_brokers();
  conn = connect();
  for (int i = 0; i < 500 && conn->learned_brokers().size() < 3; ++i)
    std::this_thread::sleep_for(10ms); // the connection learns the brokers in the background
  CAF_REQUIRE_EQUAL(conn->learned_brokers().size(), 3u);
  kill(1);
  std::vector<inspect_target> known;
  auto snap = inspect_cluster(*conn, "", 1s, known);
  CAF_REQUIRE(snap.ok());
  CAF_REQUIRE_EQUAL(snap->nodes.size(), 1u); // a fake node is a single node: only itself
  CAF_REQUIRE(snap->nodes[0].answer.ok());
  CAF_CHECK_EQUAL(snap->nodes[0].answer->node, node_id{2});
}

CAF_TEST(the report shows roles isr lag and groups) {
  node_inspection n{{node_id{2}, {"10.0.0.2", 9002}, ""}, sample_node()};
  auto text = render_node(n);
  CAF_CHECK(contains(text, "node 2  10.0.0.2:9002\n"));
  CAF_CHECK(contains(text, "  actors 2  queued 4\n    node 2 (mailbox 1): node(...)\n      topic orders"));
  CAF_CHECK(contains(text, "  replicas 3  leader 1  follower 1\n"));
  CAF_CHECK(contains(text, "    orders-0  leader    leader 2  epoch 4  replicas 2,1,3  isr 2,1  log 0..120  hw 100\n"));
  CAF_CHECK(contains(text, "      follower 1  offset 100  lag 20  caught_up 15ms ago\n"));
  CAF_CHECK(contains(text, "      follower 3  offset -  lag -  caught_up 31000ms ago  (not in isr)\n"));
  CAF_CHECK(contains(text, "    orders-1  follower  leader 1  epoch 2  replicas 1,2  isr 1,2  log 0..80  hw 80\n"));
  CAF_CHECK(contains(text, "    orders-2  error: did not answer: request timeout\n"));
  CAF_CHECK(contains(text, "  groups 1\n    billing  stable  generation 3  protocol range  members 2  (__consumer_offsets-5)\n"));
  CAF_CHECK(contains(text, "      member m-1  leader  partitions 2\n      member m-2  instance host-b  partitions 1\n"));
}

CAF_TEST(an actor filter shows the tree only) {
  node_inspection n{{node_id{2}, {"10.0.0.2", 9002}, ""}, sample_node()};
  auto text = render_node(n, {true});
  CAF_CHECK(contains(text, "actors 2"));
  CAF_CHECK(text.find("replicas") == std::string::npos);
  CAF_CHECK(text.find("groups") == std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()

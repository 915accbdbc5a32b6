#define CAF_SUITE tools.metrics_text
#include <caf/test/unit_test.hpp>

#include "actors/request_meter.hpp"
#include "actors/state_tree.hpp"
#include "tests/tools/exposition_parser.hpp"
#include "tools/sluiced/metrics_text.hpp"

using namespace sluice;
using namespace sluice::tools;
using namespace std::chrono_literals;

namespace {

// A node with a leader, a follower out of sync, a group with offsets on both, meters, a tree.
node_snapshot sample_snapshot() {
  node_snapshot s;
  s.inspect.node = node_id{2};
  s.inspect.tree = "node 2 (mailbox 3): node(listen(\"127.0.0.1:9292\"))\n"
                   "  topic orders (mailbox 0): topic(...)\n"
                   "    partition orders-0 (mailbox 7): partition(role(\"leader\"))\n"
                   "    partition orders-1 did not answer: timeout\n"
                   "  group_manager groups (mailbox 0): manager(...)";
  s.inspect.replicas.push_back({"orders", partition_id{0}, "leader", node_id{2}, leader_epoch{3},
                                offset{10}, offset{500}, offset{480},
                                {node_id{2}, node_id{1}, node_id{3}}, {node_id{2}, node_id{1}}, {}, ""});
  s.inspect.replicas.push_back({"orders", partition_id{1}, "follower", node_id{1}, leader_epoch{1},
                                offset{0}, offset{70}, offset{70}, {node_id{1}, node_id{2}},
                                {node_id{1}, node_id{2}}, {}, ""});
  s.inspect.replicas.push_back({"orders", partition_id{2}, "none", node_id{-1}, leader_epoch{-1},
                                offset{-1}, offset{-1}, offset{-1}, {}, {}, {}, "did not answer"});
  s.inspect.groups.push_back({"billing \"eu\"", "stable", generation_id{4}, "range", "m-1",
                              partition_id{0}, {{"m-1", "", 2}}, ""});
  schema::offset_fetch_response::partition p0{"orders", partition_id{0}, offset{450}, leader_epoch{3}, "", {}};
  schema::offset_fetch_response::partition p1{"orders", partition_id{1}, offset{60}, leader_epoch{1}, "", {}};
  s.committed["billing \"eu\""] = {p0, p1};
  actors::request_meter produce{"produce"};
  produce.record(50us, 100, false);   // first bucket
  produce.record(3ms, 200, true);     // le 0.005
  produce.record(20s, 300, false);    // above every bound
  s.inspect.requests = {produce.stats(), actors::request_meter{"fetch"}.stats()};
  s.scheduler_threads = 2;
  s.actors_running = 11;
  actors::request_meter delay{"scheduler_delay"};
  delay.record(40us, 0, false);
  delay.record(40us, 0, false);
  delay.record(30ms, 0, false);
  s.scheduler_delay = delay.stats();
  s.threads = {{101, "caf.multiplexer", 12.5, 1.25}, {102, "caf.clock", 0.5, 0}};
  return s;
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += x + "\n";
  return out;
}

} // namespace

CAF_TEST(the parser refuses what the format does not allow) {
  auto errors = [](std::string_view text) { return test::parse_exposition(text).errors.size(); };
  CAF_CHECK_EQUAL(errors("# TYPE a gauge\na{x=\"1\"} 2\n"), 0u);
  CAF_CHECK_GREATER(errors("a 1\n"), 0u);                                        // no TYPE
  CAF_CHECK_GREATER(errors("# TYPE a gauge\na{x=\"1\"} 2"), 0u);                 // no final newline
  CAF_CHECK_GREATER(errors("# TYPE a gauge\na{x=\"\\t\"} 2\n"), 0u);             // bad escape
  CAF_CHECK_GREATER(errors("# TYPE a gauge\na{x=1} 2\n"), 0u);                   // unquoted value
  CAF_CHECK_GREATER(errors("# TYPE a gauge\na{1x=\"1\"} 2\n"), 0u);              // bad label name
  CAF_CHECK_GREATER(errors("# TYPE a gauge\na 1\na 2\n"), 0u);                   // series twice
  CAF_CHECK_GREATER(errors("# TYPE a gauge\n# TYPE b gauge\nb 1\na 1\n"), 0u);  // a split
  CAF_CHECK_GREATER(errors("# TYPE a counter\na -1\n"), 0u);                     // negative counter
  CAF_CHECK_GREATER(errors("# TYPE a gauge\na x\n"), 0u);                        // bad value
  CAF_CHECK_GREATER(errors("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                      "h_sum 1\nh_count 1\n"),
               0u); // not cumulative
  CAF_CHECK_GREATER(errors("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"), 0u); // no +Inf
}

CAF_TEST(a node snapshot renders as valid exposition text) {
  auto text = render_metrics(sample_snapshot());
  auto parsed = test::parse_exposition(text);
  CAF_CHECK_EQUAL(joined(parsed.errors), "");
  if (!parsed.errors.empty())
    CAF_MESSAGE(text);
  for (auto& s : parsed.samples) {
    CAF_CHECK_EQUAL(s.name.rfind("sluice_", 0), 0u);
    CAF_CHECK_EQUAL(s.labels["node"], "2");
  }
  CAF_CHECK_EQUAL(parsed.types["sluice_request_latency_seconds"], "histogram");
  CAF_CHECK_EQUAL(parsed.types["sluice_requests_total"], "counter");
}

CAF_TEST(partition series carry log offsets ISR size and under-replication) {
  auto p = test::parse_exposition(render_metrics(sample_snapshot()));
  auto v = [&](const std::string& name, const std::string& partition) {
    return p.value(name, {{"topic", "orders"}, {"partition", partition}}).value_or(-99);
  };
  CAF_CHECK_EQUAL(v("sluice_partition_log_start_offset", "0"), 10);
  CAF_CHECK_EQUAL(v("sluice_partition_log_end_offset", "0"), 500);
  CAF_CHECK_EQUAL(v("sluice_partition_high_watermark", "0"), 480);
  CAF_CHECK_EQUAL(v("sluice_partition_replicas", "0"), 3);
  CAF_CHECK_EQUAL(v("sluice_partition_isr_size", "0"), 2);
  CAF_CHECK_EQUAL(v("sluice_partition_under_replicated", "0"), 1);
  CAF_CHECK_EQUAL(v("sluice_partition_leader", "0"), 1);
  CAF_CHECK_EQUAL(v("sluice_partition_leader", "1"), 0);
  CAF_CHECK_EQUAL(v("sluice_partition_log_end_offset", "1"), 70);
  // ISR and under-replication are the leader's to say; a replica that did not answer is left out.
  CAF_CHECK_EQUAL(v("sluice_partition_isr_size", "1"), -99);
  CAF_CHECK_EQUAL(v("sluice_partition_log_end_offset", "2"), -99);
}

CAF_TEST(group lag is the leader high watermark minus the committed offset) {
  auto p = test::parse_exposition(render_metrics(sample_snapshot()));
  std::map<std::string, std::string> g0{{"group", "billing \"eu\""}, {"topic", "orders"}, {"partition", "0"}};
  std::map<std::string, std::string> g1{{"group", "billing \"eu\""}, {"topic", "orders"}, {"partition", "1"}};
  CAF_CHECK_EQUAL(p.value("sluice_group_committed_offset", g0).value_or(-1), 450);
  CAF_CHECK_EQUAL(p.value("sluice_group_lag", g0).value_or(-1), 30);
  CAF_CHECK_EQUAL(p.value("sluice_group_committed_offset", g1).value_or(-1), 60);
  // Partition 1 is led elsewhere: its high watermark is not known here, so no lag series.
  CAF_CHECK(!p.value("sluice_group_lag", g1));
  CAF_CHECK_EQUAL(p.value("sluice_group_members", {{"group", "billing \"eu\""}}).value_or(-1), 1);
}

CAF_TEST(request meters become counters and a cumulative histogram) {
  auto p = test::parse_exposition(render_metrics(sample_snapshot()));
  std::map<std::string, std::string> produce{{"kind", "produce"}};
  CAF_CHECK_EQUAL(p.value("sluice_requests_total", produce).value_or(-1), 3);
  CAF_CHECK_EQUAL(p.value("sluice_request_errors_total", produce).value_or(-1), 1);
  CAF_CHECK_EQUAL(p.value("sluice_request_bytes_total", produce).value_or(-1), 600);
  auto bucket = [&](const std::string& le) {
    return p.value("sluice_request_latency_seconds_bucket", {{"kind", "produce"}, {"le", le}}).value_or(-1);
  };
  CAF_CHECK_EQUAL(bucket("0.000100"), 1);
  CAF_CHECK_EQUAL(bucket("0.002500"), 1);
  CAF_CHECK_EQUAL(bucket("0.005000"), 2);
  CAF_CHECK_EQUAL(bucket("10.000000"), 2);
  CAF_CHECK_EQUAL(bucket("+Inf"), 3);
  auto sum = p.value("sluice_request_latency_seconds_sum", produce).value_or(-1);
  CAF_CHECK(std::abs(sum - 20.00305) < 1e-6);
  CAF_CHECK_EQUAL(p.value("sluice_requests_total", {{"kind", "fetch"}}).value_or(-1), 0);
}

CAF_TEST(mailboxes come from the actor tree) {
  auto s = sample_snapshot();
  auto boxes = actors::actor_mailboxes(s.inspect.tree);
  CAF_REQUIRE_EQUAL(boxes.size(), 4u); // the actor that did not answer has no mailbox line
  CAF_CHECK_EQUAL(boxes[0].actor, "node 2");
  CAF_CHECK_EQUAL(boxes[0].queued, 3);
  CAF_CHECK_EQUAL(boxes[2].actor, "partition orders-0");
  CAF_CHECK_EQUAL(boxes[2].queued, 7);
  auto p = test::parse_exposition(render_metrics(s));
  CAF_CHECK_EQUAL(p.value("sluice_actor_mailbox_size", {{"actor", "partition orders-0"}}).value_or(-1), 7);
  CAF_CHECK_EQUAL(p.value("sluice_actors", {}).value_or(-1), 4);
  CAF_CHECK_EQUAL(p.value("sluice_actors_running", {}).value_or(-1), 11);
  CAF_CHECK_EQUAL(p.value("sluice_scheduler_threads", {}).value_or(-1), 2);
}

CAF_TEST(scheduler delay is a histogram and each thread has its CPU seconds) {
  auto p = test::parse_exposition(render_metrics(sample_snapshot()));
  CAF_CHECK_EQUAL(p.value("sluice_scheduler_delay_seconds_bucket", {{"le", "0.000100"}}).value_or(-1), 2);
  CAF_CHECK_EQUAL(p.value("sluice_scheduler_delay_seconds_bucket", {{"le", "0.025000"}}).value_or(-1), 2);
  CAF_CHECK_EQUAL(p.value("sluice_scheduler_delay_seconds_bucket", {{"le", "0.050000"}}).value_or(-1), 3);
  CAF_CHECK_EQUAL(p.value("sluice_scheduler_delay_seconds_count", {}).value_or(-1), 3);
  std::map<std::string, std::string> worker{{"thread", "caf.multiplexer"}, {"tid", "101"}, {"mode", "user"}};
  CAF_CHECK_EQUAL(p.value("sluice_thread_cpu_seconds_total", worker).value_or(-1), 12.5);
  worker["mode"] = "system";
  CAF_CHECK_EQUAL(p.value("sluice_thread_cpu_seconds_total", worker).value_or(-1), 1.25);
  // A probe that did not answer: the family is declared, without samples.
  auto s = sample_snapshot();
  s.scheduler_delay = {};
  auto quiet = test::parse_exposition(render_metrics(s));
  CAF_CHECK(!quiet.value("sluice_scheduler_delay_seconds_count", {}));
}

CAF_TEST(label values are escaped) {
  CAF_CHECK_EQUAL(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

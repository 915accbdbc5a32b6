#define CAF_SUITE tools.console_api
#include <caf/test/unit_test.hpp>

#include "tools/sluiced/console_api.hpp"
#include "tools/sluiced/json_text.hpp"

using namespace sluice;
using namespace sluice::tools;

namespace {

node_snapshot sample() {
  node_snapshot s;
  s.inspect.node = node_id{1};
  s.taken_unix_ms = 1'700'000'000'000;
  s.inspect.tree = "node 1 (mailbox 2): node(...)\n  topic t (mailbox 1): topic(...)";
  s.inspect.controllers = {{node_id{1}, "127.0.0.1", 9301}};
  s.inspect.replicas.push_back({"__consumer_offsets", partition_id{0}, "leader", node_id{1}, leader_epoch{0},
                                offset{0}, offset{4}, offset{4}, {node_id{1}}, {node_id{1}}, {}, ""});
  s.inspect.replicas.push_back({"t", partition_id{0}, "leader", node_id{1}, leader_epoch{2}, offset{0},
                                offset{100}, offset{90}, {node_id{1}, node_id{2}}, {node_id{1}}, {}, ""});
  s.inspect.groups.push_back({"g", "stable", generation_id{3}, "range", "m", partition_id{0}, {{"m", "", 1}}, ""});
  s.inspect.groups.push_back({"quiet", "empty", generation_id{0}, "", "", partition_id{1}, {}, ""});
  s.committed["g"] = {{"t", partition_id{0}, offset{85}, leader_epoch{2}, "", {}}};
  return s;
}

bool contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return true;
  CAF_MESSAGE("'" << part << "' not in " << text);
  return false;
}

} // namespace

CAF_TEST(json strings are escaped) {
  CAF_CHECK_EQUAL(json_string("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\u000a\\u0001\"");
  CAF_CHECK_EQUAL(json_array({}), "[]");
  CAF_CHECK_EQUAL(json_array({"1", "2"}), "[1,2]");
}

CAF_TEST(cluster shows the node its controllers and its actors) {
  auto j = render_cluster_json(sample());
  CAF_CHECK(contains(j, "\"node\":1,"));
  CAF_CHECK(contains(j, "\"controllers\":[{\"id\":1,\"host\":\"127.0.0.1\",\"port\":9301}]"));
  CAF_CHECK(contains(j, "\"actors\":2,\"queued\":3,"));
}

CAF_TEST(topics list partitions with leader ISR and offsets) {
  auto j = render_topics_json(sample());
  CAF_CHECK(contains(j, "{\"name\":\"__consumer_offsets\",\"internal\":true,"));
  CAF_CHECK(contains(j, "{\"name\":\"t\",\"internal\":false,\"partitions\":[{\"partition\":0,\"role\":\"leader\","
                        "\"leader\":1,\"epoch\":2,\"replicas\":[1,2],\"isr\":[1],\"log_start\":0,"
                        "\"log_end\":100,\"high_watermark\":90,\"under_replicated\":true,\"error\":\"\"}]}"));
}

CAF_TEST(groups carry their lag) {
  auto j = render_groups_json(sample());
  CAF_CHECK(contains(j, "\"group\":\"g\",\"state\":\"stable\",\"generation\":3,\"protocol\":\"range\","));
  CAF_CHECK(contains(j, "\"lag\":5,\"offsets\":[{\"topic\":\"t\",\"partition\":0,\"committed\":85,"
                        "\"high_watermark\":90,\"lag\":5}]"));
  // A group whose offsets were not fetched has an unknown lag.
  CAF_CHECK(contains(j, "\"group\":\"quiet\""));
  CAF_CHECK(contains(j, "\"members\":[],\"lag\":-1,\"offsets\":[]"));
}

// inspect_request: the node's actor tree and the summaries of its partition replicas and
// consumer groups, gathered from its own actors only (no controller round trip), so that a
// node answers while the controller quorum is gone, which is when an operator looks.

#include "actors/node_impl.hpp"

#include "actors/fan_in.hpp"
#include "schema/error_response.hpp"
#include "schema/inspect.hpp"

#include <algorithm>
#include <memory>

namespace sluice::actors {

namespace {

// What the three parts of an answer wait on; the last one to arrive delivers.
struct inspection {
  schema::inspect_response response;
  int outstanding = 3;
  caf::typed_response_promise<schema::envelope> rp;

  void part_done() {
    if (--outstanding > 0)
      return;
    std::ranges::sort(response.replicas, {}, [](auto& r) { return std::pair{r.topic, r.partition}; });
    std::ranges::sort(response.groups, {}, &schema::group_status::group_id);
    rp.deliver(encode(response));
  }
};

std::vector<schema::replica_status> flatten(std::vector<caf::expected<std::vector<schema::replica_status>>> in,
                                            const std::vector<std::string>& topics) {
  std::vector<schema::replica_status> out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i]) {
      std::ranges::move(*in[i], std::back_inserter(out));
      continue;
    }
    schema::replica_status missing;
    missing.topic = topics[i];
    missing.partition = partition_id{-1};
    missing.error = "topic did not answer: " + to_string(in[i].error());
    out.push_back(std::move(missing));
  }
  return out;
}

// A single node's partitions lead alone as node 0 (they know no node id): name this node.
void name_single_node(std::vector<schema::replica_status>& replicas, node_id self) {
  auto fix = [self](node_id& id) {
    if (id == node_id{0})
      id = self;
  };
  for (auto& r : replicas) {
    fix(r.leader);
    std::ranges::for_each(r.replicas, fix);
    std::ranges::for_each(r.isr, fix);
  }
}

} // namespace

schema::inspect_response node_impl::inspect_identity() const {
  schema::inspect_response out;
  out.node = config_.id;
  for (auto& c : config_.controllers)
    out.controllers.push_back({c.id, c.host, c.port});
  out.requests = {produce_meter_.stats(), fetch_meter_.stats(), replica_fetch_meter_.stats()};
  return out;
}

caf::result<schema::envelope> node_impl::inspect_node(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::inspect_request>(e);
  if (!req)
    return encode(schema::error_response{req.err()});
  auto g = std::make_shared<inspection>();
  g->response = inspect_identity();
  g->rp = make_response_promise<envelope>();

  request(caf::actor_cast<node_actor>(this), inspect_node_timeout, inspect_atom_v, req->filter)
    .then([g](std::string& tree) { g->response.tree = std::move(tree); g->part_done(); },
          [g](caf::error& err) {
            g->response.tree = "node did not answer: " + to_string(err);
            g->part_done();
          });

  std::vector<topic_actor> topics;
  std::vector<std::string> names;
  for (auto& [name, t] : topics_) {
    topics.push_back(t.actor);
    names.push_back(name);
  }
  bool single = config_.controllers.empty();
  fan_in<std::vector<schema::replica_status>>(
    this, topics, inspect_node_timeout,
    [g, names, single, self = config_.id](auto answers) {
      g->response.replicas = flatten(std::move(answers), names);
      if (single)
        name_single_node(g->response.replicas, self);
      g->part_done();
    },
    inspect_atom_v);

  request(groups_, inspect_node_timeout, inspect_atom_v)
    .then([g](std::vector<schema::group_status>& groups) {
            g->response.groups = std::move(groups);
            g->part_done();
          },
          [g](caf::error& err) {
            schema::group_status missing;
            missing.error = "group manager did not answer: " + to_string(err);
            g->response.groups.push_back(std::move(missing));
            g->part_done();
          });
  return g->rp;
}

} // namespace sluice::actors

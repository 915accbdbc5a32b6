#include "tools/sluiced/take_snapshot.hpp"

#include "client/reply.hpp"
#include "schema/group.hpp"
#include "tools/sluiced/thread_cpu.hpp"

#include <caf/scoped_actor.hpp>

namespace sluice::tools {

std::variant<node_snapshot, std::string> take_snapshot(caf::actor_system& sys, const snapshot_sources& from,
                                                       std::chrono::milliseconds timeout) {
  auto& node = from.node;
  caf::scoped_actor self{sys};
  node_snapshot out;
  std::string failure;
  self->request(node, timeout, inspect_atom_v, schema::encode(schema::inspect_request{}))
    .receive(
      [&](schema::envelope& e) {
        auto r = client::decode_reply<schema::inspect_response>(e);
        if (r)
          out.inspect = std::move(*r);
        else
          failure = "inspection: " + r.err().message;
      },
      [&](caf::error& err) { failure = "the node did not answer: " + client::describe(err); });
  if (!failure.empty())
    return failure;
  // One group at a time: a scrape sees few groups per node, and each answer comes from the
  // coordinator's own mailbox on this node.
  for (auto& g : out.inspect.groups) {
    if (!g.error.empty())
      continue;
    self->request(node, timeout, offset_fetch_atom_v,
                  schema::encode(schema::offset_fetch_request{g.group_id, {}}))
      .receive(
        [&](schema::envelope& e) {
          auto r = client::decode_reply<schema::offset_fetch_response>(e);
          if (r && r->error.ok())
            out.committed[g.group_id] = std::move(r->partitions);
        },
        [](caf::error&) {}); // the group shows without offsets (lag unknown)
  }
  if (from.probe)
    self->request(from.probe, timeout, actors::state_atom_v)
      .receive([&](schema::request_stats& delay) { out.scheduler_delay = std::move(delay); },
               [](caf::error&) {});
  out.threads = read_thread_cpu();
  out.scheduler_threads = sys.scheduler().num_workers();
  out.actors_running = sys.registry().running();
  out.taken_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return out;
}

} // namespace sluice::tools

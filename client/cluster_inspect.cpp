#include "client/cluster_inspect.hpp"

#include "client/reply.hpp"
#include "client/routing_table.hpp"
#include "schema/cluster.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <algorithm>
#include <future>
#include <mutex>
#include <optional>

namespace sluice::client {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Beyond the per-node timeout, how long the caller waits for the asking actor to be scheduled.
constexpr auto scheduling_slack = 1000ms;

// The answers, filled by the asking actor and read by the caller once all are in (or the
// caller stopped waiting: then late answers land here and are dropped with it).
struct gathered {
  std::mutex mtx;
  std::vector<std::optional<result<schema::inspect_response>>> answers;
  size_t outstanding = 0;
  std::promise<void> all;

  void set(size_t i, result<schema::inspect_response> r) {
    std::lock_guard lock{mtx};
    if (answers[i])
      return;
    answers[i] = std::move(r);
    if (--outstanding == 0)
      all.set_value();
  }
};

// What the asking actor needs of the connection, copied: it may outlive a caller that stopped
// waiting, and with it the connection.
struct asker {
  actors::node_actor home; // the connection's home node, asked over its own link
  std::optional<node_address> home_address;
  node_connector connector;
  schema::envelope request;
  clock_type::time_point deadline;

  caf::duration left() const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    return caf::duration{std::max(ms, 1ms)};
  }
};

void ask(caf::event_based_actor* self, const actors::node_actor& node, const std::string& peer,
         const asker& a, size_t i, const std::shared_ptr<gathered>& g) {
  self->request(node, a.left(), inspect_atom_v, a.request)
    .then([g, i](schema::envelope& e) { g->set(i, decode_reply<schema::inspect_response>(e)); },
          [g, i, peer](caf::error& e) { g->set(i, from_caf(e, peer)); });
}

void inspect_one(caf::event_based_actor* self, const asker& a, const node_address& addr, size_t i,
                 const std::shared_ptr<gathered>& g) {
  auto peer = "node at " + addr.to_string();
  if (!a.home_address || addr == *a.home_address) {
    ask(self, a.home, peer, a, i, g);
    return;
  }
  if (!a.connector) {
    g->set(i, make_error(errc::unreachable, "cannot reach " + peer + ": no way to connect"));
    return;
  }
  auto timeout = std::chrono::milliseconds{a.left().count};
  a.connector(self, addr, timeout, [self, a, peer, i, g](actors::node_actor node, const error& e) {
    if (!node)
      g->set(i, e.ok() ? make_error(errc::unreachable, "cannot reach " + peer) : e);
    else
      ask(self, node, peer, a, i, g);
  });
}

// Where to dial a node: as registered, except a wildcard host (listening on 0.0.0.0), which
// means the host the connection reached its home node at (dial_address).
node_address dial(node_id id, const std::string& host, uint16_t port, const std::optional<node_address>& home) {
  return dial_address(schema::metadata_response::broker{id, host, port, ""}, home);
}

std::vector<inspect_target> brokers_of(const schema::cluster_status_response& st,
                                       const std::optional<node_address>& home) {
  std::vector<inspect_target> out;
  for (auto& b : st.brokers) {
    std::string note = b.fenced ? "fenced" : "";
    if (b.decommissioned)
      note += note.empty() ? "decommissioned" : " decommissioned";
    out.push_back({b.id, dial(b.id, b.host, b.port, home), note});
  }
  std::ranges::sort(out, {}, [](auto& t) { return t.id.value; });
  return out;
}

} // namespace

std::vector<node_inspection> inspect_nodes(const connection& conn,
                                           const std::vector<inspect_target>& targets,
                                           const std::string& filter,
                                           std::chrono::milliseconds timeout) {
  std::vector<node_inspection> out;
  if (targets.empty())
    return out;
  auto g = std::make_shared<gathered>();
  g->answers.resize(targets.size());
  g->outstanding = targets.size();
  auto all = g->all.get_future();
  auto link = conn.bootstrap_link();
  asker a{link.node(), link.address(), link.connector(), encode(schema::inspect_request{filter}),
          clock_type::now() + timeout};
  std::vector<node_address> addresses;
  for (auto& t : targets)
    addresses.push_back(t.address);
  conn.system().spawn([a, addresses, g](caf::event_based_actor* self) {
    for (size_t i = 0; i < addresses.size(); ++i)
      inspect_one(self, a, addresses[i], i, g);
  });
  all.wait_for(timeout + scheduling_slack);
  std::lock_guard lock{g->mtx};
  for (size_t i = 0; i < targets.size(); ++i) {
    auto& answer = g->answers[i];
    out.push_back({targets[i], answer ? std::move(*answer)
                                      : make_error(errc::timed_out, "node at " + targets[i].address.to_string()
                                                                      + " did not answer in time")});
    answer = make_error(errc::closed, "taken"); // a late answer finds the slot filled
  }
  return out;
}

namespace {

// A controller with a quorum answers cluster status in milliseconds; one without waits for a
// leader (up to 10 s) before it gives up, which the fallback need not wait for.
constexpr auto status_timeout_max = 2000ms;

// The connection's home node: the bootstrap node that answered, or the one it moved to.
inspect_target home_target(const connection& conn) {
  auto link = conn.bootstrap_link();
  return {node_id{-1}, link.address().value_or(node_address{"in-process", 0}), ""};
}

node_inspection ask_home(const connection& conn, const std::string& filter, std::chrono::milliseconds timeout) {
  auto out = inspect_nodes(conn, {home_target(conn)}, filter, timeout).front();
  if (out.answer)
    out.target.id = out.answer->node;
  return out;
}

// The home node did not answer: the connection moves to the next node it knows (its
// bootstrap list, then the brokers it learned), as any of its blocking calls would, and that
// one is asked. Unchanged when no other node answers.
node_inspection ask_next_home(const connection& conn, node_inspection failed, const std::string& filter,
                              std::chrono::milliseconds timeout) {
  auto gone = conn.node();
  if (!conn.routed() || !failed.answer.err().no_answer())
    return failed;
  conn.home()->failed(gone);
  conn.recover();
  if (conn.node() == gone)
    return failed;
  return ask_home(conn, filter, timeout);
}

// Cluster status from the home node, without the connection's failover: a node that answered
// its inspection is alive even when its controller has no quorum to answer this.
result<schema::cluster_status_response> cluster_status(const connection& conn, std::chrono::milliseconds timeout) {
  caf::scoped_actor self{conn.system()};
  std::optional<result<schema::cluster_status_response>> out;
  self->request(conn.node(), caf::duration{timeout}, cluster_status_atom_v, encode(schema::cluster_status_request{}))
    .receive([&](schema::envelope& e) { out.emplace(decode_reply<schema::cluster_status_response>(e)); },
             [&](caf::error& e) { out.emplace(from_caf(e, conn.peer())); });
  return std::move(*out);
}

// The nodes as the controllers know them, else as `me` (the home node) was configured.
inspect_plan plan_from(const connection& conn, const node_inspection& me,
                       std::chrono::milliseconds timeout) {
  if (me.answer->controllers.empty())
    return {{me.target}, ""};
  auto st = cluster_status(conn, std::min(timeout, std::chrono::milliseconds{status_timeout_max}));
  if (st && st->error.ok() && !st->brokers.empty())
    return {brokers_of(*st, conn.bootstrap_link().address()), ""};
  inspect_plan plan;
  for (auto& c : me.answer->controllers)
    plan.targets.push_back({c.id, dial(c.id, c.host, c.port, conn.bootstrap_link().address()), ""});
  auto why = !st ? st.err().to_string() : st->error.message;
  plan.warning = "cluster status did not answer (" + why + "): asking the controllers node "
                 + std::to_string(me.target.id.value) + " was started with";
  return plan;
}

// Asks the targets that are not `me` and puts `me` in its place (or first, when the
// controllers do not list it).
std::vector<node_inspection> ask_others(const connection& conn, const node_inspection& me,
                                        const std::vector<inspect_target>& targets,
                                        const std::string& filter, std::chrono::milliseconds timeout) {
  auto is_me = [&](const inspect_target& t) {
    return me.answer ? t.id == me.target.id : t.address == me.target.address;
  };
  std::vector<inspect_target> others;
  for (auto& t : targets)
    if (!is_me(t))
      others.push_back(t);
  auto asked = inspect_nodes(conn, others, filter, timeout);
  std::vector<node_inspection> out;
  if (others.size() == targets.size())
    out.push_back(me);
  size_t next = 0;
  for (auto& t : targets) {
    if (!is_me(t)) {
      out.push_back(std::move(asked[next++]));
      continue;
    }
    out.push_back(me);
    out.back().target = t;
  }
  return out;
}

} // namespace

result<inspect_plan> list_nodes(const connection& conn, std::chrono::milliseconds timeout) {
  auto me = ask_home(conn, "", timeout);
  if (!me.answer)
    me = ask_next_home(conn, std::move(me), "", timeout);
  if (!me.answer)
    return me.answer.err();
  return plan_from(conn, me, timeout);
}

result<cluster_inspection> inspect_cluster(const connection& conn, const std::string& filter,
                                           std::chrono::milliseconds timeout,
                                           std::vector<inspect_target>& known) {
  auto me = ask_home(conn, filter, timeout);
  if (!me.answer)
    me = ask_next_home(conn, std::move(me), filter, timeout);
  if (!me.answer) {
    if (known.empty())
      return me.answer.err();
    auto warning = "no node the connection knows answered (" + me.answer.err().to_string()
                   + "): asking the nodes of the previous snapshot";
    return cluster_inspection{ask_others(conn, me, known, filter, timeout), warning};
  }
  auto plan = plan_from(conn, me, timeout);
  known = plan.targets;
  return cluster_inspection{ask_others(conn, me, plan.targets, filter, timeout), plan.warning};
}

} // namespace sluice::client

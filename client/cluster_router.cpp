#include "client/cluster_router.hpp"

#include "client/reply.hpp"
#include "schema/type_ids.hpp"

#include <algorithm>

namespace sluice::client {

cluster_router::cluster_router(caf::event_based_actor* self, node_link bootstrap, bool routed,
                               options o, hooks h)
  : self_(self),
    routed_(routed),
    options_(o),
    hooks_(std::move(h)),
    table_(routing_table::options{o.retry_backoff, o.metadata_max_age}) {
  if (bootstrap.address())
    by_address_.emplace(bootstrap.address()->to_string(), bootstrap_id);
  links_.push_back({std::make_unique<node_link>(std::move(bootstrap))});
}

void cluster_router::start() { links_[bootstrap_id].link->watch(self_); }

std::vector<link_id> cluster_router::on_down(const caf::down_msg& dm) {
  std::vector<link_id> lost;
  for (link_id id = 0; id < links_.size(); ++id) {
    if (!links_[id].link->on_down(dm))
      continue;
    if (refresh_on_ == id) { // its answer will never come
      refresh_on_.reset();
      ++refresh_seq_;
    }
    table_.request_refresh();
    lost.push_back(id);
  }
  return lost;
}

cluster_router::target cluster_router::route(std::string_view topic, partition_id p, clock::time_point now) {
  if (!routed_)
    return {links_[bootstrap_id].link->up() ? target::kind::ready : target::kind::waiting, bootstrap_id};
  auto r = table_.lookup(topic, p);
  switch (r.what) {
    case routing_table::route::kind::unknown_topic: return {target::kind::unknown_topic, bootstrap_id};
    case routing_table::route::kind::unknown_partition: return {target::kind::unknown_partition, bootstrap_id};
    case routing_table::route::kind::wait: return {target::kind::waiting, bootstrap_id};
    case routing_table::route::kind::leader: break;
  }
  auto id = link_to(r.leader, *r.address);
  auto& e = links_[id];
  if (e.link->up())
    return {target::kind::ready, id};
  e.wanted = true;
  connect(id, now);
  return {target::kind::dialling, id};
}

link_id cluster_router::link_to(node_id broker, const routing_table::broker& b) {
  if (auto i = by_broker_.find(broker.value); i != by_broker_.end())
    return i->second;
  auto addr = dial_address(b, links_[bootstrap_id].link->address());
  auto key = addr.to_string();
  auto i = by_address_.find(key);
  if (i == by_address_.end()) {
    auto id = static_cast<link_id>(links_.size());
    links_.push_back({std::make_unique<node_link>(actors::node_actor{}, addr, links_[bootstrap_id].link->connector())});
    i = by_address_.emplace(std::move(key), id).first;
  }
  by_broker_.emplace(broker.value, i->second);
  return i->second;
}

void cluster_router::connect(link_id id, clock::time_point now) {
  auto& e = links_[id];
  if (e.link->up() || e.link->connecting() || now < e.next_attempt || !e.link->can_reconnect())
    return;
  e.wanted = false; // whoever still needs it asks again when this attempt fails
  e.link->reconnect(self_, options_.request_timeout, [this, id](const error& err) {
    auto& e = links_[id];
    if (err.ok()) {
      e.failures = 0;
      e.next_attempt = {};
    } else {
      ++e.failures;
      auto shift = std::min(e.failures - 1, 16);
      auto backoff = std::min<std::chrono::milliseconds>(options_.retry_backoff * (int64_t{1} << shift),
                                                         options_.reconnect_backoff_max);
      e.next_attempt = clock::now() + backoff;
      table_.request_refresh();
      if (!any_up() && !any_connecting() && hooks_.unreachable)
        hooks_.unreachable(err);
    }
    if (hooks_.changed)
      hooks_.changed();
  });
}

std::optional<cluster_router::clock::time_point> cluster_router::poll(clock::time_point now) {
  if (!routed_)
    return std::nullopt;
  std::optional<clock::time_point> next;
  auto at = [&](clock::time_point t) {
    if (!next || t < *next)
      next = t;
  };
  if (!refresh_on_) {
    auto due = table_.next_refresh();
    if (due && *due <= now)
      send_refresh(now); // without a link up it dials them instead: their outcome calls back
    else if (due)
      at(*due);
  }
  for (link_id id = 0; id < links_.size(); ++id) {
    auto& e = links_[id];
    if (!e.wanted || e.link->up() || e.link->connecting())
      continue;
    if (now >= e.next_attempt)
      connect(id, now);
    else
      at(e.next_attempt);
  }
  return next;
}

bool cluster_router::send_refresh(clock::time_point now) {
  std::optional<link_id> on;
  if (links_[bootstrap_id].link->up())
    on = bootstrap_id;
  for (link_id id = 1; id < links_.size() && !on; ++id)
    if (links_[id].link->up())
      on = id;
  if (!on) {
    // Nobody to ask: dial the bootstrap node and every broker known (each within its backoff).
    links_[bootstrap_id].wanted = true;
    for (auto& b : table_.brokers())
      links_[link_to(b.id, b)].wanted = true;
    for (link_id id = 0; id < links_.size(); ++id)
      if (links_[id].wanted)
        connect(id, now);
    return false;
  }
  table_.refresh_sent(now);
  schema::metadata_request req;
  req.all_topics = false;
  req.topics = table_.topics();
  refresh_on_ = *on;
  auto seq = ++refresh_seq_;
  self_->request(links_[*on].link->node(), caf::duration{options_.request_timeout}, metadata_atom_v,
                 schema::encode(req))
    .then(
      [this, seq](schema::envelope& reply) {
        if (seq != refresh_seq_)
          return;
        refresh_on_.reset();
        auto md = decode_reply<schema::metadata_response>(reply);
        if (md) {
          on_answer(*md);
          return;
        }
        table_.request_refresh();
        if (hooks_.changed)
          hooks_.changed();
      },
      [this, seq](caf::error&) {
        if (seq != refresh_seq_)
          return;
        refresh_on_.reset();
        table_.request_refresh();
        if (hooks_.changed)
          hooks_.changed();
      });
  return true;
}

void cluster_router::on_answer(const schema::metadata_response& md) {
  table_.update(md, clock::now());
  by_broker_.clear(); // a restarted broker may listen elsewhere
  if (hooks_.metadata)
    hooks_.metadata(md);
  if (hooks_.changed)
    hooks_.changed();
}

bool cluster_router::any_up() const {
  return std::any_of(links_.begin(), links_.end(), [](auto& e) { return e.link->up(); });
}

bool cluster_router::any_connecting() const {
  return std::any_of(links_.begin(), links_.end(), [](auto& e) { return e.link->connecting(); });
}

} // namespace sluice::client

// The node's share group requests (schema/share.hpp): each partition is routed here (the topic
// actor, this node's leadership and leader epoch, the topic's share.* configs), then the
// node's share manager (actors/share_manager.hpp) answers.

#include "actors/node_impl.hpp"

#include "actors/topic_config.hpp"
#include "schema/error_response.hpp"
#include "schema/share.hpp"

namespace sluice::actors {

using schema::errc;

share_target node_impl::share_route(const std::string& topic, partition_id p) {
  share_target t;
  auto* h = route(topic, p, t.error);
  if (!h)
    return t;
  if (topic.starts_with("__")) {
    t.error = {errc::invalid_request, "'" + topic + "' is internal: share groups cannot read it"};
    return t;
  }
  if (!config_.controllers.empty()) {
    auto it = states_.find(topic);
    if (it == states_.end() || static_cast<size_t>(p.value) >= it->second.size()) {
      t.error = {errc::leader_not_available, topic + "-" + std::to_string(p.value) + " has no leader yet"};
      return t;
    }
    auto& r = it->second[static_cast<size_t>(p.value)];
    if (r.leader != config_.id) {
      t.error = {errc::not_leader, "node " + std::to_string(config_.id.value) + " does not lead " + topic
                                     + "-" + std::to_string(p.value)};
      return t;
    }
    t.epoch = r.epoch;
  }
  auto c = effective_config(config_.topic_defaults, h->spec.configs);
  auto& cfg = c ? *c : config_.topic_defaults;
  t.config = {cfg.share_record_lock_duration_ms, static_cast<int32_t>(cfg.share_delivery_count_limit),
              static_cast<int32_t>(cfg.share_max_record_locks)};
  t.topic = h->actor;
  return t;
}

caf::result<schema::envelope> node_impl::share_fetch(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::share_fetch_request>(e);
  if (!req) {
    ++status_.undecodable;
    return encode(schema::error_response{req.err()});
  }
  share_fetch_work w;
  for (auto& p : req->partitions)
    w.targets.push_back(share_route(p.topic, p.partition));
  w.request = std::move(*req);
  return delegate(shares_, share_fetch_atom_v, std::move(w));
}

caf::result<schema::envelope> node_impl::share_ack(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::share_acknowledge_request>(e);
  if (!req) {
    ++status_.undecodable;
    return encode(schema::error_response{req.err()});
  }
  share_ack_work w;
  for (auto& p : req->partitions)
    w.targets.push_back(share_route(p.topic, p.partition));
  w.request = std::move(*req);
  return delegate(shares_, share_ack_atom_v, std::move(w));
}

} // namespace sluice::actors

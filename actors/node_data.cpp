// The node's data requests: produce, fetch, list offsets and transaction markers, each decoded
// once, fanned out to the topic actors per partition and gathered into one response.

#include "actors/node_impl.hpp"

#include "schema/cluster.hpp"
#include "schema/error_response.hpp"
#include "schema/fetch.hpp"
#include "schema/offsets.hpp"
#include "schema/produce.hpp"
#include "schema/txn_marker.hpp"

#include <caf/sec.hpp>

#include <algorithm>

namespace sluice::actors {

using schema::errc;

namespace {

// How long the node waits for a partition beyond what the request itself allows.
constexpr auto partition_slack = std::chrono::seconds(30);

// How long a partition waits for its marker to reach the high watermark (acks=all's default
// request timeout; the coordinator retries what times out).
constexpr int32_t marker_timeout_ms = 30'000;

// A fetch response must stay decodable (schema::max_message_bytes) whatever max_bytes a
// client asks for; one batch (at most 64 MiB) may still go over the per-response bound.
constexpr int32_t max_fetch_response_bytes = static_cast<int32_t>(schema::max_message_bytes / 4);

// A failed request to a topic or partition actor: it timed out, or it died (and is being
// restarted), which a client should treat as retriable.
schema::error from_caf(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return {errc::request_timed_out, "the partition did not answer in time"};
  return {errc::leader_not_available, "the partition is restarting: " + to_string(err)};
}

schema::envelope refuse(const schema::error& err) { return encode(schema::error_response{err}); }

} // namespace

// One fetch request in flight: the response being filled and what is still outstanding.
// Its partitions are asked without a CAF request timeout each (a clock-thread timer armed
// and cancelled per partition of every long poll); one deadline per session answers
// whatever is still pending with request_timed_out (node_impl::expire_fetch).
struct fetch_session {
  uint64_t id = 0;                   // in open_fetches_ while a response promise is pending
  schema::fetch_response response;
  std::vector<topic_actor> targets;  // per partition index; invalid when it failed routing
  std::vector<uint64_t> ids;         // per partition index; 0 when not asked
  std::vector<bool> pending;
  size_t outstanding = 0;
  int64_t min_bytes = 1;
  int64_t bytes = 0;                 // reported by parked partitions plus answers received
  int32_t max_bytes = 0;
  bool completing = false;           // fetch_done was sent to the pending partitions
  caf::typed_response_promise<schema::envelope> rp;
  std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
  bool from_replica = false;         // a follower's fetch, metered apart from consumers'
};

// The fetch is answered now: metered, then encoded (referencing its records).
schema::envelope node_impl::answer_fetch(fetch_session& s) {
  uint64_t bytes = 0;
  bool failed = false;
  for (auto& p : s.response.partitions) {
    bytes += p.records.size();
    failed = failed || !p.error.ok();
  }
  (s.from_replica ? replica_fetch_meter_ : fetch_meter_)
    .record(std::chrono::steady_clock::now() - s.arrived, bytes, failed);
  return encode_referencing(std::move(s.response));
}

hosted_topic* node_impl::route(const std::string& topic, partition_id p, schema::error& err) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    err = {errc::unknown_topic_or_partition, "topic '" + topic + "' does not exist"};
    return nullptr;
  }
  if (p.value < 0 || p.value >= it->second.spec.partitions) {
    err = {errc::unknown_topic_or_partition,
           "topic '" + topic + "' has no partition " + std::to_string(p.value) + " (it has "
             + std::to_string(it->second.spec.partitions) + ")"};
    return nullptr;
  }
  return &it->second;
}

// -- produce ------------------------------------------------------------------

caf::result<schema::envelope> node_impl::produce(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::produce_request>(e);
  if (!req) {
    ++status_.undecodable;
    return refuse(req.err());
  }
  struct gather {
    schema::produce_response response;
    size_t outstanding = 0;
    envelope_promise rp;
    std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
    uint64_t bytes = 0;
  };
  auto g = std::make_shared<gather>();
  auto& parts = req->partitions;
  g->response.partitions.reserve(parts.size());
  for (auto& p : parts)
    g->bytes += p.records.size();
  auto answered = [this](gather& g) {
    bool failed = std::ranges::any_of(g.response.partitions, [](auto& p) { return !p.error.ok(); });
    produce_meter_.record(std::chrono::steady_clock::now() - g.arrived, g.bytes, failed);
    return encode(g.response);
  };
  auto timeout = std::chrono::milliseconds{std::max(req->timeout_ms, 1000)} + partition_slack;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto& p = parts[i];
    g->response.partitions.push_back({p.topic, p.partition, {}, offset{-1}, no_timestamp, offset{-1}});
    if (p.topic == delayed_topic) {
      // Only delayed records with a valid target and delay; control records are the
      // schedulers' own.
      if (auto st = store::delayed::check_client_batches(p.records); !st) {
        g->response.partitions.back().error = {
          st.err().code == store::errc::invalid_argument ? errc::invalid_request : errc::corrupt_message,
          std::string{delayed_topic} + ": " + st.err().message};
        continue;
      }
    } else if (is_internal_topic(p.topic)) {
      g->response.partitions.back().error = {errc::invalid_topic,
                                             "topic '" + p.topic + "' is internal: only its "
                                                                   "coordinators write it"};
      continue;
    }
    auto* t = route(p.topic, p.partition, g->response.partitions.back().error);
    if (!t)
      continue;
    append_request append{std::move(p.records), req->acks, std::max(req->timeout_ms, 1)};
    if (req->acks == schema::acks::none) {
      // Anonymous: the partition's reply goes nowhere. The client still gets an answer
      // (base offsets -1) below, so it can bound its requests in flight.
      caf::anon_send(t->actor, produce_atom_v, p.partition, std::move(append));
      continue;
    }
    ++g->outstanding;
    auto done = [g, i, answered](append_reply r) {
      auto& out = g->response.partitions[i];
      out.error = std::move(r.error);
      out.base_offset = r.base_offset;
      out.log_append_time = r.log_append_time;
      out.log_start_offset = r.log_start_offset;
      if (--g->outstanding == 0)
        g->rp.deliver(answered(*g));
    };
    request(t->actor, timeout, produce_atom_v, p.partition, std::move(append))
      .then([done](append_reply& r) { done(std::move(r)); },
            [done](caf::error& err) { done({from_caf(err), offset{-1}, no_timestamp, offset{-1}}); });
  }
  if (g->outstanding == 0)
    return answered(*g);
  g->rp = make_response_promise<envelope>();
  return g->rp;
}

// -- fetch --------------------------------------------------------------------

// Each partition reads at once and, with less than min_bytes, parks until appends bring them
// or max_wait_ms passes. With several partitions, min_bytes counts over all of them: parked
// partitions report appended bytes (fetch_progress) and the first answer with data, an error,
// or enough reported bytes make the node ask the rest to answer now (fetch_done).
caf::result<schema::envelope> node_impl::fetch(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::fetch_request>(e);
  if (!req) {
    ++status_.undecodable;
    return refuse(req.err());
  }
  // Parsed once for all partitions; a bad expression refuses the request with its position.
  std::shared_ptr<const filter::filter_expr> filter;
  if (!req->filter.empty() && req->replica_id.value < 0) {
    auto f = filter::parse_filter(req->filter);
    if (!f)
      return refuse({errc::invalid_request, f.err().message});
    filter = std::make_shared<const filter::filter_expr>(std::move(*f));
  }
  auto s = std::make_shared<fetch_session>();
  auto n = req->partitions.size();
  s->response.partitions.reserve(n);
  s->targets.resize(n);
  s->ids.resize(n, 0);
  s->pending.resize(n, false);
  s->from_replica = req->replica_id.value >= 0;
  s->min_bytes = req->min_bytes;
  s->max_bytes = std::clamp(req->max_bytes, 1, max_fetch_response_bytes);
  auto max_wait_ms = std::clamp(req->max_wait_ms, 0, config_.max_wait_ms_limit);
  auto timeout = std::chrono::milliseconds{max_wait_ms} + partition_slack;
  bool several = n > 1;
  for (size_t i = 0; i < n; ++i) {
    auto& p = req->partitions[i];
    auto& out = s->response.partitions.emplace_back();
    out.topic = p.topic;
    out.partition = p.partition;
    auto* t = route(p.topic, p.partition, out.error);
    if (!t)
      continue;
    auto id = ++next_fetch_id_;
    partition_fetch pf{id,          p.fetch_offset, std::clamp(p.max_bytes, 1, s->max_bytes),
                       req->min_bytes, max_wait_ms,   several,
                       req->replica_id, p.current_leader_epoch, false, filter, req->isolation};
    s->targets[i] = t->actor;
    s->ids[i] = id;
    s->pending[i] = true;
    ++s->outstanding;
    if (several)
      fetches_.emplace(id, std::make_pair(s, i));
    request(t->actor, caf::infinite, fetch_atom_v, p.partition, pf)
      .then([this, s, i](fetch_reply& r) { on_fetch_reply(s, i, std::move(r)); },
            [this, s, i](caf::error& err) {
              on_fetch_reply(s, i, fetch_reply{from_caf(err), offset{-1}, offset{-1}, {}});
            });
  }
  if (s->outstanding == 0)
    return answer_fetch(*s);
  s->rp = make_response_promise<envelope>();
  s->id = ++next_fetch_id_;
  open_fetches_.emplace(s->id, s);
  delayed_send(this, timeout, fetch_expire_atom_v, s->id);
  return s->rp;
}

// A session's deadline: what is still pending (a partition actor that died holding its
// parked fetch, or one too busy to answer) is answered as a timeout, as a CAF request
// timeout per partition did.
void node_impl::expire_fetch(uint64_t session) {
  auto it = open_fetches_.find(session);
  if (it == open_fetches_.end())
    return;
  auto s = it->second;
  for (size_t i = 0; i < s->pending.size() && s->outstanding > 0; ++i)
    if (s->pending[i])
      on_fetch_reply(s, i, fetch_reply{from_caf(caf::sec::request_timeout), offset{-1},
                                       offset{-1}, {}});
}

void node_impl::on_fetch_reply(const std::shared_ptr<fetch_session>& s, size_t i, fetch_reply r) {
  if (!s->pending[i])
    return; // answered at the session's deadline already
  auto& out = s->response.partitions[i];
  out.error = std::move(r.error);
  out.high_watermark = r.high_watermark;
  out.log_start_offset = r.log_start_offset;
  out.last_stable_offset = r.last_stable_offset;
  out.records = std::move(r.records);
  out.next_fetch_offset = r.next_offset;
  out.aborted_transactions = std::move(r.aborted_transactions);
  s->pending[i] = false;
  fetches_.erase(s->ids[i]);
  --s->outstanding;
  s->bytes += static_cast<int64_t>(out.records.size());
  // A partition answers before its deadline only with enough data or an error; either way the
  // request is done and the others need not wait. A filtered partition that moved past unmatched records counts as an answer with data.
  if (!out.records.empty() || !out.error.ok() || out.next_fetch_offset.value >= 0)
    complete_fetch(*s);
  if (s->outstanding > 0)
    return;
  // KIP-74: the response stays within max_bytes except for its first non-empty partition;
  // partitions dropped here are simply fetched again.
  size_t total = 0;
  for (auto& p : s->response.partitions) {
    if (total > 0 && total + p.records.size() > static_cast<size_t>(s->max_bytes)) {
      store::byte_buffer{}.swap(p.records);
      p.next_fetch_offset = offset{-1}; // the dropped records are fetched again, not skipped
    }
    total += p.records.size();
  }
  open_fetches_.erase(s->id);
  s->rp.deliver(answer_fetch(*s));
}

void node_impl::on_fetch_progress(uint64_t id, int64_t bytes) {
  auto it = fetches_.find(id);
  if (it == fetches_.end())
    return;
  auto s = it->second.first;
  s->bytes += bytes;
  if (s->bytes >= s->min_bytes)
    complete_fetch(*s);
}

void node_impl::complete_fetch(fetch_session& s) {
  if (s.completing)
    return;
  s.completing = true;
  for (size_t j = 0; j < s.pending.size(); ++j)
    if (s.pending[j])
      anon_send(s.targets[j], fetch_done_atom_v, s.response.partitions[j].partition, s.ids[j]);
}

// -- list offsets -------------------------------------------------------------

caf::result<schema::envelope> node_impl::list_offsets(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::list_offsets_request>(e);
  if (!req) {
    ++status_.undecodable;
    return refuse(req.err());
  }
  struct gather {
    schema::list_offsets_response response;
    size_t outstanding = 0;
    envelope_promise rp;
  };
  auto g = std::make_shared<gather>();
  for (size_t i = 0; i < req->partitions.size(); ++i) {
    auto& q = req->partitions[i];
    auto& out = g->response.partitions.emplace_back();
    out.topic = q.topic;
    out.partition = q.partition;
    auto* t = route(q.topic, q.partition, out.error);
    if (!t)
      continue;
    ++g->outstanding;
    auto done = [g, i](offsets_reply r) {
      auto& out = g->response.partitions[i];
      out.error = std::move(r.error);
      out.off = r.off;
      out.timestamp = r.timestamp;
      out.epoch = leader_epoch{0};
      if (--g->outstanding == 0)
        g->rp.deliver(encode(g->response));
    };
    request(t->actor, std::chrono::seconds(30), list_offsets_atom_v, q.partition,
            offsets_query{q.query, q.timestamp, req->isolation})
      .then([done](offsets_reply& r) { done(std::move(r)); },
            [done](caf::error& err) { done({from_caf(err), offset{-1}, no_timestamp}); });
  }
  if (g->outstanding == 0)
    return encode(g->response);
  g->rp = make_response_promise<envelope>();
  return g->rp;
}

// -- transaction markers ------------------------------------------------------

// KIP-98 WriteTxnMarkers: every (marker, partition) is appended by the partition's leader on
// this node and answered once below its high watermark; the response keeps the request's
// order. A partition that fails routing is unknown_topic_or_partition; one led elsewhere
// answers not_leader (the coordinator looks the leader up again and retries).
caf::result<schema::envelope> node_impl::write_txn_markers(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::write_txn_markers_request>(e);
  if (!req) {
    ++status_.undecodable;
    return refuse(req.err());
  }
  struct gather {
    schema::write_txn_markers_response response;
    size_t outstanding = 0;
    envelope_promise rp;
  };
  auto g = std::make_shared<gather>();
  g->response.markers.reserve(req->markers.size());
  for (size_t i = 0; i < req->markers.size(); ++i) {
    auto& m = req->markers[i];
    auto& result = g->response.markers.emplace_back();
    result.id = m.id;
    result.partitions.reserve(m.partitions.size());
    for (size_t j = 0; j < m.partitions.size(); ++j) {
      auto& tp = m.partitions[j];
      auto& out = result.partitions.emplace_back();
      out.topic = tp.topic;
      out.partition = tp.partition;
      auto* t = route(tp.topic, tp.partition, out.error);
      if (!t)
        continue;
      ++g->outstanding;
      auto done = [g, i, j](schema::error err) {
        g->response.markers[i].partitions[j].error = std::move(err);
        if (--g->outstanding == 0)
          g->rp.deliver(encode(g->response));
      };
      txn_marker marker{m.id, m.epoch, m.commit, m.coordinator_epoch, marker_timeout_ms};
      request(t->actor, std::chrono::milliseconds{marker_timeout_ms} + partition_slack,
              write_txn_markers_atom_v, tp.partition, marker)
        .then([done](txn_marker_reply& r) { done(std::move(r.error)); },
              [done](caf::error& err) { done(from_caf(err)); });
    }
  }
  if (g->outstanding == 0)
    return encode(g->response);
  g->rp = make_response_promise<envelope>();
  return g->rp;
}

// -- epoch query (replication) -------------------------------------------------

caf::result<schema::envelope> node_impl::answer_epoch_query(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::offset_for_leader_epoch_request>(e);
  if (!req) {
    ++status_.undecodable;
    return refuse(req.err());
  }
  struct gather {
    schema::offset_for_leader_epoch_response response;
    size_t outstanding = 0;
    envelope_promise rp;
  };
  auto g = std::make_shared<gather>();
  for (size_t i = 0; i < req->partitions.size(); ++i) {
    auto& q = req->partitions[i];
    auto& out = g->response.partitions.emplace_back();
    out.topic = q.topic;
    out.partition = q.partition;
    auto* t = route(q.topic, q.partition, out.error);
    if (!t)
      continue;
    ++g->outstanding;
    auto done = [g, i](epoch_reply r) {
      auto& out = g->response.partitions[i];
      out.error = std::move(r.error);
      out.epoch = r.epoch;
      out.end_offset = r.end_offset;
      if (--g->outstanding == 0)
        g->rp.deliver(encode(g->response));
    };
    request(t->actor, std::chrono::seconds(30), epoch_query_atom_v, q.partition,
            epoch_query{q.current_leader_epoch, q.epoch})
      .then([done](epoch_reply& r) { done(std::move(r)); },
            [done](caf::error& err) { done({from_caf(err), leader_epoch{-1}, offset{-1}}); });
  }
  if (g->outstanding == 0)
    return encode(g->response);
  g->rp = make_response_promise<envelope>();
  return g->rp;
}

} // namespace sluice::actors

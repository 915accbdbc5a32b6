#include "client/share_consumer.hpp"

#include "schema/metadata.hpp"
#include "store/batch.hpp"

#include <caf/scoped_actor.hpp>

#include <random>
#include <set>
#include <thread>

namespace sluice::client {

namespace {

// Waiting beyond the poll timeout for leaders' answers (the leaders answer at max_wait).
constexpr auto answer_slack = std::chrono::seconds(5);
// Between polls when no partition has a leader known.
constexpr auto no_leader_backoff = std::chrono::milliseconds(100);

std::string make_member_id() {
  std::random_device rd;
  uint64_t v = (uint64_t{rd()} << 32) | rd();
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "share-";
  for (int i = 0; i < 16; ++i, v >>= 4)
    out += digits[v & 15];
  return out;
}

bool leader_in_doubt(schema::errc c) {
  using schema::errc;
  return c == errc::not_leader || c == errc::leader_not_available || c == errc::fenced_leader_epoch
         || c == errc::unknown_leader_epoch || c == errc::unknown_topic_or_partition
         || c == errc::coordinator_not_available || c == errc::request_timed_out;
}

} // namespace

share_consumer::share_consumer(std::shared_ptr<connection> conn, share_consumer_config config)
  : conn_(std::move(conn)), config_(std::move(config)) {
  if (config_.member_id.empty())
    config_.member_id = make_member_id();
}

share_consumer::~share_consumer() { close(); }

status share_consumer::subscribe(const std::vector<std::string>& topics) {
  if (config_.group_id.empty())
    return make_error(errc::invalid_argument, "a share consumer needs a group id");
  if (topics.empty())
    return make_error(errc::invalid_argument, "subscribe to at least one topic");
  topics_ = topics;
  table_ = routing_table{{}};
  for (auto& t : topics_)
    table_.track(t);
  stale_ = true;
  if (auto st = refresh_leaders(); !st)
    return st;
  for (auto& t : topics_)
    if (!table_.partition_count(t))
      return error{errc::server, schema::errc::unknown_topic_or_partition, "topic '" + t + "' does not exist"};
  return {};
}

status share_consumer::refresh_leaders() {
  schema::metadata_request req;
  req.all_topics = false;
  req.topics = topics_;
  auto md = conn_->call<schema::metadata_response>(metadata_atom_v, req);
  if (!md)
    return md.err();
  table_.update(*md, routing_table::clock::now());
  stale_ = false;
  return {};
}

result<std::vector<share_record>> share_consumer::poll(std::chrono::milliseconds timeout) {
  if (closed_)
    return make_error(errc::closed, "the share consumer is closed");
  if (topics_.empty())
    return make_error(errc::invalid_argument, "subscribe before polling");
  if (!held_.empty())
    (void)send_acks(schema::acknowledge_type::accept); // refused ones come back by redelivery
  if (stale_) {
    if (auto st = refresh_leaders(); !st)
      return st.err();
  }
  // Every partition of every topic, to its leader.
  struct leader_request {
    node_address at;
    schema::share_fetch_request req;
  };
  std::map<int32_t, leader_request> by_leader;
  for (auto& t : topics_) {
    auto n = table_.partition_count(t).value_or(0);
    for (int32_t p = 0; p < n; ++p) {
      auto r = table_.lookup(t, partition_id{p});
      if (r.what != routing_table::route::kind::leader) {
        stale_ = true;
        continue;
      }
      auto& lr = by_leader[r.leader.value];
      if (lr.req.partitions.empty()) {
        lr.at = dial_address(*r.address, conn_->address());
        lr.req = {config_.group_id, config_.member_id, static_cast<int32_t>(timeout.count()),
                  config_.max_records, config_.max_bytes, {}};
      }
      lr.req.partitions.push_back({t, partition_id{p}});
    }
  }
  std::vector<share_record> out;
  if (by_leader.empty()) {
    std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds{no_leader_backoff}));
    return out;
  }
  // The answer comes from the node's share manager, not the node (the node delegates), so it is
  // matched to its node by the partitions it names.
  caf::scoped_actor self{conn_->system()};
  std::set<caf::actor_addr> waiting;
  std::map<topic_partition, caf::actor_addr> node_of;
  for (auto& [_, lr] : by_leader) {
    auto node = conn_->node_at(lr.at);
    if (!node) {
      stale_ = true;
      continue;
    }
    if (waiting.contains(node->address()))
      continue; // two ids, one node: cannot happen with a consistent table
    self->monitor(*node);
    self->send(*node, share_fetch_atom_v, encode(lr.req));
    waiting.insert(node->address());
    for (auto& p : lr.req.partitions)
      node_of[{p.topic, p.partition}] = node->address();
  }
  auto take = [&](const schema::share_fetch_response& resp) {
    for (auto& p : resp.partitions) {
      if (!p.error.ok()) {
        if (leader_in_doubt(p.error.code))
          stale_ = true;
        continue;
      }
      topic_partition tp{p.topic, p.partition};
      auto delivery = [&](offset o) -> int16_t {
        for (auto& a : p.acquired)
          if (a.first <= o && o <= a.last)
            return a.delivery_count;
        return 0;
      };
      std::span<const std::byte> bytes{p.records};
      for (size_t pos = 0; pos < bytes.size();) {
        auto h = store::validate_batch(bytes.subspan(pos));
        if (!h)
          break; // a damaged batch: its records' locks expire and they come again
        store::record_reader reader{bytes.subspan(pos, h->size_bytes())};
        store::record_view rv;
        while (reader.next(rv)) {
          auto count = delivery(rv.off);
          if (count == 0)
            continue; // another member's record in a shared batch
          share_record r{tp, rv.off, count, rv.timestamp, {}, {}};
          if (rv.key)
            r.key.emplace(*rv.key);
          if (rv.value)
            r.value.emplace(*rv.value);
          held_[tp].offsets[rv.off.value] = std::nullopt;
          out.push_back(std::move(r));
        }
        pos += h->size_bytes();
      }
    }
  };
  auto deadline = std::chrono::steady_clock::now() + timeout + answer_slack;
  while (!waiting.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      stale_ = true;
      break;
    }
    self->receive(
      [&](schema::envelope& e) {
        auto r = schema::decode<schema::share_fetch_response>(e);
        if (!r || r->partitions.empty()) {
          waiting.clear(); // cannot tell whose: return what came so far
          stale_ = true;
          return;
        }
        if (auto n = node_of.find({r->partitions[0].topic, r->partitions[0].partition}); n != node_of.end())
          waiting.erase(n->second);
        take(*r);
      },
      [&](caf::error&) {
        waiting.clear();
        stale_ = true;
      },
      [&](caf::down_msg& dm) {
        waiting.erase(dm.source);
        stale_ = true;
      },
      caf::after(left) >> [&] {
        waiting.clear();
        stale_ = true;
      });
  }
  return out;
}

status share_consumer::acknowledge(const share_record& r, schema::acknowledge_type type) {
  auto it = held_.find(r.tp);
  auto o = it == held_.end() ? nullptr : &it->second.offsets;
  if (!o || !o->contains(r.off.value))
    return make_error(errc::invalid_argument, r.tp.to_string() + "@" + std::to_string(r.off.value)
                                                + " is not held by this consumer");
  (*o)[r.off.value] = type;
  return {};
}

status share_consumer::commit_sync() {
  if (closed_)
    return make_error(errc::closed, "the share consumer is closed");
  return send_acks(schema::acknowledge_type::accept);
}

void share_consumer::close() {
  if (closed_)
    return;
  if (!held_.empty())
    (void)send_acks(schema::acknowledge_type::release);
  closed_ = true;
}

status share_consumer::send_acks(schema::acknowledge_type implicit) {
  // Consecutive offsets of one type make one range.
  std::map<int32_t, std::pair<node_address, schema::share_acknowledge_request>> by_leader;
  status first_error;
  auto fail = [&](error e) {
    if (first_error)
      first_error = std::move(e);
  };
  for (auto& [tp, h] : held_) {
    auto r = table_.lookup(tp.topic, tp.partition);
    if (r.what != routing_table::route::kind::leader) {
      stale_ = true;
      fail(make_error(errc::unreachable, tp.to_string() + ": no leader to acknowledge to"));
      continue;
    }
    auto& [at, req] = by_leader[r.leader.value];
    if (req.partitions.empty()) {
      at = dial_address(*r.address, conn_->address());
      req.group_id = config_.group_id;
      req.member_id = config_.member_id;
    }
    auto& pa = req.partitions.emplace_back();
    pa.topic = tp.topic;
    pa.partition = tp.partition;
    for (auto& [off, type] : h.offsets) {
      auto t = type.value_or(implicit);
      if (!pa.batches.empty() && pa.batches.back().type == t && pa.batches.back().last.value + 1 == off)
        pa.batches.back().last = offset{off};
      else
        pa.batches.push_back({offset{off}, offset{off}, t});
    }
  }
  held_.clear();
  for (auto& [_, lr] : by_leader) {
    auto& [at, req] = lr;
    auto node = conn_->node_at(at);
    if (!node) {
      stale_ = true;
      fail(node.err());
      continue;
    }
    auto resp = conn_->call_on<schema::share_acknowledge_response>(*node, "node at " + at.to_string(),
                                                                   share_ack_atom_v, req);
    if (!resp) {
      stale_ = true;
      fail(resp.err());
      continue;
    }
    for (auto& p : resp->partitions)
      if (!p.error.ok()) {
        if (leader_in_doubt(p.error.code))
          stale_ = true;
        fail(from_server(p.error, p.topic + "/" + std::to_string(p.partition.value)));
      }
  }
  return first_error;
}

} // namespace sluice::client

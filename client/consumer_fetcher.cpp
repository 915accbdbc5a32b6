#include "client/consumer_fetcher.hpp"

#include "client/reply.hpp"
#include "schema/fetch.hpp"
#include "schema/type_ids.hpp"

#include <algorithm>

namespace sluice::client {

using namespace std::chrono;

namespace {

// A node that answers an empty fetch at once instead of holding it for fetch.max.wait.ms
// would make the fetcher spin; this is the pause it takes then.
constexpr milliseconds empty_fetch_pause{10};

template <class Parts>
auto find_part(const Parts& parts, const std::string& topic, partition_id p) {
  return std::find_if(parts.begin(), parts.end(),
                      [&](auto& x) { return x.tp.partition == p && x.tp.topic == topic; });
}

} // namespace

consumer_fetcher::consumer_fetcher(caf::actor_config& cfg, std::shared_ptr<consumer_shared> shared,
                                   node_link link, consumer_config config)
  : caf::event_based_actor(cfg),
    shared_(std::move(shared)),
    link_(std::move(link)),
    config_(config) {}

caf::behavior consumer_fetcher::make_behavior() {
  link_.watch(this);
  set_down_handler([this](caf::down_msg& dm) {
    if (link_.on_down(dm))
      step();
  });
  return {
    [this](caf::tick_atom) {
      shared_->wake_pending = false;
      step();
    },
    [this](caf::timeout_atom) {
      timer_at_.reset();
      step();
    },
  };
}

void consumer_fetcher::step() {
  auto now = clock::now();
  if (!link_.up()) {
    on_network_error(make_error(errc::unreachable, "lost connection to " + link_.peer()));
    return;
  }
  if (paused_until_ && now < *paused_until_) {
    arm_timer(*paused_until_);
    return;
  }
  paused_until_.reset();
  std::vector<part> to_fetch;
  std::vector<part> to_resolve;
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->closed)
      return;
    bool room = shared_->buffered_bytes < config_.prefetch_max_bytes;
    for (auto& [tp, st] : shared_->assignment) {
      if (st.fetch_position) {
        if (room)
          to_fetch.push_back({tp, st.epoch, *st.fetch_position, st.reset});
      } else if (st.reset != offset_reset::none) {
        to_resolve.push_back({tp, st.epoch, offset{-1}, st.reset});
      } // else poll() refuses: the application must seek first (assign then seek is no race)
    }
  }
  if (!resolving_ && !to_resolve.empty())
    resolve(std::move(to_resolve));
  if (!fetching_ && !to_fetch.empty())
    fetch(std::move(to_fetch));
}

void consumer_fetcher::fetch(std::vector<part> parts) {
  schema::fetch_request req;
  req.max_wait_ms = static_cast<int32_t>(config_.fetch_max_wait.count());
  req.min_bytes = config_.fetch_min_bytes;
  req.max_bytes = config_.fetch_max_bytes;
  req.isolation = config_.isolation;
  for (auto& p : parts)
    req.partitions.push_back({p.tp.topic, p.tp.partition, leader_epoch{-1}, p.position,
                              config_.max_partition_fetch_bytes});
  fetching_ = true;
  auto sent = clock::now();
  // The node may hold the request for fetch.max.wait.ms before it answers.
  auto timeout = config_.request_timeout + config_.fetch_max_wait;
  request(link_.node(), caf::duration{timeout}, fetch_atom_v, schema::encode(req))
    .then(
      [this, parts = std::move(parts), sent](schema::envelope& reply) {
        fetching_ = false;
        on_fetch(reply, parts, sent);
      },
      [this](caf::error& e) {
        fetching_ = false;
        on_network_error(from_caf(e, link_.peer()));
      });
}

namespace {

// What a fetch response means per partition, before anything shared is touched.
struct fetch_outcome {
  std::vector<fetched_chunk> chunks;
  std::vector<const consumer_fetcher::part*> out_of_range;
  std::optional<client::error> fatal; // for the next poll()
  bool retry_later = false;           // a retriable error: back off before the next fetch
};

fetch_outcome sort_out(schema::fetch_response& resp, const std::vector<consumer_fetcher::part>& parts) {
  fetch_outcome out;
  for (auto& pr : resp.partitions) {
    auto p = find_part(parts, pr.topic, pr.partition);
    if (p == parts.end())
      continue; // not asked for: nothing to advance
    if (pr.error.code == schema::errc::offset_out_of_range) {
      out.out_of_range.push_back(&*p);
    } else if (!pr.error.ok()) {
      auto e = from_server(pr.error, p->tp.to_string());
      if (e.retriable())
        out.retry_later = true;
      else
        out.fatal = std::move(e);
    } else if (!pr.records.empty()) {
      auto c = make_chunk(p->tp, p->epoch, std::move(pr.records), p->position);
      if (c)
        out.chunks.push_back(std::move(*c));
      else
        out.fatal = c.err();
    }
  }
  return out;
}

} // namespace

template <class Response>
std::optional<Response> consumer_fetcher::decode_or_retry(const schema::envelope& reply) {
  auto r = decode_reply<Response>(reply);
  if (r)
    return std::move(*r);
  if (!r.err().retriable())
    fail(r.err());
  pause(config_.retry_backoff);
  step();
  return std::nullopt;
}

void consumer_fetcher::on_fetch(const schema::envelope& reply, const std::vector<part>& parts,
                                clock::time_point sent) {
  auto now = clock::now();
  auto resp = decode_or_retry<schema::fetch_response>(reply);
  if (!resp)
    return;
  auto out = sort_out(*resp, parts);
  bool got_data = !out.chunks.empty();
  {
    std::lock_guard lock{shared_->mtx};
    shared_->fetch_latency_us.record(static_cast<uint64_t>(duration_cast<microseconds>(now - sent).count()));
    apply_chunks(out.chunks);
    for (auto* p : out.out_of_range)
      if (auto e = reset_position(*p))
        out.fatal = std::move(e);
    if (out.fatal && !shared_->failure)
      shared_->failure = *out.fatal;
  }
  shared_->ready.notify_all();
  if (out.retry_later || out.fatal)
    pause(config_.retry_backoff); // an error repeats on the next fetch: not at full speed
  else if (!got_data && out.out_of_range.empty() && now - sent < config_.fetch_max_wait / 2)
    pause(empty_fetch_pause);
  step();
}

// Under shared_->mtx: buffer the chunks of partitions still at the epoch they were fetched
// for, and move their fetch positions past them.
void consumer_fetcher::apply_chunks(std::vector<fetched_chunk>& chunks) {
  for (auto& c : chunks) {
    auto st = shared_->assignment.find(c.tp);
    if (st == shared_->assignment.end() || st->second.epoch != c.epoch)
      continue; // unassigned or sought elsewhere since the fetch left
    st->second.fetch_position = c.next;
    if (c.batches.empty())
      continue;
    shared_->buffered_bytes += c.bytes.size();
    shared_->buffered.push_back(std::move(c));
  }
}

// Under shared_->mtx: a fetch position outside the log is resolved again by
// auto.offset.reset, or is an error when that is none.
std::optional<client::error> consumer_fetcher::reset_position(const part& p) {
  auto st = shared_->assignment.find(p.tp);
  if (st == shared_->assignment.end() || st->second.epoch != p.epoch)
    return std::nullopt;
  if (config_.auto_offset_reset == offset_reset::none) {
    client::error e{errc::server, schema::errc::offset_out_of_range,
                    p.tp.to_string() + ": offset " + std::to_string(p.position.value)
                      + " is out of range and auto.offset.reset is none"};
    return e;
  }
  st->second.fetch_position.reset();
  st->second.reset = config_.auto_offset_reset;
  return std::nullopt;
}

void consumer_fetcher::resolve(std::vector<part> parts) {
  schema::list_offsets_request req;
  req.isolation = config_.isolation;
  for (auto& p : parts)
    req.partitions.push_back({p.tp.topic, p.tp.partition, leader_epoch{-1},
                              p.reset == offset_reset::earliest ? schema::offset_query::earliest
                                                                : schema::offset_query::latest,
                              no_timestamp});
  resolving_ = true;
  request(link_.node(), caf::duration{config_.request_timeout}, list_offsets_atom_v, schema::encode(req))
    .then(
      [this, parts = std::move(parts)](schema::envelope& reply) {
        resolving_ = false;
        on_offsets(reply, parts);
      },
      [this](caf::error& e) {
        resolving_ = false;
        on_network_error(from_caf(e, link_.peer()));
      });
}

void consumer_fetcher::on_offsets(const schema::envelope& reply, const std::vector<part>& parts) {
  auto resp = decode_or_retry<schema::list_offsets_response>(reply);
  if (!resp)
    return;
  bool retry_later = false;
  {
    std::lock_guard lock{shared_->mtx};
    for (auto& r : resp->partitions) {
      auto p = find_part(parts, r.topic, r.partition);
      if (p == parts.end())
        continue;
      auto st = shared_->assignment.find(p->tp);
      if (st == shared_->assignment.end() || st->second.epoch != p->epoch || st->second.fetch_position)
        continue;
      if (r.error.ok() && r.off.value >= 0) {
        st->second.fetch_position = r.off;
        st->second.consumed = r.off;
        continue;
      }
      auto e = r.error.ok() ? make_error(errc::protocol, p->tp.to_string() + ": no offset in list offsets answer")
                            : from_server(r.error, p->tp.to_string());
      retry_later = true; // retriable or not, asking again at once would get the same answer
      if (!e.retriable() && !shared_->failure)
        shared_->failure = std::move(e);
    }
  }
  shared_->ready.notify_all();
  if (retry_later)
    pause(config_.retry_backoff);
  step();
}

// A request failed without an answer. With an address the fetcher reconnects and keeps
// trying; poll() hears of it once per failed reconnect. An in-process node that is gone fails
// the consumer.
void consumer_fetcher::on_network_error(const client::error& e) {
  if (link_.up()) {
    pause(config_.retry_backoff);
    arm_timer(*paused_until_);
    return;
  }
  if (!link_.can_reconnect()) {
    fail(e);
    return;
  }
  if (link_.connecting())
    return;
  link_.reconnect(this, config_.request_timeout, [this](const client::error& r) {
    if (r.ok()) {
      step();
      return;
    }
    fail(r);
    pause(config_.retry_backoff);
    arm_timer(*paused_until_);
  });
}

void consumer_fetcher::fail(client::error e) {
  {
    std::lock_guard lock{shared_->mtx};
    if (!shared_->failure)
      shared_->failure = std::move(e);
  }
  shared_->ready.notify_all();
}

void consumer_fetcher::pause(clock::duration d) {
  auto until = clock::now() + d;
  if (!paused_until_ || *paused_until_ < until)
    paused_until_ = until;
}

void consumer_fetcher::arm_timer(clock::time_point at) {
  if (timer_at_ && *timer_at_ <= at)
    return;
  timer_at_ = at;
  auto delay = std::max(at - clock::now(), clock::duration::zero());
  delayed_send(this, duration_cast<microseconds>(delay) + microseconds{1}, caf::timeout_atom_v);
}

} // namespace sluice::client

#include "client/consumer_fetcher.hpp"

#include "client/reply.hpp"
#include "client/topic_metadata.hpp"
#include "schema/fetch.hpp"
#include "schema/type_ids.hpp"

#include <algorithm>
#include <map>

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
                                   node_link bootstrap, bool routed, consumer_config config)
  : caf::event_based_actor(cfg),
    shared_(std::move(shared)),
    config_(config),
    router_(this, std::move(bootstrap), routed,
            cluster_router::options{config.retry_backoff, config.reconnect_backoff_max,
                                    config.metadata_max_age, config.request_timeout},
            cluster_router::hooks{[this] { step(); },
                                  [this](const schema::metadata_response&) { report_unknown_ = true; },
                                  [this](const client::error& e) { fail(e); }}) {}

caf::behavior consumer_fetcher::make_behavior() {
  router_.start();
  set_down_handler([this](caf::down_msg& dm) {
    for (auto link : router_.on_down(dm))
      on_link_lost(link);
  });
  return {
    [this](caf::tick_atom) {
      shared_->wake_pending = false;
      step();
    },
    [this](caf::timeout_atom, int64_t due) {
      timer_.fired(due);
      step();
    },
  };
}

consumer_fetcher::link_state& consumer_fetcher::state(link_id link) {
  if (link >= links_.size())
    links_.resize(link + 1);
  return links_[link];
}

void consumer_fetcher::step() {
  auto now = clock::now();
  wake_at_.reset();
  auto& bootstrap = router_.link(cluster_router::bootstrap_id);
  if (!router_.routed() && !bootstrap.up()) {
    // An attached in-process node that went away: no way back.
    fail(make_error(errc::unreachable, "lost connection to " + bootstrap.peer()));
    return;
  }
  std::vector<part> to_fetch;
  std::vector<part> to_resolve;
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->closed)
      return;
    bool room = shared_->buffered_bytes < config_.prefetch_max_bytes;
    for (auto& [tp, st] : shared_->assignment) {
      if (st.held_until && now < *st.held_until) {
        wake_at(*st.held_until);
        continue;
      }
      if (st.fetch_position) {
        if (room)
          to_fetch.push_back({tp, st.epoch, *st.fetch_position, st.reset});
      } else if (st.reset != offset_reset::none) {
        to_resolve.push_back({tp, st.epoch, offset{-1}, st.reset});
      } // else poll() refuses: the application must seek first (assign then seek is no race)
    }
  }
  std::vector<std::pair<link_id, std::vector<part>>> resolves;
  std::vector<std::pair<link_id, std::vector<part>>> fetches;
  route_parts(to_resolve, resolves, now);
  route_parts(to_fetch, fetches, now);
  report_unknown_ = false;
  for (auto& [link, parts] : resolves)
    if (!state(link).resolving && !paused(link, now))
      resolve(link, std::move(parts));
  for (auto& [link, parts] : fetches)
    if (!state(link).fetching && !paused(link, now))
      fetch(link, std::move(parts));
  if (auto at = router_.poll(now))
    wake_at(std::max(*at, now));
  if (wake_at_)
    timer_.arm(this, *wake_at_);
}

// Groups `parts` by the link of their leader (in link order); partitions without a route now
// wait for the metadata the router asks for, and an unknown topic or partition is reported
// once per metadata answer.
void consumer_fetcher::route_parts(std::vector<part>& parts,
                                   std::vector<std::pair<link_id, std::vector<part>>>& out,
                                   clock::time_point now) {
  std::map<link_id, std::vector<part>> by_link;
  for (auto& p : parts) {
    auto t = router_.route(p.tp.topic, p.tp.partition, now);
    using kind = cluster_router::target::kind;
    if (t.what == kind::ready) {
      by_link[t.link].push_back(std::move(p));
    } else if (t.what == kind::unknown_topic && report_unknown_) {
      fail(unknown_topic(p.tp.topic));
    } else if (t.what == kind::unknown_partition && report_unknown_) {
      fail({errc::server, schema::errc::unknown_topic_or_partition,
            p.tp.to_string() + ": no such partition"});
    }
  }
  for (auto& [link, ps] : by_link)
    out.emplace_back(link, std::move(ps));
}

void consumer_fetcher::fetch(link_id link, std::vector<part> parts) {
  schema::fetch_request req;
  req.max_wait_ms = static_cast<int32_t>(config_.fetch_max_wait.count());
  req.min_bytes = config_.fetch_min_bytes;
  req.max_bytes = config_.fetch_max_bytes;
  req.isolation = config_.isolation;
  req.filter = config_.filter;
  for (auto& p : parts)
    req.partitions.push_back({p.tp.topic, p.tp.partition, leader_epoch{-1}, p.position,
                              config_.max_partition_fetch_bytes});
  auto& ls = state(link);
  ls.fetching = true;
  auto sent = clock::now();
  // The node may hold the request for fetch.max.wait.ms before it answers.
  auto timeout = config_.request_timeout + config_.fetch_max_wait;
  auto& l = router_.link(link);
  request(l.node(), caf::duration{timeout}, fetch_atom_v, schema::encode(req))
    .then(
      [this, link, seq = ls.seq, parts = std::move(parts), sent](schema::envelope& reply) {
        auto& ls = state(link);
        if (seq != ls.seq)
          return; // the link was lost meanwhile: its partitions went elsewhere
        ls.fetching = false;
        on_fetch(link, reply, parts, sent);
      },
      [this, link, seq = ls.seq, peer = l.peer()](caf::error& e) {
        auto& ls = state(link);
        if (seq != ls.seq)
          return;
        ls.fetching = false;
        on_request_error(link, from_caf(e, peer));
      });
}

namespace {

// What a fetch response means per partition, before anything shared is touched.
struct fetch_outcome {
  std::vector<fetched_chunk> chunks;
  std::vector<consumer_fetcher::out_of_range> out_of_range;
  std::vector<const consumer_fetcher::part*> moved; // the leader moved: ask the new one
  std::optional<client::error> fatal; // for the next poll()
  bool retry_later = false;           // a retriable error: back off before the next fetch
};

fetch_outcome sort_out(schema::fetch_response_view& resp, const std::vector<consumer_fetcher::part>& parts) {
  fetch_outcome out;
  for (auto& pr : resp.partitions) {
    auto p = find_part(parts, pr.topic, pr.partition);
    if (p == parts.end())
      continue; // not asked for: nothing to advance
    if (pr.error.code == schema::errc::offset_out_of_range) {
      out.out_of_range.push_back({&*p, pr.high_watermark, pr.log_start_offset});
    } else if (!pr.error.ok()) {
      auto e = from_server(pr.error, p->tp.to_string());
      if (e.stale_leader())
        out.moved.push_back(&*p);
      else if (e.retriable())
        out.retry_later = true;
      else
        out.fatal = std::move(e);
    } else if (!pr.records.empty() || pr.next_fetch_offset > p->position) {
      // The node lists aborted transactions only for read_committed fetches.
      auto c = make_chunk(p->tp, p->epoch, resp.owner, pr.records, p->position,
                          pr.aborted_transactions);
      if (!c) {
        out.fatal = c.err();
        continue;
      }
      // A filtered fetch scanned past its last matching batch (or matched nothing at all).
      if (pr.next_fetch_offset > c->next)
        c->next = pr.next_fetch_offset;
      out.chunks.push_back(std::move(*c));
    }
  }
  return out;
}

} // namespace

template <class Response>
std::optional<Response> consumer_fetcher::or_retry(link_id link, result<Response> r) {
  if (r)
    return std::move(*r);
  if (!r.err().retriable())
    fail(r.err());
  pause(link, config_.retry_backoff);
  step();
  return std::nullopt;
}

void consumer_fetcher::on_fetch(link_id link, schema::envelope& reply, const std::vector<part>& parts,
                                clock::time_point sent) {
  auto now = clock::now();
  auto resp = or_retry(link, decode_fetch_reply(reply));
  if (!resp)
    return;
  auto out = sort_out(*resp, parts);
  bool got_data = !out.chunks.empty();
  for (auto* p : out.moved)
    router_.invalidate(p->tp.topic, p->tp.partition);
  bool behind_hw = false; // a leader whose high watermark has not reached what was read yet
  {
    std::lock_guard lock{shared_->mtx};
    shared_->fetch_latency_us.record(static_cast<uint64_t>(duration_cast<microseconds>(now - sent).count()));
    apply_chunks(out.chunks);
    for (auto& oor : out.out_of_range) {
      auto r = reset_position(oor);
      if (r.error)
        out.fatal = std::move(r.error);
      behind_hw = behind_hw || r.wait;
    }
    if (out.fatal && !shared_->failure)
      shared_->failure = *out.fatal;
  }
  shared_->ready.notify_all();
  if (out.retry_later || out.fatal || behind_hw)
    pause(link, config_.retry_backoff); // an error repeats on the next fetch: not at full speed
  else if (!got_data && out.out_of_range.empty() && out.moved.empty() && now - sent < config_.fetch_max_wait / 2)
    pause(link, empty_fetch_pause);
  step();
}

// Under shared_->mtx: buffer the chunks of partitions still at the epoch and position they
// were fetched for, and move their fetch positions past them.
void consumer_fetcher::apply_chunks(std::vector<fetched_chunk>& chunks) {
  for (auto& c : chunks) {
    auto st = shared_->assignment.find(c.tp);
    if (st == shared_->assignment.end() || st->second.epoch != c.epoch || st->second.fetch_position != c.from)
      continue; // unassigned, sought elsewhere or already fetched (from another leader) since
    st->second.fetch_position = c.next;
    st->second.fetched = true;
    if (c.batches.empty()) {
      // Only filtered-out records: with nothing of this partition waiting for poll(), the
      // consumed position (what a commit stores) moves past them now; else the empty chunk
      // queues behind the others and poll() moves it when it gets there.
      bool queued = std::any_of(shared_->buffered.begin(), shared_->buffered.end(),
                                [&](const fetched_chunk& b) { return b.tp == c.tp; });
      if (!queued) {
        if (!st->second.consumed || *st->second.consumed < c.next)
          st->second.consumed = c.next;
        continue;
      }
    }
    shared_->buffered_bytes += c.bytes.size();
    shared_->buffered.push_back(std::move(c));
  }
}

// Under shared_->mtx: a fetch position outside the log is resolved again by
// auto.offset.reset, or is an error when that is none. Except a position reached by fetching
// that is past the leader's high watermark but not below its log start: a leader elected a
// moment ago may not have advanced its high watermark to its predecessor's yet (it has the
// records: they were committed), so the fetch is tried again after retry.backoff.ms instead
// of resetting (which would read records twice, or skip some). After an unclean election that
// truncated below the position, the consumer waits until the log reaches it again.
consumer_fetcher::reset_outcome consumer_fetcher::reset_position(const out_of_range& oor) {
  auto& p = *oor.p;
  auto st = shared_->assignment.find(p.tp);
  if (st == shared_->assignment.end() || st->second.epoch != p.epoch || st->second.fetch_position != p.position)
    return {};
  if (st->second.fetched && oor.high_watermark.value >= 0 && p.position > oor.high_watermark
      && p.position >= oor.log_start)
    return {std::nullopt, true};
  if (config_.auto_offset_reset == offset_reset::none) {
    client::error e{errc::server, schema::errc::offset_out_of_range,
                    p.tp.to_string() + ": offset " + std::to_string(p.position.value)
                      + " is out of range and auto.offset.reset is none"};
    return {std::move(e), false};
  }
  st->second.fetch_position.reset();
  st->second.fetched = false;
  st->second.reset = config_.auto_offset_reset;
  return {};
}

void consumer_fetcher::resolve(link_id link, std::vector<part> parts) {
  schema::list_offsets_request req;
  req.isolation = config_.isolation;
  for (auto& p : parts)
    req.partitions.push_back({p.tp.topic, p.tp.partition, leader_epoch{-1},
                              p.reset == offset_reset::earliest ? schema::offset_query::earliest
                                                                : schema::offset_query::latest,
                              no_timestamp});
  auto& ls = state(link);
  ls.resolving = true;
  auto& l = router_.link(link);
  request(l.node(), caf::duration{config_.request_timeout}, list_offsets_atom_v, schema::encode(req))
    .then(
      [this, link, seq = ls.seq, parts = std::move(parts)](schema::envelope& reply) {
        auto& ls = state(link);
        if (seq != ls.seq)
          return;
        ls.resolving = false;
        on_offsets(link, reply, parts);
      },
      [this, link, seq = ls.seq, peer = l.peer()](caf::error& e) {
        auto& ls = state(link);
        if (seq != ls.seq)
          return;
        ls.resolving = false;
        on_request_error(link, from_caf(e, peer));
      });
}

void consumer_fetcher::on_offsets(link_id link, const schema::envelope& reply, const std::vector<part>& parts) {
  auto resp = or_retry(link, decode_reply<schema::list_offsets_response>(reply));
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
        st->second.fetched = false;
        continue;
      }
      auto e = r.error.ok() ? make_error(errc::protocol, p->tp.to_string() + ": no offset in list offsets answer")
                            : from_server(r.error, p->tp.to_string());
      if (e.stale_leader()) {
        router_.invalidate(p->tp.topic, p->tp.partition); // asked of the new leader once known
        continue;
      }
      retry_later = true; // retriable or not, asking again at once would get the same answer
      if (!e.retriable() && !shared_->failure)
        shared_->failure = std::move(e);
    }
  }
  shared_->ready.notify_all();
  if (retry_later)
    pause(link, config_.retry_backoff);
  step();
}

// A request failed without an answer: back off on that link, and have the metadata checked
// (the broker may be gone; its link going down says so separately).
void consumer_fetcher::on_request_error(link_id link, const client::error& e) {
  if (e.no_answer())
    router_.request_refresh();
  pause(link, config_.retry_backoff);
  step();
}

// Requests on a lost link never get an answer (CAF does not fail them): forget them, so that
// their partitions go to whoever leads them once the metadata says so.
void consumer_fetcher::on_link_lost(link_id link) {
  auto& ls = state(link);
  ls.fetching = false;
  ls.resolving = false;
  ls.paused_until.reset();
  ++ls.seq;
  step();
}

void consumer_fetcher::fail(client::error e) {
  {
    std::lock_guard lock{shared_->mtx};
    if (!shared_->failure)
      shared_->failure = std::move(e);
  }
  shared_->ready.notify_all();
}

void consumer_fetcher::pause(link_id link, clock::duration d) {
  auto until = clock::now() + d;
  auto& ls = state(link);
  if (!ls.paused_until || *ls.paused_until < until)
    ls.paused_until = until;
}

bool consumer_fetcher::paused(link_id link, clock::time_point now) {
  auto& ls = state(link);
  if (!ls.paused_until)
    return false;
  if (now >= *ls.paused_until) {
    ls.paused_until.reset();
    return false;
  }
  wake_at(*ls.paused_until);
  return true;
}

void consumer_fetcher::wake_at(clock::time_point at) {
  if (!wake_at_ || at < *wake_at_)
    wake_at_ = at;
}

} // namespace sluice::client

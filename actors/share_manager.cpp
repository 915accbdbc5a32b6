#include "actors/share_manager.hpp"

#include "actors/inspect_field.hpp"
#include "actors/partition_interface.hpp"
#include "actors/state_tree.hpp"
#include "store/batch.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <map>
#include <memory>

namespace sluice::actors {

namespace {

using schema::envelope;
using schema::errc;

constexpr auto store_timeout = std::chrono::seconds(10);
constexpr auto read_timeout = std::chrono::seconds(10);
// Bounds the fetch sessions waiting for records (each holds a response promise).
constexpr size_t max_waiting_fetches = 10'000;

using done_fn = std::function<void(const schema::error&)>;

schema::error caf_error(const caf::error& err, const char* what) {
  return {errc::coordinator_not_available, std::string{what} + " did not answer: " + to_string(err)};
}

schema::share_state_read_response read_failure(schema::error err) {
  schema::share_state_read_response out;
  out.error = std::move(err);
  return out;
}

// One share-partition hosted here. `incarnation` tells replies for a dropped entry apart.
struct entry {
  std::string group;
  std::string topic;
  partition_id partition{0};
  leader_epoch epoch{0};
  share_config config;
  uint64_t incarnation = 0;
  std::optional<share_partition> sp;
  bool loading = false;
  std::vector<done_fn> load_waiters;
  bool writing = false;
  std::vector<done_fn> next_write; // changes made since the write in flight started
};

struct manager_status {
  size_t share_partitions = 0;
  size_t waiting_fetches = 0;
  uint64_t fetches = 0;
  uint64_t acknowledgements = 0;
  uint64_t records_acquired = 0;
  uint64_t writes = 0;
  uint64_t loads = 0;
  uint64_t dropped = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, manager_status& x) {
  field parts{"share_partitions", x.share_partitions};
  field waiting{"waiting_fetches", x.waiting_fetches};
  field fetches{"fetches", x.fetches};
  field acks{"acknowledgements", x.acknowledgements};
  field acquired{"records_acquired", x.records_acquired};
  field writes{"writes", x.writes};
  field loads{"loads", x.loads};
  field dropped{"dropped", x.dropped};
  return f(caf::meta::type_name("share_manager"), parts, waiting, fetches, acks, acquired, writes,
           loads, dropped);
}

// One share fetch request until it is answered.
struct fetch_session {
  uint64_t id = 0;
  share_fetch_work work;
  schema::share_fetch_response response;
  std::vector<bool> final; // the partition's answer is in `response`
  size_t outstanding = 0;
  bool answer = false;     // something final came back: answer after this round
  int64_t deadline_ms = 0;
  caf::typed_response_promise<envelope> rp;
};

// The result of one partition's round.
struct round_result {
  schema::error error;
  store::byte_buffer records;
  std::vector<schema::acquired_records> acquired;
};

using retry_atom = caf::atom_constant<caf::atom("shr_retry")>;
using manager_internal = share_manager_actor::extend<caf::reacts_to<retry_atom, uint64_t>>;

class manager_impl : public manager_internal::base {
public:
  manager_impl(caf::actor_config& cfg, share_manager_args args)
    : manager_internal::base(cfg), args_(std::move(args)) {
    if (!args_.now_ms)
      args_.now_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
      };
  }

  const char* name() const override { return "share_manager"; }

  behavior_type make_behavior() override {
    return {
      [this](share_fetch_atom, share_fetch_work& w) { return fetch(std::move(w)); },
      [this](share_ack_atom, share_ack_work& w) { return acknowledge(std::move(w)); },
      [this](retry_atom, uint64_t id) { on_retry(id); },
      [this](state_atom) { return state(); },
    };
  }

  void on_exit() override {
    for (auto& [_, s] : sessions_)
      s->rp.deliver(encode(s->response));
    sessions_.clear();
    entries_.clear();
  }

private:
  static std::string key_of(const std::string& group, const std::string& topic, partition_id p) {
    return group + '\0' + topic + '\0' + std::to_string(p.value);
  }

  // -- loading and persisting ----------------------------------------------------------------

  // Calls `done` once the share-partition is loaded (or could not be).
  void with_loaded(const std::string& group, const std::string& topic, partition_id p,
                   const share_target& t, done_fn done) {
    auto key = key_of(group, topic, p);
    if (auto it = entries_.find(key); it != entries_.end() && it->second.epoch != t.epoch)
      drop(key, {errc::not_leader, "the leader epoch of " + topic + "-" + std::to_string(p.value)
                                     + " moved: reloading its share state"});
    auto [it, fresh] = entries_.try_emplace(key);
    auto& e = it->second;
    if (fresh) {
      e.group = group;
      e.topic = topic;
      e.partition = p;
      e.epoch = t.epoch;
      e.config = t.config;
      e.incarnation = ++incarnations_;
    }
    if (e.sp)
      return done({});
    e.load_waiters.push_back(std::move(done));
    if (e.loading)
      return;
    e.loading = true;
    ++status_.loads;
    auto incarnation = e.incarnation;
    request(args_.store, store_timeout, share_state_read_atom_v,
            encode(schema::share_state_read_request{group, topic, p}))
      .then(
        [this, key, incarnation](const envelope& reply) {
          auto r = schema::decode<schema::share_state_read_response>(reply);
          on_loaded(key, incarnation, r ? std::move(*r) : read_failure(r.err()));
        },
        [this, key, incarnation](caf::error& err) {
          on_loaded(key, incarnation, read_failure(caf_error(err, "the share coordinator")));
        });
  }

  void on_loaded(const std::string& key, uint64_t incarnation, schema::share_state_read_response r) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.incarnation != incarnation)
      return;
    auto& e = it->second;
    if (!r.error.ok())
      return drop(key, r.error);
    if (r.found) {
      auto sp = share_partition::load(e.config, r.state);
      if (!sp)
        return drop(key, sp.err());
      e.sp.emplace(std::move(*sp));
    } else {
      e.sp.emplace(e.config);
    }
    e.loading = false;
    auto waiters = std::make_shared<std::vector<done_fn>>(std::move(e.load_waiters));
    e.load_waiters.clear();
    if (r.found) {
      for (auto& w : *waiters)
        w({});
      return;
    }
    // A new share-partition is persisted at once, as KIP-932's InitializeShareGroupState does:
    // one nothing is ever acquired from (an empty partition) would otherwise never reach the
    // coordinator, and describe would not list it.
    persist(key, [waiters](const schema::error& err) {
      for (auto& w : *waiters)
        w(err);
    });
  }

  // Answers everyone waiting on the entry with `err` and forgets it: the next request loads
  // what was persisted.
  void drop(const std::string& key, const schema::error& err) {
    auto it = entries_.find(key);
    if (it == entries_.end())
      return;
    auto waiters = std::move(it->second.load_waiters);
    auto writes = std::move(it->second.next_write);
    entries_.erase(it);
    ++status_.dropped;
    for (auto& w : waiters)
      w(err);
    for (auto& w : writes)
      w(err);
  }

  // `done` is called once the entry's state as it is now is persisted (or could not be).
  void persist(const std::string& key, done_fn done) {
    auto& e = entries_.at(key);
    e.next_write.push_back(std::move(done));
    if (!e.writing)
      start_write(key);
  }

  void start_write(const std::string& key) {
    auto& e = entries_.at(key);
    e.writing = true;
    auto waiters = std::make_shared<std::vector<done_fn>>(std::move(e.next_write));
    e.next_write.clear();
    ++status_.writes;
    schema::share_state_write_request req{e.group, e.topic, e.partition, e.epoch, e.sp->snapshot()};
    auto incarnation = e.incarnation;
    auto finish = [this, key, incarnation, waiters](const schema::error& err) {
      for (auto& w : *waiters)
        w(err);
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.incarnation != incarnation)
        return;
      it->second.writing = false;
      if (!err.ok())
        drop(key, err);
      else if (!it->second.next_write.empty())
        start_write(key);
    };
    request(args_.store, store_timeout, share_state_write_atom_v, encode(req))
      .then(
        [finish](const envelope& reply) {
          auto r = schema::decode<schema::share_state_write_response>(reply);
          finish(r ? r->error : r.err());
        },
        [finish](caf::error& err) { finish(caf_error(err, "the share coordinator")); });
  }

  // -- share fetch -----------------------------------------------------------------------------

  caf::result<envelope> fetch(share_fetch_work w) {
    ++status_.fetches;
    auto& req = w.request;
    if (auto err = check_member(req.group_id, req.member_id); !err.ok()) {
      schema::share_fetch_response out;
      for (auto& p : req.partitions)
        out.partitions.push_back({p.topic, p.partition, err, {}, {}});
      return encode(out);
    }
    if (sessions_.size() >= max_waiting_fetches) {
      schema::share_fetch_response out;
      for (auto& p : req.partitions)
        out.partitions.push_back({p.topic, p.partition,
                                  {errc::request_timed_out, "too many share fetches waiting on this node"},
                                  {}, {}});
      return encode(out);
    }
    auto s = std::make_shared<fetch_session>();
    s->id = ++session_ids_;
    s->deadline_ms = args_.now_ms() + std::clamp(req.max_wait_ms, 0, args_.max_wait_ms_limit);
    s->final.resize(req.partitions.size(), false);
    for (auto& p : req.partitions)
      s->response.partitions.push_back({p.topic, p.partition, {}, {}, {}});
    s->work = std::move(w);
    s->rp = make_response_promise<envelope>();
    sessions_.emplace(s->id, s);
    round(s);
    return s->rp;
  }

  static schema::error check_member(const std::string& group, const std::string& member) {
    if (group.empty())
      return {errc::invalid_group_id, "the share group id is empty"};
    if (member.empty())
      return {errc::unknown_member_id, "a share request needs the member's id"};
    return {};
  }

  void round(const std::shared_ptr<fetch_session>& s) {
    auto& req = s->work.request;
    ++s->outstanding; // until every partition was started: some answer at once
    for (size_t i = 0; i < req.partitions.size(); ++i) {
      if (s->final[i])
        continue;
      ++s->outstanding;
      fetch_partition(s, i, [this, s, i](round_result r) {
        auto& out = s->response.partitions[i];
        if (!r.error.ok() || !r.acquired.empty()) {
          out.error = std::move(r.error);
          out.records = std::move(r.records);
          out.acquired = std::move(r.acquired);
          s->final[i] = true;
          s->answer = true;
        }
        if (--s->outstanding == 0)
          end_round(s);
      });
    }
    if (--s->outstanding == 0)
      end_round(s);
  }

  // By value: `s` may be the very pointer sessions_ holds (on_retry), which erase() destroys.
  void end_round(std::shared_ptr<fetch_session> s) {
    if (!sessions_.contains(s->id))
      return; // answered at exit
    if (s->answer || args_.now_ms() >= s->deadline_ms) {
      sessions_.erase(s->id);
      s->rp.deliver(encode(s->response));
      return;
    }
    delayed_send(this, args_.poll_interval, retry_atom::value, s->id);
  }

  void on_retry(uint64_t id) {
    if (auto it = sessions_.find(id); it != sessions_.end())
      round(it->second);
  }

  void fetch_partition(const std::shared_ptr<fetch_session>& s, size_t i,
                       std::function<void(round_result)> done) {
    auto& req = s->work.request;
    auto& p = req.partitions[i];
    auto& t = s->work.targets[i];
    if (!t.error.ok())
      return done({t.error, {}, {}});
    with_loaded(req.group_id, p.topic, p.partition, t, [this, s, i, done](const schema::error& err) {
      if (!err.ok())
        return done({err, {}, {}});
      read(s, i, done);
    });
  }

  void read(const std::shared_ptr<fetch_session>& s, size_t i, std::function<void(round_result)> done) {
    auto& req = s->work.request;
    auto& p = req.partitions[i];
    auto key = key_of(req.group_id, p.topic, p.partition);
    auto it = entries_.find(key);
    if (it == entries_.end() || !it->second.sp)
      return done({{errc::coordinator_not_available, "the share state is reloading: retry"}, {}, {}});
    auto from = it->second.sp->next_fetch_offset(args_.now_ms());
    if (!from)
      return done({});
    partition_fetch pf{++read_ids_, *from, std::clamp(req.max_bytes, 1, 64 << 20), 0, 0, false};
    auto incarnation = it->second.incarnation;
    request(s->work.targets[i].topic, read_timeout, fetch_atom_v, p.partition, pf)
      .then(
        [this, s, key, incarnation, from = *from, done](fetch_reply& r) {
          on_read(s, key, incarnation, from, std::move(r), done);
        },
        [done](caf::error& err) { done({caf_error(err, "the partition"), {}, {}}); });
  }

  void on_read(const std::shared_ptr<fetch_session>& s, const std::string& key,
               uint64_t incarnation, offset from, fetch_reply r, std::function<void(round_result)> done) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.incarnation != incarnation)
      return done({{errc::coordinator_not_available, "the share state was reloaded: retry"}, {}, {}});
    auto& e = it->second;
    if (r.error.code == errc::offset_out_of_range && r.log_start_offset > from) {
      e.sp->advance_to(r.log_start_offset); // retention, or a new share-partition at 0
      return done({});
    }
    if (r.error.code == errc::not_leader || r.error.code == errc::fenced_leader_epoch) {
      drop(key, r.error);
      return done({r.error, {}, {}});
    }
    if (!r.error.ok())
      return done({r.error, {}, {}});
    // The data batches read: their offsets are what may be acquired; control batches and the
    // offsets between batches are not records.
    struct batch_pos {
      size_t pos, size;
      offset first, last;
    };
    std::vector<batch_pos> batches;
    std::vector<offset_range> present;
    offset scanned_end = from;
    std::span<const std::byte> bytes{r.records};
    for (size_t pos = 0; pos < bytes.size();) {
      auto h = store::decode_header(bytes.subspan(pos));
      if (!h || pos + h->size_bytes() > bytes.size())
        break; // a batch cut off at the byte limit: the next read gets it
      if (!h->is_control()) {
        batches.push_back({pos, h->size_bytes(), h->base_offset, h->last_offset()});
        present.push_back({std::max(h->base_offset, from), h->last_offset()});
      }
      scanned_end = std::max(scanned_end, h->next_offset());
      pos += h->size_bytes();
    }
    std::erase_if(present, [](const offset_range& x) { return x.last < x.first; });
    if (scanned_end <= from)
      return done({});
    auto& req = s->work.request;
    auto acquired = e.sp->acquire(req.member_id, from, present, scanned_end,
                                  std::max(req.max_records, 1), args_.now_ms());
    if (acquired.empty())
      return done({});
    round_result out;
    for (auto& a : acquired) {
      out.acquired.push_back({a.first, a.last, a.delivery_count});
      status_.records_acquired += static_cast<uint64_t>(a.last - a.first + 1);
    }
    // Only the batches holding acquired records go back.
    for (auto& b : batches) {
      bool wanted = std::ranges::any_of(acquired, [&](auto& a) { return a.first <= b.last && b.first <= a.last; });
      if (wanted)
        out.records.insert(out.records.end(), bytes.begin() + static_cast<std::ptrdiff_t>(b.pos),
                           bytes.begin() + static_cast<std::ptrdiff_t>(b.pos + b.size));
    }
    auto result = std::make_shared<round_result>(std::move(out));
    persist(key, [done, result](const schema::error& err) {
      if (!err.ok())
        return done({err, {}, {}});
      done(std::move(*result));
    });
  }

  // -- share acknowledge -----------------------------------------------------------------------

  caf::result<envelope> acknowledge(share_ack_work w) {
    ++status_.acknowledgements;
    struct gather {
      share_ack_work work;
      schema::share_acknowledge_response response;
      size_t outstanding = 0;
      caf::typed_response_promise<envelope> rp;
    };
    auto g = std::make_shared<gather>();
    g->work = std::move(w);
    auto& req = g->work.request;
    for (auto& p : req.partitions)
      g->response.partitions.push_back({p.topic, p.partition, {}});
    auto member_err = check_member(req.group_id, req.member_id);
    g->outstanding = req.partitions.size() + 1; // +1: until every partition was started
    g->rp = make_response_promise<envelope>();
    auto finish = [g] {
      if (--g->outstanding == 0)
        g->rp.deliver(encode(g->response));
    };
    for (size_t i = 0; i < req.partitions.size(); ++i) {
      auto& p = req.partitions[i];
      auto& t = g->work.targets[i];
      auto answer = [g, i, finish](const schema::error& err) {
        g->response.partitions[i].error = err;
        finish();
      };
      if (!member_err.ok() || !t.error.ok()) {
        answer(!member_err.ok() ? member_err : t.error);
        continue;
      }
      with_loaded(req.group_id, p.topic, p.partition, t, [this, g, i, answer](const schema::error& err) {
        if (!err.ok())
          return answer(err);
        auto& req = g->work.request;
        auto& p = req.partitions[i];
        auto key = key_of(req.group_id, p.topic, p.partition);
        auto it = entries_.find(key);
        if (it == entries_.end() || !it->second.sp)
          return answer({errc::coordinator_not_available, "the share state is reloading: retry"});
        auto st = it->second.sp->acknowledge(req.member_id, p.batches, args_.now_ms());
        if (!st)
          return answer(st.err());
        persist(key, answer);
      });
    }
    finish();
    return g->rp;
  }

  // -- inspect ---------------------------------------------------------------------------------

  std::string state() {
    status_.share_partitions = entries_.size();
    status_.waiting_fetches = sessions_.size();
    std::vector<std::string> lines;
    for (auto& [_, e] : entries_) {
      std::string line = "share_partition " + e.group + " " + e.topic + "-" + std::to_string(e.partition.value)
                         + " epoch " + std::to_string(e.epoch.value);
      if (!e.sp) {
        lines.push_back(line + " loading");
        continue;
      }
      auto c = e.sp->counts();
      lines.push_back(line + ": start " + std::to_string(e.sp->start().value) + " end "
                      + std::to_string(e.sp->end().value) + " available " + std::to_string(c.available)
                      + " acquired " + std::to_string(c.acquired) + " acknowledged "
                      + std::to_string(c.acknowledged) + " archived " + std::to_string(c.archived)
                      + (e.writing ? " (writing)" : ""));
    }
    return state_tree("share_manager (mailbox " + std::to_string(mailbox().size())
                        + "): " + caf::deep_to_string(status_),
                      lines);
  }

  share_manager_args args_;
  std::map<std::string, entry> entries_;
  std::map<uint64_t, std::shared_ptr<fetch_session>> sessions_;
  uint64_t incarnations_ = 0;
  uint64_t session_ids_ = 0;
  uint64_t read_ids_ = 0;
  manager_status status_;
};

} // namespace

share_manager_actor spawn_share_manager(caf::actor_system& sys, share_manager_args args) {
  return caf::actor_cast<share_manager_actor>(sys.spawn<manager_impl>(std::move(args)));
}

} // namespace sluice::actors

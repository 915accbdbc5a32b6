#include "actors/partition_actor.hpp"

#include "actors/fetch_waitlist.hpp"
#include "actors/inspect_field.hpp"
#include "actors/replication_errors.hpp"
#include "actors/startup_progress.hpp"
#include "actors/store_errors.hpp"
#include "cluster/partition_follower.hpp"
#include "cluster/partition_leader.hpp"
#include "filter/batch_filter.hpp"
#include "schema/cluster.hpp"
#include "store/batch.hpp"
#include "store/partition_log.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

namespace sluice::actors {

namespace {

using schema::errc;
using time_point = caf::actor_clock::time_point;

// How long an unanswered ISR proposal waits before it is sent again (same seq: the metadata
// actor commits a seq at most once).
constexpr auto proposal_retry = std::chrono::milliseconds(500);
constexpr auto proposal_timeout = std::chrono::seconds(10);

// A filtered fetch reads on past max_bytes of log while little matches, up to this much (or
// max_bytes when larger): a filter that matches nothing moves the consumer 8 MiB per fetch
// instead of reading the whole log in one actor turn.
constexpr size_t filter_scan_bytes = 8u << 20;

struct parked_fetch {
  partition_fetch request;
  caf::typed_response_promise<fetch_reply> promise;
  fetch_listener listener; // set when the request asked for progress reports
};

// What `state` shows of a partition: the log's positions, its replication role and the
// actor's traffic.
struct partition_status {
  std::string topic;
  int32_t partition = 0;
  std::string role = "leader"; // leader, follower, none (cluster mode without a role)
  int32_t leader = -1;
  int32_t epoch = 0;
  std::vector<int32_t> isr;
  int64_t log_start = -1;
  int64_t log_end = -1;
  int64_t high_watermark = -1;
  int64_t recovery_point = -1;
  std::map<int32_t, int64_t> follower_ends; // leader: each follower's log end
  size_t segments = 0;
  uint64_t size_bytes = 0;
  // Drop-behind (store/drop_behind.hpp): the window kept cached (0: off) and how far into the
  // active segment pages were dropped.
  uint64_t page_cache_window = 0;
  uint64_t page_cache_dropped = 0;
  size_t parked_fetches = 0;
  size_t acks_waiting = 0;
  uint64_t appends = 0;
  uint64_t appended_bytes = 0;
  uint64_t fetches = 0;
  uint64_t filtered_fetches = 0;   // consumer fetches with a filter expression
  uint64_t filter_scanned = 0;     // records those looked at
  uint64_t filter_matched = 0;     // of which sent (the rest never left the node)
  uint64_t truncations = 0;
  // Transactions (KIP-98): the read_committed bound, open transactions, aborted ones kept
  // for read_committed fetches, and markers written as leader.
  int64_t last_stable_offset = -1;
  size_t open_transactions = 0;
  size_t aborted_transactions = 0;
  uint64_t markers = 0;
  // Idempotent producers (store/producer_state.hpp): how many the log knows, the newest few
  // as id -> "epoch E seq S", the newest snapshot's offset, and retries answered as duplicates.
  size_t producers = 0;
  std::map<int64_t, std::string> producer_state;
  int64_t producer_snapshot = -1;
  uint64_t duplicates = 0;
  // Log compaction (store/log_cleaner.hpp), on a compacted topic's replica: idle or cleaning,
  // the dirty ratio of what may be cleaned, how far it is clean, and what cleaning removed.
  std::string cleaner = "off";
  double dirty_ratio = 0;
  int64_t first_dirty = 0;
  int64_t cleanings = 0;
  int64_t last_clean_ms_ago = -1;
  uint64_t cleaned_bytes_removed = 0;
  uint64_t cleaned_records_removed = 0;
  uint64_t tombstones_removed = 0;
  std::string cleaner_error;
  std::string error; // why the log is not open, if it is not
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_status& x) {
  field topic{"topic", x.topic};
  field partition{"partition", x.partition};
  field role{"role", x.role};
  field leader{"leader", x.leader};
  field epoch{"epoch", x.epoch};
  field isr{"isr", x.isr};
  field log_start{"log_start", x.log_start};
  field log_end{"log_end", x.log_end};
  field hw{"high_watermark", x.high_watermark};
  field recovery_point{"recovery_point", x.recovery_point};
  field follower_ends{"follower_ends", x.follower_ends};
  field segments{"segments", x.segments};
  field size_bytes{"size_bytes", x.size_bytes};
  field cache_window{"page_cache_window", x.page_cache_window};
  field cache_dropped{"page_cache_dropped", x.page_cache_dropped};
  field parked{"parked_fetches", x.parked_fetches};
  field acks{"acks_waiting", x.acks_waiting};
  field appends{"appends", x.appends};
  field appended{"appended_bytes", x.appended_bytes};
  field fetches{"fetches", x.fetches};
  field filtered{"filtered_fetches", x.filtered_fetches};
  field scanned{"filter_scanned", x.filter_scanned};
  field matched{"filter_matched", x.filter_matched};
  field truncations{"truncations", x.truncations};
  field lso{"last_stable_offset", x.last_stable_offset};
  field open_txns{"open_transactions", x.open_transactions};
  field aborted_txns{"aborted_transactions", x.aborted_transactions};
  field markers{"markers", x.markers};
  field producers{"producers", x.producers};
  field producer_state{"producer_state", x.producer_state};
  field producer_snapshot{"producer_snapshot", x.producer_snapshot};
  field duplicates{"duplicates", x.duplicates};
  field cleaner{"cleaner", x.cleaner};
  field dirty_ratio{"dirty_ratio", x.dirty_ratio};
  field first_dirty{"first_dirty", x.first_dirty};
  field cleanings{"cleanings", x.cleanings};
  field last_clean{"last_clean_ms_ago", x.last_clean_ms_ago};
  field cleaned_bytes{"cleaned_bytes_removed", x.cleaned_bytes_removed};
  field cleaned_records{"cleaned_records_removed", x.cleaned_records_removed};
  field tombstones{"tombstones_removed", x.tombstones_removed};
  field cleaner_error{"cleaner_error", x.cleaner_error};
  field error{"error", x.error};
  return f(caf::meta::type_name("partition"), topic, partition, role, leader, epoch, isr,
           log_start, log_end, hw, recovery_point, follower_ends, segments, size_bytes, cache_window,
           cache_dropped, parked,
           acks, appends, appended, fetches, filtered, scanned, matched, truncations, lso, open_txns,
           aborted_txns, markers, producers,
           producer_state, producer_snapshot, duplicates, cleaner, dirty_ratio, first_dirty,
           cleanings, last_clean, cleaned_bytes, cleaned_records, tombstones, cleaner_error, error);
}

class partition_impl : public partition_actor::base {
public:
  partition_impl(caf::actor_config& cfg, partition_args args)
    : partition_actor::base(cfg), args_(std::move(args)),
      replica_waits_(args_.max_parked_fetches), consumer_waits_(args_.max_parked_fetches),
      committed_waits_(args_.max_parked_fetches) {
    status_.topic = args_.topic;
    status_.partition = args_.partition.value;
    if (args_.replication)
      status_.role = "none";
  }

  const char* name() const override { return "partition"; }

  behavior_type make_behavior() override {
    open_log();
    if (log_ && !args_.replication)
      lead_alone();
    if (args_.tick_interval.count() > 0)
      delayed_send(self_handle(), args_.tick_interval, tick_atom_v);
    return {
      [this](produce_atom, append_request& req) { return append(req); },
      [this](write_txn_markers_atom, const txn_marker& m) { return write_marker(m); },
      [this](fetch_atom, partition_fetch& req) -> caf::result<fetch_reply> { return fetch(req); },
      [this](fetch_done_atom, uint64_t id) {
        if (auto e = replica_waits_.take(id))
          complete(*e, true);
        else if (auto c = consumer_waits_.take(id))
          complete(*c, false);
        else if (auto t = committed_waits_.take(id))
          complete(*t, false);
      },
      [this](list_offsets_atom, const offsets_query& q) { return list_offsets(q); },
      [this](epoch_query_atom, const epoch_query& q) { return answer_epoch_query(q); },
      [this](partition_states_atom, cluster::partition_replicas& s) { on_state(std::move(s)); },
      [this](replica_data_atom, replica_data& d) { return on_replica_data(d); },
      [this](delete_data_atom) { return delete_data(); },
      [this](state_atom) { return state_line(); },
      [this](inspect_atom) { return replica_summary(); },
      [this](tick_atom) { tick(); },
      [this](fetch_expire_atom) { expire(); },
      [this](propose_atom, uint64_t seq) { resend_proposal(seq); },
    };
  }

  void on_exit() override {
    // The cleaner is detached: its thread lasts until no handle to it is left, and a finished
    // actor keeps its members while anything still references it.
    args_.cleaner.reset();
    stop_leading({errc::not_leader, "partition is shutting down"});
    stop_following();
    if (log_)
      if (auto st = log_->close(); !st)
        spdlog::error("partition {}: close failed: {}", label(), st.err().to_string());
    log_.reset();
  }

private:
  using waitlist = fetch_waitlist<parked_fetch>;

  // A reply held until the high watermark passes what it answers for (acks=all appends,
  // their duplicates, transaction markers).
  struct acks_wait {
    // Called once: with no error when HW passed, else with why it will not.
    std::function<void(const schema::error&)> answer;
    time_point deadline;
  };

  partition_actor self_handle() { return caf::actor_cast<partition_actor>(this); }

  std::string label() const { return partition_dir_name(args_.topic, args_.partition); }

  int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock().now().time_since_epoch())
      .count();
  }

  node_id self_id() const { return args_.replication ? args_.replication->self : node_id{0}; }

  void open_log() {
    auto began = std::chrono::steady_clock::now();
    auto l = store::partition_log::open(args_.dir, to_log_config(args_.config), args_.clock);
    partition_logs_opened().fetch_add(1, std::memory_order_relaxed);
    if (!l) {
      status_.error = l.err().to_string();
      spdlog::error("partition {}: cannot open its log: {}", label(), status_.error);
      return;
    }
    log_ = std::move(*l);
    auto& report = log_->recovery();
    for (auto& note : report.notes)
      spdlog::warn("partition {}: recovery: {}", label(), note);
    // The slow case at start-up, after an unclean stop: say what was verified and how long it
    // took, so an operator watching the log sees recovery progress partition by partition.
    if (report.segments_scanned > 0 && log_->size_bytes() > 0)
      spdlog::info("partition {}: recovered: {} of {} segments verified batch by batch, log {} bytes, {} ms",
                   label(), report.segments_scanned, report.segments, log_->size_bytes(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
                     .count());
  }

  schema::error not_open() const { return {errc::storage_error, "log not open: " + status_.error}; }

  schema::error not_leading() const {
    if (!state_.leader)
      return {errc::leader_not_available, label() + " has no leader right now"};
    return {errc::not_leader, label() + " is led by node " + std::to_string(state_.leader->value)
                                + ", not this one"};
  }

  // -- roles --------------------------------------------------------------------------

  // A single node: the only replica, always leader, epoch 0 (what the log held before
  // replication existed).
  void lead_alone() {
    cluster::partition_replicas s{{self_id()}, self_id(), leader_epoch{0}, {self_id()},
                                  cluster::partition_epoch{0}};
    state_ = s;
    become_leader(s);
  }

  cluster::leader_config leader_config() const {
    return {static_cast<int32_t>(args_.config.min_insync_replicas),
            args_.replication ? args_.replication->lag_time_max_ms : int64_t{30'000}};
  }

  // The metadata's state of the partition; older states (a late notification) are ignored.
  void on_state(cluster::partition_replicas s) {
    if (!args_.replication || !log_)
      return;
    if (s.epoch < state_.epoch || (s.epoch == state_.epoch && s.version < state_.version))
      return;
    state_ = s;
    auto self = self_id();
    bool replica = std::ranges::find(s.replicas, self) != s.replicas.end();
    if (s.leader && *s.leader == self) {
      stop_following();
      if (leader_ && leader_->epoch() == s.epoch) {
        if (!leader_->on_metadata(s, now_ms()))
          stop_leading(not_leading());
        settle();
      } else {
        stop_leading(not_leading());
        become_leader(s);
      }
    } else if (s.leader && replica) {
      stop_leading(not_leading());
      // Nobody reads a follower's log until it leads: its writes need not stay cached.
      log_->set_page_cache_window(args_.replication ? args_.replication->follower_page_cache_bytes : 0);
      if (!follower_)
        follower_.emplace(self, s, log_->log_end_offset(), hw_);
      else if (!follower_->on_metadata(s))
        follower_.emplace(self, s, log_->log_end_offset(), hw_);
      status_.role = "follower";
      announce_position();
    } else {
      stop_leading(not_leading());
      stop_following();
      status_.role = "none";
    }
  }

  void become_leader(const cluster::partition_replicas& s) {
    // The epoch starts at the log end before anything is appended in it (KIP-101). A single
    // node's epoch 0 needs no entry before its first append, which records it.
    if (auto st = args_.replication ? log_->assign_epoch(s.epoch) : store::status{}; !st) {
      spdlog::error("partition {}: cannot start leader epoch {}: {}", label(), s.epoch.value,
                    st.err().to_string());
      return;
    }
    log_->set_page_cache_window(0);
    leader_.emplace(self_id(), s, log_->log_end_offset(), hw_, leader_config(), now_ms());
    lso_ = log_->last_stable_offset(leader_->high_watermark());
    status_.role = "leader";
    if (args_.replication)
      spdlog::info("partition {}: leader in epoch {} (log end {}, ISR {})", label(), s.epoch.value,
                   log_->log_end_offset().value, caf::deep_to_string(s.isr));
    settle();
  }

  // Leadership ends: waiting producers and parked fetches learn it now.
  void stop_leading(const schema::error& why) {
    if (!leader_)
      return;
    hw_ = leader_->high_watermark();
    leader_.reset();
    for (auto& [_, w] : acks_waits_)
      w.answer(why);
    acks_waits_.clear();
    for (auto* list : {&replica_waits_, &consumer_waits_, &committed_waits_})
      for (auto& e : list->take_all())
        e.payload.promise.deliver(fetch_reply{why, offset{-1}, offset{-1}, {}});
    pending_bytes_.clear();
    unstable_bytes_.clear();
    unstable_carry_ = 0;
  }

  void stop_following() {
    if (!follower_)
      return;
    hw_ = follower_->high_watermark();
    follower_.reset();
    if (args_.replication)
      send(args_.replication->fetchers, unfollow_atom_v, entry_for(follower_position{}));
  }

  follow_entry entry_for(follower_position pos) {
    return follow_entry{args_.topic, args_.partition,
                        state_.leader ? *state_.leader : node_id{-1}, self_handle(), pos};
  }

  follower_position position() {
    follower_position p;
    p.seq = ++position_seq_;
    if (!follower_)
      return p;
    p.epoch = follower_->epoch();
    switch (follower_->current()) {
      case cluster::partition_follower::phase::truncating:
        p.next = follower_position::step::query_epoch;
        p.latest_local = log_->epochs().latest_epoch().value_or(leader_epoch{-1});
        break;
      case cluster::partition_follower::phase::fetching:
        p.next = follower_position::step::fetch;
        p.fetch_offset = log_->log_end_offset();
        break;
      case cluster::partition_follower::phase::fenced: break;
    }
    return p;
  }

  void announce_position() {
    if (follower_ && args_.replication)
      send(args_.replication->fetchers, follow_atom_v, entry_for(position()));
  }

  // After any input to the leader core: answer completed acks=all produces, wake consumers
  // for what HW now covers, and send an ISR change if one is due.
  void settle() {
    if (!leader_)
      return;
    for (auto& [id, outcome] : leader_->take_completed()) {
      auto it = acks_waits_.find(id);
      if (it == acks_waits_.end())
        continue;
      it->second.answer(outcome == cluster::repl_errc::none ? schema::error{}
                                                            : to_wire_error(outcome, label()));
      acks_waits_.erase(it);
    }
    auto hw = leader_->high_watermark();
    if (hw > hw_) {
      hw_ = hw;
      int64_t bytes = 0;
      while (!pending_bytes_.empty() && pending_bytes_.front().first <= hw) {
        bytes += pending_bytes_.front().second;
        unstable_bytes_.push_back(pending_bytes_.front());
        pending_bytes_.pop_front();
      }
      if (bytes > 0)
        wake(consumer_waits_, bytes, false);
    }
    settle_stable(hw);
    if (auto p = leader_->take_proposal())
      send_proposal(*p);
  }

  // The last stable offset moves with HW and with markers ending transactions: read_committed
  // fetches parked below it are told the bytes it passed (at least 1, so a marker that ended a
  // transaction wakes them even when its bytes were counted away).
  void settle_stable(offset hw) {
    log_->on_high_watermark(hw);
    // A long transaction holds the stable offset back while appends go on: the oldest entries
    // are folded into the carry instead of growing without bound.
    while (unstable_bytes_.size() > max_unstable_entries) {
      unstable_carry_ += unstable_bytes_.front().second;
      unstable_bytes_.pop_front();
    }
    auto lso = log_->last_stable_offset(hw);
    if (lso <= lso_)
      return;
    lso_ = lso;
    int64_t bytes = unstable_carry_;
    unstable_carry_ = 0;
    while (!unstable_bytes_.empty() && unstable_bytes_.front().first <= lso) {
      bytes += unstable_bytes_.front().second;
      unstable_bytes_.pop_front();
    }
    if (!committed_waits_.empty())
      wake(committed_waits_, std::max<int64_t>(bytes, 1), false);
  }

  // -- ISR proposals -----------------------------------------------------------------

  void send_proposal(const cluster::isr_proposal& p) {
    if (!args_.replication)
      return;
    schema::alter_partition_request req{args_.topic, args_.partition.value, self_id(), p.epoch,
                                        p.version.value, p.isr, p.seq};
    spdlog::info("partition {}: proposing ISR {} (epoch {}, version {}, seq {})", label(),
                 caf::deep_to_string(p.isr), p.epoch.value, p.version.value, p.seq);
    proposal_ = p;
    request(args_.replication->metadata, proposal_timeout, alter_partition_atom_v, encode(req))
      .then([this, p](const schema::envelope& e) { on_proposal_answer(p, e); },
            [this, p](caf::error&) { retry_proposal(p.seq); });
  }

  void on_proposal_answer(const cluster::isr_proposal& p, const schema::envelope& e) {
    if (!leader_ || leader_->epoch() != p.epoch)
      return;
    auto r = schema::decode<schema::alter_partition_response>(e);
    if (!r || r->error.code == errc::not_controller || r->error.code == errc::request_timed_out
        || r->error.code == errc::unknown_server_error) {
      retry_proposal(p.seq);
      return;
    }
    // The state after the request comes first: if it holds a newer partition epoch the
    // proposal is over either way (committed or dead), and a refusal must not undo it.
    cluster::partition_replicas after{state_.replicas,
                                      r->leader.value >= 0 ? std::optional{r->leader} : std::nullopt,
                                      r->epoch, r->isr,
                                      cluster::partition_epoch{r->partition_epoch}};
    if (after.epoch >= state_.epoch && after.version >= state_.version && after.epoch.value >= 0)
      on_state(after);
    if (leader_ && !r->error.ok() && after.version <= p.version) {
      spdlog::info("partition {}: ISR proposal {} refused: {}", label(), p.seq,
                   r->error.to_string());
      leader_->on_refused(p.seq, now_ms());
      settle();
    }
  }

  void retry_proposal(uint64_t seq) { delayed_send(self_handle(), proposal_retry, propose_atom_v, seq); }

  void resend_proposal(uint64_t seq) {
    if (leader_ && leader_->proposal_in_flight() && proposal_ && proposal_->seq == seq
        && proposal_->epoch == leader_->epoch())
      send_proposal(*proposal_);
  }

  // -- leader: produce ----------------------------------------------------------------

  schema::error not_enough_replicas() const {
    return {errc::not_enough_replicas,
            "min.insync.replicas is " + std::to_string(args_.config.min_insync_replicas)
              + " but the partition has " + std::to_string(leader_->state().isr.size())
              + " in-sync replica" + (leader_->state().isr.size() == 1 ? "" : "s")};
  }

  // Answers through `answer` once HW reaches `end` (or leadership, the ISR or the timeout
  // fails it).
  void await_commit(offset end, int32_t timeout_ms,
                    std::function<void(const schema::error&)> answer) {
    auto id = ++next_wait_;
    acks_waits_.emplace(id, acks_wait{std::move(answer),
                                      clock().now() + std::chrono::milliseconds{timeout_ms}});
    leader_->await(id, end, now_ms());
    settle();
  }

  static std::function<void(const schema::error&)>
  answer_append(caf::typed_response_promise<append_reply> rp, append_reply ok) {
    return [rp, ok](const schema::error& err) mutable {
      if (err.ok())
        rp.deliver(std::move(ok));
      else
        rp.deliver(append_reply{err, offset{-1}, no_timestamp, offset{-1}});
    };
  }

  caf::result<append_reply> append(append_request& req) {
    if (!log_)
      return append_reply{not_open(), offset{-1}, no_timestamp, offset{-1}};
    if (!leader_)
      return append_reply{not_leading(), offset{-1}, no_timestamp, offset{-1}};
    auto acks = static_cast<int>(req.acks);
    if (leader_->check_produce(acks) != cluster::repl_errc::none)
      return append_reply{not_enough_replicas(), offset{-1}, no_timestamp, log_->log_start_offset()};
    auto r = log_->append(std::span<std::byte>{req.records}, leader_->epoch());
    if (!r)
      return append_reply{to_wire_error(r.err()), offset{-1}, no_timestamp, log_->log_start_offset()};
    if (r->duplicate)
      return answer_duplicate(req, *r);
    ++status_.appends;
    auto bytes = static_cast<int64_t>(req.records.size());
    status_.appended_bytes += static_cast<uint64_t>(bytes);
    auto end = log_->log_end_offset();
    pending_bytes_.emplace_back(end, bytes);
    append_reply ok{{}, r->base_offset, no_timestamp, log_->log_start_offset()};
    leader_->on_append(end, now_ms());
    if (!replica_waits_.empty())
      wake(replica_waits_, bytes, true);
    if (req.acks != schema::acks::all) {
      settle();
      return ok;
    }
    auto rp = make_response_promise<append_reply>();
    await_commit(end, req.timeout_ms, answer_append(rp, ok));
    return rp;
  }

  // A transaction coordinator's marker (KIP-98 WriteTxnMarkers): a control batch appended
  // like an acks=all produce, answered with its offset once HW passes it. No sequence check;
  // an epoch below the producer's is invalid_producer_epoch.
  caf::result<txn_marker_reply> write_marker(const txn_marker& m) {
    if (!log_)
      return txn_marker_reply{not_open(), offset{-1}};
    if (!leader_)
      return txn_marker_reply{not_leading(), offset{-1}};
    if (leader_->check_produce(-1) != cluster::repl_errc::none)
      return txn_marker_reply{not_enough_replicas(), offset{-1}};
    auto size_before = log_->size_bytes();
    store::control_record marker{m.commit ? store::control_type::commit : store::control_type::abort,
                                 m.coordinator_epoch};
    auto r = log_->append_marker(m.id, m.epoch, marker, leader_->epoch());
    if (!r)
      return txn_marker_reply{to_wire_error(r.err()), offset{-1}};
    ++status_.markers;
    auto bytes = static_cast<int64_t>(log_->size_bytes() - size_before);
    status_.appended_bytes += static_cast<uint64_t>(bytes);
    auto end = log_->log_end_offset();
    pending_bytes_.emplace_back(end, bytes);
    leader_->on_append(end, now_ms());
    if (!replica_waits_.empty())
      wake(replica_waits_, bytes, true);
    auto rp = make_response_promise<txn_marker_reply>();
    await_commit(end, std::max(m.timeout_ms, 1),
                 [rp, ok = txn_marker_reply{{}, r->base_offset}](const schema::error& err) mutable {
                   rp.deliver(err.ok() ? ok : txn_marker_reply{err, offset{-1}});
                 });
    return rp;
  }

  // An idempotent producer's retry of a batch the log holds: the original's offsets, once
  // they are as committed as the acks ask (the original may still be above HW, and acks=all
  // must not report a batch a failover could lose).
  caf::result<append_reply> answer_duplicate(const append_request& req, const store::append_result& r) {
    ++status_.duplicates;
    append_reply ok{{}, r.base_offset, no_timestamp, log_->log_start_offset()};
    if (req.acks != schema::acks::all || leader_->high_watermark() > r.last_offset)
      return ok;
    auto rp = make_response_promise<append_reply>();
    await_commit(r.last_offset + 1, req.timeout_ms, answer_append(rp, ok));
    return rp;
  }

  // -- fetch ---------------------------------------------------------------------------

  void wake(waitlist& list, int64_t bytes, bool replica) {
    for (auto& e : list.on_append(bytes))
      complete(e, replica);
    list.for_each([bytes](const waitlist::entry& e) {
      if (e.payload.listener)
        caf::anon_send(e.payload.listener, fetch_progress_atom_v, e.id, bytes);
    });
  }

  caf::result<fetch_reply> fetch(partition_fetch& req) {
    ++status_.fetches;
    fetch_reply refused;
    if (!log_)
      refused.error = not_open();
    else if (!leader_)
      refused.error = not_leading();
    else if (req.current_leader_epoch.value >= 0 && req.current_leader_epoch != leader_->epoch())
      refused.error = to_wire_error(req.current_leader_epoch < leader_->epoch()
                                      ? cluster::repl_errc::fenced_leader_epoch
                                      : cluster::repl_errc::unknown_leader_epoch,
                                    label());
    if (!refused.error.ok())
      return refused;
    bool replica = req.replica_id.value >= 0;
    if (replica) {
      auto answer = leader_->on_fetch(req.replica_id, req.current_leader_epoch, req.fetch_offset,
                                      now_ms());
      settle();
      if (answer.error != cluster::repl_errc::none) {
        refused.error = to_wire_error(answer.error, label());
        refused.high_watermark = answer.high_watermark;
        refused.log_start_offset = log_->log_start_offset();
        return refused;
      }
    }
    if (replica)
      req.filter.reset(); // followers copy the log whole, whatever a request carried
    auto reply = read(req, replica || req.to_log_end);
    auto have = static_cast<int64_t>(reply.records.size());
    auto& list = replica ? replica_waits_ : committed(req) ? committed_waits_ : consumer_waits_;
    // A filtered read that scanned records but kept none answers at once all the same: the
    // consumer moves past them (next_offset) instead of waiting for matches that may never come.
    bool moved_on = reply.next_offset > req.fetch_offset;
    if (!reply.error.ok() || have >= req.min_bytes || moved_on || req.max_wait_ms <= 0 || list.full())
      return reply;
    // Before make_response_promise, which takes the sender out of the current message.
    fetch_listener listener;
    if (req.report_progress)
      listener = caf::actor_cast<fetch_listener>(current_sender());
    if (listener && have > 0)
      caf::anon_send(listener, fetch_progress_atom_v, req.id, have);
    auto now = home_system().clock().now();
    waitlist::entry e{req.id, req.min_bytes, have, now + std::chrono::milliseconds{req.max_wait_ms},
                      parked_fetch{req, make_response_promise<fetch_reply>(), std::move(listener)}};
    auto promise = e.payload.promise;
    if (auto at = list.park(std::move(e)))
      scheduled_send(self_handle(), *at, fetch_expire_atom_v);
    return promise;
  }

  void complete(waitlist::entry& e, bool replica) {
    if (!leader_) {
      e.payload.promise.deliver(fetch_reply{not_leading(), offset{-1}, offset{-1}, {}});
      return;
    }
    e.payload.promise.deliver(read(e.payload.request, replica));
  }

  void expire() {
    auto now = home_system().clock().now();
    for (auto [list, replica] : {std::pair{&replica_waits_, true}, std::pair{&consumer_waits_, false},
                                 std::pair{&committed_waits_, false}}) {
      std::optional<time_point> rearm;
      for (auto& e : list->on_timer(now, rearm))
        complete(e, replica);
      if (rearm)
        scheduled_send(self_handle(), *rearm, fetch_expire_atom_v);
    }
  }

  // A consumer's read_committed fetch (not a replica's, nor the leader's own to_log_end read).
  static bool committed(const partition_fetch& req) {
    return req.isolation == schema::isolation_level::read_committed && req.replica_id.value < 0
           && !req.to_log_end;
  }

  // Where a consumer's read stops: the last stable offset under read_committed, else HW.
  offset consumer_limit(const partition_fetch& req, const fetch_reply& out) const {
    return committed(req) ? out.last_stable_offset : out.high_watermark;
  }

  // read_committed: the aborted transactions whose batches may lie in [from, end) (KIP-98's
  // FetchResponse.AbortedTransactions).
  void add_aborted(const partition_fetch& req, offset end, fetch_reply& out) const {
    if (!committed(req) || end <= req.fetch_offset)
      return;
    for (auto& a : log_->aborted_transactions(req.fetch_offset, end))
      out.aborted_transactions.push_back({a.id, a.first_offset});
  }

  // Whole batches from fetch_offset up to max_bytes (at least one batch), across segments,
  // below HW for a consumer (the last stable offset under read_committed) and below the log
  // end for a follower. The first read lands in the reply's buffer; reads from later
  // segments are appended to it.
  fetch_reply read(const partition_fetch& req, bool replica) {
    if (req.filter && !replica)
      return read_filtered(req);
    fetch_reply out;
    out.high_watermark = leader_->high_watermark();
    out.log_start_offset = log_->log_start_offset();
    out.last_stable_offset = log_->last_stable_offset(out.high_watermark);
    auto limit = replica ? log_->log_end_offset() : consumer_limit(req, out);
    offset read_end = req.fetch_offset;
    size_t budget = static_cast<size_t>(std::max(req.max_bytes, 1));
    auto from = req.fetch_offset;
    while (from < limit) {
      size_t room = out.records.empty() ? budget : budget - out.records.size();
      if (auto st = log_->read(from, room, scratch_); !st) {
        if (out.records.empty())
          out.error = to_wire_error(st.err());
        break;
      }
      auto& got = scratch_.bytes;
      // Only the first read may exceed the budget (KIP-74: one whole batch regardless).
      if (got.empty() || (!out.records.empty() && got.size() > room))
        break;
      if (!replica && !clip_to(got, limit, read_end))
        break;
      if (out.records.empty()) {
        // The first read becomes the reply as it is (most fetches read one segment): the
        // buffer moves, and scratch_ allocates anew on its next read.
        std::swap(out.records, got);
      } else {
        // Rounded up to whole words: the node's encode_referencing pads the buffer in place.
        out.records.reserve((out.records.size() + got.size() + 7) / 8 * 8);
        out.records.insert(out.records.end(), got.begin(), got.end());
      }
      from = scratch_.next_offset;
      if (out.records.size() >= budget || from >= limit)
        break;
    }
    auto end = replica ? log_->log_end_offset() : out.high_watermark;
    if (req.fetch_offset > end || req.fetch_offset < out.log_start_offset)
      out.error = {errc::offset_out_of_range,
                   "offset " + std::to_string(req.fetch_offset.value) + " is outside ["
                     + std::to_string(out.log_start_offset.value) + ", "
                     + std::to_string(end.value) + "]"};
    else if (!replica)
      add_aborted(req, read_end, out);
    return out;
  }

  // read() for a consumer's filtered fetch: batches below HW pass through filter_batches
  // (filter/batch_filter.hpp) chunk by chunk until max_bytes of matches or filter_scan_bytes
  // of log; next_offset is the end of what was scanned, so the consumer never asks for
  // unmatched records again.
  fetch_reply read_filtered(const partition_fetch& req) {
    fetch_reply out;
    out.high_watermark = leader_->high_watermark();
    out.log_start_offset = log_->log_start_offset();
    out.last_stable_offset = log_->last_stable_offset(out.high_watermark);
    auto limit = consumer_limit(req, out);
    offset clipped_end = req.fetch_offset;
    size_t budget = static_cast<size_t>(std::max(req.max_bytes, 1));
    size_t scan_limit = std::max(budget, filter_scan_bytes);
    size_t scanned_bytes = 0;
    auto from = req.fetch_offset;
    ++status_.filtered_fetches;
    while (from < limit && out.records.size() < budget && scanned_bytes < scan_limit) {
      size_t room = out.records.empty() ? budget : budget - out.records.size();
      if (auto st = log_->read(from, room, scratch_); !st) {
        if (scanned_bytes == 0)
          out.error = to_wire_error(st.err());
        break;
      }
      auto& got = scratch_.bytes;
      if (got.empty() || !clip_to(got, limit, clipped_end))
        break;
      auto scan = filter::filter_batches(got, req.fetch_offset, *req.filter, out.records);
      if (!scan) {
        if (scanned_bytes == 0)
          out.error = to_wire_error(scan.err());
        break;
      }
      status_.filter_scanned += scan->scanned;
      status_.filter_matched += scan->matched;
      scanned_bytes += got.size();
      if (scan->next.value < 0)
        break;
      from = scan->next;
    }
    if (from > req.fetch_offset)
      out.next_offset = from;
    if (req.fetch_offset > out.high_watermark || req.fetch_offset < out.log_start_offset)
      out.error = {errc::offset_out_of_range,
                   "offset " + std::to_string(req.fetch_offset.value) + " is outside ["
                     + std::to_string(out.log_start_offset.value) + ", "
                     + std::to_string(out.high_watermark.value) + "]"};
    else
      add_aborted(req, std::max(from, req.fetch_offset), out);
    return out;
  }

  // Drops the batches of `bytes` that end at or beyond `limit` (HW falls on batch boundaries:
  // followers confirm whole batches; the last stable offset on a transaction's first batch or
  // HW). False when nothing is left; `end` moves past the last batch kept.
  template <class Bytes>
  static bool clip_to(Bytes& bytes, offset limit, offset& end) {
    size_t pos = 0;
    while (pos < bytes.size()) {
      auto h = store::decode_header(store::bytes_view{bytes.data() + pos, bytes.size() - pos});
      if (!h || h->last_offset() >= limit)
        break;
      pos += h->size_bytes();
      end = h->next_offset();
    }
    bytes.resize(pos);
    return pos > 0;
  }

  offsets_reply list_offsets(const offsets_query& q) {
    if (!log_)
      return {not_open(), offset{-1}, no_timestamp};
    if (!leader_)
      return {not_leading(), offset{-1}, no_timestamp};
    auto hw = leader_->high_watermark();
    // read_committed sees the log up to the last stable offset (Kafka's ListOffsets).
    if (q.isolation == schema::isolation_level::read_committed)
      hw = log_->last_stable_offset(hw);
    switch (q.query) {
      case schema::offset_query::earliest: return {{}, log_->log_start_offset(), no_timestamp};
      case schema::offset_query::latest: return {{}, hw, no_timestamp};
      case schema::offset_query::by_timestamp: break;
    }
    auto found = log_->offset_for_timestamp(q.timestamp);
    if (!found)
      return {to_wire_error(found.err()), offset{-1}, no_timestamp};
    if (*found >= hw)
      return {{}, offset{-1}, no_timestamp};
    return {{}, *found, timestamp_of(*found)};
  }

  // The timestamp of the record at `o`, read from the batch holding it.
  timestamp_ms timestamp_of(offset o) {
    if (!log_->read(o, 1, scratch_).ok() || scratch_.bytes.empty())
      return no_timestamp;
    store::record_reader records{store::bytes_view{scratch_.bytes.data(), scratch_.bytes.size()}};
    store::record_view r;
    while (records.next(r))
      if (r.off == o)
        return r.timestamp;
    return no_timestamp;
  }

  epoch_reply answer_epoch_query(const epoch_query& q) {
    if (!log_)
      return {not_open(), leader_epoch{-1}, offset{-1}};
    if (!leader_)
      return {not_leading(), leader_epoch{-1}, offset{-1}};
    if (q.current_leader_epoch.value >= 0 && q.current_leader_epoch != leader_->epoch())
      return {to_wire_error(q.current_leader_epoch < leader_->epoch()
                              ? cluster::repl_errc::fenced_leader_epoch
                              : cluster::repl_errc::unknown_leader_epoch,
                            label()),
              leader_epoch{-1}, offset{-1}};
    auto end = log_->end_offset_for(q.epoch);
    if (end.epoch.value < 0)
      return {{}, leader_epoch{-1}, log_->log_start_offset()};
    return {{}, end.epoch, end.end_offset};
  }

  // -- follower ------------------------------------------------------------------------

  follower_position on_replica_data(replica_data& d) {
    if (!follower_ || d.epoch != follower_->epoch() || !log_)
      return position();
    if (d.epoch_answer) {
      if (!d.error.ok())
        follower_->on_fetch_answer(from_wire_error(d.error.code), offset{0});
      else
        truncate_for(cluster::epoch_end{d.answer_epoch, d.end_offset});
      return position();
    }
    if (!d.error.ok()) {
      if (d.error.code == errc::offset_out_of_range && d.log_start_offset > log_->log_end_offset())
        restart_at(d.log_start_offset);
      else
        follower_->on_fetch_answer(from_wire_error(d.error.code), d.high_watermark);
      return position();
    }
    if (!d.records.empty() && !append_replicated(d.records))
      return position();
    follower_->on_fetch_answer(cluster::repl_errc::none, d.high_watermark);
    hw_ = follower_->high_watermark();
    log_->on_high_watermark(hw_);
    return position();
  }

  void truncate_for(const cluster::epoch_end& answer) {
    auto mine = log_->end_offset_for(answer.epoch).end_offset;
    auto cut = follower_->on_epoch_end(answer, mine);
    if (cut >= log_->log_end_offset()) {
      // Nothing to cut, but an epoch of this replica's own that begins at its log end (it led
      // without writing, e.g. after a restart with an empty log) is dropped, or the leader's
      // batches of older epochs from here on would be refused as stale.
      if (auto st = log_->truncate_to(log_->log_end_offset()); !st)
        spdlog::error("partition {}: cannot drop its unused epochs: {}", label(), st.err().to_string());
      return;
    }
    if (cut < log_->log_start_offset()) {
      restart_at(cut);
      return;
    }
    auto st = log_->truncate_to(cut);
    if (!st && st.err().code == store::errc::invalid_argument) {
      // `cut` inside a batch: cut before that whole batch instead (less is always safe).
      if (log_->read(cut, 1, scratch_).ok() && !scratch_.bytes.empty())
        if (auto h = store::decode_header(
              store::bytes_view{scratch_.bytes.data(), scratch_.bytes.size()}))
          st = log_->truncate_to(h->base_offset);
    }
    if (!st) {
      spdlog::error("partition {}: cannot truncate to {}: {}", label(), cut.value,
                    st.err().to_string());
      follower_->on_fetch_answer(cluster::repl_errc::offset_out_of_range, offset{0});
      return;
    }
    ++status_.truncations;
    spdlog::warn("partition {}: truncated its divergent tail to {} (leader epoch {} ends at {})",
                 label(), log_->log_end_offset().value, answer.epoch.value, answer.end_offset.value);
    follower_->on_appended(log_->log_end_offset());
  }

  // The leader's log starts after ours ends (retention there): start over at its start.
  void restart_at(offset start) {
    if (auto st = log_->reset_to(start); !st) {
      spdlog::error("partition {}: cannot restart its log at {}: {}", label(), start.value,
                    st.err().to_string());
      return;
    }
    spdlog::warn("partition {}: restarted its log at the leader's log start {}", label(), start.value);
    follower_->on_appended(log_->log_end_offset());
  }

  // Appends fetched batches, skipping any that end below the log end (a fetch answered
  // from the batch holding the fetch offset). False when the batches do not fit the log.
  bool append_replicated(std::span<const std::byte> records) {
    auto end = log_->log_end_offset();
    size_t pos = 0;
    while (pos < records.size()) {
      auto h = store::decode_header(store::bytes_view{records.data() + pos, records.size() - pos});
      if (!h || h->last_offset() >= end)
        break;
      pos += h->size_bytes();
    }
    if (pos >= records.size())
      return true;
    auto r = log_->append_replicated(
      std::span<const std::byte>{records.data() + pos, records.size() - pos});
    if (!r) {
      spdlog::error("partition {}: cannot append what the leader sent: {}", label(),
                    r.err().to_string());
      follower_->on_fetch_answer(cluster::repl_errc::offset_out_of_range, offset{0});
      return false;
    }
    ++status_.appends;
    status_.appended_bytes += records.size() - pos;
    follower_->on_appended(log_->log_end_offset());
    return true;
  }

  // -- upkeep --------------------------------------------------------------------------

  bool delete_data() {
    stop_leading({errc::unknown_topic_or_partition, "topic deleted"});
    stop_following();
    log_.reset(); // no close: nothing of it is kept
    std::error_code ec;
    std::filesystem::remove_all(args_.dir, ec);
    if (ec)
      spdlog::error("partition {}: cannot remove {}: {}", label(), args_.dir.string(), ec.message());
    quit();
    return !ec;
  }

  void tick() {
    if (log_) {
      if (auto st = log_->tick(); !st)
        spdlog::error("partition {}: tick: {}", label(), st.err().to_string());
      if (auto n = log_->apply_retention(); !n)
        spdlog::error("partition {}: retention: {}", label(), n.err().to_string());
      else if (*n > 0)
        spdlog::info("partition {}: retention deleted {} segment(s)", label(), *n);
    }
    if (leader_) {
      leader_->tick(now_ms());
      auto now = clock().now();
      for (auto it = acks_waits_.begin(); it != acks_waits_.end();) {
        if (it->second.deadline > now) {
          ++it;
          continue;
        }
        // Erased first: the answer may not touch the map it is in.
        auto answer = std::move(it->second.answer);
        it = acks_waits_.erase(it);
        answer(to_wire_error(cluster::repl_errc::request_timed_out, label()));
      }
      settle();
    }
    maybe_clean();
    // 0: tests tick by hand.
    if (args_.tick_interval.count() > 0)
      delayed_send(self_handle(), args_.tick_interval, tick_atom_v);
  }

  // -- log compaction (store/log_cleaner.hpp) ------------------------------------------

  // The high watermark in any role, and below it the last stable offset: the cleaner never
  // touches what a consumer cannot read yet, nor an undecided transaction.
  offset uncleanable() const {
    auto hw = leader_ ? leader_->high_watermark() : follower_ ? follower_->high_watermark() : hw_;
    return log_->last_stable_offset(hw);
  }

  // Every log.cleaner.backoff.ms, on a compacted topic: plan a job (a short step: segment
  // sizes and fresh read-only descriptors) and hand it to the node's cleaner; appends and
  // fetches go on while it runs, and its result is swapped in on arrival.
  void maybe_clean() {
    if (!log_ || !args_.cleaner || !log_->config().compacted || cleaning_)
      return;
    auto now = now_ms();
    if (last_clean_check_ms_ >= 0 && now - last_clean_check_ms_ < args_.cleaner->backoff_ms)
      return;
    last_clean_check_ms_ = now;
    auto job = log_->plan_cleaning(uncleanable(), args_.cleaner->map_bytes);
    if (!job) {
      status_.cleaner_error = job.err().to_string();
      spdlog::error("partition {}: cannot plan a cleaning: {}", label(), status_.cleaner_error);
      return;
    }
    if (!*job)
      return;
    cleaning_ = true;
    cleaning_request req{label(), std::make_shared<store::cleaning_job>(std::move(**job))};
    request(args_.cleaner->actor, caf::infinite, clean_atom_v, std::move(req))
      .then([this](cleaning_outcome& out) { on_cleaned(out); },
            [this](caf::error& err) {
              cleaning_ = false;
              status_.cleaner_error = caf::to_string(err);
            });
  }

  void on_cleaned(const cleaning_outcome& out) {
    cleaning_ = false;
    if (!out.result) {
      status_.cleaner_error = out.error;
      return;
    }
    if (!log_) {
      store::remove_cleaned(args_.dir, out.result->swap.bases);
      return;
    }
    if (auto st = log_->install_cleaned(*out.result); !st) {
      // A retention or truncation meanwhile: the next check plans anew.
      status_.cleaner_error = st.err().to_string();
      spdlog::warn("partition {}: cleaning not installed: {}", label(), status_.cleaner_error);
      return;
    }
    status_.cleaner_error.clear();
    auto& s = out.result->stats;
    spdlog::info("partition {}: cleaned offsets [{}, {}): {} of {} records and {} of {} bytes "
                 "removed in {} ms",
                 label(), out.result->swap.replaced_from.value, out.result->swap.replaced_to.value,
                 s.records_removed, s.records_read, s.bytes_read - std::min(s.bytes_read, s.bytes_written),
                 s.bytes_read, s.duration_ms);
  }

  void describe_cleaner() {
    if (!log_->config().compacted)
      return;
    auto& c = log_->cleaner();
    status_.cleaner = cleaning_ ? "cleaning" : "idle";
    status_.dirty_ratio = log_->dirty_ratio(uncleanable());
    status_.first_dirty = c.first_dirty.value;
    status_.cleanings = static_cast<int64_t>(c.cleanings);
    status_.last_clean_ms_ago = c.last_clean_ms < 0 ? -1 : args_.clock() - c.last_clean_ms;
    status_.cleaned_bytes_removed = c.bytes_removed;
    status_.cleaned_records_removed = c.records_removed;
    status_.tombstones_removed = c.tombstones_removed;
  }

  std::string state_line() {
    if (log_) {
      status_.log_start = log_->log_start_offset().value;
      status_.log_end = log_->log_end_offset().value;
      status_.recovery_point = log_->recovery_point().value;
      status_.segments = log_->segment_count();
      status_.size_bytes = log_->size_bytes();
      status_.page_cache_window = log_->page_cache().window();
      status_.page_cache_dropped = log_->page_cache().dropped();
      status_.open_transactions = log_->producers().open_transactions();
      status_.aborted_transactions = log_->producers().aborted().size();
      describe_producers();
      describe_cleaner();
    }
    status_.leader = state_.leader ? state_.leader->value : -1;
    status_.epoch = state_.epoch.value;
    status_.isr.clear();
    for (auto id : state_.isr)
      status_.isr.push_back(id.value);
    status_.follower_ends.clear();
    if (leader_) {
      status_.high_watermark = leader_->high_watermark().value;
      status_.last_stable_offset = log_->last_stable_offset(leader_->high_watermark()).value;
      for (auto& [id, end] : leader_->follower_ends())
        status_.follower_ends[id.value] = end.value;
    } else {
      status_.high_watermark = follower_ ? follower_->high_watermark().value : hw_.value;
    }
    status_.parked_fetches = replica_waits_.size() + consumer_waits_.size();
    status_.acks_waiting = acks_waits_.size();
    return "partition " + label() + " (mailbox " + std::to_string(mailbox().size())
           + "): " + caf::deep_to_string(status_);
  }

  // At most producers_shown of them, the highest ids (the newest, ids being allocated upwards).
  void describe_producers() {
    constexpr size_t producers_shown = 8;
    auto& all = log_->producers().producers();
    status_.producers = all.size();
    status_.producer_snapshot = log_->producer_snapshot().value;
    status_.producer_state.clear();
    for (auto it = all.rbegin(); it != all.rend() && status_.producer_state.size() < producers_shown;
         ++it) {
      auto& e = it->second;
      // A producer known only from markers has no batches.
      auto line = "epoch " + std::to_string(e.epoch.value) + " seq " + std::to_string(e.last_seq());
      if (!e.batches.empty())
        line += " offset " + std::to_string(e.batches.back().last_offset.value);
      if (e.in_transaction())
        line += " txn from " + std::to_string(e.txn_first_offset.value);
      status_.producer_state.emplace(it->first.value, std::move(line));
    }
  }

  schema::replica_status replica_summary() {
    schema::replica_status out;
    out.topic = args_.topic;
    out.partition = args_.partition;
    out.role = status_.role;
    out.leader = state_.leader.value_or(node_id{-1});
    out.epoch = state_.epoch;
    out.replicas = state_.replicas;
    out.isr = state_.isr;
    if (!log_) {
      out.error = "log not open: " + status_.error;
      return out;
    }
    out.log_start = log_->log_start_offset();
    out.log_end = log_->log_end_offset();
    out.high_watermark = leader_ ? leader_->high_watermark()
                                 : follower_ ? follower_->high_watermark() : hw_;
    if (leader_)
      for (auto& f : leader_->progress(now_ms()))
        out.followers.push_back({f.id, f.end, f.lag_records, f.caught_up_ms_ago, f.in_isr});
    return out;
  }

  partition_args args_;
  std::unique_ptr<store::partition_log> log_;
  cluster::partition_replicas state_{{}, std::nullopt, leader_epoch{-1}, {}, cluster::partition_epoch{-1}};
  std::optional<cluster::partition_leader> leader_;
  std::optional<cluster::partition_follower> follower_;
  offset hw_{0}; // the HW last known in any role; a new role starts from it
  waitlist replica_waits_;  // followers' fetches, woken by appends
  waitlist consumer_waits_; // consumers' fetches, woken by HW moving
  waitlist committed_waits_; // read_committed consumers' fetches, woken by the LSO moving
  // Appends above HW, (end offset, bytes), so a HW move tells parked consumers its bytes.
  std::deque<std::pair<offset, int64_t>> pending_bytes_;
  // The same for appends below HW but not below the last stable offset (lso_), and the bytes
  // of entries folded away beyond max_unstable_entries.
  static constexpr size_t max_unstable_entries = 4096;
  std::deque<std::pair<offset, int64_t>> unstable_bytes_;
  int64_t unstable_carry_ = 0;
  offset lso_{0}; // the last stable offset parked read_committed fetches were told of
  std::unordered_map<uint64_t, acks_wait> acks_waits_;
  uint64_t next_wait_ = 0;
  std::optional<cluster::isr_proposal> proposal_; // the last one sent
  uint64_t position_seq_ = 0;
  store::read_result scratch_; // reused by every read
  partition_status status_;
  bool cleaning_ = false;            // a job is with the node's cleaner
  int64_t last_clean_check_ms_ = -1; // the last maybe_clean that looked
};

} // namespace

std::string partition_dir_name(std::string_view topic, partition_id p) {
  return std::string{topic} + "-" + std::to_string(p.value);
}

partition_actor spawn_partition(caf::actor_system& sys, partition_args args) {
  return sys.spawn<partition_impl>(std::move(args));
}

} // namespace sluice::actors

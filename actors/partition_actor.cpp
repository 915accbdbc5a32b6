#include "actors/partition_actor.hpp"

#include "actors/fetch_waitlist.hpp"
#include "actors/inspect_field.hpp"
#include "actors/store_errors.hpp"
#include "store/batch.hpp"
#include "store/partition_log.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

namespace sluice::actors {

namespace {

using schema::errc;
using time_point = caf::actor_clock::time_point;

struct parked_fetch {
  partition_fetch request;
  caf::typed_response_promise<fetch_reply> promise;
  fetch_listener listener; // set when the request asked for progress reports
};

// What `state` shows of a partition: the log's positions and the actor's traffic.
struct partition_status {
  std::string topic;
  int32_t partition = 0;
  int64_t log_start = -1;
  int64_t log_end = -1;
  int64_t recovery_point = -1;
  size_t segments = 0;
  uint64_t size_bytes = 0;
  size_t parked_fetches = 0;
  uint64_t appends = 0;
  uint64_t appended_bytes = 0;
  uint64_t fetches = 0;
  std::string error; // why the log is not open, if it is not
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_status& x) {
  field topic{"topic", x.topic};
  field partition{"partition", x.partition};
  field log_start{"log_start", x.log_start};
  field log_end{"log_end", x.log_end};
  field recovery_point{"recovery_point", x.recovery_point};
  field segments{"segments", x.segments};
  field size_bytes{"size_bytes", x.size_bytes};
  field parked{"parked_fetches", x.parked_fetches};
  field appends{"appends", x.appends};
  field appended{"appended_bytes", x.appended_bytes};
  field fetches{"fetches", x.fetches};
  field error{"error", x.error};
  return f(caf::meta::type_name("partition"), topic, partition, log_start, log_end,
           recovery_point, segments, size_bytes, parked, appends, appended, fetches, error);
}

class partition_impl : public partition_actor::base {
public:
  partition_impl(caf::actor_config& cfg, partition_args args)
    : partition_actor::base(cfg), args_(std::move(args)), waitlist_(args_.max_parked_fetches) {
    status_.topic = args_.topic;
    status_.partition = args_.partition.value;
  }

  const char* name() const override { return "partition"; }

  behavior_type make_behavior() override {
    open_log();
    if (args_.tick_interval.count() > 0)
      delayed_send(self_handle(), args_.tick_interval, tick_atom_v);
    return {
      [this](produce_atom, append_request& req) { return append(req); },
      [this](fetch_atom, partition_fetch& req) -> caf::result<fetch_reply> { return fetch(req); },
      [this](fetch_done_atom, uint64_t id) {
        if (auto e = waitlist_.take(id))
          complete(*e);
      },
      [this](list_offsets_atom, const offsets_query& q) { return list_offsets(q); },
      [this](delete_data_atom) { return delete_data(); },
      [this](state_atom) { return state_line(); },
      [this](tick_atom) { tick(); },
      [this](fetch_expire_atom) { expire(); },
    };
  }

  void on_exit() override {
    for (auto& e : waitlist_.take_all())
      e.payload.promise.deliver(fetch_reply{{errc::not_leader, "partition is shutting down"},
                                            offset{-1}, offset{-1}, {}});
    if (log_)
      if (auto st = log_->close(); !st)
        spdlog::error("partition {}: close failed: {}", label(), st.err().to_string());
    log_.reset();
  }

private:
  using waitlist = fetch_waitlist<parked_fetch>;

  partition_actor self_handle() { return caf::actor_cast<partition_actor>(this); }

  std::string label() const { return partition_dir_name(args_.topic, args_.partition); }

  void open_log() {
    auto l = store::partition_log::open(args_.dir, to_log_config(args_.config), args_.clock);
    if (!l) {
      status_.error = l.err().to_string();
      spdlog::error("partition {}: cannot open its log: {}", label(), status_.error);
      return;
    }
    log_ = std::move(*l);
    for (auto& note : log_->recovery().notes)
      spdlog::warn("partition {}: recovery: {}", label(), note);
  }

  schema::error not_open() const { return {errc::storage_error, "log not open: " + status_.error}; }

  append_reply append(append_request& req) {
    if (!log_)
      return {not_open(), offset{-1}, no_timestamp, offset{-1}};
    // One replica is the whole ISR on a single node.
    if (req.acks == schema::acks::all && args_.config.min_insync_replicas > 1)
      return {{errc::not_enough_replicas,
               "min.insync.replicas is " + std::to_string(args_.config.min_insync_replicas)
                 + " but the partition has 1 in-sync replica"},
              offset{-1}, no_timestamp, log_->log_start_offset()};
    auto r = log_->append(std::span<std::byte>{req.records});
    if (!r)
      return {to_wire_error(r.err()), offset{-1}, no_timestamp, log_->log_start_offset()};
    ++status_.appends;
    auto bytes = static_cast<int64_t>(req.records.size());
    status_.appended_bytes += static_cast<uint64_t>(bytes);
    if (!waitlist_.empty())
      on_appended(bytes);
    return {{}, r->base_offset, no_timestamp, log_->log_start_offset()};
  }

  void on_appended(int64_t bytes) {
    for (auto& e : waitlist_.on_append(bytes))
      complete(e);
    waitlist_.for_each([bytes](const waitlist::entry& e) {
      if (e.payload.listener)
        caf::anon_send(e.payload.listener, fetch_progress_atom_v, e.id, bytes);
    });
  }

  caf::result<fetch_reply> fetch(partition_fetch& req) {
    ++status_.fetches;
    auto reply = read(req);
    auto have = static_cast<int64_t>(reply.records.size());
    if (!reply.error.ok() || have >= req.min_bytes || req.max_wait_ms <= 0 || waitlist_.full())
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
    if (auto at = waitlist_.park(std::move(e)))
      scheduled_send(self_handle(), *at, fetch_expire_atom_v);
    return promise;
  }

  void complete(waitlist::entry& e) { e.payload.promise.deliver(read(e.payload.request)); }

  void expire() {
    std::optional<time_point> rearm;
    for (auto& e : waitlist_.on_timer(home_system().clock().now(), rearm))
      complete(e);
    if (rearm)
      scheduled_send(self_handle(), *rearm, fetch_expire_atom_v);
  }

  // Whole batches from fetch_offset up to max_bytes (at least one batch), across segments.
  // The log reads into one reused buffer; the reply gets its own copy, moved from then on.
  fetch_reply read(const partition_fetch& req) {
    fetch_reply out;
    if (!log_) {
      out.error = not_open();
      return out;
    }
    out.high_watermark = log_->log_end_offset();
    out.log_start_offset = log_->log_start_offset();
    size_t budget = static_cast<size_t>(std::max(req.max_bytes, 1));
    auto from = req.fetch_offset;
    while (from < out.high_watermark) {
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
      out.records.insert(out.records.end(), got.begin(), got.end());
      from = scratch_.next_offset;
      if (out.records.size() >= budget)
        break;
    }
    if (req.fetch_offset > out.high_watermark || req.fetch_offset < out.log_start_offset)
      out.error = {errc::offset_out_of_range,
                   "offset " + std::to_string(req.fetch_offset.value) + " is outside ["
                     + std::to_string(out.log_start_offset.value) + ", "
                     + std::to_string(out.high_watermark.value) + "]"};
    return out;
  }

  offsets_reply list_offsets(const offsets_query& q) {
    if (!log_)
      return {not_open(), offset{-1}, no_timestamp};
    switch (q.query) {
      case schema::offset_query::earliest: return {{}, log_->log_start_offset(), no_timestamp};
      case schema::offset_query::latest: return {{}, log_->log_end_offset(), no_timestamp};
      case schema::offset_query::by_timestamp: break;
    }
    auto found = log_->offset_for_timestamp(q.timestamp);
    if (!found)
      return {to_wire_error(found.err()), offset{-1}, no_timestamp};
    if (*found >= log_->log_end_offset())
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

  bool delete_data() {
    for (auto& e : waitlist_.take_all())
      e.payload.promise.deliver(fetch_reply{{errc::unknown_topic_or_partition, "topic deleted"},
                                            offset{-1}, offset{-1}, {}});
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
    delayed_send(self_handle(), args_.tick_interval, tick_atom_v);
  }

  std::string state_line() {
    if (log_) {
      status_.log_start = log_->log_start_offset().value;
      status_.log_end = log_->log_end_offset().value;
      status_.recovery_point = log_->recovery_point().value;
      status_.segments = log_->segment_count();
      status_.size_bytes = log_->size_bytes();
    }
    status_.parked_fetches = waitlist_.size();
    return "partition " + label() + " (mailbox " + std::to_string(mailbox().size())
           + "): " + caf::deep_to_string(status_);
  }

  partition_args args_;
  std::unique_ptr<store::partition_log> log_;
  waitlist waitlist_;
  store::read_result scratch_; // reused by every read
  partition_status status_;
};

} // namespace

std::string partition_dir_name(std::string_view topic, partition_id p) {
  return std::string{topic} + "-" + std::to_string(p.value);
}

partition_actor spawn_partition(caf::actor_system& sys, partition_args args) {
  return sys.spawn<partition_impl>(std::move(args));
}

} // namespace sluice::actors

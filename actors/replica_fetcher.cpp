#include "actors/replica_fetcher.hpp"

#include "actors/inspect_field.hpp"
#include "schema/cluster.hpp"
#include "schema/fetch.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

namespace sluice::actors {

namespace {

using schema::errc;
using step = follower_position::step;

// After a failed round (the leader's node unreachable, a timeout): wait before the next.
constexpr auto retry_backoff = std::chrono::milliseconds(100);
// Beyond the long poll: how long a round may take, the leader's answer and every partition
// actor's handling of its part together, before the watchdog abandons it.
constexpr auto round_slack = std::chrono::seconds(10);

struct fetcher_status {
  int32_t leader = 0;
  bool linked = false;
  size_t partitions = 0;
  uint64_t rounds = 0;
  uint64_t epoch_queries = 0;
  uint64_t failed_rounds = 0;
  uint64_t abandoned_rounds = 0; // by the watchdog, or when the link to the leader changed
  uint64_t bytes = 0;
  // Where fetch rounds spend their time, summed: from the request to the leader's answer
  // (its long poll included), then from the answer to the last partition's append.
  uint64_t at_leader_us = 0;
  uint64_t appending_us = 0;
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetcher_status& x) {
  field leader{"leader", x.leader};
  field linked{"linked", x.linked};
  field partitions{"partitions", x.partitions};
  field rounds{"rounds", x.rounds};
  field queries{"epoch_queries", x.epoch_queries};
  field failed{"failed_rounds", x.failed_rounds};
  field abandoned{"abandoned_rounds", x.abandoned_rounds};
  field bytes{"bytes", x.bytes};
  field at_leader{"at_leader_us", x.at_leader_us};
  field appending{"appending_us", x.appending_us};
  field last_error{"last_error", x.last_error};
  return f(caf::meta::type_name("replica_fetcher"), leader, linked, partitions, rounds, queries,
           failed, abandoned, bytes, at_leader, appending, last_error);
}

// Rounds and their watchdog. Requests carry no timeout of their own (CAF arms a timer and
// cancels it for each, two wake-ups of its clock thread per request, on every partition of
// every round): a round gets a deadline instead, and one watchdog message at a time
// (tick) checks it. A round past its deadline is abandoned: its number moves on, so answers
// that come later only update positions (newer seq wins) and count for nothing, and the
// next round starts after the backoff. Partition actors answer in mailbox order, so a part
// of an abandoned round that is still queued at a partition is handled before the next
// round's part, which then skips the batches it already appended.
class replica_fetcher_impl : public replica_fetcher_actor::base {
public:
  replica_fetcher_impl(caf::actor_config& cfg, replica_fetcher_args args)
    : replica_fetcher_actor::base(cfg), args_(std::move(args)) {
    status_.leader = args_.leader.value;
  }

  const char* name() const override { return "replica_fetcher"; }

  behavior_type make_behavior() override {
    return {
      [this](follow_atom, follow_entry& e) {
        auto& slot = partitions_[key_of(e)];
        if (slot.actor && slot.actor == e.actor && slot.position.seq > e.position.seq)
          return; // an older position overtaken by a newer one
        if (slot.actor != e.actor)
          slot.busy_round = 0; // a new actor has no part in the round under way
        slot.actor = e.actor;
        slot.position = e.position;
        pump();
      },
      [this](unfollow_atom, follow_entry& e) {
        auto it = partitions_.find(key_of(e));
        if (it != partitions_.end() && it->second.actor == e.actor)
          partitions_.erase(it);
      },
      [this](peers_atom, node_actor& n) {
        bool changed = n != args_.leader_node;
        args_.leader_node = std::move(n);
        // A request sent over the old link may never be answered: do not wait for the
        // watchdog. Only while no part is with a partition actor (see the class comment).
        if (changed && in_round_ && outstanding_ == 0)
          abandon("the link to node " + std::to_string(args_.leader.value) + " changed");
        pump();
      },
      [this](fetch_round_atom) {
        waiting_ = false;
        pump();
      },
      [this](tick_atom) { on_watchdog(); },
      [this](state_atom) { return state(); },
    };
  }

private:
  using key = std::pair<std::string, int32_t>;
  using time_point = caf::actor_clock::time_point;

  struct partition {
    partition_actor actor;
    follower_position position;
    uint64_t busy_round = 0; // its part of that round is with the partition actor; 0: none
  };

  static key key_of(const follow_entry& e) { return {e.topic, e.partition.value}; }
  static uint64_t micros(caf::timespan d) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  }

  replica_fetcher_actor self_handle() { return caf::actor_cast<replica_fetcher_actor>(this); }

  // Starts the next round unless one is under way: epoch queries first (a partition must
  // truncate before it fetches), else one fetch over every partition that fetches.
  void pump() {
    if (in_round_ || waiting_ || !args_.leader_node)
      return;
    schema::offset_for_leader_epoch_request queries{args_.self, {}};
    schema::fetch_request fetch;
    fetch.replica_id = args_.self;
    fetch.max_wait_ms = args_.limits.max_wait_ms;
    fetch.min_bytes = 1;
    fetch.max_bytes = args_.limits.max_bytes;
    for (auto& [k, p] : partitions_) {
      if (p.busy_round != 0)
        continue;
      if (p.position.next == step::query_epoch)
        queries.partitions.push_back({k.first, partition_id{k.second}, p.position.epoch,
                                      p.position.latest_local});
      else if (p.position.next == step::fetch)
        fetch.partitions.push_back({k.first, partition_id{k.second}, p.position.epoch,
                                    p.position.fetch_offset, args_.limits.partition_max_bytes});
    }
    if (!queries.partitions.empty())
      query(std::move(queries));
    else if (!fetch.partitions.empty())
      fetch_from(std::move(fetch));
  }

  // A round begins: a new number, a deadline, and a watchdog if none is pending.
  uint64_t begin_round(caf::timespan budget) {
    in_round_ = true;
    outstanding_ = 0;
    round_began_ = clock().now();
    round_deadline_ = round_began_ + budget;
    answered_ = {};
    if (!watchdog_pending_) {
      watchdog_pending_ = true;
      scheduled_send(self_handle(), round_deadline_, tick_atom_v);
    }
    return ++round_;
  }

  // The watchdog: abandons the round under way if it is past its deadline, else waits for
  // that deadline. None stays pending between rounds.
  void on_watchdog() {
    watchdog_pending_ = false;
    if (!in_round_)
      return;
    if (clock().now() < round_deadline_) {
      watchdog_pending_ = true;
      scheduled_send(self_handle(), round_deadline_, tick_atom_v);
      return;
    }
    abandon("round " + std::to_string(round_) + " not done within "
            + std::to_string(args_.limits.max_wait_ms) + " ms + "
            + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(round_slack).count())
            + " s");
  }

  void abandon(std::string why) {
    ++status_.abandoned_rounds;
    ++round_; // answers of the abandoned round are recognised as late
    for (auto& [_, p] : partitions_)
      p.busy_round = 0;
    failed(std::move(why));
  }

  void query(schema::offset_for_leader_epoch_request req) {
    auto r = begin_round(round_slack);
    ++status_.epoch_queries;
    request(args_.leader_node, caf::infinite, epoch_query_atom_v, encode(req))
      .then(
        [this, r](const schema::envelope& e) {
          if (r != round_)
            return;
          auto res = schema::decode<schema::offset_for_leader_epoch_response>(e);
          if (!res)
            return failed(res.err().to_string());
          std::vector<std::pair<key, replica_data>> parts;
          for (auto& p : res->partitions) {
            replica_data d;
            d.epoch_answer = true;
            d.error = std::move(p.error);
            d.answer_epoch = p.epoch;
            d.end_offset = p.end_offset;
            parts.emplace_back(key{p.topic, p.partition.value}, std::move(d));
          }
          deliver(std::move(parts));
        },
        [this, r](caf::error& err) {
          if (r == round_)
            failed(to_string(err));
        });
  }

  void fetch_from(schema::fetch_request req) {
    auto r = begin_round(std::chrono::milliseconds{req.max_wait_ms} + round_slack);
    ++status_.rounds;
    request(args_.leader_node, caf::infinite, fetch_atom_v, encode(req))
      .then(
        [this, r](schema::envelope& e) {
          if (r != round_)
            return;
          answered_ = clock().now();
          status_.at_leader_us += micros(answered_ - round_began_);
          auto res = schema::decode_view(std::move(e));
          if (!res)
            return failed(res.err().to_string());
          std::vector<std::pair<key, replica_data>> parts;
          for (auto& p : res->partitions) {
            replica_data d;
            d.error = std::move(p.error);
            d.high_watermark = p.high_watermark;
            d.log_start_offset = p.log_start_offset;
            status_.bytes += p.records.size();
            d.owner = res->owner;
            d.records = p.records;
            parts.emplace_back(key{p.topic, p.partition.value}, std::move(d));
          }
          deliver(std::move(parts));
        },
        [this, r](caf::error& err) {
          if (r == round_)
            failed(to_string(err));
        });
  }

  // Hands each partition its part; the round ends when all of them answered. An actor that
  // died answers with an error (CAF bounces what it had not handled); one that never answers
  // leaves the round to the watchdog.
  // A round that brought only errors (the leader has not heard of its election yet, or no
  // longer leads) is followed by a backoff rather than asked again at once.
  void deliver(std::vector<std::pair<key, replica_data>> parts) {
    backoff_after_round_ = !parts.empty() && std::all_of(parts.begin(), parts.end(), [](auto& p) {
      return !p.second.error.ok();
    });
    if (backoff_after_round_)
      status_.last_error = parts.front().second.error.to_string();
    auto r = round_;
    for (auto& [k, d] : parts) {
      auto it = partitions_.find(k);
      if (it == partitions_.end())
        continue;
      auto& p = it->second;
      d.epoch = p.position.epoch;
      p.busy_round = r;
      ++outstanding_;
      auto actor = p.actor;
      auto done = [this, r, k, actor](std::optional<follower_position> pos) {
        auto it = partitions_.find(k);
        if (it != partitions_.end() && it->second.actor == actor) {
          if (it->second.busy_round == r)
            it->second.busy_round = 0;
          if (pos && pos->seq > it->second.position.seq)
            it->second.position = *pos;
        }
        if (r == round_ && --outstanding_ == 0)
          end_round();
      };
      request(actor, caf::infinite, replica_data_atom_v, std::move(d))
        .then([done](follower_position& pos) { done(pos); },
              [done](caf::error&) { done(std::nullopt); });
    }
    if (outstanding_ == 0)
      end_round();
  }

  void end_round() {
    in_round_ = false;
    if (answered_ != time_point{})
      status_.appending_us += micros(clock().now() - answered_);
    if (backoff_after_round_) {
      waiting_ = true;
      delayed_send(self_handle(), retry_backoff, fetch_round_atom_v);
      return;
    }
    pump();
  }

  void failed(std::string why) {
    ++status_.failed_rounds;
    if (status_.last_error != why)
      spdlog::warn("replica fetcher {} <- {}: {}", args_.self.value, args_.leader.value, why);
    status_.last_error = std::move(why);
    in_round_ = false;
    outstanding_ = 0;
    waiting_ = true;
    delayed_send(self_handle(), retry_backoff, fetch_round_atom_v);
  }

  caf::result<std::string> state() {
    status_.linked = static_cast<bool>(args_.leader_node);
    status_.partitions = partitions_.size();
    return "replica_fetcher from node " + std::to_string(args_.leader.value) + " (mailbox "
           + std::to_string(mailbox().size()) + "): " + caf::deep_to_string(status_);
  }

  replica_fetcher_args args_;
  std::map<key, partition> partitions_;
  bool in_round_ = false;
  uint64_t round_ = 0;       // the number of the latest round begun (or abandoned)
  size_t outstanding_ = 0;   // parts of round_ still with partition actors
  time_point round_began_{};
  time_point answered_{}; // when the round's fetch was answered; unset for epoch queries
  time_point round_deadline_{};
  bool watchdog_pending_ = false;
  bool waiting_ = false; // a backoff before the next round
  bool backoff_after_round_ = false;
  fetcher_status status_;
};

} // namespace

replica_fetcher_actor spawn_replica_fetcher(caf::actor_system& sys, replica_fetcher_args args) {
  return sys.spawn<replica_fetcher_impl>(std::move(args));
}

} // namespace sluice::actors

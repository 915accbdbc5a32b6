#include "actors/group_coordinator.hpp"

#include "actors/group_membership.hpp"
#include "actors/group_refusal.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <spdlog/spdlog.h>

#include <map>

namespace sluice::actors {

namespace {

using schema::encode;
using schema::errc;
using schema::envelope;

constexpr auto persist_timeout = std::chrono::seconds(30);

schema::error to_wire(group_errc e, const std::string& group) {
  switch (e) {
    case group_errc::none: return {};
    case group_errc::unknown_member_id:
      return {errc::unknown_member_id, "group '" + group + "' does not know this member: rejoin"};
    case group_errc::illegal_generation:
      return {errc::illegal_generation, "group '" + group + "' moved to a newer generation: rejoin"};
    case group_errc::rebalance_in_progress:
      return {errc::rebalance_in_progress, "group '" + group + "' is rebalancing: rejoin"};
    case group_errc::fenced_instance_id:
      return {errc::fenced_instance_id,
              "group '" + group + "': another member holds this group.instance.id"};
    case group_errc::inconsistent_group_protocol:
      return {errc::inconsistent_group_protocol,
              "group '" + group + "': no assignor shared with the members (range, roundrobin, "
                                  "cooperative-sticky)"};
    case group_errc::coordinator_not_available:
      return {errc::coordinator_not_available, "group '" + group + "' is not available"};
    case group_errc::non_empty_group:
      return {errc::non_empty_group, "group '" + group + "' has members"};
  }
  return {errc::unknown_server_error, "group '" + group + "': unexpected error"};
}

std::vector<schema::group_partition> to_wire(const std::vector<topic_partition_ref>& v) {
  std::vector<schema::group_partition> out;
  out.reserve(v.size());
  for (auto& tp : v)
    out.push_back({tp.topic, tp.partition});
  return out;
}

std::vector<topic_partition_ref> from_wire(const std::vector<schema::group_partition>& v) {
  std::vector<topic_partition_ref> out;
  out.reserve(v.size());
  for (auto& tp : v)
    out.push_back({tp.topic, tp.partition});
  return out;
}

struct coordinator_status {
  std::string group;
  int32_t partition = 0;
  group_status membership;
  size_t committed_partitions = 0;
  size_t pending_joins = 0;
  size_t persisting = 0;
  uint64_t commits = 0;
  uint64_t txn_commits = 0; // transactions' offsets written at their commit
  uint64_t fenced = 0; // requests refused for an unknown member, old generation or fencing
  uint64_t expired_offsets = 0; // removed by offsets.retention
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coordinator_status& x) {
  field group{"group", x.group};
  field partition{"offsets_partition", x.partition};
  field committed{"committed_partitions", x.committed_partitions};
  field pending{"pending_joins", x.pending_joins};
  field persisting{"persisting", x.persisting};
  field commits{"commits", x.commits};
  field txn_commits{"txn_commits", x.txn_commits};
  field fenced{"fenced", x.fenced};
  field expired{"expired_offsets", x.expired_offsets};
  return f(caf::meta::type_name("coordinator"), group, partition, x.membership, committed,
           pending, persisting, commits, txn_commits, fenced, expired);
}

class coordinator_impl : public group_coordinator_actor::base {
public:
  coordinator_impl(caf::actor_config& cfg, coordinator_args args)
    : group_coordinator_actor::base(cfg), args_(std::move(args)),
      membership_(args_.counts, args_.member_id_prefix,
                  args_.metadata ? args_.metadata->generation : generation_id{0}) {
    for (auto& r : args_.offsets)
      if (r.value)
        offsets_[{r.topic, r.partition}] = *r.value;
    args_.offsets.clear();
    stored_generation_ = args_.metadata ? args_.metadata->generation : no_generation;
    status_.group = args_.group;
    status_.partition = args_.partition.value;
  }

  const char* name() const override { return "group_coordinator"; }

  behavior_type make_behavior() override {
    // Loaded or created without members: empty from now on, as far as this incarnation knows
    // (the log keeps no state timestamp, so a restart only ever delays expiry).
    empty_since_ms_ = now_ms();
    next_expiry_check_ms_ = empty_since_ms_ + args_.limits.offsets_retention_check_ms;
    if (args_.tick_interval.count() > 0)
      delayed_send(this, args_.tick_interval, tick_atom_v);
    return {
      [this](join_group_atom, const schema::join_group_request& r) { return join(r); },
      [this](sync_group_atom, const schema::sync_group_request& r) { return sync(r); },
      [this](heartbeat_atom, const schema::heartbeat_request& r) { return heartbeat(r); },
      [this](leave_group_atom, const schema::leave_group_request& r) { return leave(r); },
      [this](offset_commit_atom, const schema::offset_commit_request& r) { return commit(r); },
      [this](offset_fetch_atom, const schema::offset_fetch_request& r) { return fetch(r); },
      [this](write_txn_offsets_atom, const schema::txn_offset_commit_request& r) {
        return commit_txn_offsets(r);
      },
      [this](describe_groups_atom) { return describe(); },
      [this](list_groups_atom) { return listing(); },
      [this](partition_counts_atom, partition_count_update& u) {
        if (membership_.set_partition_counts(std::move(u.counts), now_ms()))
          spdlog::info("group {}: a subscribed topic changed its partition count; rebalancing",
                       args_.group);
      },
      [this](retire_atom) {
        // Anything that revives the group (a join, a commit) arrives before this in the
        // mailbox or after the manager dropped this coordinator, never both.
        if (!dead() || expiring_ || status_.persisting > 0)
          return false;
        quit();
        return true;
      },
      [this](tick_atom) {
        deliver(membership_.tick(now_ms()));
        expire_offsets(now_ms());
        if (args_.tick_interval.count() > 0)
          delayed_send(this, args_.tick_interval, tick_atom_v);
      },
      [this](state_atom) {
        status_.membership = membership_.status();
        status_.committed_partitions = offsets_.size();
        status_.pending_joins = pending_joins_.size();
        return "group_coordinator " + args_.group + " (mailbox "
               + std::to_string(mailbox().size()) + "): " + caf::deep_to_string(status_);
      },
    };
  }

  void on_exit() override {
    for (auto& [id, rp] : pending_joins_)
      rp.deliver(encode(schema::join_group_response{
        {errc::coordinator_not_available, "the coordinator of group '" + args_.group + "' stopped"},
        no_generation, {}, {}, id, {}}));
    pending_joins_.clear();
  }

private:
  int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock().now().time_since_epoch())
      .count();
  }

  schema::error fence(group_errc e) {
    if (e != group_errc::none)
      ++status_.fenced;
    return to_wire(e, args_.group);
  }

  // -- membership ----------------------------------------------------------------------------

  caf::result<envelope> join(const schema::join_group_request& r) {
    auto refuse = [&](schema::error e) { return refusal(r, std::move(e)); };
    if (r.session_timeout_ms < args_.limits.min_session_timeout_ms
        || r.session_timeout_ms > args_.limits.max_session_timeout_ms)
      return refuse({errc::invalid_session_timeout,
                     "session.timeout.ms must be in [" + std::to_string(args_.limits.min_session_timeout_ms)
                       + ", " + std::to_string(args_.limits.max_session_timeout_ms) + "], not "
                       + std::to_string(r.session_timeout_ms)});
    if (r.protocol_type != "consumer")
      return refuse({errc::inconsistent_group_protocol,
                     "protocol type must be 'consumer', not '" + r.protocol_type + "'"});
    if (r.group_instance_id && r.group_instance_id->empty())
      return refuse({errc::invalid_request, "group.instance.id must not be empty"});
    join_request req{r.member_id, r.group_instance_id, r.protocols, r.topics, from_wire(r.owned),
                     r.session_timeout_ms, std::max(r.rebalance_timeout_ms, r.session_timeout_ms)};
    auto result = membership_.join(req, now_ms());
    if (result.error != group_errc::none)
      return refuse(fence(result.error));
    // A newer join of the same member supersedes a parked one (group_membership.hpp).
    if (auto old = pending_joins_.find(result.member_id); old != pending_joins_.end()) {
      old->second.deliver(refuse({errc::rebalance_in_progress, "superseded by a newer join"}));
      pending_joins_.erase(old);
    }
    auto rp = make_response_promise<envelope>();
    pending_joins_.emplace(result.member_id, rp);
    deliver(std::move(result.effects));
    return rp;
  }

  // Answers completed joins and persists a new generation (so a coordinator that takes over
  // continues above it).
  void deliver(group_effects fx) {
    for (auto& j : fx.joins) {
      auto it = pending_joins_.find(j.member_id);
      if (it == pending_joins_.end())
        continue;
      it->second.deliver(encode(schema::join_group_response{fence(j.error), j.generation,
                                                            j.protocol, j.leader_id, j.member_id,
                                                            j.members}));
      pending_joins_.erase(it);
    }
    if (membership_.generation() != stored_generation_ && membership_.generation() != removed_at_) {
      stored_generation_ = membership_.generation();
      persist({group_metadata_record{args_.group, group_metadata_value{stored_generation_,
                                                                        membership_.protocol()}}},
              [](const schema::error&) {});
    }
  }

  envelope sync(const schema::sync_group_request& r) {
    auto& m = r.member;
    auto s = membership_.sync(m.member_id, m.generation, now_ms(), m.group_instance_id);
    return encode(schema::sync_group_response{fence(s.error), to_wire(s.assignment)});
  }

  envelope heartbeat(const schema::heartbeat_request& r) {
    auto& m = r.member;
    auto e = membership_.heartbeat(m.member_id, m.generation, now_ms(), m.group_instance_id);
    return encode(schema::heartbeat_response{fence(e)});
  }

  envelope leave(const schema::leave_group_request& r) {
    auto result = membership_.leave(r.member_id, now_ms());
    auto err = fence(result.error);
    deliver(std::move(result.effects));
    return encode(schema::leave_group_response{std::move(err)});
  }

  // -- committed offsets ---------------------------------------------------------------------

  caf::result<envelope> commit(const schema::offset_commit_request& r) {
    ++status_.commits;
    auto& m = r.member;
    if (auto err = fence(membership_.validate_commit(m.member_id, m.generation, m.group_instance_id));
        !err.ok())
      return refusal(r, std::move(err));
    schema::offset_commit_response out;
    std::vector<offsets_record> records;
    auto commit_time = timestamp_ms{now_ms()};
    for (auto& p : r.partitions) {
      auto& res = out.partitions.emplace_back(
        schema::offset_commit_response::partition{p.topic, p.partition, {}});
      auto count = membership_.counts().find(p.topic);
      if (count == membership_.counts().end() || p.partition.value < 0
          || p.partition.value >= count->second)
        res.error = {errc::unknown_topic_or_partition,
                     "no partition " + p.topic + "-" + std::to_string(p.partition.value)};
      else if (p.committed.value < 0)
        res.error = {errc::invalid_request, "a committed offset cannot be negative"};
      else
        records.push_back(offset_commit_record{args_.group, p.topic, p.partition,
                                               committed_offset{p.committed, p.epoch, commit_time,
                                                                p.metadata}});
    }
    if (records.empty())
      return encode(out);
    // An admin commit may create the group: give it a metadata record so it is listed.
    if (stored_generation_ == no_generation) {
      stored_generation_ = membership_.generation();
      records.push_back(group_metadata_record{args_.group,
                                              group_metadata_value{stored_generation_, {}}});
    }
    auto rp = make_response_promise<envelope>();
    auto shared = std::make_shared<schema::offset_commit_response>(std::move(out));
    persist(records, [this, rp, shared, records](const schema::error& e) mutable {
      for (auto& p : shared->partitions)
        if (p.error.ok())
          p.error = e;
      if (e.ok())
        for (auto& rec : records)
          if (auto* c = std::get_if<offset_commit_record>(&rec))
            offsets_[{c->topic, c->partition}] = *c->value;
      rp.deliver(encode(*shared));
    });
    return rp;
  }

  // A committed transaction's offsets (actors/txn_manager.hpp): the transaction coordinator
  // checked the producer, and the commit decision is durable, so no member or generation check
  // applies (KIP-98: the offsets become visible at the commit marker whatever the group does).
  caf::result<envelope> commit_txn_offsets(const schema::txn_offset_commit_request& r) {
    ++status_.txn_commits;
    std::vector<offsets_record> records;
    auto commit_time = timestamp_ms{now_ms()};
    for (auto& o : r.offsets)
      records.push_back(offset_commit_record{args_.group, o.topic, o.partition,
                                             committed_offset{o.off, o.epoch, commit_time, o.metadata}});
    if (records.empty())
      return encode(schema::txn_offset_commit_response{});
    if (stored_generation_ == no_generation) {
      stored_generation_ = membership_.generation();
      records.push_back(group_metadata_record{args_.group,
                                              group_metadata_value{stored_generation_, {}}});
    }
    auto rp = make_response_promise<envelope>();
    persist(records, [this, rp, records](const schema::error& e) mutable {
      if (e.ok())
        for (auto& rec : records)
          if (auto* c = std::get_if<offset_commit_record>(&rec))
            offsets_[{c->topic, c->partition}] = *c->value;
      rp.deliver(encode(schema::txn_offset_commit_response{e}));
    });
    return rp;
  }

  bool has_members() const {
    return !membership_.member_ids().empty() || !pending_joins_.empty();
  }

  // Removed from listings: no members, no offsets, nothing stored (expired, or never written).
  bool dead() const { return !has_members() && offsets_.empty() && stored_generation_ == no_generation; }

  std::string state_name() const { return dead() ? "dead" : to_string(membership_.state()); }

  // KIP-211's offset expiry, checked every offsets_retention_check_ms: while the group has no
  // members, an offset goes once the retention has passed since both the group became empty
  // and the offset was committed. With its last offset, or once empty with none at all, the
  // group goes too (a tombstone of its metadata, as Kafka's group moving to Dead).
  void expire_offsets(int64_t now) {
    if (has_members()) {
      empty_since_ms_ = -1;
      return;
    }
    if (empty_since_ms_ < 0)
      empty_since_ms_ = now;
    if (now < next_expiry_check_ms_ || expiring_)
      return;
    next_expiry_check_ms_ = now + args_.limits.offsets_retention_check_ms;
    std::vector<std::pair<offset_key, committed_offset>> expired;
    for (auto& [tp, c] : offsets_)
      if (std::max(empty_since_ms_, c.commit_time.value) + args_.limits.offsets_retention_ms <= now)
        expired.emplace_back(tp, c);
    bool whole_group = expired.size() == offsets_.size() && stored_generation_ != no_generation;
    if (expired.empty() && !whole_group)
      return;
    std::vector<offsets_record> records;
    for (auto& [tp, _] : expired)
      records.push_back(offset_commit_record{args_.group, tp.first, tp.second, std::nullopt});
    if (whole_group) {
      records.push_back(group_metadata_record{args_.group, std::nullopt});
      // A commit or a new generation, even while the tombstone is on its way, stores the group
      // again, after it; the generation it had does not.
      stored_generation_ = no_generation;
      removed_at_ = membership_.generation();
    }
    expiring_ = true;
    persist(std::move(records), [this, expired = std::move(expired), whole_group](const schema::error& e) {
      expiring_ = false;
      if (!e.ok())
        return; // tried again at the next check
      // Only what no commit replaced meanwhile.
      for (auto& [tp, c] : expired)
        if (auto it = offsets_.find(tp); it != offsets_.end() && it->second == c)
          offsets_.erase(it);
      status_.expired_offsets += expired.size();
      spdlog::info("group {}: {} committed offset(s) expired (offsets.retention){}", args_.group,
                   expired.size(), whole_group ? "; the group is removed" : "");
      // Nothing left to keep in memory either: the manager stops this coordinator (retire).
      if (dead())
        send(args_.persister, group_dead_atom_v, args_.group);
    });
  }

  template <class Done>
  void persist(std::vector<offsets_record> records, Done done) {
    ++status_.persisting;
    request(args_.persister, persist_timeout, persist_atom_v,
            persist_request{args_.partition, std::move(records)})
      .then(
        [this, done](persist_reply& r) mutable {
          auto& e = r.error;
          --status_.persisting;
          if (!e.ok())
            spdlog::warn("group {}: persisting failed: {}", args_.group, e.to_string());
          done(e);
        },
        [this, done](caf::error& e) mutable {
          --status_.persisting;
          schema::error err{errc::coordinator_not_available,
                            "group '" + args_.group + "': the offsets log did not answer: "
                              + to_string(e)};
          spdlog::warn("{}", err.message);
          done(err);
        });
  }

  envelope fetch(const schema::offset_fetch_request& r) {
    schema::offset_fetch_response out;
    auto add = [&](const std::string& topic, partition_id p) {
      auto& res = out.partitions.emplace_back();
      res.topic = topic;
      res.partition = p;
      if (auto it = offsets_.find({topic, p}); it != offsets_.end()) {
        res.committed = it->second.committed;
        res.epoch = it->second.epoch;
        res.metadata = it->second.metadata;
      }
    };
    if (r.partitions.empty())
      for (auto& [tp, _] : offsets_)
        add(tp.first, tp.second);
    for (auto& p : r.partitions)
      add(p.topic, p.partition);
    return encode(out);
  }

  // -- administration ------------------------------------------------------------------------

  schema::describe_groups_response::group describe() {
    schema::describe_groups_response::group out;
    out.group_id = args_.group;
    out.state = state_name();
    out.protocol_type = "consumer";
    out.protocol = membership_.protocol();
    out.generation = membership_.generation();
    out.leader = membership_.leader();
    auto& assignment = membership_.current_assignment();
    for (auto& id : membership_.member_ids()) {
      auto it = assignment.find(id);
      out.members.push_back({id, membership_.instance_of(id),
                             it == assignment.end() ? std::vector<schema::group_partition>{}
                                                    : to_wire(it->second)});
    }
    return out;
  }

  schema::list_groups_response::group listing() {
    return {args_.group, "consumer", state_name(),
            static_cast<int32_t>(membership_.member_ids().size())};
  }

  coordinator_args args_;
  group_membership membership_;
  using offset_key = std::pair<std::string, partition_id>;
  std::map<offset_key, committed_offset> offsets_;
  std::map<std::string, caf::typed_response_promise<envelope>> pending_joins_;
  generation_id stored_generation_ = no_generation;
  generation_id removed_at_ = no_generation; // the generation the group had when removed
  int64_t empty_since_ms_ = -1; // when the group was last seen without members; -1: it has some
  int64_t next_expiry_check_ms_ = 0;
  bool expiring_ = false; // tombstones of expired offsets on their way to the log
  coordinator_status status_;
};

} // namespace

group_coordinator_actor spawn_group_coordinator(caf::actor_system& sys, coordinator_args args) {
  return sys.spawn<coordinator_impl>(std::move(args));
}

} // namespace sluice::actors

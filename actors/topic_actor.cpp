#include "actors/topic_actor.hpp"

#include "actors/fan_in.hpp"
#include "actors/inspect_field.hpp"
#include "actors/partition_actor.hpp"
#include "actors/state_gather.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace sluice::actors {

namespace {

using schema::errc;

constexpr auto remove_timeout = std::chrono::seconds(60);

struct topic_status {
  topic_spec spec;
  std::vector<int> restarts; // per partition
  bool deleting = false;
  std::vector<int32_t> removing; // replicas moved off this node whose data is being deleted
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topic_status& x) {
  field restarts{"restarts", x.restarts};
  field deleting{"deleting", x.deleting};
  field removing{"removing", x.removing};
  return f(caf::meta::type_name("topic"), x.spec, restarts, deleting, removing);
}

class topic_impl : public topic_actor::base {
public:
  topic_impl(caf::actor_config& cfg, topic_args args)
    : topic_actor::base(cfg), args_(std::move(args)) {
    status_.spec = args_.spec;
    auto effective = effective_config(args_.defaults, args_.spec.configs);
    config_ = effective ? *effective : args_.defaults;
  }

  const char* name() const override { return "topic"; }

  behavior_type make_behavior() override {
    set_down_handler([this](caf::down_msg& dm) { on_down(dm); });
    grow(status_.spec.partitions);
    return {
      [this](produce_atom, partition_id p, append_request& req) -> caf::result<append_reply> {
        if (auto* a = find(p))
          return delegate(*a, produce_atom_v, std::move(req));
        return append_reply{unavailable(p), offset{-1}, no_timestamp, offset{-1}};
      },
      [this](write_txn_markers_atom, partition_id p, txn_marker m) -> caf::result<txn_marker_reply> {
        if (auto* a = find(p))
          return delegate(*a, write_txn_markers_atom_v, m);
        return txn_marker_reply{unavailable(p), offset{-1}};
      },
      [this](fetch_atom, partition_id p, partition_fetch& req) -> caf::result<fetch_reply> {
        if (auto* a = find(p))
          return delegate(*a, fetch_atom_v, std::move(req));
        return fetch_reply{unavailable(p), offset{-1}, offset{-1}, {}};
      },
      [this](fetch_done_atom, partition_id p, uint64_t id) {
        if (auto* a = find(p))
          caf::anon_send(*a, fetch_done_atom_v, id);
      },
      [this](list_offsets_atom, partition_id p, offsets_query q) -> caf::result<offsets_reply> {
        if (auto* a = find(p))
          return delegate(*a, list_offsets_atom_v, q);
        return offsets_reply{unavailable(p), offset{-1}, no_timestamp};
      },
      [this](epoch_query_atom, partition_id p, epoch_query q) -> caf::result<epoch_reply> {
        if (auto* a = find(p))
          return delegate(*a, epoch_query_atom_v, q);
        return epoch_reply{unavailable(p), leader_epoch{-1}, offset{-1}};
      },
      [this](partition_states_atom, partition_states& s) {
        states_ = std::move(s.partitions);
        for (size_t i = 0; i < states_.size() && i < partitions_.size(); ++i)
          if (partitions_[i])
            send(partitions_[i], partition_states_atom_v, states_[i]);
        remove_leaving();
      },
      [this](topic_update_atom, topic_spec& spec) {
        if (spec.configs != status_.spec.configs)
          spdlog::warn("topic {}: config changes apply when the node restarts", spec.name);
        args_.spec.replicas = spec.replicas;
        status_.spec.replicas = spec.replicas;
        rehost();
        grow(spec.partitions);
        status_.spec.partitions = spec.partitions;
      },
      [this](delete_data_atom) { return delete_data(); },
      [this](state_atom) { return state(); },
      [this](inspect_atom) { return replica_summaries(); },
      [this](lookup_atom, partition_id p) {
        auto* a = find(p);
        return a ? *a : partition_actor{};
      },
    };
  }

  void on_exit() override {
    for (auto& p : partitions_)
      if (p)
        send_exit(p, caf::exit_reason::user_shutdown);
    partitions_.clear();
    removing_.clear(); // they quit on their own once their data is gone
    args_.cleaner.reset(); // see partition_actor's on_exit
  }

private:
  bool in_range(partition_id p) const {
    return p.value >= 0 && static_cast<size_t>(p.value) < partitions_.size() && !status_.deleting;
  }

  bool given_up(partition_id p) const {
    return status_.restarts[static_cast<size_t>(p.value)] > args_.max_restarts;
  }

  // The live actor of `p`, or nullptr when out of range, given up or not hosted here.
  partition_actor* find(partition_id p) {
    if (!in_range(p) || given_up(p) || !partitions_[static_cast<size_t>(p.value)])
      return nullptr;
    return &partitions_[static_cast<size_t>(p.value)];
  }

  // Cluster mode: whether this node holds a replica of `p`.
  bool hosted(partition_id p) const {
    if (!args_.replication)
      return true;
    auto i = static_cast<size_t>(p.value);
    if (i >= args_.spec.replicas.size())
      return false;
    auto& r = args_.spec.replicas[i];
    return std::find(r.begin(), r.end(), args_.replication->self) != r.end();
  }

  schema::error unavailable(partition_id p) const {
    if (in_range(p) && !partitions_[static_cast<size_t>(p.value)])
      return {errc::not_leader, "node " + std::to_string(args_.replication->self.value)
                                  + " holds no replica of "
                                  + partition_dir_name(args_.spec.name, p)};
    if (in_range(p))
      return {errc::storage_error, "partition " + partition_dir_name(args_.spec.name, p)
                                     + " kept crashing and is offline"};
    return {errc::unknown_topic_or_partition,
            "topic '" + args_.spec.name + "' has no partition " + std::to_string(p.value) + " (it has "
              + std::to_string(partitions_.size()) + ")"};
  }

  void grow(int32_t count) {
    while (partitions_.size() < static_cast<size_t>(count)) {
      partition_id p{static_cast<int32_t>(partitions_.size())};
      if (!hosted(p))
        remove_stray(p);
      partitions_.push_back(hosted(p) ? spawn_one(p) : partition_actor{});
      status_.restarts.push_back(0);
    }
  }

  // Cluster mode, after the assignment changed (a reassignment, issue 7): a replica moved to
  // this node starts (a follower: the states say so), one moved off it stops and its data is
  // deleted. A replica that comes back while its old data is still being deleted starts once
  // the deletion is done (both would use the same directory).
  //
  // A replica moved off this node may still lead: it first hears the partition states of the
  // same change (the controller publishes them right after the topic update), so that it steps
  // down and its waiting producers and consumers hear not_leader (and go to the new leader),
  // not that the partition is gone; then its data is deleted (remove_leaving).
  void rehost() {
    if (status_.deleting)
      return;
    for (size_t i = 0; i < partitions_.size(); ++i) {
      partition_id p{static_cast<int32_t>(i)};
      if (hosted(p)) {
        leaving_.erase(i); // moved back before it left
        if (!partitions_[i] && !removing_.contains(i)) {
          spdlog::info("topic {}: partition {} moved to this node", args_.spec.name, p.value);
          status_.restarts[i] = 0;
          partitions_[i] = spawn_one(p);
        }
      } else if (partitions_[i]) {
        leaving_.insert(i);
      }
    }
  }

  // After a partition states message: the replicas moved off this node heard it; they go.
  void remove_leaving() {
    for (auto i : std::exchange(leaving_, {}))
      if (i < partitions_.size() && partitions_[i] && !hosted(partition_id{static_cast<int32_t>(i)})
          && !status_.deleting) {
        spdlog::info("topic {}: partition {} moved off this node; deleting its data",
                     args_.spec.name, i);
        remove_replica(i);
      }
  }

  void remove_replica(size_t i) {
    auto a = std::exchange(partitions_[i], partition_actor{});
    demonitor(a.address()); // it quits once its data is gone: no restart
    removing_.emplace(i, a);
    status_.removing.push_back(static_cast<int32_t>(i));
    auto done = [this, i](bool ok) {
      if (!ok)
        spdlog::error("topic {}: partition {}: some data of the moved replica was not deleted",
                      args_.spec.name, i);
      removing_.erase(i);
      std::erase(status_.removing, static_cast<int32_t>(i));
      rehost(); // back here in the meantime
    };
    request(a, remove_timeout, delete_data_atom_v)
      .then([done](bool ok) { done(ok); }, [done](caf::error&) { done(false); });
  }

  // A partition whose assignment leaves out this node but whose directory exists: its move off
  // this node was cut short by a crash before the data was gone.
  void remove_stray(partition_id p) {
    auto dir = args_.topics_dir / partition_dir_name(args_.spec.name, p);
    std::error_code ec;
    if (!args_.replication || static_cast<size_t>(p.value) >= args_.spec.replicas.size()
        || !std::filesystem::exists(dir, ec))
      return;
    spdlog::warn("topic {}: removing {}: this node holds no replica of it", args_.spec.name,
                 dir.string());
    std::filesystem::remove_all(dir, ec);
    if (ec)
      spdlog::error("topic {}: cannot remove {}: {}", args_.spec.name, dir.string(), ec.message());
  }

  partition_actor spawn_one(partition_id p) {
    partition_args pa{args_.spec.name,     p,
                      args_.topics_dir / partition_dir_name(args_.spec.name, p),
                      config_,             args_.tick_interval,
                      args_.max_parked_fetches, args_.clock,
                      args_.replication,       args_.cleaner};
    auto a = spawn_partition(home_system(), std::move(pa));
    monitor(a);
    if (auto i = static_cast<size_t>(p.value); i < states_.size())
      send(a, partition_states_atom_v, states_[i]);
    return a;
  }

  void on_down(const caf::down_msg& dm) {
    if (status_.deleting)
      return;
    for (size_t i = 0; i < partitions_.size(); ++i) {
      if (partitions_[i].address() != dm.source)
        continue;
      auto label = partition_dir_name(args_.spec.name, partition_id{static_cast<int32_t>(i)});
      if (++status_.restarts[i] > args_.max_restarts) {
        spdlog::error("partition {} died ({}) and was restarted {} times; giving up", label,
                      to_string(dm.reason), args_.max_restarts);
        return;
      }
      spdlog::warn("partition {} died ({}); restarting it from its log", label,
                   to_string(dm.reason));
      partitions_[i] = spawn_one(partition_id{static_cast<int32_t>(i)});
      return;
    }
  }

  caf::result<bool> delete_data() {
    status_.deleting = true;
    std::erase_if(partitions_, [](auto& p) { return !p; }); // not hosted here
    if (partitions_.empty()) {
      quit();
      return true;
    }
    auto rp = make_response_promise<bool>();
    struct gather {
      size_t outstanding;
      bool ok = true;
    };
    auto g = std::make_shared<gather>(gather{partitions_.size()});
    for (auto& p : partitions_) {
      auto done = [this, g, rp](bool ok) mutable {
        g->ok = g->ok && ok;
        if (--g->outstanding == 0) {
          rp.deliver(g->ok);
          quit();
        }
      };
      request(p, std::chrono::seconds(60), delete_data_atom_v)
        .then([done](bool ok) mutable { done(ok); },
              [done](caf::error&) mutable { done(false); });
    }
    return rp;
  }

  caf::result<std::string> state() {
    auto line = "topic " + args_.spec.name + " (mailbox " + std::to_string(mailbox().size())
                + "): " + caf::deep_to_string(status_);
    std::vector<state_child> children;
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (partitions_[i])
        children.push_back(child(partitions_[i], "partition " + std::to_string(i)));
    return gather_states(this, std::move(line), std::move(children));
  }

  caf::result<std::vector<schema::replica_status>> replica_summaries() {
    std::vector<partition_actor> hosted;
    std::vector<partition_id> ids;
    for (size_t i = 0; i < partitions_.size(); ++i)
      if (partitions_[i]) {
        hosted.push_back(partitions_[i]);
        ids.emplace_back(static_cast<int32_t>(i));
      }
    auto rp = make_response_promise<std::vector<schema::replica_status>>();
    auto done = [rp, ids, topic = args_.spec.name](std::vector<caf::expected<schema::replica_status>> in) mutable {
      std::vector<schema::replica_status> out;
      for (size_t i = 0; i < in.size(); ++i) {
        if (in[i]) {
          out.push_back(std::move(*in[i]));
          continue;
        }
        schema::replica_status missing;
        missing.topic = topic;
        missing.partition = ids[i];
        missing.error = "did not answer: " + to_string(in[i].error());
        out.push_back(std::move(missing));
      }
      rp.deliver(std::move(out));
    };
    fan_in<schema::replica_status>(this, hosted, inspect_leaf_timeout, std::move(done), inspect_atom_v);
    return rp;
  }

  topic_args args_;
  topic_config config_;
  std::vector<partition_actor> partitions_; // invalid: not hosted on this node
  std::set<size_t> leaving_;                   // moved off this node, until the states follow
  std::map<size_t, partition_actor> removing_; // moved off this node, deleting their data
  std::vector<cluster::partition_replicas> states_;
  topic_status status_;
};

} // namespace

topic_actor spawn_topic(caf::actor_system& sys, topic_args args) {
  return sys.spawn<topic_impl>(std::move(args));
}

} // namespace sluice::actors

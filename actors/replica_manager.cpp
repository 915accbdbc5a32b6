#include "actors/replica_manager.hpp"

#include "actors/inspect_field.hpp"
#include "actors/replica_fetcher.hpp"
#include "actors/state_gather.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>
#include <utility>

namespace sluice::actors {

namespace {

struct manager_status {
  int32_t self = 0;
  size_t fetchers = 0;
  size_t partitions = 0;
  std::vector<int32_t> linked; // leader brokers whose node actor we have
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, manager_status& x) {
  field self{"self", x.self};
  field fetchers{"fetchers", x.fetchers};
  field partitions{"partitions", x.partitions};
  field linked{"linked", x.linked};
  return f(caf::meta::type_name("replica_manager"), self, fetchers, partitions, linked);
}

class replica_manager_impl : public replica_manager_actor::base {
public:
  replica_manager_impl(caf::actor_config& cfg, replica_manager_args args)
    : replica_manager_actor::base(cfg), args_(args) {
    status_.self = args_.self.value;
  }

  const char* name() const override { return "replica_manager"; }

  behavior_type make_behavior() override {
    return {
      [this](follow_atom, follow_entry& e) { follow(std::move(e)); },
      [this](unfollow_atom, follow_entry& e) {
        auto it = following_.find(key_of(e));
        if (it == following_.end() || it->second.second != e.actor)
          return;
        if (auto f = fetchers_.find(it->second.first); f != fetchers_.end())
          send(f->second, unfollow_atom_v, std::move(e));
        following_.erase(it);
      },
      [this](peers_atom, controller_peers& peers) {
        nodes_ = std::move(peers.nodes);
        for (auto& [leader, fetcher] : fetchers_) {
          auto n = nodes_.find(leader);
          send(fetcher, peers_atom_v, n == nodes_.end() ? node_actor{} : n->second);
        }
      },
      [this](state_atom) { return state(); },
    };
  }

  void on_exit() override {
    for (auto& [_, f] : fetchers_)
      send_exit(f, caf::exit_reason::user_shutdown);
    fetchers_.clear();
  }

private:
  using key = std::pair<std::string, int32_t>;

  static key key_of(const follow_entry& e) { return {e.topic, e.partition.value}; }

  void follow(follow_entry e) {
    auto k = key_of(e);
    if (auto it = following_.find(k); it != following_.end() && it->second.first != e.leader)
      if (auto f = fetchers_.find(it->second.first); f != fetchers_.end())
        send(f->second, unfollow_atom_v, e);
    following_.insert_or_assign(k, std::make_pair(e.leader, e.actor));
    send(fetcher_for(e.leader), follow_atom_v, std::move(e));
  }

  replica_fetcher_actor fetcher_for(node_id leader) {
    if (auto it = fetchers_.find(leader); it != fetchers_.end())
      return it->second;
    auto n = nodes_.find(leader);
    auto f = spawn_replica_fetcher(
      home_system(),
      replica_fetcher_args{args_.self, leader, n == nodes_.end() ? node_actor{} : n->second, args_});
    fetchers_.emplace(leader, f);
    return f;
  }

  caf::result<std::string> state() {
    status_.fetchers = fetchers_.size();
    status_.partitions = following_.size();
    status_.linked.clear();
    for (auto& [id, _] : nodes_)
      status_.linked.push_back(id.value);
    auto line = "replica_manager (mailbox " + std::to_string(mailbox().size())
                + "): " + caf::deep_to_string(status_);
    std::vector<state_child> children;
    for (auto& [leader, f] : fetchers_)
      children.push_back(child(f, "fetcher from node " + std::to_string(leader.value)));
    return gather_states(this, std::move(line), std::move(children));
  }

  replica_manager_args args_;
  std::map<node_id, node_actor> nodes_;
  std::map<node_id, replica_fetcher_actor> fetchers_;
  std::map<key, std::pair<node_id, partition_actor>> following_; // -> (leader, actor)
  manager_status status_;
};

} // namespace

replica_manager_actor spawn_replica_manager(caf::actor_system& sys, replica_manager_args args) {
  return sys.spawn<replica_manager_impl>(args);
}

} // namespace sluice::actors

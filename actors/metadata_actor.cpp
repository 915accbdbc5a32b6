#include "actors/metadata_actor.hpp"

#include "actors/inspect_field.hpp"
#include "actors/metadata_answers.hpp"
#include "actors/metadata_store.hpp"
#include "actors/producer_id_block.hpp"
#include "schema/cluster.hpp"
#include "schema/configs.hpp"
#include "schema/error_response.hpp"
#include "schema/producer_id.hpp"
#include "schema/topics.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/sec.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

namespace sluice::actors {

namespace {

using schema::envelope;
using schema::errc;

struct metadata_status {
  size_t topics = 0;
  size_t subscribers = 0;
  uint64_t changes = 0; // committed since start
  std::string error;    // why the store is not open, if it is not
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metadata_status& x) {
  field topics{"topics", x.topics};
  field subscribers{"subscribers", x.subscribers};
  field changes{"changes", x.changes};
  field error{"error", x.error};
  return f(caf::meta::type_name("metadata"), topics, subscribers, changes, error);
}

// Decodes a request envelope and answers it with `handle`, or with an error_response when it
// does not decode.
template <class Request, class Handle>
envelope answer(const envelope& e, Handle&& handle) {
  auto req = schema::decode<Request>(e);
  if (!req)
    return encode(schema::error_response{req.err()});
  return encode(handle(*req));
}

class metadata_impl : public metadata_actor::base {
public:
  metadata_impl(caf::actor_config& cfg, metadata_args args)
    : metadata_actor::base(cfg), args_(std::move(args)), table_(args_.defaults, args_.limits) {}

  const char* name() const override { return "metadata"; }

  behavior_type make_behavior() override {
    open_store();
    set_down_handler([this](caf::down_msg& dm) {
      std::erase_if(subscribers_, [&](auto& s) { return s.address() == dm.source; });
    });
    return {
      [this](metadata_atom, const envelope& e) {
        return answer<schema::metadata_request>(e, [this](auto& r) { return metadata(r); });
      },
      [this](create_topics_atom, const envelope& e) {
        return answer<schema::create_topics_request>(e, [this](auto& r) { return create(r); });
      },
      [this](create_internal_atom, const envelope& e) {
        return answer<schema::create_topics_request>(e, [this](auto& r) { return create(r, true); });
      },
      [this](delete_topics_atom, const envelope& e) {
        return answer<schema::delete_topics_request>(e, [this](auto& r) { return remove(r); });
      },
      [this](list_topics_atom, const envelope& e) {
        return answer<schema::list_topics_request>(e, [this](auto& r) { return list(r); });
      },
      [this](create_partitions_atom, const envelope& e) {
        return answer<schema::create_partitions_request>(e, [this](auto& r) { return grow(r); });
      },
      [this](describe_configs_atom, const envelope& e) {
        return answer<schema::describe_configs_request>(e, [this](auto& r) { return configs(r); });
      },
      [this](allocate_producer_ids_atom, const envelope& e) {
        return answer<schema::allocate_producer_ids_request>(e, [this](auto&) {
          return allocate_producer_ids();
        });
      },
      [this](subscribe_atom, topic_listener& l) -> caf::result<std::vector<topic_spec>> {
        if (!store_)
          return caf::make_error(caf::sec::runtime_error, status_.error);
        monitor(l);
        subscribers_.push_back(l);
        std::vector<topic_spec> out;
        for (auto& [_, spec] : table_.topics())
          out.push_back(spec);
        return out;
      },
      [this](state_atom) {
        status_.topics = table_.topics().size();
        status_.subscribers = subscribers_.size();
        return "metadata controller (mailbox " + std::to_string(mailbox().size())
               + "): " + caf::deep_to_string(status_);
      },
      // Cluster requests reach a single node only by mistake (a client or a controller
      // configured with the wrong address).
      [](cluster::raft_atom, const envelope&) {},
      [](peers_atom, const controller_peers&) {},
      [](broker_heartbeat_atom, const envelope&) {
        return encode(schema::broker_heartbeat_response{not_a_cluster(), -1, false, node_id{-1}});
      },
      [](cluster_status_atom, const envelope&) {
        schema::cluster_status_response out;
        out.error = not_a_cluster();
        return encode(out);
      },
      [](controller_write_atom, const envelope&, bool) {
        return caf::result<envelope, int64_t>{encode(schema::error_response{not_a_cluster()}), int64_t{0}};
      },
      [](read_index_atom) -> caf::result<int64_t> {
        return caf::make_error(caf::sec::runtime_error, not_a_cluster().message);
      },
      [](alter_partition_atom, const envelope&) {
        schema::alter_partition_response out;
        out.error = not_a_cluster();
        return encode(out);
      },
      [](reassign_partitions_atom, const envelope& e) {
        schema::reassign_partitions_response out;
        if (auto req = schema::decode<schema::reassign_partitions_request>(e))
          for (auto& p : req->partitions)
            out.partitions.push_back({p.topic, p.partition, not_a_cluster(), {}, {}, {}});
        return encode(out);
      },
      [](elect_leaders_atom, const envelope&) {
        schema::elect_leaders_response out;
        out.error = not_a_cluster();
        return encode(out);
      },
      [](decommission_broker_atom, const envelope&) {
        schema::decommission_broker_response out;
        out.error = not_a_cluster();
        return encode(out);
      },
    };
  }

  // LMDB allows one handle per environment and process: a restarted metadata actor must not
  // wait for this object's last reference to go.
  void on_exit() override {
    store_.reset();
    subscribers_.clear();
  }

private:
  void open_store() {
    auto s = metadata_store::open(args_.dir);
    if (!s) {
      status_.error = s.err().to_string();
      spdlog::error("metadata: {}", status_.error);
      return;
    }
    auto topics = (*s)->load();
    if (!topics) {
      status_.error = topics.err().to_string();
      spdlog::error("metadata: {}", status_.error);
      return;
    }
    for (auto& t : *topics)
      table_.apply_put(std::move(t));
    store_ = std::move(*s);
  }

  static schema::error not_a_cluster() {
    return {errc::not_controller, "this node runs alone (no --controllers): no cluster requests"};
  }

  schema::error not_open() const { return {errc::storage_error, status_.error}; }

  // Commit, apply, tell the subscribers: in that order, so a subscriber never hears of a
  // change that a restart would forget.
  schema::status commit_put(topic_spec spec) {
    if (!store_)
      return not_open();
    if (auto st = store_->put(spec); !st)
      return st;
    table_.apply_put(spec);
    ++status_.changes;
    for (auto& s : subscribers_)
      caf::anon_send(s, topic_update_atom_v, spec);
    return {};
  }

  schema::status commit_delete(const std::string& name) {
    if (!store_)
      return not_open();
    if (auto st = store_->erase(name); !st)
      return st;
    table_.apply_delete(name);
    ++status_.changes;
    for (auto& s : subscribers_)
      caf::anon_send(s, topic_deleted_atom_v, name);
    return {};
  }

  schema::create_topics_response create(const schema::create_topics_request& req,
                                       bool internal = false) {
    schema::create_topics_response out;
    for (auto& t : req.topics) {
      auto spec = table_.check_create(t, internal);
      schema::status st = spec ? schema::status{} : schema::status{spec.err()};
      if (spec && !req.validate_only)
        st = commit_put(std::move(*spec));
      if (st)
        spdlog::info("metadata: {} topic '{}'", req.validate_only ? "validated" : "created", t.name);
      out.topics.push_back({t.name, st ? schema::error{} : st.err()});
    }
    return out;
  }

  schema::delete_topics_response remove(const schema::delete_topics_request& req) {
    schema::delete_topics_response out;
    for (auto& name : req.names) {
      auto st = table_.check_delete(name);
      if (st)
        st = commit_delete(name);
      if (st)
        spdlog::info("metadata: deleted topic '{}'", name);
      out.topics.push_back({name, st ? schema::error{} : st.err()});
    }
    return out;
  }

  schema::create_partitions_response grow(const schema::create_partitions_request& req) {
    schema::create_partitions_response out;
    for (auto& t : req.topics) {
      auto spec = table_.check_add_partitions(t.name, t.new_total);
      auto st = spec ? commit_put(std::move(*spec)) : schema::status{spec.err()};
      if (st)
        spdlog::info("metadata: topic '{}' now has {} partitions", t.name, t.new_total);
      out.topics.push_back({t.name, st ? schema::error{} : st.err()});
    }
    return out;
  }

  schema::list_topics_response list(const schema::list_topics_request& req) const {
    auto out = answer_list_topics(table_, req);
    if (!store_)
      out.error = not_open();
    return out;
  }

  // The one broker leads every partition.
  schema::metadata_response metadata(const schema::metadata_request& req) const {
    auto self = args_.self.id;
    return answer_metadata(table_, req, {args_.self}, self, [self](const topic_spec&, int32_t p) {
      return schema::metadata_response::partition_metadata{{}, partition_id{p}, self, leader_epoch{0},
                                                           {self}, {self}, {}, {}};
    });
  }

  schema::allocate_producer_ids_response allocate_producer_ids() {
    if (!store_)
      return {not_open(), no_producer_id, 0};
    auto first = store_->allocate_producer_ids(producer_id_block_size);
    if (!first)
      return {first.err(), no_producer_id, 0};
    ++status_.changes;
    return {{}, *first, producer_id_block_size};
  }

  schema::describe_configs_response configs(const schema::describe_configs_request& req) const {
    return answer_describe_configs(table_, req);
  }

  metadata_args args_;
  topic_table table_;
  std::unique_ptr<metadata_store> store_;
  std::vector<topic_listener> subscribers_;
  metadata_status status_;
};

} // namespace

metadata_actor spawn_metadata(caf::actor_system& sys, metadata_args args) {
  return sys.spawn<metadata_impl>(std::move(args));
}

} // namespace sluice::actors

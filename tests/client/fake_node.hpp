#pragma once

// A node in miniature for client tests: a typed actor implementing actors::node_actor in the
// test's own actor system (no ports), with in-memory partition logs. Produce assigns offsets
// the way a leader does (rewrites the batch's base offset), fetch returns whole batches from
// a position, list offsets answers log start and end. Faults are injected through the shared
// state: refuse the next N produce requests with a code, answer with an error_response.
//
// Several fake nodes on one state stand for a cluster whose brokers share perfectly
// replicated logs (tests/client/failover_test.cpp): each answers produce, fetch and list
// offsets only for the partitions the state says it leads, not_leader for the others, and
// metadata from the state's brokers and leaders. One fake node alone is broker 1 and leads
// everything.

#include "actors/node_interface.hpp"
#include "schema/configs.hpp"
#include "schema/error_response.hpp"
#include "filter/batch_filter.hpp"
#include "schema/fetch.hpp"
#include "schema/inspect.hpp"
#include "schema/metadata.hpp"
#include "schema/offsets.hpp"
#include "schema/produce.hpp"
#include "schema/producer_id.hpp"
#include "schema/topics.hpp"
#include "schema/txn.hpp"
#include "schema/type_ids.hpp"
#include "client/connection.hpp"
#include "store/batch.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::test {

struct fake_log {
  offset log_start{0};
  offset log_end{0};
  std::vector<std::vector<std::byte>> batches; // in offset order, base offsets assigned
};

struct fake_state {
  std::mutex mtx;
  std::map<std::string, std::vector<fake_log>> topics;
  int produce_requests = 0;
  std::vector<int> batches_per_request;
  int fail_next_produces = 0; // answered with `fail_code` on every partition
  // The answer to a failed produce waits until the next produce request has been appended:
  // a client with several requests in flight then sees later batches land first, whatever
  // the scheduling of its threads.
  bool hold_failure_until_next_produce = false;
  // Idempotence: ids handed out from here, and the header of every batch of every produce
  // attempt, refused or not (what the producer stamped), in arrival order.
  int64_t next_producer_id = 1000;
  int init_producer_id_requests = 0;
  std::vector<store::batch_header> attempts;
  schema::errc fail_code = schema::errc::not_leader;
  bool answer_error_response = false;
  // A transaction coordinator in miniature (off unless `coordinator` is set): InitProducerId
  // with a transactional id bumps txn_epoch, and every transactional request and produce of a
  // transactional batch is logged in txn_events ("init E", "add t/0", "offsets g", "end
  // commit", "produce t/0"), in arrival order. The next N requests of a kind can be refused.
  bool coordinator = false;
  int16_t txn_epoch = -1;
  std::vector<std::string> txn_events;
  int refuse_next_adds = 0;
  schema::errc refuse_add_code = schema::errc::concurrent_transactions;
  int refuse_next_ends = 0;
  // The coordinator removed the id (transactional.id.expiration.ms): every request but
  // InitProducerId, which registers it again, is answered transactional_id_not_found.
  bool txn_id_expired = false;
  // The cluster: brokers listed in metadata, and partition leaders (absent: broker 1; -1: none).
  std::vector<schema::metadata_response::broker> brokers{{node_id{1}, "127.0.0.1", 9292, ""}};
  std::map<std::pair<std::string, int>, int> leaders;
  std::map<int, int> produce_requests_at; // by node id
  std::map<int, int> fetch_requests_at;
  int metadata_requests = 0;
  // A leader's high watermark behind the log end, as right after an election: fetches past it
  // answer offset_out_of_range (as real nodes do), with it as the high watermark.
  std::map<std::pair<std::string, int>, int64_t> lagging_hw;
  // Transactions: what a leader lists for read_committed fetches (the fake computes no last
  // stable offset: a test writes markers itself with append_batch), and the isolation level
  // of every fetch, in arrival order.
  std::map<std::pair<std::string, int>, std::vector<schema::fetch_response::aborted_transaction>>
    aborted;
  std::vector<schema::isolation_level> fetch_isolations;

  // Under mtx.
  int leader_of(const std::string& topic, int partition) const {
    auto i = leaders.find({topic, partition});
    return i == leaders.end() ? 1 : i->second;
  }

  void set_leader(const std::string& topic, int partition, int leader) {
    std::lock_guard lock{mtx};
    leaders[{topic, partition}] = leader;
  }

  void add_topic(const std::string& name, int partitions) {
    std::lock_guard lock{mtx};
    topics[name].resize(static_cast<size_t>(partitions));
  }

  // Appends a batch as a leader would (its base offset assigned), whatever it holds: control
  // batches included, which no client sends.
  offset append_batch(const std::string& topic, int partition, std::vector<std::byte> batch) {
    std::lock_guard lock{mtx};
    auto& log = topics.at(topic).at(static_cast<size_t>(partition));
    auto h = store::decode_header(batch);
    auto base = log.log_end;
    store::set_base_offset(batch, base);
    log.log_end = log.log_end + (h->last_offset_delta + 1);
    log.batches.push_back(std::move(batch));
    return base;
  }

  size_t records_in(const std::string& topic, int partition) {
    std::lock_guard lock{mtx};
    auto& log = topics.at(topic).at(static_cast<size_t>(partition));
    return static_cast<size_t>(log.log_end - log.log_start);
  }
};

class fake_node : public actors::node_actor::base {
public:
  fake_node(caf::actor_config& cfg, std::shared_ptr<fake_state> st, node_id self = node_id{1})
    : actors::node_actor::base(cfg), st_(std::move(st)), self_(self) {}

  behavior_type make_behavior() override {
    using schema::envelope;
    return {
      [this](produce_atom, const envelope& e) -> caf::result<envelope> {
        bool hold = false;
        auto reply = produce(e, hold);
        if (held_) { // the request after a held failure has been appended: release it
          held_->deliver(std::move(held_reply_));
          held_.reset();
        }
        if (hold) {
          held_ = make_response_promise<envelope>();
          held_reply_ = std::move(reply);
          return *held_;
        }
        return reply;
      },
      [this](fetch_atom, const envelope& e) -> envelope { return fetch(e); },
      [this](metadata_atom, const envelope& e) -> envelope { return metadata(e); },
      [this](create_topics_atom, const envelope& e) -> envelope { return create_topics(e); },
      [this](delete_topics_atom, const envelope& e) -> envelope { return delete_topics(e); },
      [this](list_topics_atom, const envelope&) -> envelope { return list_topics(); },
      [this](list_offsets_atom, const envelope& e) -> envelope { return list_offsets(e); },
      [this](create_partitions_atom, const envelope& e) -> envelope { return create_partitions(e); },
      [this](describe_configs_atom, const envelope& e) -> envelope { return describe_configs(e); },
      [](inspect_atom, const std::string& filter) -> std::string { return "fake node; filter=" + filter; },
      [this](inspect_atom, const envelope& e) -> envelope { return inspect(e); },
      [this](init_producer_id_atom, const envelope& e) -> envelope {
        std::lock_guard lock{st_->mtx};
        ++st_->init_producer_id_requests;
        if (auto r = schema::decode<schema::init_producer_id_request>(e);
            r && !r->transactional_id.empty()) {
          if (!st_->coordinator)
            return no_transactions();
          st_->txn_id_expired = false;
          st_->txn_events.push_back("init " + std::to_string(++st_->txn_epoch));
          return encode(schema::init_producer_id_response{{}, producer_id{7}, producer_epoch{st_->txn_epoch}});
        }
        return encode(schema::init_producer_id_response{{}, producer_id{st_->next_producer_id++},
                                                        producer_epoch{0}});
      },
      // Markers come from transaction coordinators, which client tests do not run.
      [this](write_txn_markers_atom, const envelope&) -> envelope {
        return refuse({schema::errc::invalid_request, "the fake node writes no markers"});
      },
      // Group tests run against a real node (tests/actors/group_*_test.cpp, integration).
      [](join_group_atom, const envelope&) -> envelope { return no_groups(); },
      [](sync_group_atom, const envelope&) -> envelope { return no_groups(); },
      [](heartbeat_atom, const envelope&) -> envelope { return no_groups(); },
      [](leave_group_atom, const envelope&) -> envelope { return no_groups(); },
      [](offset_commit_atom, const envelope&) -> envelope { return no_groups(); },
      [](offset_fetch_atom, const envelope&) -> envelope { return no_groups(); },
      [](list_groups_atom, const envelope&) -> envelope { return no_groups(); },
      [](describe_groups_atom, const envelope&) -> envelope { return no_groups(); },
      [](write_txn_offsets_atom, const envelope&) -> envelope { return no_groups(); },
      // Share groups run against real nodes (tests/actors/share_manager_test.cpp, integration).
      [](share_state_write_atom, const envelope&) -> envelope { return no_groups(); },
      [](share_state_read_atom, const envelope&) -> envelope { return no_groups(); },
      [](share_fetch_atom, const envelope&) -> envelope { return no_groups(); },
      [](share_ack_atom, const envelope&) -> envelope { return no_groups(); },
      // Transaction coordinator tests run against a real node (tests/actors/txn_manager_test.cpp).
      [this](add_partitions_to_txn_atom, const envelope& e) -> envelope {
        auto r = schema::decode<schema::add_partitions_to_txn_request>(e);
        std::lock_guard lock{st_->mtx};
        if (!st_->coordinator || !r)
          return no_transactions();
        if (auto err = txn_check(r->epoch); !err.ok())
          return encode(schema::add_partitions_to_txn_response{err});
        if (st_->refuse_next_adds > 0) {
          --st_->refuse_next_adds;
          return encode(schema::add_partitions_to_txn_response{{st_->refuse_add_code, "injected"}});
        }
        for (auto& p : r->partitions)
          st_->txn_events.push_back("add " + p.topic + "/" + std::to_string(p.partition.value));
        return encode(schema::add_partitions_to_txn_response{});
      },
      [this](txn_offset_commit_atom, const envelope& e) -> envelope {
        auto r = schema::decode<schema::txn_offset_commit_request>(e);
        std::lock_guard lock{st_->mtx};
        if (!st_->coordinator || !r)
          return no_transactions();
        if (auto err = txn_check(r->epoch); !err.ok())
          return encode(schema::txn_offset_commit_response{err});
        st_->txn_events.push_back("offsets " + r->group);
        return encode(schema::txn_offset_commit_response{});
      },
      [this](end_txn_atom, const envelope& e) -> envelope {
        auto r = schema::decode<schema::end_txn_request>(e);
        std::lock_guard lock{st_->mtx};
        if (!st_->coordinator || !r)
          return no_transactions();
        if (auto err = txn_check(r->epoch); !err.ok())
          return encode(schema::end_txn_response{err});
        if (st_->refuse_next_ends > 0) {
          --st_->refuse_next_ends;
          return encode(schema::end_txn_response{{schema::errc::coordinator_not_available, "injected"}});
        }
        st_->txn_events.push_back(r->commit ? "end commit" : "end abort");
        return encode(schema::end_txn_response{});
      },
      [](list_transactions_atom, const envelope&) -> envelope { return no_transactions(); },
      [](describe_transactions_atom, const envelope&) -> envelope { return no_transactions(); },
      // Cluster requests: a fake single node, like the real one without --controllers.
      [](broker_heartbeat_atom, const envelope&) -> envelope { return not_a_cluster(); },
      [](cluster_status_atom, const envelope&) -> envelope { return not_a_cluster(); },
      [](cluster::raft_atom, const envelope&) {},
      [](controller_write_atom, const envelope&, bool) {
        return caf::result<envelope, int64_t>{not_a_cluster(), int64_t{0}};
      },
      [](read_index_atom) -> caf::result<int64_t> { return caf::sec::runtime_error; },
      [](epoch_query_atom, const envelope&) { return not_a_cluster(); },
      [](reassign_partitions_atom, const envelope&) { return not_a_cluster(); },
      [](elect_leaders_atom, const envelope&) { return not_a_cluster(); },
      [](decommission_broker_atom, const envelope&) { return not_a_cluster(); },
    };
  }

private:
  static schema::envelope refuse(const schema::error& e) { return encode(schema::error_response{e}); }
  static schema::envelope not_a_cluster() {
    return refuse({schema::errc::not_controller, "fake node: no cluster"});
  }
  // Under st_->mtx: an older epoch than the coordinator's latest is fenced.
  schema::error txn_check(producer_epoch epoch) const {
    if (st_->txn_id_expired)
      return {schema::errc::transactional_id_not_found, "fake coordinator: the id expired"};
    if (epoch.value != st_->txn_epoch)
      return {schema::errc::invalid_producer_epoch, "fake coordinator: epoch "
                                                      + std::to_string(epoch.value) + " is fenced"};
    return {};
  }
  static schema::envelope no_transactions() {
    return refuse({schema::errc::coordinator_not_available, "the fake node has no transactions"});
  }
  static schema::envelope no_groups() {
    return refuse({schema::errc::coordinator_not_available, "the fake node has no groups"});
  }

  // Under st_->mtx: not_leader unless this node leads the partition.
  bool leads(const std::string& topic, int partition, schema::error& e) const {
    if (st_->leader_of(topic, partition) == self_.value)
      return true;
    e = {schema::errc::not_leader, "fake node " + std::to_string(self_.value) + " does not lead it"};
    return false;
  }

  // `hold`: the answer is the injected failure, to be held (hold_failure_until_next_produce).
  schema::envelope produce(const schema::envelope& e, bool& hold) {
    auto req = schema::decode<schema::produce_request>(e);
    if (!req)
      return refuse(req.err());
    std::lock_guard lock{st_->mtx};
    ++st_->produce_requests;
    ++st_->produce_requests_at[self_.value];
    st_->batches_per_request.push_back(static_cast<int>(req->partitions.size()));
    if (st_->answer_error_response)
      return refuse({schema::errc::corrupt_message, "injected"});
    schema::produce_response out;
    for (auto& p : req->partitions)
      if (auto h = store::decode_header(p.records)) {
        st_->attempts.push_back(*h);
        if (h->attributes & store::batch_format::attr_transactional)
          st_->txn_events.push_back("produce " + p.topic + "/" + std::to_string(p.partition.value));
      }
    bool fail = st_->fail_next_produces > 0;
    if (fail)
      --st_->fail_next_produces;
    hold = fail && st_->hold_failure_until_next_produce;
    for (auto& p : req->partitions) {
      schema::produce_response::partition_response r{p.topic, p.partition, {}, offset{-1}, no_timestamp, offset{0}};
      auto t = st_->topics.find(p.topic);
      if (fail) {
        r.error = {st_->fail_code, "injected"};
      } else if (t == st_->topics.end() || p.partition.value >= static_cast<int>(t->second.size())) {
        r.error = {schema::errc::unknown_topic_or_partition, ""};
      } else if (!leads(p.topic, p.partition.value, r.error)) {
        // refused
      } else {
        auto& log = t->second[static_cast<size_t>(p.partition.value)];
        auto h = store::validate_batch(p.records);
        if (!h) {
          r.error = {schema::errc::corrupt_message, h.err().to_string()};
        } else {
          r.base_offset = log.log_end;
          store::set_base_offset(p.records, log.log_end);
          log.log_end = log.log_end + (h->last_offset_delta + 1);
          log.batches.push_back(std::move(p.records));
          if (req->acks == schema::acks::none)
            r.base_offset = offset{-1};
        }
      }
      out.partitions.push_back(std::move(r));
    }
    return encode(out);
  }

  schema::envelope fetch(const schema::envelope& e) {
    auto req = schema::decode<schema::fetch_request>(e);
    if (!req)
      return refuse(req.err());
    std::lock_guard lock{st_->mtx};
    ++st_->fetch_requests_at[self_.value];
    st_->fetch_isolations.push_back(req->isolation);
    schema::fetch_response out;
    for (auto& p : req->partitions) {
      schema::fetch_response::partition_response r;
      r.topic = p.topic;
      r.partition = p.partition;
      auto t = st_->topics.find(p.topic);
      if (t == st_->topics.end() || p.partition.value >= static_cast<int>(t->second.size())) {
        r.error = {schema::errc::unknown_topic_or_partition, ""};
      } else if (!leads(p.topic, p.partition.value, r.error)) {
        // refused
      } else {
        auto& log = t->second[static_cast<size_t>(p.partition.value)];
        r.high_watermark = log.log_end;
        if (auto lag = st_->lagging_hw.find({p.topic, p.partition.value}); lag != st_->lagging_hw.end())
          r.high_watermark = offset{lag->second};
        r.log_start_offset = log.log_start;
        if (p.fetch_offset < log.log_start || p.fetch_offset > r.high_watermark) {
          r.error = {schema::errc::offset_out_of_range, ""};
        } else {
          for (auto& b : log.batches) {
            auto h = store::decode_header(b);
            if (h->last_offset() < p.fetch_offset)
              continue;
            if (!r.records.empty() && r.records.size() + b.size() > static_cast<size_t>(p.max_bytes))
              break;
            r.records.insert(r.records.end(), b.begin(), b.end());
          }
          if (!req->filter.empty()) { // as the partition leader does (filter/batch_filter.hpp)
            auto f = filter::parse_filter(req->filter);
            if (!f)
              return refuse({schema::errc::invalid_request, f.err().message});
            store::byte_buffer all;
            all.swap(r.records);
            auto scan = filter::filter_batches(all, p.fetch_offset, *f, r.records);
            if (scan && scan->next > p.fetch_offset)
              r.next_fetch_offset = scan->next;
          }
          if (req->isolation == schema::isolation_level::read_committed)
            if (auto a = st_->aborted.find({p.topic, p.partition.value}); a != st_->aborted.end())
              r.aborted_transactions = a->second;
        }
      }
      out.partitions.push_back(std::move(r));
    }
    return encode(out);
  }

  schema::envelope metadata(const schema::envelope& e) {
    auto req = schema::decode<schema::metadata_request>(e);
    if (!req)
      return refuse(req.err());
    std::lock_guard lock{st_->mtx};
    ++st_->metadata_requests;
    schema::metadata_response out;
    out.brokers = st_->brokers;
    out.controller_id = node_id{1};
    auto add = [&](const std::string& name) {
      schema::metadata_response::topic_metadata tm;
      tm.name = name;
      auto t = st_->topics.find(name);
      if (t == st_->topics.end()) {
        tm.error = {schema::errc::unknown_topic_or_partition, ""};
      } else {
        for (int32_t i = 0; i < static_cast<int32_t>(t->second.size()); ++i) {
          // Field by field: GCC 12 -O2 warns (falsely) about the error inside a braced init.
          auto& pm = tm.partitions.emplace_back();
          pm.partition = partition_id{i};
          pm.leader = node_id{st_->leader_of(name, i)};
          pm.epoch = leader_epoch{0};
          pm.replicas = {pm.leader};
          pm.isr = {pm.leader};
          if (pm.leader.value < 0)
            pm.error = {schema::errc::leader_not_available, "no leader"};
        }
      }
      out.topics.push_back(std::move(tm));
    };
    if (req->all_topics)
      for (auto& [name, logs] : st_->topics)
        add(name);
    else
      for (auto& name : req->topics)
        add(name);
    return encode(out);
  }

  schema::envelope create_topics(const schema::envelope& e) {
    auto req = schema::decode<schema::create_topics_request>(e);
    if (!req)
      return refuse(req.err());
    std::lock_guard lock{st_->mtx};
    schema::create_topics_response out;
    for (auto& t : req->topics) {
      schema::topic_result r{t.name, {}};
      if (st_->topics.count(t.name))
        r.error = {schema::errc::topic_already_exists, ""};
      else if (t.partitions < 1)
        r.error = {schema::errc::invalid_partitions, "at least 1"};
      else
        st_->topics[t.name].resize(static_cast<size_t>(t.partitions));
      out.topics.push_back(std::move(r));
    }
    return encode(out);
  }

  schema::envelope delete_topics(const schema::envelope& e) {
    auto req = schema::decode<schema::delete_topics_request>(e);
    if (!req)
      return refuse(req.err());
    std::lock_guard lock{st_->mtx};
    schema::delete_topics_response out;
    for (auto& n : req->names) {
      schema::topic_result r{n, {}};
      if (!st_->topics.erase(n))
        r.error = {schema::errc::unknown_topic_or_partition, ""};
      out.topics.push_back(std::move(r));
    }
    return encode(out);
  }

  schema::envelope list_topics() {
    std::lock_guard lock{st_->mtx};
    schema::list_topics_response out;
    for (auto& [name, logs] : st_->topics)
      out.topics.push_back({name, static_cast<int32_t>(logs.size()), 1, false});
    return encode(out);
  }

  schema::envelope list_offsets(const schema::envelope& e) {
    auto req = schema::decode<schema::list_offsets_request>(e);
    if (!req)
      return refuse(req.err());
    std::lock_guard lock{st_->mtx};
    schema::list_offsets_response out;
    for (auto& q : req->partitions) {
      schema::list_offsets_response::partition_offset r;
      r.topic = q.topic;
      r.partition = q.partition;
      auto t = st_->topics.find(q.topic);
      if (t == st_->topics.end() || q.partition.value >= static_cast<int>(t->second.size())) {
        r.error = {schema::errc::unknown_topic_or_partition, ""};
      } else if (!leads(q.topic, q.partition.value, r.error)) {
        // refused
      } else {
        auto& log = t->second[static_cast<size_t>(q.partition.value)];
        r.off = q.query == schema::offset_query::earliest ? log.log_start : log.log_end;
      }
      out.partitions.push_back(std::move(r));
    }
    return encode(out);
  }

  schema::envelope create_partitions(const schema::envelope& e) {
    auto req = schema::decode<schema::create_partitions_request>(e);
    if (!req)
      return refuse(req.err());
    std::lock_guard lock{st_->mtx};
    schema::create_partitions_response out;
    for (auto& t : req->topics) {
      schema::topic_result r{t.name, {}};
      auto i = st_->topics.find(t.name);
      if (i == st_->topics.end())
        r.error = {schema::errc::unknown_topic_or_partition, ""};
      else if (t.new_total <= static_cast<int32_t>(i->second.size()))
        r.error = {schema::errc::invalid_partitions, "partition counts only grow"};
      else
        i->second.resize(static_cast<size_t>(t.new_total));
      out.topics.push_back(std::move(r));
    }
    return encode(out);
  }

  schema::envelope describe_configs(const schema::envelope& e) {
    auto req = schema::decode<schema::describe_configs_request>(e);
    if (!req)
      return refuse(req.err());
    std::lock_guard lock{st_->mtx};
    schema::describe_configs_response out;
    for (auto& n : req->topics) {
      schema::describe_configs_response::topic_configs tc;
      tc.name = n;
      if (!st_->topics.count(n))
        tc.error = {schema::errc::unknown_topic_or_partition, ""};
      else
        tc.configs = {{"retention.ms", "604800000", true}, {"segment.bytes", "1073741824", true}};
      out.topics.push_back(std::move(tc));
    }
    return encode(out);
  }

  // Its id, a one-line tree naming the filter, and one replica it leads.
  schema::envelope inspect(const schema::envelope& e) {
    auto req = schema::decode<schema::inspect_request>(e);
    if (!req)
      return encode(schema::error_response{req.err()});
    schema::inspect_response out;
    out.node = self_;
    out.tree = "fake node " + std::to_string(self_.value) + "; filter=" + req->filter;
    out.replicas.push_back({"t", partition_id{self_.value}, "leader", self_, leader_epoch{0},
                            offset{0}, offset{10}, offset{10}, {self_}, {self_}, {}, ""});
    return encode(out);
  }

  std::shared_ptr<fake_state> st_;
  node_id self_;
  std::optional<caf::typed_response_promise<schema::envelope>> held_;
  schema::envelope held_reply_;
};

struct client_test_config : caf::actor_system_config {
  client_test_config() { schema::register_message_types(*this); }
};

// An actor system with a fake node and a client connection attached to it;
// the base of the producer, consumer and admin test fixtures.
struct fake_node_fixture {
  client_test_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<fake_state> st = std::make_shared<fake_state>();
  actors::node_actor node = sys.spawn<fake_node>(st);
  std::shared_ptr<client::connection> conn
    = client::connection::attach(sys, node, std::chrono::seconds{5});

  ~fake_node_fixture() { caf::anon_send_exit(node, caf::exit_reason::user_shutdown); }
};

// Three fake brokers at made-up addresses (10.0.0.I:900I) in one actor system and a client
// connection bootstrapped at broker 1 that follows them as a cluster's
// (connection::attach_cluster). With `listed`, the metadata names the three as the cluster's
// brokers; else each fake node calls itself the only one.
struct fake_cluster_fixture {
  client_test_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<fake_state> st = std::make_shared<fake_state>();
  std::mutex mtx;
  std::map<std::string, actors::node_actor> nodes; // by address: the live brokers
  std::shared_ptr<client::connection> conn;

  static client::node_address address(int id) {
    return {"10.0.0." + std::to_string(id), static_cast<uint16_t>(9000 + id)};
  }

  explicit fake_cluster_fixture(bool listed) {
    if (listed)
      list_brokers();
    for (int id = 1; id <= 3; ++id)
      start(id);
    conn = connect();
  }

  ~fake_cluster_fixture() {
    std::lock_guard lock{mtx};
    for (auto& [a, n] : nodes)
      caf::anon_send_exit(n, caf::exit_reason::user_shutdown);
  }

  void list_brokers() {
    std::lock_guard lock{st->mtx};
    st->brokers.clear();
    for (int id = 1; id <= 3; ++id)
      st->brokers.push_back({node_id{id}, address(id).host, address(id).port, ""});
  }

  // A new connection bootstrapped at broker 1.
  std::shared_ptr<client::connection> connect() {
    return client::connection::attach_cluster(
      sys, address(1),
      [this](const client::node_address& a) {
        std::lock_guard lock{mtx};
        auto i = nodes.find(a.to_string());
        return i == nodes.end() ? actors::node_actor{} : i->second;
      },
      std::chrono::seconds{5});
  }

  void start(int id) {
    std::lock_guard lock{mtx};
    nodes[address(id).to_string()] = sys.spawn<fake_node>(st, node_id{id});
  }

  // kill -9: the process is gone (links to it drop) and nothing listens at its address.
  void kill(int id) {
    actors::node_actor n;
    {
      std::lock_guard lock{mtx};
      n = nodes.at(address(id).to_string());
      nodes.erase(address(id).to_string());
    }
    caf::anon_send_exit(n, caf::exit_reason::kill);
  }
};

} // namespace sluice::test

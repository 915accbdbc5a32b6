#include "actors/delay_manager.hpp"

#include "actors/coordinator_routing.hpp"
#include "actors/inspect_field.hpp"
#include "actors/partition_interface.hpp"
#include "schema/producer_id.hpp"
#include "store/batch.hpp"
#include "store/log_config.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>

namespace sluice::actors {

// For deep_to_string (found by ADL: outside the unnamed namespace).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delay_scheduler_status& x) {
  field partition{"partition", x.partition};
  field indexed{"indexed_through", x.indexed_through};
  field hw{"high_watermark", x.high_watermark};
  field pid{"producer_id", x.producer_id};
  field pending{"pending", x.pending};
  field next_due{"next_due_ms", x.next_due_ms};
  field open{"open_slot", x.open_slot};
  field delivered{"delivered", x.delivered};
  field in_flight{"batches_in_flight", x.batches_in_flight};
  field retries{"retries", x.retries};
  field dropped{"dropped", x.dropped};
  field skipped{"skipped", x.skipped};
  field late{"max_lateness_ms", x.max_lateness_ms};
  return f(caf::meta::type_name("scheduler"), partition, indexed, hw, pid, pending, next_due, open,
           delivered, in_flight, retries, dropped, skipped, late);
}

namespace {

using schema::envelope;
using schema::errc;
namespace dl = store::delayed;

constexpr auto log_timeout = std::chrono::seconds(30);
constexpr auto delivery_timeout = std::chrono::seconds(15);
constexpr auto producer_id_timeout = std::chrono::seconds(20);
constexpr auto read_retry = std::chrono::milliseconds(200);
constexpr int32_t read_bytes = 4 << 20;
constexpr int32_t read_wait_ms = 200; // long poll: new records arrive at once, idle reads are cheap

struct manager_status {
  int32_t delayed_partitions = 0;
  int32_t led = 0;
  uint64_t appends = 0;
  uint64_t deliveries = 0;
  std::string error;
  std::vector<delay_scheduler_status> schedulers;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, manager_status& x) {
  field partitions{"delayed_partitions", x.delayed_partitions};
  field led{"led", x.led};
  field appends{"appends", x.appends};
  field deliveries{"deliveries", x.deliveries};
  field error{"error", x.error};
  field schedulers{"schedulers", x.schedulers};
  return f(caf::meta::type_name("delay_manager"), partitions, led, appends, deliveries, error,
           schedulers);
}

using delay_read_atom = caf::atom_constant<caf::atom("delay_read")>; // read p again (read_retry)
using manager_internal = delay_manager_actor::extend<caf::reacts_to<delay_read_atom, int32_t>>;

// One partition of __delayed this node leads. `generation` tells answers meant for an earlier
// scheduler of the partition (dropped when leadership moved, or reloaded) from current ones.
struct led_partition {
  std::unique_ptr<delay_scheduler> core;
  uint64_t generation = 0;
  bool reading = false;
  bool appending = false;
};

class manager_impl : public manager_internal::base {
public:
  manager_impl(caf::actor_config& cfg, delay_manager_args args)
    : manager_internal::base(cfg), args_(std::move(args)) {
    if (!args_.now_ms)
      args_.now_ms = store::system_clock_ms;
    routing_ = {std::string{dl::topic}, args_.node, args_.cluster, {}, {}};
  }

  const char* name() const override { return "delay_manager"; }

  behavior_type make_behavior() override {
    open_store();
    if (args_.tick_interval.count() > 0)
      delayed_send(this, args_.tick_interval, tick_atom_v);
    return {
      [this](delayed_log_atom, topic_actor& t) { on_log_actor(std::move(t)); },
      [this](topic_update_atom, topic_spec& spec) { on_topic_update(spec); },
      [this](topic_deleted_atom, const std::string& name) { leaders_of_.erase(name); },
      [this](partition_states_atom, partition_states& s) { on_leaders(std::move(s)); },
      [this](peers_atom, controller_peers& p) { routing_.nodes = std::move(p.nodes); },
      [this](delay_read_atom, int32_t p) { read(p); },
      [this](tick_atom) {
        for (size_t p = 0; p < parts_.size(); ++p)
          if (parts_[p].core)
            carry_out(static_cast<int32_t>(p), parts_[p].core->tick(now()));
        if (args_.tick_interval.count() > 0)
          delayed_send(this, args_.tick_interval, tick_atom_v);
      },
      [this](state_atom) { return state(); },
    };
  }

  void on_exit() override {
    parts_.clear();
    store_.reset(); // LMDB: one handle per environment and process
  }

private:
  int64_t now() const { return args_.now_ms(); }

  void open_store() {
    auto s = delay_store::open(args_.dir);
    if (!s) {
      status_.error = s.err().to_string();
      spdlog::error("delayed delivery: {}", status_.error);
      return;
    }
    store_ = std::move(*s);
  }

  // -- topics and leadership -----------------------------------------------------------------

  void on_topic_update(const topic_spec& spec) {
    if (spec.name != dl::topic || !parts_.empty())
      return;
    parts_.resize(static_cast<size_t>(spec.partitions));
    routing_.leaders.resize(parts_.size());
    status_.delayed_partitions = spec.partitions;
    load_all();
  }

  void on_log_actor(topic_actor t) {
    log_ = std::move(t);
    for (size_t p = 0; p < parts_.size(); ++p)
      unload(p);
    load_all();
  }

  void on_leaders(partition_states s) {
    auto& leaders = leaders_of_[s.topic];
    leaders.resize(s.partitions.size());
    for (size_t i = 0; i < s.partitions.size(); ++i)
      leaders[i] = s.partitions[i].leader;
    if (s.topic != dl::topic)
      return;
    routing_.leaders.resize(std::max(routing_.leaders.size(), s.partitions.size()));
    for (size_t i = 0; i < s.partitions.size(); ++i)
      routing_.leaders[i] = s.partitions[i].leader;
    for (size_t p = 0; p < parts_.size(); ++p)
      if (!routing_.leads(p))
        unload(p);
    load_all();
  }

  void unload(size_t p) {
    auto& part = parts_[p];
    if (!part.core)
      return;
    part.core.reset();
    ++part.generation;
    part.reading = false;
    part.appending = false;
    --status_.led;
    spdlog::info("delayed delivery: {}-{} unloaded", dl::topic, p);
  }

  void load_all() {
    if (!log_ || !store_)
      return;
    for (size_t p = 0; p < parts_.size(); ++p) {
      if (parts_[p].core || !routing_.leads(p))
        continue;
      auto core = std::make_unique<delay_scheduler>(*store_, partition_id{static_cast<int32_t>(p)},
                                                    args_.limits);
      if (auto st = core->load(); !st) {
        status_.error = st.err().to_string();
        spdlog::error("delayed delivery: {}", status_.error);
        continue;
      }
      parts_[p].core = std::move(core);
      ++parts_[p].generation;
      ++status_.led;
      read(static_cast<int32_t>(p));
    }
  }

  delay_scheduler* current(int32_t p, uint64_t generation) {
    if (p < 0 || static_cast<size_t>(p) >= parts_.size())
      return nullptr;
    auto& part = parts_[static_cast<size_t>(p)];
    return part.generation == generation ? part.core.get() : nullptr;
  }

  // -- reading the partition's log -----------------------------------------------------------

  void read(int32_t p) {
    auto& part = parts_[static_cast<size_t>(p)];
    if (!part.core || part.reading || !log_)
      return;
    part.reading = true;
    auto from = part.core->indexed_through();
    auto gen = part.generation;
    partition_fetch f{++fetch_ids_, from, read_bytes, 1, read_wait_ms, false};
    request(log_, log_timeout, fetch_atom_v, partition_id{p}, f)
      .then([this, p, gen, from](fetch_reply& r) { on_read(p, gen, from, std::move(r)); },
            [this, p, gen](caf::error& err) {
              if (!current(p, gen))
                return;
              parts_[static_cast<size_t>(p)].reading = false;
              spdlog::warn("delayed delivery: reading {}-{} failed: {}; retrying", dl::topic, p,
                           to_string(err));
              delayed_send(this, read_retry, delay_read_atom::value, p);
            });
  }

  void on_read(int32_t p, uint64_t gen, offset from, fetch_reply r) {
    auto* core = current(p, gen);
    if (!core)
      return;
    parts_[static_cast<size_t>(p)].reading = false;
    if (!r.error.ok()) {
      // Not the leader (yet): the partition states will tell; an index ahead of the log (an
      // unclean election lost committed records) cannot be repaired here.
      if (r.error.code != errc::not_leader)
        status_.error = "reading " + std::string{dl::topic} + "-" + std::to_string(p) + ": "
                        + r.error.to_string();
      delayed_send(this, read_retry, delay_read_atom::value, p);
      return;
    }
    if (auto st = core->on_log(from, r.records, r.high_watermark); !st) {
      status_.error = st.err().to_string();
      spdlog::error("delayed delivery: {}", status_.error);
      delayed_send(this, read_retry, delay_read_atom::value, p);
      return;
    }
    carry_out(p, core->tick(now()));
    read(p);
  }

  // -- effects -------------------------------------------------------------------------------

  void carry_out(int32_t p, delay_effects fx) {
    for (auto& e : fx.errors)
      spdlog::warn("delayed delivery: {}-{}: {}", dl::topic, p, e);
    auto gen = parts_[static_cast<size_t>(p)].generation;
    if (fx.want_producer_id)
      ask_producer_id(p, gen);
    if (!fx.appends.empty())
      append(p, gen, std::move(fx.appends));
    for (auto& d : fx.deliveries)
      deliver(p, gen, std::move(d));
  }

  void ask_producer_id(int32_t p, uint64_t gen) {
    request(args_.self, producer_id_timeout, init_producer_id_atom_v,
            encode(schema::init_producer_id_request{}))
      .then(
        [this, p, gen](const envelope& reply) {
          auto* core = current(p, gen);
          auto r = schema::decode<schema::init_producer_id_response>(reply);
          if (!core || !r || !r->error.ok())
            return; // asked again after the scheduler's control timeout
          carry_out(p, core->on_producer_id(r->id, now()));
        },
        [](caf::error&) {});
  }

  void append(int32_t p, uint64_t gen, std::vector<dl::control_record> records) {
    store::batch_builder b{256};
    for (auto& c : records) {
      auto value = dl::encode_control_value(c);
      store::record_header h{dl::control_header, dl::control_name(c.kind)};
      b.add(timestamp_ms{now()}, std::nullopt, std::string_view{value}, {&h, 1});
    }
    auto count = static_cast<int64_t>(records.size());
    ++status_.appends;
    auto done = [this, p, gen](offset last) {
      if (auto* core = current(p, gen))
        core->on_appended(last);
    };
    request(log_, log_timeout, produce_atom_v, partition_id{p},
            append_request{b.finish(), schema::acks::all})
      .then(
        [done, count, p](append_reply& r) {
          if (!r.error.ok())
            spdlog::warn("delayed delivery: appending to {}-{} failed: {}", dl::topic, p,
                         r.error.to_string());
          done(r.error.ok() ? offset{r.base_offset.value + count - 1} : offset{-1});
        },
        [done](caf::error&) { done(offset{-1}); });
  }

  // The node leading the target partition: its leader's, else this one (which answers for
  // what it knows: not the leader, an unknown topic).
  node_actor destination(const std::string& topic, partition_id part) const {
    if (!args_.cluster)
      return args_.self;
    auto t = leaders_of_.find(topic);
    if (t == leaders_of_.end() || part.value < 0 || static_cast<size_t>(part.value) >= t->second.size())
      return args_.self;
    auto leader = t->second[static_cast<size_t>(part.value)];
    if (!leader || *leader == args_.node)
      return args_.self;
    auto n = routing_.nodes.find(*leader);
    return n == routing_.nodes.end() ? args_.self : n->second;
  }

  void deliver(int32_t p, uint64_t gen, delay_delivery d) {
    ++status_.deliveries;
    schema::produce_request req;
    req.acks = schema::acks::all;
    req.timeout_ms = 10'000;
    req.partitions.push_back({d.topic, d.partition, *d.batch});
    auto id = d.id;
    auto report = [this, p, gen, id](errc code) {
      if (auto* core = current(p, gen))
        carry_out(p, core->on_delivery(id, classify_delivery_error(code), now()));
    };
    request(destination(d.topic, d.partition), delivery_timeout, produce_atom_v, encode(req))
      .then(
        [report](const envelope& reply) {
          auto r = schema::decode<schema::produce_response>(reply);
          if (!r || r->partitions.size() != 1)
            return report(errc::unknown_server_error);
          report(r->partitions[0].error.code);
        },
        [report](caf::error&) { report(errc::request_timed_out); });
  }

  // -- inspect -------------------------------------------------------------------------------

  std::string state() {
    status_.schedulers.clear();
    for (auto& part : parts_)
      if (part.core)
        status_.schedulers.push_back(part.core->status());
    return "delay_manager delayed delivery (mailbox " + std::to_string(mailbox().size())
           + "): " + caf::deep_to_string(status_);
  }

  delay_manager_args args_;
  std::unique_ptr<delay_store> store_;
  topic_actor log_;
  std::vector<led_partition> parts_;
  coordinator_routing routing_;
  std::map<std::string, std::vector<std::optional<node_id>>, std::less<>> leaders_of_;
  uint64_t fetch_ids_ = 0;
  manager_status status_;
};

} // namespace

delay_manager_actor spawn_delay_manager(caf::actor_system& sys, delay_manager_args args) {
  return caf::actor_cast<delay_manager_actor>(sys.spawn<manager_impl>(std::move(args)));
}

} // namespace sluice::actors

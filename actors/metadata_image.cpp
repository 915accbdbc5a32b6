#include "actors/metadata_image.hpp"

#include "store/kv_store_format.hpp"

#include <algorithm>

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t snapshot_version = 1;

schema::error refused(schema::errc code, std::string message) { return {code, std::move(message)}; }

bool holds(const std::vector<node_id>& ids, node_id id) {
  return std::ranges::find(ids, id) != ids.end();
}

// The members of `ids` that `keep` holds, in the order of `ids`.
std::vector<node_id> only(const std::vector<node_id>& ids, const std::vector<node_id>& keep) {
  std::vector<node_id> out;
  for (auto id : ids)
    if (holds(keep, id))
      out.push_back(id);
  return out;
}

std::vector<node_id> without(const std::vector<node_id>& ids, const std::vector<node_id>& drop) {
  std::vector<node_id> out;
  for (auto id : ids)
    if (!holds(drop, id))
      out.push_back(id);
  return out;
}

std::string list(const std::vector<node_id>& ids) {
  std::string out;
  for (auto id : ids)
    out += (out.empty() ? "" : ",") + std::to_string(id.value);
  return "[" + out + "]";
}

std::string partition_name(const std::string& topic, int32_t partition) {
  return topic + "-" + std::to_string(partition);
}

void add_unique(std::vector<std::string>& names, const std::string& name) {
  if (std::ranges::find(names, name) == names.end())
    names.push_back(name);
}

} // namespace

std::vector<node_id> reassignment::adding() const { return without(target, original); }

std::vector<node_id> reassignment::removing() const { return without(original, target); }

apply_result metadata_image::apply(int64_t index, const metadata_record& r) {
  if (auto* put = std::get_if<topic_put_record>(&r)) {
    auto* existing = table_.find(put->spec.name);
    if (put->mode == put_mode::create && existing)
      return {refused(schema::errc::topic_already_exists,
                      "topic '" + put->spec.name + "' already exists")};
    if (put->mode == put_mode::grow
        && (!existing || existing->partitions != put->expected_partitions))
      return {refused(schema::errc::invalid_partitions,
                      "topic '" + put->spec.name + "' changed while its partitions were added; retry")};
    auto spec = put->spec;
    // A grow keeps the assignment of the partitions the topic had: a move may have changed it
    // since the leader placed the new ones.
    if (put->mode == put_mode::grow)
      for (size_t p = 0; p < existing->replicas.size() && p < spec.replicas.size(); ++p)
        spec.replicas[p] = existing->replicas[p];
    table_.apply_put(spec);
    sync_partitions(spec);
    if (auto it = moves_.find(put->spec.name); it != moves_.end()) { // a restore put may hold fewer
      std::erase_if(it->second, [&](auto& m) { return m.first >= put->spec.partitions; });
      if (it->second.empty())
        moves_.erase(it);
    }
    apply_result out;
    out.respecified.push_back(put->spec.name);
    return out;
  }
  if (auto* del = std::get_if<topic_delete_record>(&r)) {
    if (!table_.find(del->name))
      return {refused(schema::errc::unknown_topic_or_partition,
                      "topic '" + del->name + "' does not exist")};
    table_.apply_delete(del->name);
    partitions_.erase(del->name);
    moves_.erase(del->name);
    return {};
  }
  if (auto* reg = std::get_if<broker_register_record>(&r)) {
    broker_entry e{*reg, false};
    if (e.registration.epoch < 0)
      e.registration.epoch = index;
    auto epoch = e.registration.epoch;
    if (auto it = brokers_.find(reg->id); it != brokers_.end()) {
      e.decommissioned = it->second.decommissioned;
      if (!it->second.fenced && it->second.registration.epoch != epoch) {
        it->second.fenced = true; // the old incarnation ends here
        lose(reg->id);
      }
    }
    brokers_.insert_or_assign(reg->id, std::move(e));
    regain(reg->id);
    return {{}, epoch};
  }
  if (auto* fence = std::get_if<broker_fence_record>(&r)) {
    auto it = brokers_.find(fence->id);
    if (it == brokers_.end() || it->second.registration.epoch != fence->epoch)
      return {refused(schema::errc::stale_broker_epoch,
                      "broker " + std::to_string(fence->id.value) + " has no registration with epoch "
                        + std::to_string(fence->epoch))};
    bool was = it->second.fenced;
    it->second.fenced = fence->fenced;
    if (fence->fenced && !was)
      lose(fence->id);
    else if (!fence->fenced && was)
      regain(fence->id);
    return {};
  }
  if (auto* ps = std::get_if<partition_state_record>(&r)) {
    auto it = partitions_.find(ps->topic);
    if (it == partitions_.end() || ps->partition < 0
        || static_cast<size_t>(ps->partition) >= it->second.size())
      return {refused(schema::errc::unknown_topic_or_partition,
                      "no partition " + ps->topic + "-" + std::to_string(ps->partition))};
    it->second[static_cast<size_t>(ps->partition)] = ps->state;
    return {};
  }
  if (auto* alter = std::get_if<alter_isr_record>(&r)) {
    apply_result out;
    out.status = apply_alter_isr(*alter, out);
    return out;
  }
  if (auto* move = std::get_if<reassign_record>(&r))
    return apply_reassign(*move);
  if (auto* elect = std::get_if<elect_preferred_record>(&r))
    return apply_elect_preferred(*elect);
  if (auto* d = std::get_if<broker_decommission_record>(&r))
    return apply_decommission(*d);
  if (auto* ids = std::get_if<producer_ids_record>(&r)) {
    if (ids->first < next_producer_id_)
      return {refused(schema::errc::not_controller,
                      "producer id block at " + std::to_string(ids->first) + " overlaps one before it (next "
                        + std::to_string(next_producer_id_) + "); retry")};
    next_producer_id_ = ids->first + ids->count;
    return {};
  }
  return {}; // a barrier
}

schema::status metadata_image::apply_alter_isr(const alter_isr_record& r, apply_result& out) {
  auto name = r.topic + "-" + std::to_string(r.partition);
  auto* spec = table_.find(r.topic);
  auto it = partitions_.find(r.topic);
  if (!spec || it == partitions_.end() || r.partition < 0
      || static_cast<size_t>(r.partition) >= it->second.size())
    return refused(schema::errc::unknown_topic_or_partition, "no partition " + name);
  auto& s = it->second[static_cast<size_t>(r.partition)];
  auto& assignment = spec->replicas[static_cast<size_t>(r.partition)];
  if (s.leader != r.leader || s.epoch != r.epoch)
    return refused(schema::errc::fenced_leader_epoch,
                   name + ": the ISR change comes from broker " + std::to_string(r.leader.value)
                     + " in leader epoch " + std::to_string(r.epoch.value)
                     + ", not from the current leader");
  auto seen = s.isr_seq;
  s.isr_seq = std::max(s.isr_seq, r.seq); // refused or not, this seq is spent (final refusals)
  if (r.seq <= seen)
    return refused(schema::errc::invalid_request, name + ": ISR change " + std::to_string(r.seq)
                                                    + " was already processed");
  if (r.version != s.version)
    return refused(schema::errc::invalid_request,
                   name + ": the ISR change was computed against partition epoch "
                     + std::to_string(r.version) + ", now " + std::to_string(s.version));
  if (std::ranges::find(r.isr, r.leader) == r.isr.end())
    return refused(schema::errc::invalid_request, name + ": the ISR must hold its leader");
  for (auto id : r.isr)
    if (std::ranges::find(assignment, id) == assignment.end() || !usable(id))
      return refused(schema::errc::invalid_request,
                     name + ": broker " + std::to_string(id.value)
                       + " is not a live replica and cannot join the ISR");
  s.isr = r.isr;
  ++s.version;
  complete_move(r.topic, r.partition, out); // the catch-up a move waited for
  return {};
}

// -- reassignment (KIP-455) ------------------------------------------------------------------

schema::result<metadata_image::partition_change>
metadata_image::prepare_move(const std::string& topic, int32_t partition, reassign_mode mode,
                             std::vector<node_id> target) const {
  using schema::errc;
  auto name = partition_name(topic, partition);
  auto* spec = table_.find(topic);
  auto* s = this->partition(topic, partition);
  if (!spec)
    return refused(errc::unknown_topic_or_partition, "topic '" + topic + "' does not exist");
  if (!s || static_cast<size_t>(partition) >= spec->replicas.size())
    return refused(errc::unknown_topic_or_partition,
                   "topic '" + topic + "' has no partition " + std::to_string(partition) + " (it has "
                     + std::to_string(spec->partitions) + ")");
  auto& current = spec->replicas[static_cast<size_t>(partition)];
  auto* move = moving(topic, partition);
  partition_change c{{topic, partition}, {}, *s, std::nullopt};
  if (mode == reassign_mode::cancel) {
    if (!move)
      return refused(errc::no_reassignment_in_progress, name + " has no reassignment in progress");
    c.replicas = move->original;
  } else {
    if (target.empty())
      return refused(errc::invalid_replica_assignment, name + ": the target replica list is empty");
    for (size_t i = 0; i < target.size(); ++i) {
      auto id = target[i];
      auto who = name + ": broker " + std::to_string(id.value);
      if (std::find(target.begin(), target.begin() + static_cast<std::ptrdiff_t>(i), id)
          != target.begin() + static_cast<std::ptrdiff_t>(i))
        return refused(errc::invalid_replica_assignment, who + " appears twice in the target");
      auto* b = broker(id);
      if (!b)
        return refused(errc::invalid_replica_assignment, who + " is not registered");
      if (b->fenced)
        return refused(errc::invalid_replica_assignment, who + " is fenced (not alive)");
      if (b->decommissioned)
        return refused(errc::invalid_replica_assignment, who + " is decommissioned");
    }
    auto original = move ? move->original : current;
    if (without(target, original).empty() && without(original, target).empty()) {
      c.replicas = std::move(target); // the same brokers (a new order): nothing to move
    } else {
      c.replicas = target;
      for (auto id : original)
        if (!holds(c.replicas, id))
          c.replicas.push_back(id);
      c.move = reassignment{std::move(target), std::move(original)};
    }
  }
  c.state.isr = only(s->isr, c.replicas);
  if (c.state.isr.empty())
    return refused(errc::invalid_replica_assignment,
                   name + ": no in-sync replica would remain (ISR " + list(s->isr)
                     + "); wait until a replica of " + list(c.replicas) + " caught up");
  bool changed = c.replicas != current || c.state.isr != s->isr
                 || c.move != (move ? std::optional{*move} : std::nullopt);
  if (c.state.leader && !holds(c.state.isr, *c.state.leader))
    elect(c.state, c.replicas);
  else if (changed)
    ++c.state.version;
  return c;
}

schema::status metadata_image::check_reassign(const std::string& topic, int32_t partition,
                                              reassign_mode mode,
                                              const std::vector<node_id>& target) const {
  if (auto c = prepare_move(topic, partition, mode, target); !c)
    return c.err();
  return {};
}

void metadata_image::commit(const partition_change& c, apply_result& out) {
  auto& [topic, p] = c.where;
  auto i = static_cast<size_t>(p);
  auto spec = *table_.find(topic);
  if (spec.replicas[i] != c.replicas) {
    spec.replicas[i] = c.replicas;
    table_.apply_put(std::move(spec));
    add_unique(out.respecified, topic);
  }
  partitions_[topic][i] = c.state;
  if (c.move) {
    moves_[topic].insert_or_assign(p, *c.move);
  } else if (auto it = moves_.find(topic); it != moves_.end()) {
    it->second.erase(p);
    if (it->second.empty())
      moves_.erase(it);
  }
  out.reassigned.push_back(c.where);
  complete_move(topic, p, out);
}

void metadata_image::complete_move(const std::string& topic, int32_t partition, apply_result& out) {
  auto mit = moves_.find(topic);
  if (mit == moves_.end())
    return;
  auto it = mit->second.find(partition);
  if (it == mit->second.end())
    return;
  auto i = static_cast<size_t>(partition);
  auto& s = partitions_[topic][i];
  auto target = it->second.target;
  if (!without(target, s.isr).empty())
    return; // a target replica is still catching up
  auto spec = *table_.find(topic);
  spec.replicas[i] = target;
  table_.apply_put(std::move(spec));
  add_unique(out.respecified, topic);
  s.isr = only(s.isr, target);
  if (s.leader && !holds(target, *s.leader))
    elect(s, target);
  else
    ++s.version;
  mit->second.erase(it);
  if (mit->second.empty())
    moves_.erase(mit);
  if (std::ranges::find(out.reassigned, partition_ref{topic, partition}) == out.reassigned.end())
    out.reassigned.push_back({topic, partition});
}

apply_result metadata_image::apply_reassign(const reassign_record& r) {
  if (r.mode == reassign_mode::restore) {
    if (!partition(r.topic, r.partition) || r.target.empty() || r.original.empty())
      return {refused(schema::errc::unknown_topic_or_partition,
                      "no partition " + partition_name(r.topic, r.partition) + " to move")};
    moves_[r.topic].insert_or_assign(r.partition, reassignment{r.target, r.original});
    return {};
  }
  auto c = prepare_move(r.topic, r.partition, r.mode, r.target);
  if (!c)
    return {c.err()};
  apply_result out;
  commit(*c, out);
  return out;
}

// -- preferred leaders, decommissioning -------------------------------------------------------

apply_result metadata_image::apply_elect_preferred(const elect_preferred_record& r) {
  if (!r.topic.empty() && !table_.find(r.topic))
    return {refused(schema::errc::unknown_topic_or_partition,
                    "topic '" + r.topic + "' does not exist")};
  apply_result out;
  for (auto& [topic, states] : partitions_) {
    auto* spec = table_.find(topic);
    if (!spec || (!r.topic.empty() && topic != r.topic))
      continue;
    for (size_t p = 0; p < states.size() && p < spec->replicas.size(); ++p) {
      auto& s = states[p];
      if (spec->replicas[p].empty())
        continue;
      auto preferred = spec->replicas[p].front();
      if (s.leader == preferred || !holds(s.isr, preferred) || !usable(preferred))
        continue;
      auto from = s.leader;
      s.leader = preferred;
      ++s.epoch;
      ++s.version;
      s.isr_seq = 0;
      out.elected.push_back({{topic, static_cast<int32_t>(p)}, from, preferred, s.epoch});
    }
  }
  return out;
}

schema::result<std::vector<std::pair<partition_ref, std::vector<node_id>>>>
metadata_image::plan_decommission(node_id id) const {
  std::vector<cluster::broker_info> candidates;
  for (auto& [b, e] : brokers_)
    if (b != id && placeable(b))
      candidates.push_back({b, e.registration.rack});
  std::map<node_id, int32_t> load;
  for (auto& [_, spec] : table_.topics())
    for (auto& replicas : spec.replicas)
      for (auto r : replicas)
        ++load[r];
  auto info = [&](node_id b) {
    auto* e = broker(b);
    return cluster::broker_info{b, e ? e->registration.rack : std::nullopt};
  };
  std::vector<std::pair<partition_ref, std::vector<node_id>>> out;
  for (auto& [name, spec] : table_.topics())
    for (size_t i = 0; i < spec.replicas.size(); ++i) {
      auto p = static_cast<int32_t>(i);
      auto* move = moving(name, p);
      auto target = move ? move->target : spec.replicas[i];
      auto at = std::ranges::find(target, id);
      if (at == target.end())
        continue; // holds no replica, or one that is already leaving
      std::vector<cluster::broker_info> keep;
      for (auto r : target)
        if (r != id)
          keep.push_back(info(r));
      auto pick = cluster::choose_replacement(candidates, keep, load);
      if (!pick)
        return refused(schema::errc::invalid_replica_assignment,
                       "broker " + std::to_string(id.value) + " cannot leave: "
                         + partition_name(name, p) + " has replicas on " + list(target)
                         + " and no other live broker can take one ("
                         + std::to_string(candidates.size()) + " live, not decommissioned)");
      *at = *pick;
      ++load[*pick];
      out.push_back({{name, p}, std::move(target)});
    }
  return out;
}

apply_result metadata_image::apply_decommission(const broker_decommission_record& r) {
  auto it = brokers_.find(r.id);
  if (it == brokers_.end())
    return {refused(schema::errc::invalid_request,
                    "broker " + std::to_string(r.id.value) + " is not registered")};
  if (!r.decommissioned) {
    it->second.decommissioned = false;
    return {};
  }
  std::vector<partition_change> changes; // all or none
  if (r.move_replicas) {
    auto plan = plan_decommission(r.id);
    if (!plan)
      return {plan.err()};
    for (auto& [where, target] : *plan) {
      auto c = prepare_move(where.topic, where.partition, reassign_mode::start, target);
      if (!c)
        return {c.err()};
      changes.push_back(std::move(*c));
    }
  }
  it->second.decommissioned = true;
  apply_result out;
  for (auto& c : changes)
    commit(c, out);
  return out;
}

void metadata_image::sync_partitions(const topic_spec& spec) {
  auto& states = partitions_[spec.name];
  if (states.size() > static_cast<size_t>(spec.partitions))
    states.resize(static_cast<size_t>(spec.partitions)); // a restore put may hold fewer
  while (states.size() < static_cast<size_t>(spec.partitions)) {
    partition_state s;
    if (states.size() < spec.replicas.size())
      for (auto id : spec.replicas[states.size()])
        if (usable(id))
          s.isr.push_back(id);
    if (!s.isr.empty())
      s.leader = s.isr.front();
    states.push_back(std::move(s));
  }
}

void metadata_image::elect(partition_state& s, const std::vector<node_id>& assignment,
                           bool unclean) const {
  s.leader.reset();
  for (auto id : assignment)
    if (std::ranges::find(s.isr, id) != s.isr.end() && usable(id)) {
      s.leader = id;
      break;
    }
  if (!s.leader && unclean)
    for (auto id : assignment)
      if (usable(id)) {
        s.leader = id;
        s.isr = {id};
        break;
      }
  ++s.epoch;
  ++s.version;
  s.isr_seq = 0;
}

void metadata_image::lose(node_id id) {
  for (auto& [topic, states] : partitions_) {
    auto* spec = table_.find(topic);
    for (size_t p = 0; p < states.size() && spec && p < spec->replicas.size(); ++p) {
      auto& s = states[p];
      bool changed = false;
      if (s.isr.size() > 1 && std::ranges::find(s.isr, id) != s.isr.end()) {
        std::erase(s.isr, id);
        changed = true;
      }
      if (s.leader == id)
        elect(s, spec->replicas[p], unclean_election_enabled(*spec));
      else if (changed)
        ++s.version;
    }
  }
}

void metadata_image::regain(node_id id) {
  for (auto& [topic, states] : partitions_) {
    auto* spec = table_.find(topic);
    for (size_t p = 0; p < states.size() && spec && p < spec->replicas.size(); ++p) {
      auto& s = states[p];
      auto& assignment = spec->replicas[p];
      bool unclean = unclean_election_enabled(*spec);
      if (!s.leader && (holds(s.isr, id) || (unclean && holds(assignment, id))))
        elect(s, assignment, unclean);
    }
  }
}

std::string metadata_image::snapshot() const {
  std::vector<std::string> records;
  for (auto& [id, b] : brokers_) {
    records.push_back(encode_metadata_record(b.registration));
    if (b.fenced)
      records.push_back(encode_metadata_record(broker_fence_record{id, b.registration.epoch, true}));
    if (b.decommissioned)
      records.push_back(encode_metadata_record(broker_decommission_record{id, true, false}));
  }
  for (auto& [_, spec] : table_.topics())
    records.push_back(encode_metadata_record(topic_put_record{spec, put_mode::restore, 0}));
  for (auto& [topic, states] : partitions_)
    for (size_t p = 0; p < states.size(); ++p)
      records.push_back(
        encode_metadata_record(partition_state_record{topic, static_cast<int32_t>(p), states[p]}));
  for (auto& [topic, moves] : moves_)
    for (auto& [p, m] : moves)
      records.push_back(encode_metadata_record(
        reassign_record{topic, p, reassign_mode::restore, m.target, m.original}));
  if (next_producer_id_ > 0)
    records.push_back(encode_metadata_record(producer_ids_record{node_id{-1}, next_producer_id_, 0}));
  std::string out;
  kvf::append_int(out, snapshot_version);
  kvf::append_int(out, static_cast<uint32_t>(records.size()));
  for (auto& r : records) {
    kvf::append_int(out, static_cast<uint32_t>(r.size()));
    out += r;
  }
  return out;
}

schema::status metadata_image::restore(std::string_view bytes) {
  auto corrupt = [](const std::string& what) {
    return schema::error{schema::errc::corrupt_message, "metadata snapshot: " + what};
  };
  auto version = kvf::read_int<uint8_t>(bytes);
  auto count = kvf::read_int<uint32_t>(bytes);
  if (version != snapshot_version || !count)
    return corrupt("not a version-1 snapshot");
  metadata_image fresh{table_.defaults(), table_.limits()};
  for (uint32_t i = 0; i < *count; ++i) {
    auto n = kvf::read_int<uint32_t>(bytes);
    if (!n || *n > bytes.size())
      return corrupt("record " + std::to_string(i) + " is truncated");
    auto r = decode_metadata_record(bytes.substr(0, *n));
    bytes.remove_prefix(*n);
    if (!r)
      return corrupt(r.err().message);
    if (auto res = fresh.apply(0, *r); !res.status)
      return corrupt("record " + std::to_string(i) + " does not apply: " + res.status.err().message);
  }
  if (!bytes.empty())
    return corrupt("trailing bytes");
  *this = std::move(fresh);
  return {};
}

const broker_entry* metadata_image::broker(node_id id) const {
  auto it = brokers_.find(id);
  return it == brokers_.end() ? nullptr : &it->second;
}

bool metadata_image::usable(node_id id) const {
  auto* b = broker(id);
  return b && !b->fenced;
}

bool metadata_image::placeable(node_id id) const {
  auto* b = broker(id);
  return b && !b->fenced && !b->decommissioned;
}

std::vector<cluster::broker_info> metadata_image::live_brokers() const {
  std::vector<cluster::broker_info> out;
  for (auto& [id, b] : brokers_)
    if (placeable(id))
      out.push_back({id, b.registration.rack});
  return out;
}

std::optional<node_id> metadata_image::leader_of(const topic_spec& spec, int32_t partition) const {
  auto* s = this->partition(spec.name, partition);
  return s ? s->leader : std::nullopt;
}

const reassignment* metadata_image::moving(const std::string& topic, int32_t partition) const {
  auto it = moves_.find(topic);
  if (it == moves_.end())
    return nullptr;
  auto m = it->second.find(partition);
  return m == it->second.end() ? nullptr : &m->second;
}

const partition_state* metadata_image::partition(const std::string& topic, int32_t partition) const {
  auto it = partitions_.find(topic);
  if (it == partitions_.end() || partition < 0 || static_cast<size_t>(partition) >= it->second.size())
    return nullptr;
  return &it->second[static_cast<size_t>(partition)];
}

std::optional<cluster::partition_replicas> metadata_image::replication(const std::string& topic,
                                                                       int32_t partition) const {
  auto* spec = table_.find(topic);
  auto* s = this->partition(topic, partition);
  if (!spec || !s || static_cast<size_t>(partition) >= spec->replicas.size())
    return std::nullopt;
  return cluster::partition_replicas{spec->replicas[static_cast<size_t>(partition)], s->leader,
                                     s->epoch, s->isr, cluster::partition_epoch{s->version}};
}

} // namespace sluice::actors

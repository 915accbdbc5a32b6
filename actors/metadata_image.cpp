#include "actors/metadata_image.hpp"

#include "store/kv_store_format.hpp"

#include <algorithm>

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t snapshot_version = 1;

schema::error refused(schema::errc code, std::string message) { return {code, std::move(message)}; }

} // namespace

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
    table_.apply_put(put->spec);
    sync_partitions(put->spec);
    return {};
  }
  if (auto* del = std::get_if<topic_delete_record>(&r)) {
    if (!table_.find(del->name))
      return {refused(schema::errc::unknown_topic_or_partition,
                      "topic '" + del->name + "' does not exist")};
    table_.apply_delete(del->name);
    partitions_.erase(del->name);
    return {};
  }
  if (auto* reg = std::get_if<broker_register_record>(&r)) {
    broker_entry e{*reg, false};
    if (e.registration.epoch < 0)
      e.registration.epoch = index;
    auto epoch = e.registration.epoch;
    if (auto it = brokers_.find(reg->id); it != brokers_.end() && !it->second.fenced
                                          && it->second.registration.epoch != epoch) {
      it->second.fenced = true; // the old incarnation ends here
      lose(reg->id);
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
  if (auto* alter = std::get_if<alter_isr_record>(&r))
    return {apply_alter_isr(*alter)};
  return {}; // a barrier
}

schema::status metadata_image::apply_alter_isr(const alter_isr_record& r) {
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
  return {};
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

void metadata_image::elect(partition_state& s, const std::vector<node_id>& assignment) {
  s.leader.reset();
  for (auto id : assignment)
    if (std::ranges::find(s.isr, id) != s.isr.end() && usable(id)) {
      s.leader = id;
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
        elect(s, spec->replicas[p]);
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
      if (!s.leader && std::ranges::find(s.isr, id) != s.isr.end())
        elect(s, spec->replicas[p]);
    }
  }
}

std::string metadata_image::snapshot() const {
  std::vector<std::string> records;
  for (auto& [id, b] : brokers_) {
    records.push_back(encode_metadata_record(b.registration));
    if (b.fenced)
      records.push_back(encode_metadata_record(broker_fence_record{id, b.registration.epoch, true}));
  }
  for (auto& [_, spec] : table_.topics())
    records.push_back(encode_metadata_record(topic_put_record{spec, put_mode::restore, 0}));
  for (auto& [topic, states] : partitions_)
    for (size_t p = 0; p < states.size(); ++p)
      records.push_back(
        encode_metadata_record(partition_state_record{topic, static_cast<int32_t>(p), states[p]}));
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

std::vector<cluster::broker_info> metadata_image::live_brokers() const {
  std::vector<cluster::broker_info> out;
  for (auto& [id, b] : brokers_)
    if (!b.fenced)
      out.push_back({id, b.registration.rack});
  return out;
}

std::optional<node_id> metadata_image::leader_of(const topic_spec& spec, int32_t partition) const {
  auto* s = this->partition(spec.name, partition);
  return s ? s->leader : std::nullopt;
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

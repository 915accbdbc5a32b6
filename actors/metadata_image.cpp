#include "actors/metadata_image.hpp"

#include "store/kv_store_format.hpp"

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
    return {};
  }
  if (auto* del = std::get_if<topic_delete_record>(&r)) {
    if (!table_.find(del->name))
      return {refused(schema::errc::unknown_topic_or_partition,
                      "topic '" + del->name + "' does not exist")};
    table_.apply_delete(del->name);
    return {};
  }
  if (auto* reg = std::get_if<broker_register_record>(&r)) {
    broker_entry e{*reg, false};
    if (e.registration.epoch < 0)
      e.registration.epoch = index;
    auto epoch = e.registration.epoch;
    brokers_.insert_or_assign(reg->id, std::move(e));
    return {{}, epoch};
  }
  if (auto* fence = std::get_if<broker_fence_record>(&r)) {
    auto it = brokers_.find(fence->id);
    if (it == brokers_.end() || it->second.registration.epoch != fence->epoch)
      return {refused(schema::errc::stale_broker_epoch,
                      "broker " + std::to_string(fence->id.value) + " has no registration with epoch "
                        + std::to_string(fence->epoch))};
    it->second.fenced = fence->fenced;
    return {};
  }
  return {}; // a barrier
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
  if (partition < 0 || static_cast<size_t>(partition) >= spec.replicas.size())
    return std::nullopt;
  for (auto id : spec.replicas[static_cast<size_t>(partition)])
    if (usable(id))
      return id;
  return std::nullopt;
}

} // namespace sluice::actors

#include "actors/offsets_record.hpp"

#include "store/kv_store_format.hpp"

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t format_version = 1;
constexpr uint8_t offset_type = 0;
constexpr uint8_t group_type = 1;
constexpr uint8_t share_type = 2;
// A share-partition's ranges are bounded by its in-flight window; this bounds what a damaged
// value can make the decoder reserve.
constexpr uint32_t max_share_ranges = 1 << 20;

schema::error corrupt(const std::string& what) {
  return {schema::errc::corrupt_message, std::string{offsets_topic} + " record: " + what};
}

} // namespace

partition_id partition_for_group(std::string_view group, int32_t partitions) {
  uint32_t h = 2166136261u;
  for (unsigned char c : group) {
    h ^= c;
    h *= 16777619u;
  }
  return partition_id{static_cast<int32_t>(h % static_cast<uint32_t>(std::max(partitions, 1)))};
}

std::string encode_committed(const committed_offset& c) {
  std::string out;
  kvf::append_int(out, format_version);
  kvf::append_int(out, c.committed.value);
  kvf::append_int(out, c.epoch.value);
  kvf::append_int(out, c.commit_time.value);
  kvf::append_str(out, c.metadata);
  return out;
}

std::optional<committed_offset> decode_committed(std::string_view v) {
  auto version = kvf::read_int<uint8_t>(v);
  auto off = kvf::read_int<int64_t>(v);
  auto epoch = kvf::read_int<int32_t>(v);
  auto ts = kvf::read_int<int64_t>(v);
  auto meta = kvf::read_str(v);
  if (version != format_version || !off || !epoch || !ts || !meta || !v.empty())
    return std::nullopt;
  return committed_offset{offset{*off}, leader_epoch{*epoch}, timestamp_ms{*ts}, std::string{*meta}};
}

std::string encode_group_value(const group_metadata_value& g) {
  std::string out;
  kvf::append_int(out, format_version);
  kvf::append_int(out, g.generation.value);
  kvf::append_str(out, g.protocol);
  return out;
}

std::optional<group_metadata_value> decode_group_value(std::string_view v) {
  auto version = kvf::read_int<uint8_t>(v);
  auto gen = kvf::read_int<int32_t>(v);
  auto protocol = kvf::read_str(v);
  if (version != format_version || !gen || !protocol || !v.empty())
    return std::nullopt;
  return group_metadata_value{generation_id{*gen}, std::string{*protocol}};
}

std::string encode_share_value(const share_state_value& s) {
  std::string out;
  kvf::append_int(out, format_version);
  kvf::append_int(out, s.epoch.value);
  kvf::append_int(out, s.state.start.value);
  kvf::append_int(out, s.state.end.value);
  kvf::append_int(out, static_cast<uint32_t>(s.state.ranges.size()));
  for (auto& r : s.state.ranges) {
    kvf::append_int(out, r.first.value);
    kvf::append_int(out, r.last.value);
    kvf::append_int(out, static_cast<uint8_t>(r.state));
    kvf::append_int(out, r.delivery_count);
  }
  return out;
}

std::optional<share_state_value> decode_share_value(std::string_view v) {
  auto version = kvf::read_int<uint8_t>(v);
  auto epoch = kvf::read_int<int32_t>(v);
  auto start = kvf::read_int<int64_t>(v);
  auto end = kvf::read_int<int64_t>(v);
  auto n = kvf::read_int<uint32_t>(v);
  if (version != format_version || !epoch || !start || !end || !n || *n > max_share_ranges)
    return std::nullopt;
  share_state_value out{leader_epoch{*epoch}, {offset{*start}, offset{*end}, {}}};
  for (uint32_t i = 0; i < *n; ++i) {
    auto first = kvf::read_int<int64_t>(v);
    auto last = kvf::read_int<int64_t>(v);
    auto state = kvf::read_int<uint8_t>(v);
    auto count = kvf::read_int<int16_t>(v);
    if (!first || !last || !state || !count || *state > static_cast<uint8_t>(schema::record_state::archived))
      return std::nullopt;
    out.state.ranges.push_back({offset{*first}, offset{*last}, static_cast<schema::record_state>(*state), *count});
  }
  if (!v.empty())
    return std::nullopt;
  return out;
}

encoded_record encode_record(const offsets_record& r) {
  encoded_record out;
  kvf::append_int(out.key, format_version);
  if (auto* c = std::get_if<offset_commit_record>(&r)) {
    kvf::append_int(out.key, offset_type);
    kvf::append_str(out.key, c->group);
    out.key += kvf::partition_key(c->topic, c->partition);
    if (c->value)
      out.value = encode_committed(*c->value);
  } else if (auto* sh = std::get_if<share_state_record>(&r)) {
    kvf::append_int(out.key, share_type);
    kvf::append_str(out.key, sh->group);
    out.key += kvf::partition_key(sh->topic, sh->partition);
    if (sh->value)
      out.value = encode_share_value(*sh->value);
  } else {
    auto& g = std::get<group_metadata_record>(r);
    kvf::append_int(out.key, group_type);
    kvf::append_str(out.key, g.group);
    if (g.value)
      out.value = encode_group_value(*g.value);
  }
  return out;
}

schema::result<offsets_record> decode_record(std::string_view key,
                                             std::optional<std::string_view> value) {
  auto version = kvf::read_int<uint8_t>(key);
  auto type = kvf::read_int<uint8_t>(key);
  auto group = kvf::read_str(key);
  if (version != format_version || !type || !group)
    return corrupt("key is not version 1");
  if (*type == offset_type) {
    auto tp = kvf::parse_partition_key(key);
    if (!tp)
      return corrupt("offset key without a topic and partition");
    offset_commit_record out{std::string{*group}, std::move(tp->topic), tp->partition, {}};
    if (value) {
      out.value = decode_committed(*value);
      if (!out.value)
        return corrupt("offset value of group '" + out.group + "' is not version 1");
    }
    return offsets_record{std::move(out)};
  }
  if (*type == group_type) {
    if (!key.empty())
      return corrupt("group key with trailing bytes");
    group_metadata_record out{std::string{*group}, {}};
    if (value) {
      out.value = decode_group_value(*value);
      if (!out.value)
        return corrupt("group value of '" + out.group + "' is not version 1");
    }
    return offsets_record{std::move(out)};
  }
  if (*type == share_type) {
    auto tp = kvf::parse_partition_key(key);
    if (!tp)
      return corrupt("share state key without a topic and partition");
    share_state_record out{std::string{*group}, std::move(tp->topic), tp->partition, {}};
    if (value) {
      out.value = decode_share_value(*value);
      if (!out.value)
        return corrupt("share state of group '" + out.group + "' is not version 1");
    }
    return offsets_record{std::move(out)};
  }
  return corrupt("unknown record type " + std::to_string(*type));
}

std::vector<std::byte> build_batch(std::span<const offsets_record> records, timestamp_ms now) {
  std::vector<encoded_record> encoded;
  encoded.reserve(records.size());
  for (auto& r : records)
    encoded.push_back(encode_record(r));
  return build_internal_batch(encoded, now);
}

schema::status for_each_record(std::span<const std::byte> bytes,
                               const std::function<void(offset, offsets_record&&)>& fn) {
  return for_each_internal_record(
    bytes, offsets_topic,
    [&](offset o, std::string_view key, std::optional<std::string_view> value) -> schema::status {
      auto r = decode_record(key, value);
      if (!r)
        return r.err();
      fn(o, std::move(*r));
      return {};
    });
}

} // namespace sluice::actors

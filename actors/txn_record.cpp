#include "actors/txn_record.hpp"

#include "actors/offsets_record.hpp"
#include "actors/topic_spec.hpp"
#include "store/kv_store_format.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t format_version = 1;

constexpr std::array<const char*, 7> state_names{
  "Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead"};
static_assert(state_names.size() == static_cast<size_t>(last_txn_state) + 1);

schema::error corrupt(const std::string& what) {
  return {schema::errc::corrupt_message, std::string{transaction_state_topic} + " record: " + what};
}

} // namespace

partition_id partition_for_transactional_id(std::string_view id, int32_t partitions) {
  return partition_for_group(id, partitions);
}

const char* to_string(txn_state s) noexcept {
  auto i = static_cast<size_t>(s);
  return i < state_names.size() ? state_names[i] : "Unknown";
}

std::optional<txn_state> parse_txn_state(std::string_view name) {
  for (size_t i = 0; i < state_names.size(); ++i) {
    std::string_view n = state_names[i];
    if (n.size() == name.size()
        && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a))
                    == std::tolower(static_cast<unsigned char>(b));
           }))
      return static_cast<txn_state>(i);
  }
  return std::nullopt;
}

std::string encode_txn_metadata(const txn_metadata& m) {
  std::string out;
  kvf::append_int(out, format_version);
  kvf::append_int(out, m.id.value);
  kvf::append_int(out, m.epoch.value);
  kvf::append_int(out, m.timeout_ms);
  kvf::append_int(out, static_cast<uint8_t>(m.state));
  kvf::append_int(out, m.start_time.value);
  kvf::append_int(out, m.last_update.value);
  kvf::append_int(out, static_cast<uint32_t>(m.partitions.size()));
  for (auto& tp : m.partitions) {
    kvf::append_str(out, tp.topic);
    kvf::append_int(out, tp.partition.value);
  }
  kvf::append_int(out, static_cast<uint32_t>(m.group_offsets.size()));
  for (auto& [group, offsets] : m.group_offsets) {
    kvf::append_str(out, group);
    kvf::append_int(out, static_cast<uint32_t>(offsets.size()));
    for (auto& o : offsets) {
      kvf::append_str(out, o.topic);
      kvf::append_int(out, o.partition.value);
      kvf::append_int(out, o.off.value);
      kvf::append_int(out, o.epoch.value);
      kvf::append_str(out, o.metadata);
    }
  }
  return out;
}

schema::result<txn_metadata> decode_txn_metadata(std::string_view v) {
  // Every count is checked against the bytes left before anything is reserved: a corrupt
  // count must not allocate gigabytes.
  auto version = kvf::read_int<uint8_t>(v);
  auto pid = kvf::read_int<int64_t>(v);
  auto epoch = kvf::read_int<int16_t>(v);
  auto timeout = kvf::read_int<int32_t>(v);
  auto state = kvf::read_int<uint8_t>(v);
  auto start = kvf::read_int<int64_t>(v);
  auto update = kvf::read_int<int64_t>(v);
  auto n = kvf::read_int<uint32_t>(v);
  if (version != format_version || !pid || !epoch || !timeout || !state || !start || !update || !n)
    return corrupt("value is not version 1");
  if (*state > static_cast<uint8_t>(last_txn_state))
    return corrupt("unknown state " + std::to_string(*state));
  txn_metadata m{producer_id{*pid}, producer_epoch{*epoch}, *timeout, static_cast<txn_state>(*state),
                 timestamp_ms{*start}, timestamp_ms{*update}, {}, {}};
  constexpr size_t min_partition_bytes = 2 + 4;
  if (*n > v.size() / min_partition_bytes)
    return corrupt("more partitions than bytes");
  for (uint32_t i = 0; i < *n; ++i) {
    auto topic = kvf::read_str(v);
    auto p = kvf::read_int<int32_t>(v);
    if (!topic || !p)
      return corrupt("a partition cut short");
    m.partitions.push_back({std::string{*topic}, partition_id{*p}});
  }
  auto groups = kvf::read_int<uint32_t>(v);
  if (!groups)
    return corrupt("no group count");
  constexpr size_t min_group_bytes = 2 + 4;
  constexpr size_t min_offset_bytes = 2 + 4 + 8 + 4 + 2;
  if (*groups > v.size() / min_group_bytes)
    return corrupt("more groups than bytes");
  for (uint32_t g = 0; g < *groups; ++g) {
    auto group = kvf::read_str(v);
    auto count = kvf::read_int<uint32_t>(v);
    if (!group || !count || *count > v.size() / min_offset_bytes)
      return corrupt("a group's offsets cut short");
    auto& offsets = m.group_offsets[std::string{*group}];
    for (uint32_t i = 0; i < *count; ++i) {
      auto topic = kvf::read_str(v);
      auto p = kvf::read_int<int32_t>(v);
      auto off = kvf::read_int<int64_t>(v);
      auto ep = kvf::read_int<int32_t>(v);
      auto meta = kvf::read_str(v);
      if (!topic || !p || !off || !ep || !meta)
        return corrupt("an offset of group '" + std::string{*group} + "' cut short");
      offsets.push_back({std::string{*topic}, partition_id{*p}, offset{*off}, leader_epoch{*ep},
                         std::string{*meta}});
    }
  }
  if (!v.empty())
    return corrupt("trailing bytes after the value");
  return m;
}

encoded_record encode_txn_record(const txn_record& r) {
  encoded_record out;
  kvf::append_int(out.key, format_version);
  kvf::append_str(out.key, r.transactional_id);
  if (r.value)
    out.value = encode_txn_metadata(*r.value);
  return out;
}

schema::result<txn_record> decode_txn_record(std::string_view key,
                                             std::optional<std::string_view> value) {
  auto version = kvf::read_int<uint8_t>(key);
  auto id = kvf::read_str(key);
  if (version != format_version || !id || !key.empty())
    return corrupt("key is not version 1");
  txn_record out{std::string{*id}, std::nullopt};
  if (value) {
    auto m = decode_txn_metadata(*value);
    if (!m)
      return corrupt("value of '" + out.transactional_id + "': " + m.err().message);
    out.value = std::move(*m);
  }
  return out;
}

std::vector<std::byte> build_txn_batch(std::span<const txn_record> records, timestamp_ms now) {
  std::vector<encoded_record> encoded;
  encoded.reserve(records.size());
  for (auto& r : records)
    encoded.push_back(encode_txn_record(r));
  return build_internal_batch(encoded, now);
}

schema::status for_each_txn_record(std::span<const std::byte> bytes,
                                   const std::function<void(offset, txn_record&&)>& fn) {
  return for_each_internal_record(
    bytes, transaction_state_topic,
    [&](offset o, std::string_view key, std::optional<std::string_view> value) -> schema::status {
      auto r = decode_txn_record(key, value);
      if (!r)
        return r.err();
      fn(o, std::move(*r));
      return {};
    });
}

} // namespace sluice::actors

#include "actors/metadata_record.hpp"

#include "actors/metadata_store.hpp"
#include "store/kv_store_format.hpp"

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t format_version = 1;
enum class record_type : uint8_t {
  put = 0,
  del = 1,
  reg = 2,
  fence = 3,
  barrier = 4,
  partition_state = 5,
  alter_isr = 6,
  reassign = 7,
  elect_preferred = 8,
  decommission = 9,
  producer_ids = 10,
};

schema::error corrupt(const std::string& what) {
  return {schema::errc::corrupt_message, "metadata record: " + what};
}

void append_type(std::string& out, record_type t) {
  kvf::append_int(out, format_version);
  kvf::append_int(out, static_cast<uint8_t>(t));
}

// A length-prefixed value: metadata_store's topic record ends only where its value ends.
void append_bytes(std::string& out, std::string_view b) {
  kvf::append_int(out, static_cast<uint32_t>(b.size()));
  out += b;
}

std::optional<std::string_view> read_bytes(std::string_view& in) {
  auto n = kvf::read_int<uint32_t>(in);
  if (!n || *n > in.size())
    return std::nullopt;
  auto out = in.substr(0, *n);
  in.remove_prefix(*n);
  return out;
}

void append_ids(std::string& out, const std::vector<node_id>& ids) {
  kvf::append_int(out, static_cast<uint32_t>(ids.size()));
  for (auto id : ids)
    kvf::append_int(out, id.value);
}

std::optional<std::vector<node_id>> read_ids(std::string_view& in) {
  auto n = kvf::read_int<uint32_t>(in);
  if (!n || *n > in.size() / 4)
    return std::nullopt;
  std::vector<node_id> out;
  for (uint32_t i = 0; i < *n; ++i)
    out.push_back(node_id{*kvf::read_int<int32_t>(in)});
  return out;
}

schema::result<metadata_record> decode_put(std::string_view in) {
  auto mode = kvf::read_int<uint8_t>(in);
  auto expected = kvf::read_int<int32_t>(in);
  auto name = kvf::read_str(in);
  auto value = name ? read_bytes(in) : std::nullopt;
  if (!mode || *mode > uint8_t(put_mode::restore) || !expected || !value)
    return corrupt("a topic put does not decode");
  auto spec = decode_topic_spec(*name, *value);
  auto count = kvf::read_int<uint32_t>(in);
  if (!spec || !count || *count > in.size() / 4)
    return corrupt("the topic of a put does not decode");
  for (uint32_t p = 0; p < *count; ++p) {
    auto list = read_ids(in);
    if (!list)
      return corrupt("the replicas of a put do not decode");
    spec->replicas.push_back(std::move(*list));
  }
  if (!in.empty())
    return corrupt("trailing bytes after a topic put");
  return metadata_record{topic_put_record{std::move(*spec), put_mode{*mode}, *expected}};
}

schema::result<metadata_record> decode_register(std::string_view in) {
  auto id = kvf::read_int<int32_t>(in);
  auto host = kvf::read_str(in);
  auto port = kvf::read_int<uint16_t>(in);
  auto has_rack = kvf::read_int<uint8_t>(in);
  auto rack = kvf::read_str(in);
  auto epoch = kvf::read_int<int64_t>(in);
  if (!id || !host || !port || !has_rack || *has_rack > 1 || !rack || !epoch || !in.empty())
    return corrupt("a broker registration does not decode");
  broker_register_record r{node_id{*id}, std::string{*host}, *port, std::nullopt, *epoch};
  if (*has_rack)
    r.rack = std::string{*rack};
  return metadata_record{std::move(r)};
}

schema::result<metadata_record> decode_partition_state(std::string_view in) {
  auto topic = kvf::read_str(in);
  auto partition = kvf::read_int<int32_t>(in);
  auto leader = kvf::read_int<int32_t>(in);
  auto epoch = kvf::read_int<int32_t>(in);
  auto isr = read_ids(in);
  auto version = kvf::read_int<int32_t>(in);
  auto seq = kvf::read_int<uint64_t>(in);
  if (!topic || !partition || !leader || !epoch || !isr || !version || !seq || !in.empty())
    return corrupt("a partition state does not decode");
  partition_state_record r{std::string{*topic}, *partition,
                           {std::nullopt, leader_epoch{*epoch}, std::move(*isr), *version, *seq}};
  if (*leader >= 0)
    r.state.leader = node_id{*leader};
  return metadata_record{std::move(r)};
}

schema::result<metadata_record> decode_alter_isr(std::string_view in) {
  auto topic = kvf::read_str(in);
  auto partition = kvf::read_int<int32_t>(in);
  auto leader = kvf::read_int<int32_t>(in);
  auto epoch = kvf::read_int<int32_t>(in);
  auto version = kvf::read_int<int32_t>(in);
  auto isr = read_ids(in);
  auto seq = kvf::read_int<uint64_t>(in);
  if (!topic || !partition || !leader || !epoch || !version || !isr || !seq || !in.empty())
    return corrupt("an ISR change does not decode");
  return metadata_record{alter_isr_record{std::string{*topic}, *partition, node_id{*leader},
                                          leader_epoch{*epoch}, *version, std::move(*isr), *seq}};
}

schema::result<metadata_record> decode_reassign(std::string_view in) {
  auto mode = kvf::read_int<uint8_t>(in);
  auto topic = kvf::read_str(in);
  auto partition = kvf::read_int<int32_t>(in);
  auto target = read_ids(in);
  auto original = read_ids(in);
  if (!mode || *mode > uint8_t(reassign_mode::restore) || !topic || !partition || !target
      || !original || !in.empty())
    return corrupt("a reassignment does not decode");
  return metadata_record{reassign_record{std::string{*topic}, *partition, reassign_mode{*mode},
                                         std::move(*target), std::move(*original)}};
}

schema::result<metadata_record> decode_decommission(std::string_view in) {
  auto id = kvf::read_int<int32_t>(in);
  auto on = kvf::read_int<uint8_t>(in);
  auto move = kvf::read_int<uint8_t>(in);
  if (!id || !on || *on > 1 || !move || *move > 1 || !in.empty())
    return corrupt("a decommission does not decode");
  return metadata_record{broker_decommission_record{node_id{*id}, *on == 1, *move == 1}};
}

schema::result<metadata_record> decode_producer_ids(std::string_view in) {
  auto broker = kvf::read_int<int32_t>(in);
  auto first = kvf::read_int<int64_t>(in);
  auto count = kvf::read_int<int32_t>(in);
  if (!broker || !first || *first < 0 || !count || *count < 0 || !in.empty())
    return corrupt("a producer id block does not decode");
  return metadata_record{producer_ids_record{node_id{*broker}, *first, *count}};
}

} // namespace

std::string encode_metadata_record(const metadata_record& r) {
  std::string out;
  std::visit(
    [&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, topic_put_record>) {
        append_type(out, record_type::put);
        kvf::append_int(out, static_cast<uint8_t>(x.mode));
        kvf::append_int(out, x.expected_partitions);
        kvf::append_str(out, x.spec.name);
        append_bytes(out, encode_topic_spec(x.spec));
        kvf::append_int(out, static_cast<uint32_t>(x.spec.replicas.size()));
        for (auto& list : x.spec.replicas)
          append_ids(out, list);
      } else if constexpr (std::is_same_v<T, topic_delete_record>) {
        append_type(out, record_type::del);
        kvf::append_str(out, x.name);
      } else if constexpr (std::is_same_v<T, broker_register_record>) {
        append_type(out, record_type::reg);
        kvf::append_int(out, x.id.value);
        kvf::append_str(out, x.host);
        kvf::append_int(out, x.port);
        kvf::append_int(out, static_cast<uint8_t>(x.rack.has_value()));
        kvf::append_str(out, x.rack.value_or(""));
        kvf::append_int(out, x.epoch);
      } else if constexpr (std::is_same_v<T, broker_fence_record>) {
        append_type(out, record_type::fence);
        kvf::append_int(out, x.id.value);
        kvf::append_int(out, x.epoch);
        kvf::append_int(out, static_cast<uint8_t>(x.fenced));
      } else if constexpr (std::is_same_v<T, partition_state_record>) {
        append_type(out, record_type::partition_state);
        kvf::append_str(out, x.topic);
        kvf::append_int(out, x.partition);
        kvf::append_int(out, x.state.leader ? x.state.leader->value : int32_t{-1});
        kvf::append_int(out, x.state.epoch.value);
        append_ids(out, x.state.isr);
        kvf::append_int(out, x.state.version);
        kvf::append_int(out, x.state.isr_seq);
      } else if constexpr (std::is_same_v<T, alter_isr_record>) {
        append_type(out, record_type::alter_isr);
        kvf::append_str(out, x.topic);
        kvf::append_int(out, x.partition);
        kvf::append_int(out, x.leader.value);
        kvf::append_int(out, x.epoch.value);
        kvf::append_int(out, x.version);
        append_ids(out, x.isr);
        kvf::append_int(out, x.seq);
      } else if constexpr (std::is_same_v<T, reassign_record>) {
        append_type(out, record_type::reassign);
        kvf::append_int(out, static_cast<uint8_t>(x.mode));
        kvf::append_str(out, x.topic);
        kvf::append_int(out, x.partition);
        append_ids(out, x.target);
        append_ids(out, x.original);
      } else if constexpr (std::is_same_v<T, elect_preferred_record>) {
        append_type(out, record_type::elect_preferred);
        kvf::append_str(out, x.topic);
      } else if constexpr (std::is_same_v<T, broker_decommission_record>) {
        append_type(out, record_type::decommission);
        kvf::append_int(out, x.id.value);
        kvf::append_int(out, static_cast<uint8_t>(x.decommissioned));
        kvf::append_int(out, static_cast<uint8_t>(x.move_replicas));
      } else if constexpr (std::is_same_v<T, producer_ids_record>) {
        append_type(out, record_type::producer_ids);
        kvf::append_int(out, x.broker.value);
        kvf::append_int(out, x.first);
        kvf::append_int(out, x.count);
      } else {
        append_type(out, record_type::barrier);
      }
    },
    r);
  return out;
}

schema::result<metadata_record> decode_metadata_record(std::string_view bytes) {
  auto version = kvf::read_int<uint8_t>(bytes);
  auto type = kvf::read_int<uint8_t>(bytes);
  if (version != format_version || !type)
    return corrupt("not a version-1 record");
  switch (record_type{*type}) {
    case record_type::put: return decode_put(bytes);
    case record_type::del: {
      auto name = kvf::read_str(bytes);
      if (!name || !bytes.empty())
        return corrupt("a topic delete does not decode");
      return metadata_record{topic_delete_record{std::string{*name}}};
    }
    case record_type::reg: return decode_register(bytes);
    case record_type::fence: {
      auto id = kvf::read_int<int32_t>(bytes);
      auto epoch = kvf::read_int<int64_t>(bytes);
      auto fenced = kvf::read_int<uint8_t>(bytes);
      if (!id || !epoch || !fenced || *fenced > 1 || !bytes.empty())
        return corrupt("a broker fence does not decode");
      return metadata_record{broker_fence_record{node_id{*id}, *epoch, *fenced == 1}};
    }
    case record_type::barrier:
      if (!bytes.empty())
        return corrupt("trailing bytes after a barrier");
      return metadata_record{barrier_record{}};
    case record_type::partition_state: return decode_partition_state(bytes);
    case record_type::alter_isr: return decode_alter_isr(bytes);
    case record_type::reassign: return decode_reassign(bytes);
    case record_type::elect_preferred: {
      auto topic = kvf::read_str(bytes);
      if (!topic || !bytes.empty())
        return corrupt("a preferred leader election does not decode");
      return metadata_record{elect_preferred_record{std::string{*topic}}};
    }
    case record_type::decommission: return decode_decommission(bytes);
    case record_type::producer_ids: return decode_producer_ids(bytes);
  }
  return corrupt("unknown record type " + std::to_string(*type));
}

} // namespace sluice::actors

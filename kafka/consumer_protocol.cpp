#include "kafka/consumer_protocol.hpp"

#include "kafka/topic_groups.hpp"

namespace sluice::kafka {

namespace {

// [topic string, partitions [i32]]
std::vector<schema::group_partition> read_topic_partitions(reader& r) {
  std::vector<schema::group_partition> out;
  read_by_topic(r, 4, [&](const std::string& topic) { out.push_back({topic, partition_id{r.i32()}}); });
  return out;
}

void write_topic_partitions(writer& w, const std::vector<schema::group_partition>& partitions) {
  write_by_topic(w, partitions, [](writer& w, const auto& p) { w.i32(p.partition.value); });
}

} // namespace

schema::result<subscription> decode_subscription(bytes_view bytes) {
  reader r{bytes};
  subscription s;
  auto version = r.i16();
  auto n = r.array(2);
  for (int32_t i = 0; i < n && r.ok(); ++i)
    s.topics.push_back(r.string());
  r.nullable_bytes(); // user data
  if (version >= 1 && r.ok())
    s.owned = read_topic_partitions(r);
  if (!r.ok() || version < 0)
    return schema::error{schema::errc::invalid_request, "malformed consumer protocol subscription"};
  return s;
}

std::vector<std::byte> encode_subscription(const subscription& s) {
  std::vector<std::byte> out;
  writer w{out};
  w.i16(1);
  w.array(s.topics.size());
  for (const auto& t : s.topics)
    w.string(t);
  w.null_bytes();
  write_topic_partitions(w, s.owned);
  return out;
}

std::vector<std::byte> encode_assignment(const std::vector<schema::group_partition>& partitions) {
  std::vector<std::byte> out;
  writer w{out};
  w.i16(0);
  write_topic_partitions(w, partitions);
  w.bytes({});
  return out;
}

schema::result<std::vector<schema::group_partition>> decode_assignment(bytes_view bytes) {
  reader r{bytes};
  auto version = r.i16();
  auto partitions = read_topic_partitions(r);
  r.nullable_bytes();
  if (!r.ok() || version < 0)
    return schema::error{schema::errc::invalid_request, "malformed consumer protocol assignment"};
  return partitions;
}

} // namespace sluice::kafka

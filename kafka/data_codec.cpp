// Produce v3, Fetch v4 and ListOffsets v1 (kafka/codec.hpp).

#include "kafka/api.hpp"
#include "kafka/codec.hpp"
#include "kafka/record_batch.hpp"
#include "kafka/request_header.hpp"
#include "kafka/topic_groups.hpp"

namespace sluice::kafka {

namespace {

// The smallest encodings of a partition element, bounding what a count may claim.
constexpr size_t min_produce_partition_bytes = 4 + 4;
constexpr size_t min_fetch_partition_bytes = 4 + 8 + 4;
constexpr size_t min_list_offsets_partition_bytes = 4 + 8;

} // namespace

schema::result<produce_decoded> decode_produce(bytes_view body, int16_t) {
  reader r{body};
  produce_decoded d;
  r.nullable_string(); // transactional id: Sluice's Kafka listener has no transactions
  auto acks = r.i16();
  d.request.timeout_ms = r.i32();
  bool acks_ok = acks == 0 || acks == 1 || acks == -1;
  d.request.acks = acks_ok ? static_cast<schema::acks>(acks) : schema::acks::leader;
  read_by_topic(r, min_produce_partition_bytes, [&](const std::string& topic) {
    partition_id partition{r.i32()};
    auto records = r.nullable_bytes();
    if (!r.ok())
      return;
    schema::produce_request::partition_data data{topic, partition, {}};
    schema::status st = acks_ok ? schema::status{}
                                : schema::status{schema::error{schema::errc::invalid_request,
                                                 "acks must be 0, 1 or -1"}};
    if (st)
      st = to_sluice(records.value_or(bytes_view{}), data.records);
    if (st) {
      d.request.partitions.push_back(std::move(data));
    } else {
      schema::produce_response::partition_response refused;
      refused.topic = topic;
      refused.partition = partition;
      refused.error = st.err();
      d.refused.push_back(std::move(refused));
    }
  });
  if (!r.ok() || r.remaining() != 0)
    return malformed("Produce");
  return d;
}

void encode_produce(std::vector<std::byte>& out, int16_t,
                    const std::vector<schema::produce_response::partition_response>& partitions) {
  writer w{out};
  write_by_topic(w, partitions, [](writer& w, const auto& p) {
    w.i32(p.partition.value);
    w.i16(to_kafka(p.error.code));
    w.i64(p.base_offset.value);
    w.i64(p.log_append_time.value);
  });
  w.i32(0); // throttle_time_ms
}

schema::result<schema::fetch_request> decode_fetch(bytes_view body, int16_t) {
  reader r{body};
  schema::fetch_request req;
  r.i32(); // replica id: a Kafka client is always a consumer (-1); followers speak Sluice
  req.max_wait_ms = r.i32();
  req.min_bytes = r.i32();
  req.max_bytes = r.i32();
  auto isolation = r.i8();
  if (isolation != 0 && isolation != 1)
    r.fail();
  req.isolation = static_cast<schema::isolation_level>(isolation);
  read_by_topic(r, min_fetch_partition_bytes, [&](const std::string& topic) {
    schema::fetch_request::partition_request p;
    p.topic = topic;
    p.partition = partition_id{r.i32()};
    p.fetch_offset = offset{r.i64()};
    p.max_bytes = r.i32();
    req.partitions.push_back(std::move(p));
  });
  if (!r.ok() || r.remaining() != 0 || req.max_wait_ms < 0)
    return malformed("Fetch");
  return req;
}

void encode_fetch(std::vector<std::byte>& out, int16_t, const schema::fetch_response& response) {
  writer w{out};
  w.i32(0); // throttle_time_ms
  write_by_topic(w, response.partitions, [&out](writer& w, const auto& p) {
    w.i32(p.partition.value);
    w.i16(to_kafka(p.error.code));
    w.i64(p.high_watermark.value);
    w.i64(p.last_stable_offset.value);
    w.array(p.aborted_transactions.size());
    for (const auto& a : p.aborted_transactions) {
      w.i64(a.id.value);
      w.i64(a.first_offset.value);
    }
    std::span<const std::byte> records{p.records.data(), p.records.size()};
    out.reserve(out.size() + 4 + kafka_size(records));
    auto size_pos = w.size();
    w.i32(0);
    to_kafka(records, out);
    w.patch_i32(size_pos, static_cast<int32_t>(out.size() - size_pos - 4));
  });
}

schema::result<schema::list_offsets_request> decode_list_offsets(bytes_view body, int16_t) {
  reader r{body};
  schema::list_offsets_request req;
  r.i32(); // replica id
  read_by_topic(r, min_list_offsets_partition_bytes, [&](const std::string& topic) {
    schema::list_offsets_request::partition_query q;
    q.topic = topic;
    q.partition = partition_id{r.i32()};
    auto ts = r.i64();
    if (ts == -1) {
      q.query = schema::offset_query::latest;
    } else if (ts == -2) {
      q.query = schema::offset_query::earliest;
    } else if (ts >= 0) {
      q.query = schema::offset_query::by_timestamp;
      q.timestamp = timestamp_ms{ts};
    } else {
      r.fail();
    }
    req.partitions.push_back(std::move(q));
  });
  if (!r.ok() || r.remaining() != 0)
    return malformed("ListOffsets");
  return req;
}

void encode_list_offsets(std::vector<std::byte>& out, int16_t,
                         const schema::list_offsets_response& response) {
  writer w{out};
  write_by_topic(w, response.partitions, [](writer& w, const auto& p) {
    w.i32(p.partition.value);
    w.i16(to_kafka(p.error.code));
    w.i64(p.timestamp.value);
    w.i64(p.off.value);
  });
}

} // namespace sluice::kafka

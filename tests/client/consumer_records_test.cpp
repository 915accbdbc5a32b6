#define CAF_SUITE client.consumer_records
#include <caf/test/unit_test.hpp>

#include "client/consumer_records.hpp"

#include <memory>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::client;

namespace {

// A batch of `n` records "v<base+i>" at base offset `base`.
std::vector<std::byte> batch(int64_t base, int n) {
  store::batch_builder b;
  for (int i = 0; i < n; ++i) {
    auto v = "v" + std::to_string(base + i);
    b.add(timestamp_ms{1}, std::nullopt, std::string_view{v});
  }
  auto bytes = b.finish();
  store::set_base_offset(bytes, offset{base});
  return bytes;
}

// The buffer a consumer's fetch decodes into.
store::byte_buffer concat(std::initializer_list<std::vector<std::byte>> parts) {
  store::byte_buffer out;
  for (auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<int64_t> offsets_of(const consumer_records& recs) {
  std::vector<int64_t> out;
  recs.for_each([&](const topic_partition&, const store::record_view& r) { out.push_back(r.off.value); });
  return out;
}

const topic_partition tp{"t", partition_id{0}};

} // namespace

CAF_TEST(whole batches from the position) {
  auto c = make_chunk(tp, 3, concat({batch(0, 3), batch(3, 2)}), offset{0});
  CAF_REQUIRE(c.ok());
  CAF_CHECK_EQUAL(c->batches.size(), 2u);
  CAF_CHECK_EQUAL(c->record_count, 5u);
  CAF_CHECK_EQUAL(c->next.value, 5);
  CAF_CHECK_EQUAL(c->epoch, 3u);
  std::vector<fetched_chunk> v;
  v.push_back(std::move(*c));
  consumer_records recs{std::move(v)};
  CAF_CHECK_EQUAL(recs.count(), 5u);
  CAF_CHECK_EQUAL(offsets_of(recs), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

CAF_TEST(records before the position are skipped) {
  // A seek into the middle of a batch: the node returns the whole batch.
  auto c = make_chunk(tp, 0, concat({batch(0, 3), batch(3, 4), batch(7, 2)}), offset{5});
  CAF_REQUIRE(c.ok());
  CAF_CHECK_EQUAL(c->batches.size(), 2u); // the first batch ends before 5
  CAF_CHECK_EQUAL(c->record_count, 4u);  // 5, 6, 7, 8
  CAF_CHECK_EQUAL(c->next.value, 9);
  std::vector<fetched_chunk> v;
  v.push_back(std::move(*c));
  consumer_records recs{std::move(v)};
  CAF_CHECK_EQUAL(offsets_of(recs), (std::vector<int64_t>{5, 6, 7, 8}));
  std::string values;
  recs.for_each([&](const topic_partition& t, const store::record_view& r) {
    CAF_CHECK(t == tp);
    values += std::string{*r.value} + ",";
  });
  CAF_CHECK_EQUAL(values, "v5,v6,v7,v8,");
}

CAF_TEST(a batch cut off at the end waits for the next fetch) {
  auto second = batch(3, 2);
  auto bytes = concat({batch(0, 3), second});
  bytes.resize(bytes.size() - second.size() / 2);
  auto c = make_chunk(tp, 0, bytes, offset{0});
  CAF_REQUIRE(c.ok());
  CAF_CHECK_EQUAL(c->batches.size(), 1u);
  CAF_CHECK_EQUAL(c->next.value, 3);
  // Even a cut-off header.
  bytes = concat({batch(0, 3)});
  bytes.resize(bytes.size() + 10);
  c = make_chunk(tp, 0, bytes, offset{0});
  CAF_REQUIRE(c.ok());
  CAF_CHECK_EQUAL(c->next.value, 3);
}

CAF_TEST(a corrupt batch is an error) {
  auto bytes = concat({batch(0, 3), batch(3, 2)});
  bytes[bytes.size() - 3] ^= std::byte{0x40};
  auto c = make_chunk(tp, 0, bytes, offset{0});
  CAF_REQUIRE(!c.ok());
  CAF_CHECK(c.err().message.find("corrupt batch") != std::string::npos);
}

CAF_TEST(no whole batch at all is an error) {
  auto bytes = concat({batch(0, 3)});
  bytes.resize(bytes.size() - 1);
  auto c = make_chunk(tp, 0, bytes, offset{0});
  CAF_REQUIRE(!c.ok());
  CAF_CHECK(c.err().message.find("max.partition.fetch.bytes") != std::string::npos);
}

CAF_TEST(batches are views into the fetched bytes) {
  auto c = make_chunk(tp, 0, concat({batch(10, 2)}), offset{10});
  CAF_REQUIRE(c.ok());
  const std::byte* base = c->bytes.data();
  std::vector<fetched_chunk> v;
  v.push_back(std::move(*c));
  consumer_records recs{std::move(v)};
  recs.for_each_batch([&](const consumer_records::batch& b) {
    CAF_CHECK(b.bytes.data() == recs.chunks()[0].bytes.data());
    CAF_CHECK_EQUAL(b.header.base_offset.value, 10);
  });
  (void) base;
  recs.for_each([&](const topic_partition&, const store::record_view& r) {
    auto* p = reinterpret_cast<const std::byte*>(r.value->data());
    CAF_CHECK(p >= recs.chunks()[0].bytes.data()
              && p < recs.chunks()[0].bytes.data() + recs.chunks()[0].bytes.size());
  });
}

// The consumer's path: a fetch response read in place (schema::decode_view), each chunk a view
// into the envelope's bytes that keeps them alive after the response itself is gone.
CAF_TEST(chunks view a fetch response in place and keep it alive) {
  schema::fetch_response resp;
  resp.partitions.push_back({"t", partition_id{0}, {}, offset{12}, offset{0}, offset{12},
                             concat({batch(10, 2)})});
  resp.partitions.push_back({"t", partition_id{1}, {}, offset{3}, offset{0}, offset{3},
                             concat({batch(0, 3)})});
  auto view = schema::decode_view(schema::encode(resp));
  CAF_REQUIRE(view.ok());
  std::vector<fetched_chunk> v;
  for (auto& p : view->partitions) {
    auto c = make_chunk({p.topic, p.partition}, 0, view->owner, p.records,
                        p.partition.value == 0 ? offset{10} : offset{0});
    CAF_REQUIRE(c.ok());
    CAF_CHECK(c->bytes.data() == p.records.data()); // no copy
    v.push_back(std::move(*c));
  }
  std::weak_ptr<const void> envelope_bytes = view->owner;
  *view = schema::fetch_response_view{};
  CAF_CHECK(!envelope_bytes.expired()); // the chunks hold it
  {
    consumer_records recs{std::move(v)};
    CAF_CHECK_EQUAL(recs.count(), 5u);
    std::vector<std::string> values;
    recs.for_each([&](const topic_partition&, const store::record_view& r) {
      values.emplace_back(*r.value);
    });
    CAF_CHECK_EQUAL(values, (std::vector<std::string>{"v10", "v11", "v0", "v1", "v2"}));
  }
  CAF_CHECK(envelope_bytes.expired()); // and let it go with the records
}

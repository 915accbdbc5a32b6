#define CAF_SUITE filter.batch
#include <caf/test/unit_test.hpp>

#include "filter/batch_filter.hpp"

#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::filter;
using store::record_header;

namespace {

// One batch at `base` whose record i carries tag tags[i] ("" for a record without headers).
store::byte_buffer batch_at(int64_t base, std::vector<std::string> tags) {
  store::batch_builder b;
  for (size_t i = 0; i < tags.size(); ++i) {
    record_header h{"tags", tags[i]};
    auto value = "v" + std::to_string(base + static_cast<int64_t>(i));
    if (tags[i].empty())
      b.add(timestamp_ms{100 + static_cast<int64_t>(i)}, std::nullopt, value);
    else
      b.add(timestamp_ms{100 + static_cast<int64_t>(i)}, std::nullopt, value, {&h, 1});
  }
  auto bytes = b.finish();
  store::set_base_offset(bytes, offset{base});
  return {bytes.begin(), bytes.end()};
}

filter_expr expr(std::string_view text) {
  auto f = parse_filter(text);
  CAF_REQUIRE(f);
  return std::move(*f);
}

// (offset, value) of every record in `bytes`, after validating each batch.
std::vector<std::pair<int64_t, std::string>> records(const store::byte_buffer& bytes) {
  std::vector<std::pair<int64_t, std::string>> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto b = store::bytes_view{bytes}.subspan(pos);
    auto h = store::validate_batch(b);
    CAF_REQUIRE(h);
    store::record_reader r{b.first(h->size_bytes())};
    store::record_view rv;
    while (r.next(rv))
      out.emplace_back(rv.off.value, std::string{*rv.value});
    CAF_REQUIRE(!r.error_state());
    pos += h->size_bytes();
  }
  return out;
}

using recs = std::vector<std::pair<int64_t, std::string>>;

} // namespace

CAF_TEST(all matching keeps the batch byte for byte) {
  auto in = batch_at(10, {"a", "a"});
  store::byte_buffer out;
  auto s = filter_batches(in, offset{10}, expr("a"), out);
  CAF_REQUIRE(s);
  CAF_CHECK(out == in);
  CAF_CHECK_EQUAL(s->next.value, 12);
  CAF_CHECK_EQUAL(s->matched, 2u);
}

CAF_TEST(partial match rebuilds with offsets kept) {
  auto in = batch_at(10, {"a", "b", "a", "b"});
  store::byte_buffer out;
  auto s = filter_batches(in, offset{10}, expr("b"), out);
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(records(out), (recs{{11, "v11"}, {13, "v13"}}));
  auto h = store::validate_batch(out);
  CAF_REQUIRE(h);
  CAF_CHECK_EQUAL(h->record_count, 2u);
  CAF_CHECK_EQUAL(h->next_offset().value, 14); // the consumer moves past offset 13's batch end
  CAF_CHECK_EQUAL(s->next.value, 14);
}

CAF_TEST(last record filtered out still advances) {
  auto in = batch_at(0, {"a", "b"});
  store::byte_buffer out;
  auto s = filter_batches(in, offset{0}, expr("a"), out);
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(records(out), (recs{{0, "v0"}}));
  CAF_CHECK_EQUAL(store::validate_batch(out)->next_offset().value, 2);
}

CAF_TEST(nothing matching returns nothing but the next offset) {
  auto in = batch_at(0, {"a", "a"});
  auto more = batch_at(2, {"b"});
  in.insert(in.end(), more.begin(), more.end());
  store::byte_buffer out;
  auto s = filter_batches(in, offset{0}, expr("c"), out);
  CAF_REQUIRE(s);
  CAF_CHECK(out.empty());
  CAF_CHECK_EQUAL(s->next.value, 3);
  CAF_CHECK_EQUAL(s->scanned, 3u);
}

CAF_TEST(records below the fetch offset are dropped) {
  auto in = batch_at(0, {"a", "a", "a"});
  store::byte_buffer out;
  auto s = filter_batches(in, offset{2}, expr("a"), out);
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(records(out), (recs{{2, "v2"}}));
  CAF_CHECK_EQUAL(s->scanned, 1u);
}

CAF_TEST(records without headers match only negative tests) {
  auto in = batch_at(0, {"", "a", ""});
  store::byte_buffer out;
  CAF_REQUIRE(filter_batches(in, offset{0}, expr("a"), out));
  CAF_CHECK_EQUAL(records(out), (recs{{1, "v1"}}));
  out.clear();
  CAF_REQUIRE(filter_batches(in, offset{0}, expr("tags IS NULL"), out));
  CAF_CHECK_EQUAL(records(out), (recs{{0, "v0"}, {2, "v2"}}));
}

CAF_TEST(partial tail batch is left for the next fetch) {
  auto in = batch_at(0, {"a"});
  auto more = batch_at(1, {"a"});
  in.insert(in.end(), more.begin(), more.end() - 3);
  store::byte_buffer out;
  auto s = filter_batches(in, offset{0}, expr("a"), out);
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->next.value, 1);
  CAF_CHECK_EQUAL(records(out), (recs{{0, "v0"}}));
}

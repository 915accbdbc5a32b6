#define CAF_SUITE client.consumer
#include <caf/test/unit_test.hpp>

#include "client/consumer.hpp"
#include "client/producer.hpp"
#include "tests/client/fake_node.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace sluice;
using namespace sluice::client;
using namespace std::chrono_literals;

namespace {

struct fixture : test::fake_node_fixture {
  topic_partition tp{"t", partition_id{0}};

  // `n` records "v<i>" in batches of `per_batch`, starting at `first`.
  void produce(int first, int n, int per_batch = 10) {
    producer_config pc;
    pc.linger = 1h;
    producer p{conn, pc};
    for (int i = first; i < first + n; ++i) {
      auto v = std::string{"v"}.append(std::to_string(i));
      CAF_REQUIRE(p.send(producer_record{tp.topic, std::nullopt, v, tp.partition}, nullptr).ok());
      if ((i - first + 1) % per_batch == 0)
        p.flush();
    }
    p.flush();
  }

  consumer_config fast() {
    consumer_config c;
    c.fetch_max_wait = 20ms;
    c.retry_backoff = 5ms;
    return c;
  }
};

// Polls until `n` records arrived (or 10 s passed); returns their offsets and values.
std::vector<std::pair<int64_t, std::string>> take(consumer& c, size_t n) {
  std::vector<std::pair<int64_t, std::string>> out;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto recs = c.poll(100ms);
    if (!recs)
      CAF_FAIL("poll: " << recs.err().to_string());
    recs->for_each([&](const topic_partition&, const store::record_view& r) {
      out.emplace_back(r.off.value, std::string{*r.value});
    });
  }
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(consumer_tests, fixture)

CAF_TEST(reads from the beginning in order) {
  st->add_topic("t", 1);
  produce(0, 100);
  consumer c{conn, fast()};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto got = take(c, 100);
  CAF_REQUIRE_EQUAL(got.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    CAF_CHECK_EQUAL(got[static_cast<size_t>(i)].first, i);
    CAF_CHECK_EQUAL(got[static_cast<size_t>(i)].second, "v" + std::to_string(i));
  }
  CAF_CHECK_EQUAL(c.position(tp).value_or(offset{-1}).value, 100);
}

CAF_TEST(latest skips what is already there) {
  st->add_topic("t", 1);
  produce(0, 20);
  consumer c{conn, fast()}; // auto.offset.reset latest
  c.assign({tp});
  // Let the position resolve to the current end before producing more.
  for (int i = 0; i < 100 && !c.position(tp); ++i)
    CAF_REQUIRE(c.poll(10ms).ok());
  CAF_CHECK_EQUAL(c.position(tp).value_or(offset{-1}).value, 20);
  produce(20, 5);
  auto got = take(c, 5);
  CAF_REQUIRE_EQUAL(got.size(), 5u);
  CAF_CHECK_EQUAL(got.front().first, 20);
}

CAF_TEST(seek into the middle of a batch) {
  st->add_topic("t", 1);
  produce(0, 30);
  consumer c{conn, fast()};
  c.assign({tp});
  CAF_REQUIRE(c.seek(tp, offset{15}).ok());
  auto got = take(c, 15);
  CAF_REQUIRE_EQUAL(got.size(), 15u);
  CAF_CHECK_EQUAL(got.front().first, 15);
  CAF_CHECK_EQUAL(got.back().first, 29);
  // Seeking back drops whatever was fetched meanwhile.
  CAF_REQUIRE(c.seek(tp, offset{3}).ok());
  got = take(c, 2);
  CAF_REQUIRE_GREATER_OR_EQUAL(got.size(), 2u);
  CAF_CHECK_EQUAL(got.front().first, 3);
}

CAF_TEST(reassigning keeps the positions of kept partitions) {
  st->add_topic("t", 2);
  produce(0, 10);
  consumer c{conn, fast()};
  topic_partition other{"t", partition_id{1}};
  c.assign({tp});
  CAF_REQUIRE(c.seek(tp, offset{7}).ok());
  c.assign({tp, other});
  CAF_CHECK_EQUAL(c.position(tp).value_or(offset{-1}).value, 7);
  CAF_CHECK_EQUAL(c.assignment().size(), 2u);
  auto got = take(c, 3);
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  CAF_CHECK_EQUAL(got.front().first, 7);
  CAF_CHECK(!c.seek({"t", partition_id{5}}, offset{0}).ok());
}

CAF_TEST(seek to end then only new records) {
  st->add_topic("t", 1);
  produce(0, 10);
  auto cfg = fast();
  cfg.auto_offset_reset = offset_reset::earliest;
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_end().ok());
  for (int i = 0; i < 100 && !c.position(tp); ++i)
    CAF_REQUIRE(c.poll(10ms).ok());
  CAF_CHECK_EQUAL(c.position(tp).value_or(offset{-1}).value, 10);
  produce(10, 1);
  auto got = take(c, 1);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got.front().first, 10);
}

CAF_TEST(out of range resets to earliest) {
  st->add_topic("t", 1);
  produce(0, 10);
  auto cfg = fast();
  cfg.auto_offset_reset = offset_reset::earliest;
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek(tp, offset{1000}).ok());
  auto got = take(c, 10);
  CAF_REQUIRE_EQUAL(got.size(), 10u);
  CAF_CHECK_EQUAL(got.front().first, 0);
}

CAF_TEST(a leader whose high watermark lags what was read is waited for not reset) {
  st->add_topic("t", 1);
  produce(0, 10);
  auto cfg = fast();
  cfg.auto_offset_reset = offset_reset::earliest; // a reset would read everything again
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  CAF_REQUIRE_EQUAL(take(c, 10).size(), 10u);
  // A new leader whose high watermark is still at 5: fetching from 10 is out of its range.
  {
    std::lock_guard lock{st->mtx};
    st->lagging_hw[{"t", 0}] = 5;
  }
  produce(10, 5);
  auto none = c.poll(100ms);
  CAF_REQUIRE(none.ok());
  CAF_CHECK(none->empty());
  {
    std::lock_guard lock{st->mtx};
    st->lagging_hw.clear();
  }
  auto got = take(c, 5);
  CAF_REQUIRE_EQUAL(got.size(), 5u);
  CAF_CHECK_EQUAL(got.front().first, 10);
  CAF_CHECK_EQUAL(got.back().first, 14);
  auto rest = c.poll(100ms);
  CAF_REQUIRE(rest.ok());
  CAF_CHECK(rest->empty()); // nothing twice
}

CAF_TEST(out of range without reset is an error) {
  st->add_topic("t", 1);
  produce(0, 10);
  auto cfg = fast();
  cfg.auto_offset_reset = offset_reset::none;
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek(tp, offset{1000}).ok());
  auto r = c.poll(5s);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(r.err().server == schema::errc::offset_out_of_range);
}

CAF_TEST(unknown topic reaches poll) {
  consumer c{conn, fast()};
  c.assign({{"nope", partition_id{0}}});
  auto r = c.poll(5s);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK(r.err().server == schema::errc::unknown_topic_or_partition);
  auto parts = c.partitions_for("nope");
  CAF_REQUIRE(!parts.ok());
  CAF_CHECK_EQUAL(parts.err().message, "unknown topic 'nope'");
}

CAF_TEST(the next fetch is in flight while the application works) {
  st->add_topic("t", 1);
  produce(0, 50, 10); // five batches
  auto cfg = fast();
  cfg.max_partition_fetch_bytes = 1; // one batch per fetch
  cfg.prefetch_max_bytes = 1;        // no fetch while anything waits unpolled
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto first = c.poll(5s);
  CAF_REQUIRE(first.ok());
  CAF_CHECK_EQUAL(first->count(), 10u);
  // While the application holds the first batch, the fetcher fetches the second (and, bounded
  // by prefetch_max_bytes, nothing beyond): a zero-timeout poll finds exactly it.
  std::this_thread::sleep_for(200ms);
  auto ahead = c.poll(0ms);
  CAF_REQUIRE(ahead.ok());
  CAF_CHECK_EQUAL(ahead->count(), 10u);
  std::vector<int64_t> offs;
  ahead->for_each([&](const topic_partition&, const store::record_view& r) { offs.push_back(r.off.value); });
  CAF_CHECK_EQUAL(offs.front(), 10);
  // Two fetches so far, a third once the poll above made room.
  CAF_CHECK_GREATER_OR_EQUAL(c.fetch_latency().count(), 2u);
  CAF_CHECK_LESS_OR_EQUAL(c.fetch_latency().count(), 3u);
}

CAF_TEST(several partitions) {
  st->add_topic("m", 3);
  {
    producer_config pc;
    pc.linger = 1ms;
    producer p{conn, pc};
    for (int i = 0; i < 90; ++i)
      CAF_REQUIRE(p.send(producer_record{"m", std::nullopt, std::string_view{"x"}, partition_id{i % 3}}, nullptr).ok());
    p.flush();
  }
  consumer c{conn, fast()};
  auto parts = c.partitions_for("m");
  CAF_REQUIRE(parts.ok());
  CAF_CHECK_EQUAL(parts->size(), 3u);
  c.assign(*parts);
  CAF_REQUIRE(c.seek_to_beginning().ok());
  CAF_CHECK_EQUAL(take(c, 90).size(), 90u);
}

// -- filtered consume (README "Message filtering") --------------------------------------------

namespace {

// `n` records "v<i>" tagged "odd" or "even", in batches of 10.
void produce_tagged(test::fake_node_fixture& f, const topic_partition& tp, int n) {
  producer_config pc;
  pc.linger = 1h;
  producer p{f.conn, pc};
  for (int i = 0; i < n; ++i) {
    auto v = "v" + std::to_string(i);
    store::record_header h{"tags", i % 2 ? "odd" : "even"};
    producer_record r{tp.topic, std::nullopt, v, tp.partition};
    r.headers = {&h, 1};
    CAF_REQUIRE(p.send(r, nullptr).ok());
    if ((i + 1) % 10 == 0)
      p.flush();
  }
  p.flush();
}

} // namespace

CAF_TEST(a filtered consumer gets only matching records and its position passes the rest) {
  st->add_topic("t", 1);
  produce_tagged(*this, tp, 100);
  auto cfg = fast();
  cfg.filter = "odd && !tags IN ('x')";
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto got = take(c, 50);
  CAF_REQUIRE_EQUAL(got.size(), 50u);
  for (size_t i = 0; i < got.size(); ++i)
    CAF_CHECK_EQUAL(got[i].first, static_cast<int64_t>(2 * i + 1));
  CAF_CHECK_EQUAL(c.position(tp).value_or(offset{-1}).value, 100);
}

CAF_TEST(a filter that matches nothing still moves the position to the end) {
  st->add_topic("t", 1);
  produce_tagged(*this, tp, 30);
  auto cfg = fast();
  cfg.filter = "none_has_this";
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.position(tp).value_or(offset{-1}).value < 30 && std::chrono::steady_clock::now() < deadline) {
    auto recs = c.poll(50ms);
    CAF_REQUIRE(recs);
    CAF_CHECK(recs->empty());
  }
  CAF_CHECK_EQUAL(c.position(tp).value_or(offset{-1}).value, 30);
}

CAF_TEST(a malformed filter is refused by the consumer naming the position) {
  st->add_topic("t", 1);
  auto cfg = fast();
  cfg.filter = "odd &&";
  cfg.group_id = "g";
  consumer c{conn, cfg};
  c.assign({tp});
  auto recs = c.poll(50ms);
  CAF_REQUIRE(!recs);
  CAF_CHECK_EQUAL(recs.err().code, errc::invalid_argument);
  CAF_CHECK_EQUAL(recs.err().message,
                  "filter: position 7: expected a tag, a header name, '(' or NOT, found end of expression");
  auto sub = c.subscribe({"t"});
  CAF_REQUIRE(!sub);
  CAF_CHECK_EQUAL(sub.err().code, errc::invalid_argument);
  CAF_CHECK_EQUAL(st->fetch_requests_at.size(), 0u); // nothing was sent
}

// -- transactions (KIP-98) -----------------------------------------------------------------

namespace {

namespace bf = store::batch_format;

// `n` records "<prefix>-<i>" of producer `pid`, transactional unless `txn` is false.
std::vector<std::byte> pid_batch(int64_t pid, size_t n, const std::string& prefix, bool txn = true) {
  store::batch_builder b;
  for (size_t i = 0; i < n; ++i) {
    auto v = prefix + "-" + std::to_string(i);
    b.add(timestamp_ms{1000}, std::nullopt, std::string_view{v});
  }
  return b.finish(pid, 0, 0, txn ? bf::attr_transactional : uint16_t{0});
}

std::vector<std::byte> marker(int64_t pid, bool commit) {
  return store::make_control_batch(
    pid, 0, {commit ? store::control_type::commit : store::control_type::abort, 0}, timestamp_ms{0});
}

std::vector<int64_t> offsets_of(const std::vector<std::pair<int64_t, std::string>>& got) {
  std::vector<int64_t> out;
  for (auto& [o, _] : got)
    out.push_back(o);
  return out;
}

// pid 5 aborts [0, 3) and [5, 7) (marker at 7), pid 6 commits [3, 5) (marker at 8), pid 5 then
// commits [9, 11) (marker at 11).
void interleaved_transactions(test::fake_state& st) {
  st.add_topic("t", 1);
  st.append_batch("t", 0, pid_batch(5, 3, "a"));
  st.append_batch("t", 0, pid_batch(6, 2, "c"));
  st.append_batch("t", 0, pid_batch(5, 2, "a"));
  st.append_batch("t", 0, marker(5, false));
  st.append_batch("t", 0, marker(6, true));
  st.append_batch("t", 0, pid_batch(5, 2, "b"));
  st.append_batch("t", 0, marker(5, true));
  std::lock_guard lock{st.mtx};
  st.aborted[{"t", 0}] = {{producer_id{5}, offset{0}}};
}

} // namespace

CAF_TEST(control batches never reach the application and the position passes them) {
  st->add_topic("t", 1);
  st->append_batch("t", 0, pid_batch(5, 3, "a"));
  st->append_batch("t", 0, marker(5, true));
  st->append_batch("t", 0, pid_batch(5, 2, "b", false));
  st->append_batch("t", 0, marker(5, true));
  consumer c{conn, fast()};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto got = take(c, 5);
  CAF_CHECK_EQUAL(offsets_of(got), (std::vector<int64_t>{0, 1, 2, 4, 5}));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.position(tp).value_or(offset{-1}).value < 7 && std::chrono::steady_clock::now() < deadline)
    CAF_REQUIRE(c.poll(20ms));
  CAF_CHECK_EQUAL(c.position(tp).value_or(offset{-1}).value, 7);
}

CAF_TEST(read_uncommitted gets aborted records too and sends its isolation) {
  interleaved_transactions(*st);
  consumer c{conn, fast()};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  CAF_CHECK_EQUAL(offsets_of(take(c, 9)), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 9, 10}));
  std::lock_guard lock{st->mtx};
  CAF_REQUIRE(!st->fetch_isolations.empty());
  CAF_CHECK(st->fetch_isolations.front() == schema::isolation_level::read_uncommitted);
}

CAF_TEST(read_committed drops an aborted transaction up to its abort marker) {
  interleaved_transactions(*st);
  auto cfg = fast();
  cfg.isolation = schema::isolation_level::read_committed;
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto got = take(c, 4);
  CAF_CHECK_EQUAL(offsets_of(got), (std::vector<int64_t>{3, 4, 9, 10}));
  CAF_CHECK_EQUAL(got.at(0).second, "c-0");
  CAF_CHECK_EQUAL(got.at(2).second, "b-0");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.position(tp).value_or(offset{-1}).value < 12 && std::chrono::steady_clock::now() < deadline)
    CAF_REQUIRE(c.poll(20ms));
  CAF_CHECK_EQUAL(c.position(tp).value_or(offset{-1}).value, 12);
  std::lock_guard lock{st->mtx};
  CAF_CHECK(st->fetch_isolations.front() == schema::isolation_level::read_committed);
}

CAF_TEST(read_committed from inside an aborted transaction still drops its rest) {
  interleaved_transactions(*st);
  auto cfg = fast();
  cfg.isolation = schema::isolation_level::read_committed;
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek(tp, offset{4}).ok());
  CAF_CHECK_EQUAL(offsets_of(take(c, 3)), (std::vector<int64_t>{4, 9, 10}));
}

CAF_TEST(a corrupt control batch under read_committed is an error naming it) {
  st->add_topic("t", 1);
  st->append_batch("t", 0, pid_batch(5, 3, "a"));
  store::batch_builder bad;
  bad.add(timestamp_ms{0}, std::string_view{"\0\0\0\7", 4}, std::string_view{"\0\0\0\0\0\0", 6});
  st->append_batch("t", 0, bad.finish(5, 0, -1, bf::attr_txn_control));
  {
    std::lock_guard lock{st->mtx};
    st->aborted[{"t", 0}] = {{producer_id{5}, offset{0}}};
  }
  auto cfg = fast();
  cfg.isolation = schema::isolation_level::read_committed;
  consumer c{conn, cfg};
  c.assign({tp});
  CAF_REQUIRE(c.seek_to_beginning().ok());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  client::result<consumer_records> recs = consumer_records{};
  while (recs && std::chrono::steady_clock::now() < deadline)
    recs = c.poll(20ms);
  CAF_REQUIRE(!recs);
  CAF_CHECK_EQUAL(recs.err().code, errc::protocol);
  CAF_CHECK_EQUAL(recs.err().message, tp.to_string() + ": control batch at offset 3: unknown "
                                                       "control record type 7");
}

CAF_TEST_FIXTURE_SCOPE_END()

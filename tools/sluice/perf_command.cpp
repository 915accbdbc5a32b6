// sluice perf produce | perf consume | perf e2e: throughput and latency against a running node.
// Each ends with exactly one line "records/s: X  MB/s: Y  p50_ms: A  p99_ms: B" (MB = 2^20 bytes);
// a progress bar (tools/sluice/progress.hpp) is drawn on stderr when it is a terminal.

#include "client/consumer.hpp"
#include "client/latency_histogram.hpp"
#include "client/producer.hpp"
#include "tools/sluice/commands.hpp"
#include "tools/sluice/progress.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sluice::cli {

using namespace std::chrono;

namespace {

void print_result(uint64_t records, uint64_t bytes, steady_clock::duration elapsed,
                  const client::latency_histogram& latency_us) {
  double secs = std::max(duration<double>(elapsed).count(), 1e-9);
  std::printf("records/s: %.0f  MB/s: %.2f  p50_ms: %.3f  p99_ms: %.3f\n",
              static_cast<double>(records) / secs, static_cast<double>(bytes) / (1 << 20) / secs,
              static_cast<double>(latency_us.percentile(50)) / 1000.0,
              static_cast<double>(latency_us.percentile(99)) / 1000.0);
}

// The latencies one producer saw; written by its delivery callbacks (its sender actor), read
// after flush().
struct producer_tally {
  client::latency_histogram latency_us;
};

} // namespace

int run_perf_produce(const cli_options& o, const conn_ptr& conn) {
  client::producer_config cfg;
  cfg.acks = parse_acks(o.acks);
  cfg.enable_idempotence = !o.no_idempotent;
  cfg.batch_bytes = static_cast<size_t>(o.batch_bytes);
  // Room for every request in flight and as much again filling up: more only queues records
  // (latency) without adding throughput.
  cfg.buffer_bytes = 2 * cfg.batch_bytes * cfg.max_in_flight;
  std::vector<std::unique_ptr<client::producer>> producers;
  auto txn_prefix = o.transactional_id.empty() ? "perf-" + std::to_string(::getpid()) : o.transactional_id;
  for (int i = 0; i < o.producers; ++i) {
    if (o.transactional)
      cfg.transactional_id = txn_prefix + "-" + std::to_string(i);
    producers.push_back(std::make_unique<client::producer>(conn, cfg));
  }
  if (auto n = producers.front()->partitions_for(o.topic); !n)
    return fail(n.err());
  if (o.transactional)
    for (auto& p : producers)
      if (auto st = p->init_transactions(); !st)
        return fail(st.err());
  const auto transaction_length = milliseconds{o.transaction_ms};
  std::atomic<uint64_t> transactions{0};
  std::string value(static_cast<size_t>(o.record_size), 'x');
  for (size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<char>('a' + i % 26);
  std::vector<producer_tally> tallies(producers.size());
  // Latency of a sample of the records (>= 100k of them): a callback and two clock reads for
  // every record would cost the producer a fifth of its throughput. Failures are counted by
  // the producers themselves (stats()).
  const int64_t sample_every = std::max<int64_t>(1, o.records / o.producers / 100000);
  std::atomic<uint64_t> sent{0};
  std::optional<client::error> refused;
  std::mutex refused_mtx;
  auto start = steady_clock::now();
  {
    progress_bar show{"produce", "records", static_cast<uint64_t>(o.records), sent};
    std::vector<std::thread> threads;
    for (size_t i = 0; i < producers.size(); ++i) {
      auto n = o.records / o.producers + (static_cast<int64_t>(i) < o.records % o.producers ? 1 : 0);
      threads.emplace_back([&, i, n] {
        auto& p = *producers[i];
        auto* tally = &tallies[i];
        auto refuse = [&](const client::error& e) {
          std::lock_guard lock{refused_mtx};
          refused = e;
        };
        // Transactions: one open at a time, committed every --transaction-ms and at the end.
        std::optional<steady_clock::time_point> txn_began;
        auto commit = [&] {
          if (!txn_began)
            return true;
          txn_began.reset();
          if (auto st = p.commit_transaction(); !st) {
            refuse(st.err());
            return false;
          }
          transactions.fetch_add(1, std::memory_order_relaxed);
          return true;
        };
        for (int64_t k = 0; k < n; ++k) {
          if (o.transactional) {
            if (txn_began && steady_clock::now() - *txn_began >= transaction_length && !commit())
              return;
            if (!txn_began) {
              if (auto st = p.begin_transaction(); !st)
                return refuse(st.err());
              txn_began = steady_clock::now();
            }
          }
          client::producer_record r{o.topic, std::nullopt, value};
          client::delivery_callback cb;
          if (k % sample_every == 0 || k == n - 1) {
            auto t0 = steady_clock::now();
            cb = [tally, t0](const client::delivery_report&) {
              tally->latency_us.record(
                static_cast<uint64_t>(duration_cast<microseconds>(steady_clock::now() - t0).count()));
            };
          }
          if (auto st = p.send(r, std::move(cb)); !st) {
            refuse(st.err());
            break;
          }
          sent.fetch_add(1, std::memory_order_relaxed);
        }
        if (o.transactional)
          commit();
        p.flush();
      });
    }
    for (auto& t : threads)
      t.join();
  }
  auto elapsed = steady_clock::now() - start;
  for (auto& p : producers) {
    p->close();
    if (auto s = p->stats(); s.failed_records)
      return fail(std::to_string(s.failed_records) + " records failed: " + s.last_error.to_string());
  }
  if (refused)
    return fail(*refused);
  client::latency_histogram all;
  for (auto& t : tallies)
    all.merge(t.latency_us);
  if (o.transactional)
    std::fprintf(stderr, "%llu transactions committed\n",
                 static_cast<unsigned long long>(transactions.load()));
  print_result(static_cast<uint64_t>(o.records), static_cast<uint64_t>(o.records) * static_cast<uint64_t>(o.record_size),
               elapsed, all);
  return 0;
}

int run_perf_consume(const cli_options& o, const conn_ptr& conn) {
  client::consumer_config cfg;
  cfg.auto_offset_reset = client::offset_reset::earliest;
  cfg.max_partition_fetch_bytes = o.fetch_bytes;
  // Responses of 4 MiB and more ran at less than half the bytes/s of 2 MiB ones on loopback.
  cfg.fetch_max_bytes = o.fetch_bytes;
  cfg.prefetch_max_bytes = 4 * static_cast<size_t>(o.fetch_bytes);
  cfg.filter = o.filter; // --records then counts matching records
  cfg.isolation = isolation_of(o);
  if (o.group) {
    cfg.group_id = *o.group; // from the group's committed offsets, else from the beginning
    cfg.heartbeat_interval = milliseconds{o.heartbeat_interval_ms};
    cfg.session_timeout = milliseconds{o.session_timeout_ms};
  }
  client::consumer c{conn, cfg};
  auto tps = c.partitions_for(o.topic);
  if (!tps)
    return fail(tps.err());
  if (o.group) {
    if (auto st = c.subscribe({o.topic}); !st)
      return fail(st.err());
  } else {
    c.assign(*tps);
    if (auto st = c.seek_to_beginning(); !st)
      return fail(st.err());
  }
  const auto idle_limit = milliseconds{o.timeout_ms.value_or(10000)};
  const auto want = static_cast<uint64_t>(o.records);
  std::atomic<uint64_t> got{0};
  uint64_t bytes = 0;
  auto start = steady_clock::now();
  auto last_record = start;
  {
    progress_bar show{"consume", "records", want, got};
    while (got.load() < want) {
      if (steady_clock::now() - last_record > idle_limit)
        return fail("only " + std::to_string(got.load()) + " of " + std::to_string(want) + " records within "
                    + std::to_string(idle_limit.count()) + " ms without progress");
      auto recs = c.poll(milliseconds{100});
      if (!recs)
        return fail(recs.err());
      if (recs->empty())
        continue;
      uint64_t n = 0;
      recs->for_each([&](const client::topic_partition&, const store::record_view& r) {
        ++n;
        bytes += (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
      });
      if (!recs->last_error().empty())
        return fail(recs->last_error());
      got.fetch_add(n, std::memory_order_relaxed);
      last_record = steady_clock::now();
    }
  }
  auto elapsed = last_record - start;
  print_result(got.load(), bytes, elapsed, c.fetch_latency());
  return 0;
}

int run_perf_e2e(const cli_options& o, const conn_ptr& conn) {
  client::consumer_config ccfg;
  // Long-poll returns on append; the wait only bounds an idle fetch.
  ccfg.fetch_max_wait = milliseconds{50};
  client::consumer c{conn, ccfg};
  auto tps = c.partitions_for(o.topic);
  if (!tps)
    return fail(tps.err());
  c.assign(*tps);
  if (auto st = c.seek_to_end(); !st)
    return fail(st.err());
  // seek_to_end resolves on the next fetch: wait for it, or records sent meanwhile would be
  // skipped.
  for (auto until = steady_clock::now() + seconds{10};;) {
    bool known = true;
    for (auto& tp : *tps)
      known = known && c.position(tp).has_value();
    if (known)
      break;
    if (steady_clock::now() > until)
      return fail("the consumer found no log end of " + o.topic + " within 10 s");
    if (auto recs = c.poll(milliseconds{10}); !recs)
      return fail(recs.err());
  }

  client::producer_config pcfg;
  pcfg.acks = parse_acks(o.acks);
  // A batch waiting to fill is measured as latency; with linger 0 the producer still batches
  // what arrives while its requests are in flight.
  pcfg.linger = milliseconds{o.linger_ms};
  pcfg.delivery_timeout = milliseconds{o.delivery_timeout_ms};
  client::producer p{conn, pcfg};
  const auto total = static_cast<uint64_t>(o.rate * o.seconds);
  std::atomic<uint64_t> sent{0};
  std::atomic<bool> sending{true};
  std::optional<client::error> refused;
  steady_clock::duration send_elapsed{};
  const auto start = steady_clock::now();
  std::thread sender{[&] {
    std::string value(static_cast<size_t>(o.record_size), 'x');
    // Every millisecond, catch up to rate * elapsed: even pacing without a sleep per record.
    for (auto tick = start; sent.load() < total; tick += milliseconds{1}) {
      std::this_thread::sleep_until(tick);
      auto due = std::min<uint64_t>(
        total, static_cast<uint64_t>(duration<double>(steady_clock::now() - start).count() * static_cast<double>(o.rate)));
      for (auto n = sent.load(); n < due; ++n) {
        int64_t now_ns = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
        std::memcpy(value.data(), &now_ns, sizeof now_ns);
        if (auto st = p.send({o.topic, std::nullopt, value}, {}); !st) {
          refused = st.err();
          sending = false;
          return;
        }
        sent.fetch_add(1, std::memory_order_relaxed);
      }
    }
    send_elapsed = steady_clock::now() - start;
    p.flush();
    sending = false;
  }};

  client::latency_histogram latency_us;
  uint64_t received = 0;
  std::optional<std::string> poll_error;
  const auto deadline = start + seconds{o.seconds + 10};
  while ((sending.load() || received < sent.load()) && steady_clock::now() < deadline) {
    auto recs = c.poll(milliseconds{50});
    if (!recs) {
      poll_error = recs.err().to_string();
      break;
    }
    recs->for_each([&](const client::topic_partition&, const store::record_view& r) {
      auto now_ns = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
      int64_t sent_ns = 0;
      if (!r.value || r.value->size() < sizeof sent_ns)
        return;
      ++received;
      std::memcpy(&sent_ns, r.value->data(), sizeof sent_ns);
      latency_us.record(static_cast<uint64_t>(std::max<int64_t>(0, now_ns - sent_ns) / 1000));
    });
    if (!recs->last_error().empty()) {
      poll_error = recs->last_error();
      break;
    }
  }
  // The sender may still be blocked in flush() when the consumer gave up.
  sender.join();
  p.close();
  if (refused)
    return fail(*refused);
  if (auto s = p.stats(); s.failed_records)
    return fail(std::to_string(s.failed_records) + " records failed: " + s.last_error.to_string());
  if (poll_error)
    return fail(*poll_error);
  std::printf("e2e: sent %llu  received %llu  max_ms: %.3f\n", static_cast<unsigned long long>(sent.load()),
              static_cast<unsigned long long>(received), static_cast<double>(latency_us.max()) / 1000.0);
  if (received < sent.load())
    return fail(std::to_string(sent.load() - received) + " of " + std::to_string(sent.load())
                + " records not seen within " + std::to_string(o.seconds + 10) + " s");
  print_result(sent.load(), sent.load() * static_cast<uint64_t>(o.record_size), send_elapsed, latency_us);
  return 0;
}

} // namespace sluice::cli

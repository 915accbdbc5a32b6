// sluice copy: a consume-transform-produce job with exactly-once output (issue 9). It reads
// --from under read_committed from the positions group --group committed, and writes each
// record's key, value, timestamp and headers to --to (partition p of the input to partition p modulo
// the output's count) inside a transaction that also commits the input positions to the
// group. Either both land or neither: a restarted job (same --transactional-id) fences its
// predecessor, whose open transaction the coordinator aborts, and goes on from the last
// committed positions, so the output holds every input record exactly once.
//
// Exits 0 after --timeout-ms without a new record, printing "copied N records in T
// transactions"; fails (one line, exit 1) when fenced or when a transaction cannot end.

#include "client/consumer.hpp"
#include "client/producer.hpp"
#include "tools/sluice/commands.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

namespace sluice::cli {

using namespace std::chrono;

namespace {

using offsets = std::vector<schema::txn_offset_commit_request::partition_offset>;

} // namespace

client::status rewind_to_committed(client::consumer& c, const std::vector<client::topic_partition>& tps) {
  for (auto& tp : tps) {
    auto committed = c.committed(tp);
    if (!committed)
      return committed.err();
    auto st = *committed ? c.seek(tp, **committed) : c.seek_to_beginning({tp});
    if (!st)
      return st;
  }
  return {};
}

int run_copy(const cli_options& o, const conn_ptr& conn) {
  client::consumer_config ccfg;
  ccfg.group_id = *o.group;
  ccfg.enable_auto_commit = false;
  ccfg.isolation = schema::isolation_level::read_committed;
  ccfg.auto_offset_reset = client::offset_reset::earliest;
  client::consumer c{conn, ccfg};
  auto tps = c.partitions_for(o.topic);
  if (!tps)
    return fail(tps.err());

  client::producer_config pcfg;
  pcfg.transactional_id = o.transactional_id.empty() ? "sluice-copy-" + *o.group : o.transactional_id;
  client::producer p{conn, pcfg};
  auto out_partitions = p.partitions_for(o.to_topic);
  if (!out_partitions)
    return fail(out_partitions.err());
  if (auto st = p.init_transactions(); !st)
    return fail(st.err());
  c.assign(*tps);
  if (auto st = rewind_to_committed(c, *tps); !st)
    return fail(st.err());

  const auto idle_limit = milliseconds{o.timeout_ms.value_or(10000)};
  const auto transaction_length = milliseconds{o.transaction_ms};
  std::vector<store::record_header> headers; // of one record, reused
  uint64_t copied = 0;
  uint64_t in_transaction = 0;
  uint64_t transactions = 0;
  std::optional<steady_clock::time_point> began;
  auto last_record = steady_clock::now();

  // Ends the open transaction with the consumer's positions; an abortable failure aborts it
  // and starts over from what the group committed.
  auto commit = [&]() -> client::status {
    if (!began)
      return {};
    began.reset();
    offsets positions;
    for (auto& tp : *tps)
      if (auto pos = c.position(tp))
        positions.push_back({tp.topic, tp.partition, *pos, leader_epoch{-1}, ""});
    auto st = p.send_offsets_to_transaction(*o.group, positions);
    if (st)
      st = p.commit_transaction();
    if (st) {
      copied += in_transaction;
      in_transaction = 0;
      ++transactions;
      return {};
    }
    in_transaction = 0;
    // Fenced (a newer instance took over), or the transaction cannot end: give up with why.
    if (auto ab = p.abort_transaction(); !ab)
      return st;
    std::fprintf(stderr, "sluice: copy: transaction aborted, starting over from the committed positions: %s\n",
                 st.err().to_string().c_str());
    if (auto re = p.init_transactions(); !re)
      return re;
    return rewind_to_committed(c, *tps);
  };

  for (;;) {
    if (began && steady_clock::now() - *began >= transaction_length)
      if (auto st = commit(); !st)
        return fail(st.err());
    if (steady_clock::now() - last_record > idle_limit)
      break;
    auto recs = c.poll(milliseconds{50});
    if (!recs)
      return fail(recs.err());
    if (recs->empty())
      continue;
    last_record = steady_clock::now();
    if (!began) {
      if (auto st = p.begin_transaction(); !st)
        return fail(st.err());
      began = steady_clock::now();
    }
    auto refused = for_each_with_headers(
      *recs, headers, "copy: ",
      [&](const client::topic_partition& tp, const store::record_view& r,
          const std::vector<store::record_header>& hs) {
        client::producer_record out{o.to_topic, r.key, r.value,
                                    partition_id{tp.partition.value % *out_partitions}, r.timestamp,
                                    hs};
        auto st = p.send(out, {});
        ++in_transaction;
        return st;
      });
    if (!recs->last_error().empty())
      return fail(recs->last_error());
    if (!refused)
      return fail(refused.err());
  }
  if (auto st = commit(); !st)
    return fail(st.err());
  p.close();
  std::printf("copied %llu records in %llu transactions\n", static_cast<unsigned long long>(copied),
              static_cast<unsigned long long>(transactions));
  return 0;
}

} // namespace sluice::cli

// sluice dlq list | redrive: a consumer group's dead-letter topic GROUP.TOPIC.dlq (README
// "Retries and dead-letter topics"). Both read the topic up to its end as it is when they
// start (so they finish while nacks go on), failing after --timeout-ms without progress.
//
// list prints one line per record, PARTITION<TAB>OFFSET<TAB>ATTEMPTS<TAB>ERROR<TAB>VALUE (the
// partition and offset it had in TOPIC, from its sluice.* headers; tabs and line breaks in the
// error become spaces), then "records: N".
//
// redrive sends each record back to TOPIC (or --to) with its key, value, timestamp and own
// headers (the sluice.* ones dropped), to its original partition modulo the target's count, as
// sluice copy does: inside transactions that also commit the dead-letter read positions to the
// group GROUP.TOPIC.dlq-redrive. A redrive that runs again (or after a crash) goes on from
// there, so every dead-lettered record is redriven exactly once.

#include "client/admin.hpp"
#include "client/consumer.hpp"
#include "client/producer.hpp"
#include "client/retry_headers.hpp"
#include "client/retry_policy.hpp"
#include "tools/sluice/commands.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace sluice::cli {

using namespace std::chrono;

namespace {

using record_fn = std::function<client::status(const client::topic_partition&, const store::record_view&,
                                               const std::vector<store::record_header>&)>;

// The dead-letter topic's partitions; one line naming the group and topic when it does not exist.
client::result<std::vector<client::topic_partition>> dead_letter_partitions(const cli_options& o,
                                                                            client::consumer& c) {
  if (auto src = c.partitions_for(o.topic); !src)
    return src.err();
  auto dlq = client::dead_letter_topic_name(*o.group, o.topic);
  auto tps = c.partitions_for(dlq);
  if (!tps && tps.err().server == schema::errc::unknown_topic_or_partition)
    return client::make_error(client::errc::invalid_argument,
                              "no dead-letter topic '" + dlq + "': group '" + *o.group
                                + "' has nacked nothing of topic '" + o.topic + "' with a retry policy");
  return tps;
}

// Polls until every partition of `tps` reached its end as listed now, calling `each` per
// record and `after_poll` after every poll that returned records.
client::status read_to_end(const cli_options& o, const conn_ptr& conn, client::consumer& c,
                           const std::vector<client::topic_partition>& tps, const record_fn& each,
                           const std::function<client::status()>& after_poll) {
  client::admin adm{conn};
  auto starts = adm.list_offsets(tps, schema::offset_query::earliest);
  if (!starts)
    return starts.err();
  auto ends = adm.list_offsets(tps, schema::offset_query::latest);
  if (!ends)
    return ends.err();
  auto reached = [&] {
    for (size_t i = 0; i < tps.size(); ++i) {
      auto pos = c.position(tps[i]);
      if ((*starts)[i] < (*ends)[i] && (!pos || *pos < (*ends)[i]))
        return false;
    }
    return true;
  };
  const auto idle_limit = milliseconds{o.timeout_ms.value_or(10000)};
  auto last_progress = steady_clock::now();
  std::vector<store::record_header> headers;
  while (!reached()) {
    if (steady_clock::now() - last_progress > idle_limit)
      return client::make_error(client::errc::timed_out, "no progress reading '" + tps.front().topic
                                                           + "' for " + std::to_string(idle_limit.count()) + " ms");
    auto recs = c.poll(milliseconds{100});
    if (!recs)
      return recs.err();
    if (recs->empty())
      continue;
    last_progress = steady_clock::now();
    auto st = for_each_with_headers(*recs, headers, "", each);
    if (!recs->last_error().empty())
      return client::make_error(client::errc::protocol, recs->last_error());
    if (!st)
      return st;
    if (auto done = after_poll(); !done)
      return done;
  }
  return {};
}

std::string one_line(std::string s) {
  for (auto& ch : s)
    if (ch == '\t' || ch == '\n' || ch == '\r')
      ch = ' ';
  return s;
}

int run_dlq_list(const cli_options& o, const conn_ptr& conn) {
  client::consumer_config cfg;
  cfg.auto_offset_reset = client::offset_reset::earliest;
  cfg.fetch_max_wait = milliseconds{100};
  client::consumer c{conn, cfg};
  auto tps = dead_letter_partitions(o, c);
  if (!tps)
    return fail(tps.err());
  c.assign(*tps);
  if (auto st = c.seek_to_beginning(); !st)
    return fail(st.err());
  uint64_t count = 0;
  std::string out;
  auto st = read_to_end(
    o, conn, c, *tps,
    [&](const client::topic_partition& tp, const store::record_view& r,
        const std::vector<store::record_header>& headers) -> client::status {
      auto info = client::decode_retry_info(headers);
      if (!info)
        return client::make_error(client::errc::protocol, tp.to_string() + " offset " + std::to_string(r.off.value)
                                                            + ": " + info.err().to_string());
      if (*info)
        out += std::to_string((*info)->original_partition.value) + '\t'
               + std::to_string((*info)->original_offset.value) + '\t' + std::to_string((*info)->attempts) + '\t'
               + one_line((*info)->error) + '\t';
      else
        out += "-\t-\t-\t-\t"; // produced there by something else than a nack
      out.append(r.value ? *r.value : "null");
      out += '\n';
      ++count;
      return {};
    },
    [&]() -> client::status {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
      return {};
    });
  if (!st)
    return fail(st.err());
  std::printf("records: %llu\n", static_cast<unsigned long long>(count));
  return 0;
}

int run_dlq_redrive(const cli_options& o, const conn_ptr& conn) {
  const auto target = o.to_topic.empty() ? o.topic : o.to_topic;
  const auto dlq = client::dead_letter_topic_name(*o.group, o.topic);
  const auto group = dlq + "-redrive";
  client::consumer_config ccfg;
  ccfg.group_id = group;
  ccfg.enable_auto_commit = false;
  ccfg.isolation = schema::isolation_level::read_committed;
  ccfg.auto_offset_reset = client::offset_reset::earliest;
  ccfg.fetch_max_wait = milliseconds{100};
  client::consumer c{conn, ccfg};
  auto tps = dead_letter_partitions(o, c);
  if (!tps)
    return fail(tps.err());

  client::producer_config pcfg;
  pcfg.transactional_id = "sluice-" + group;
  client::producer p{conn, pcfg};
  auto out_partitions = p.partitions_for(target);
  if (!out_partitions)
    return fail(out_partitions.err());
  if (auto st = p.init_transactions(); !st)
    return fail(st.err());
  c.assign(*tps);
  if (auto st = rewind_to_committed(c, *tps); !st)
    return fail(st.err());

  uint64_t redriven = 0;
  uint64_t in_transaction = 0;
  bool open = false;
  auto st = read_to_end(
    o, conn, c, *tps,
    [&](const client::topic_partition& tp, const store::record_view& r,
        const std::vector<store::record_header>& headers) -> client::status {
      if (!open) {
        if (auto b = p.begin_transaction(); !b)
          return b;
        open = true;
      }
      auto info = client::decode_retry_info(headers);
      auto original = info && *info ? (*info)->original_partition.value : tp.partition.value;
      auto own = client::without_retry_headers(headers);
      client::producer_record out{target, r.key, r.value, partition_id{original % *out_partitions}, r.timestamp,
                                  own};
      ++in_transaction;
      return p.send(out, {});
    },
    [&]() -> client::status {
      if (!open)
        return {};
      open = false;
      std::vector<schema::txn_offset_commit_request::partition_offset> positions;
      for (auto& tp : *tps)
        if (auto pos = c.position(tp))
          positions.push_back({tp.topic, tp.partition, *pos, leader_epoch{-1}, ""});
      auto done = p.send_offsets_to_transaction(group, positions);
      if (done)
        done = p.commit_transaction();
      if (!done) {
        (void)p.abort_transaction();
        return done; // nothing of this transaction landed; a new redrive goes on from the commit
      }
      redriven += in_transaction;
      in_transaction = 0;
      return {};
    });
  if (!st)
    return fail(st.err());
  p.close();
  std::printf("redrove %llu records to %s\n", static_cast<unsigned long long>(redriven), target.c_str());
  return 0;
}

} // namespace

int run_dlq(const cli_options& o, const conn_ptr& conn) {
  return o.cmd == command::dlq_list ? run_dlq_list(o, conn) : run_dlq_redrive(o, conn);
}

} // namespace sluice::cli

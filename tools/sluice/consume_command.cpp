// sluice consume: print a topic's values, one per line; exit 0 after --max-messages records
// or --timeout-ms without a record. With --group, the group assigns the partitions and the
// offsets committed are exactly those after the last record printed (at-least-once: a crash
// replays only what was printed after the last commit). --nack-matching nacks the records
// whose value matches instead of printing them (client/retry_policy.hpp): they come back from
// the group's retry topics after the backoffs and, after --max-attempts deliveries, land in
// GROUP.TOPIC.dlq; a nacked record counts as handled once its nack is acknowledged.

#include "client/consumer.hpp"
#include "tools/sluice/commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>

namespace sluice::cli {

using namespace std::chrono;

namespace {

// Where the assigned partitions start: explicit --offset, --from-beginning, else the end.
client::status position(const cli_options& o, client::consumer& c, const std::vector<client::topic_partition>& tps) {
  if (o.offset && *o.offset != "earliest" && *o.offset != "latest")
    return c.seek(tps.front(), offset{std::stoll(*o.offset)});
  if (o.from_beginning || (o.offset && *o.offset == "earliest"))
    return c.seek_to_beginning();
  return c.seek_to_end();
}

int64_t received_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void append_line(std::string& out, const cli_options& o, const client::topic_partition& tp,
                 const store::record_view& r, int64_t received) {
  if (o.print_partition)
    out += std::to_string(tp.partition.value) + '\t';
  if (o.print_offset)
    out += std::to_string(r.off.value) + '\t';
  if (o.print_timestamp)
    out += std::to_string(r.timestamp.value) + '\t';
  if (o.print_received)
    out += std::to_string(received) + '\t';
  if (o.print_key) {
    if (r.key)
      out.append(*r.key);
    else
      out += "null";
    out += '\t';
  }
  if (r.value)
    out.append(*r.value);
  else
    out += "null";
  out += '\n';
}

// How long the next poll may wait; nullopt once --timeout-ms passed without a record.
std::optional<milliseconds> poll_wait(const cli_options& o, steady_clock::time_point last_record) {
  auto wait = milliseconds{200};
  if (!o.timeout_ms)
    return wait;
  auto left = milliseconds{*o.timeout_ms} - duration_cast<milliseconds>(steady_clock::now() - last_record);
  if (left <= milliseconds::zero())
    return std::nullopt;
  return std::min(wait, left);
}

// Commits what was printed of a partition before the group takes it away.
class commit_on_revoke : public client::rebalance_listener {
public:
  commit_on_revoke(client::consumer& c, client::offset_map& printed) : c_(c), printed_(printed) {}

  void on_partitions_revoked(const std::vector<client::topic_partition>& tps) override {
    client::offset_map mine;
    for (auto& tp : tps)
      if (auto it = printed_.find(tp); it != printed_.end())
        mine.insert(*it);
    if (auto st = c_.commit_sync(mine); !st)
      std::fprintf(stderr, "sluice: commit on revoke: %s\n", st.err().to_string().c_str());
    forget(tps);
  }

  void on_partitions_lost(const std::vector<client::topic_partition>& tps) override { forget(tps); }

private:
  void forget(const std::vector<client::topic_partition>& tps) {
    for (auto& tp : tps)
      printed_.erase(tp);
  }

  client::consumer& c_;
  client::offset_map& printed_;
};

} // namespace

int run_group_consume(const cli_options& o, const conn_ptr& conn);
int run_share_consume(const cli_options& o, const conn_ptr& conn);

int run_consume(const cli_options& o, const conn_ptr& conn) {
  if (o.share_group)
    return run_share_consume(o, conn);
  if (o.group)
    return run_group_consume(o, conn);
  client::consumer_config cfg;
  // An explicit offset is meant: outside the log is an error, not a silent reset.
  cfg.auto_offset_reset = o.offset ? client::offset_reset::none : client::offset_reset::latest;
  cfg.fetch_max_wait = milliseconds{100};
  cfg.filter = o.filter;
  cfg.isolation = isolation_of(o);
  client::consumer c{conn, cfg};
  auto tps = c.partitions_for(o.topic);
  if (!tps)
    return fail(tps.err());
  if (o.partition) {
    auto n = static_cast<int32_t>(tps->size());
    if (*o.partition >= n)
      return fail("partition " + std::to_string(*o.partition) + " out of range: topic '" + o.topic + "' has "
                  + std::to_string(n) + " partitions");
    *tps = {{o.topic, partition_id{*o.partition}}};
  }
  c.assign(*tps);
  if (auto st = position(o, c, *tps); !st)
    return fail(st.err());

  const int64_t max = o.max_messages.value_or(INT64_MAX);
  int64_t printed = 0;
  auto last_record = steady_clock::now();
  std::string out;
  while (printed < max) {
    auto wait = poll_wait(o, last_record);
    if (!wait)
      break;
    auto recs = c.poll(*wait);
    if (!recs)
      return fail(recs.err());
    if (recs->empty())
      continue;
    out.clear();
    auto received = received_ms();
    recs->for_each([&](const client::topic_partition& tp, const store::record_view& r) {
      if (printed < max) {
        append_line(out, o, tp, r, received);
        ++printed;
      }
    });
    if (!recs->last_error().empty())
      return fail(recs->last_error());
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    last_record = steady_clock::now();
  }
  return 0;
}

int run_group_consume(const cli_options& o, const conn_ptr& conn) {
  client::consumer_config cfg;
  cfg.group_id = *o.group;
  cfg.group_instance_id = o.group_instance_id;
  cfg.session_timeout = milliseconds{o.session_timeout_ms};
  cfg.heartbeat_interval = milliseconds{o.heartbeat_interval_ms};
  cfg.assignors = o.assignors;
  cfg.enable_auto_commit = false; // commits follow what was printed, not what was polled
  cfg.auto_offset_reset = o.from_beginning ? client::offset_reset::earliest : client::offset_reset::latest;
  cfg.fetch_max_wait = milliseconds{100};
  cfg.filter = o.filter;
  cfg.isolation = isolation_of(o);
  std::optional<std::regex> nack_pattern;
  std::string nack_reason;
  if (o.nack_matching) {
    nack_pattern.emplace(*o.nack_matching);
    nack_reason = "value matches --nack-matching '" + *o.nack_matching + "'";
    cfg.retry.max_attempts = o.max_attempts;
    for (auto ms : o.retry_backoffs_ms)
      cfg.retry.backoffs.push_back(milliseconds{ms});
  }
  client::consumer c{conn, cfg};
  if (auto tps = c.partitions_for(o.topic); !tps)
    return fail(tps.err());
  client::offset_map printed; // per partition: the offset after the last record printed
  commit_on_revoke listener{c, printed};
  if (auto st = c.subscribe({o.topic}, &listener); !st)
    return fail(st.err());

  const int64_t max = o.max_messages.value_or(INT64_MAX);
  int64_t count = 0;
  auto last_record = steady_clock::now();
  auto next_commit = steady_clock::now() + milliseconds{o.auto_commit_interval_ms};
  std::string out;
  int rc = 0;
  uint64_t nacked = 0;
  client::status nack_failed;
  while (count < max) {
    auto wait = poll_wait(o, last_record);
    if (!wait)
      break;
    auto recs = c.poll(*wait);
    if (!recs) {
      if (recs.err().retriable())
        continue;
      rc = fail(recs.err());
      break;
    }
    auto assigned = c.assignment();
    bool cut = false; // --max-messages left records of this poll unprinted
    if (!recs->empty()) {
      out.clear();
      auto received = received_ms();
      recs->for_each([&](const client::topic_partition& tp, const store::record_view& r) {
        if (!nack_failed) {
          cut = true; // a nack was refused: neither it nor any later record of the poll counts
          return;
        }
        if (count < max && std::ranges::binary_search(assigned, tp)) {
          if (nack_pattern && r.value && std::regex_search(r.value->begin(), r.value->end(), *nack_pattern)) {
            nack_failed = c.nack(tp, r, nack_reason);
            if (!nack_failed) {
              cut = true;
              return;
            }
            printed[tp] = offset{r.off.value + 1}; // handled: committed once the nack is acknowledged
            ++nacked;
            return;
          }
          append_line(out, o, tp, r, received);
          printed[tp] = offset{r.off.value + 1};
          ++count;
        } else {
          cut = cut || count >= max;
        }
      });
      if (!recs->last_error().empty()) {
        rc = fail(recs->last_error());
        break;
      }
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      last_record = steady_clock::now();
      if (!nack_failed) {
        rc = fail(nack_failed.err());
        break;
      }
    }
    // Everything polled was printed: the commit may go up to the consumer's position, which
    // is past the last printed record when the broker filtered records out after it (--filter).
    if (!cut)
      for (auto& tp : assigned)
        if (auto pos = c.position(tp); pos && (!printed.count(tp) || printed[tp] < *pos))
          printed[tp] = *pos;
    if (steady_clock::now() >= next_commit) {
      if (auto st = c.commit_sync(printed); !st)
        std::fprintf(stderr, "sluice: commit: %s\n", st.err().to_string().c_str());
      next_commit = steady_clock::now() + milliseconds{o.auto_commit_interval_ms};
    }
  }
  if (auto st = c.commit_sync(printed); !st && rc == 0)
    std::fprintf(stderr, "sluice: final commit: %s\n", st.err().to_string().c_str());
  c.close();
  if (nacked > 0)
    std::fprintf(stderr, "sluice: nacked %llu records\n", static_cast<unsigned long long>(nacked));
  return rc;
}

} // namespace sluice::cli

#pragma once

// The commands of `sluice`, one file each; every one returns the process exit code and
// reports a failure as one line on stderr.

#include "client/connection.hpp"
#include "client/consumer.hpp"
#include "client/error.hpp"
#include "filter/filter_expr.hpp"
#include "schema/produce.hpp"
#include "tools/sluice/cli_args.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sluice::cli {

using conn_ptr = std::shared_ptr<client::connection>;

// "sluice: <message>" on stderr; returns exit_failure.
int fail(const client::error& e);
int fail(const std::string& message);

int run_topic(const cli_options& o, const conn_ptr& conn);
int run_produce(const cli_options& o, const conn_ptr& conn);
int run_consume(const cli_options& o, const conn_ptr& conn);
int run_cluster_status(const cli_options& o, const conn_ptr& conn);
int run_elect_preferred(const cli_options& o, const conn_ptr& conn);
int run_decommission(const cli_options& o, const conn_ptr& conn);
int run_inspect(const cli_options& o, const conn_ptr& conn);
int run_group(const cli_options& o, const conn_ptr& conn);
int run_txn(const cli_options& o, const conn_ptr& conn);
int run_perf_produce(const cli_options& o, const conn_ptr& conn);
int run_perf_consume(const cli_options& o, const conn_ptr& conn);
int run_perf_e2e(const cli_options& o, const conn_ptr& conn);
int run_copy(const cli_options& o, const conn_ptr& conn);
int run_dlq(const cli_options& o, const conn_ptr& conn);

// Every partition's position from the group's committed offsets (the log start where the
// group has none). A transactional job calls it after init_transactions, so a predecessor's
// commit in flight is complete and its offsets are there (copy, dlq redrive).
client::status rewind_to_committed(client::consumer& c, const std::vector<client::topic_partition>& tps);

// Calls `each(tp, record, headers)` for the records of one poll in order, each record's
// headers decoded into `scratch`, until `each` returns an error. A record whose headers cannot
// be read ends it with a protocol error naming the record, after `what` ("copy: ", or "").
template <class F>
client::status for_each_with_headers(const client::consumer_records& recs,
                                     std::vector<store::record_header>& scratch,
                                     const std::string& what, F&& each) {
  client::status st;
  recs.for_each([&](const client::topic_partition& tp, const store::record_view& r) {
    if (!st)
      return;
    scratch.clear();
    if (r.header_count > 0 && !store::decode_headers(r, scratch)) {
      st = client::make_error(client::errc::protocol, what + "the headers of " + tp.to_string()
                                                        + " offset " + std::to_string(r.off.value)
                                                        + " cannot be read");
      return;
    }
    st = each(tp, r, scratch);
  });
  return st;
}

// "1,2,3", or "-" for none.
std::string join_ids(const std::vector<node_id>& ids);

// --wait: how long (--timeout-ms, else 5 minutes) and how often to look.
inline constexpr int64_t default_wait_ms = 300'000;
inline constexpr int64_t wait_poll_ms = 200;

// --acks as the wire value.
schema::acks parse_acks(const std::string& acks);

} // namespace sluice::cli

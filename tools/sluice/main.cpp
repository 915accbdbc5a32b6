// sluice: the command line client (ARCHITECTURE.md, "CLI contract").

#include "tools/sluice/cli_args.hpp"
#include "tools/sluice/commands.hpp"

#include <cstdio>
#include <iostream>

using namespace sluice;
using namespace sluice::cli;

namespace sluice::cli {

int fail(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "sluice: %s\n", message.c_str());
  return exit_failure;
}

int fail(const client::error& e) { return fail(e.to_string()); }

schema::acks parse_acks(const std::string& acks) {
  if (acks == "0")
    return schema::acks::none;
  if (acks == "all" || acks == "-1")
    return schema::acks::all;
  return schema::acks::leader;
}

} // namespace sluice::cli

namespace {

int run(const cli_options& o) {
  if (auto st = net::check_tls(o.tls, cli_tls_names, false); !st)
    return fail(st.err().message);
  auto conn = client::connection::open(o.bootstrap, {.tls = o.tls});
  if (!conn)
    return fail(conn.err());
  switch (o.cmd) {
    case command::topic_create:
    case command::topic_list:
    case command::topic_describe:
    case command::topic_delete:
    case command::topic_alter:
    case command::topic_reassign:
      return run_topic(o, *conn);
    case command::produce:
      return run_produce(o, *conn);
    case command::consume:
      return run_consume(o, *conn);
    case command::cluster_status:
      return run_cluster_status(o, *conn);
    case command::cluster_elect_preferred:
      return run_elect_preferred(o, *conn);
    case command::cluster_decommission:
      return run_decommission(o, *conn);
    case command::inspect:
      return run_inspect(o, *conn);
    case command::perf_produce:
      return run_perf_produce(o, *conn);
    case command::perf_consume:
      return run_perf_consume(o, *conn);
    case command::perf_e2e:
      return run_perf_e2e(o, *conn);
    case command::copy:
      return run_copy(o, *conn);
    case command::dlq_list:
    case command::dlq_redrive:
      return run_dlq(o, *conn);
    case command::group_list:
    case command::group_describe:
    case command::group_reset_offsets:
      return run_group(o, *conn);
    case command::txn_list:
    case command::txn_describe:
      return run_txn(o, *conn);
  }
  return fail("unknown command");
}

} // namespace

int main(int argc, char** argv) {
  cli_options opts;
  auto parsed = parse_args({argv + 1, argv + argc}, opts, environment());
  if (!parsed.run) {
    std::cout << parsed.out;
    if (!parsed.err.empty())
      std::cerr << parsed.err << '\n';
    return parsed.exit_code;
  }
  return run(opts);
}

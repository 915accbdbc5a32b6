#define CAF_SUITE client.cli_args
#include <caf/test/unit_test.hpp>

#include "tools/sluice/cli_args.hpp"

#include <string>
#include <vector>

using namespace sluice::cli;

namespace {

struct parsed {
  parse_outcome outcome;
  cli_options opts;
};

parsed parse(std::vector<std::string> args, const char* env = nullptr) {
  parsed p;
  p.outcome = parse_args(args, p.opts, {.bootstrap = env});
  return p;
}

// A refusal: exit 2, one line on stderr naming `what`, nothing to run.
void check_refused(std::vector<std::string> args, const std::string& what) {
  auto p = parse(args);
  CAF_CHECK(!p.outcome.run);
  CAF_CHECK_EQUAL(p.outcome.exit_code, exit_usage);
  CAF_CHECK(p.outcome.err.find('\n') == std::string::npos);
  if (p.outcome.err.find(what) == std::string::npos)
    CAF_FAIL("'" << p.outcome.err << "' does not mention '" << what << "'");
}

} // namespace

CAF_TEST(topic commands) {
  auto p = parse({"topic", "create", "orders", "--partitions", "3", "--replication-factor", "2",
                  "--config", "retention.ms=1000", "--config", "cleanup.policy=compact"});
  CAF_REQUIRE(p.outcome.run);
  CAF_CHECK(p.opts.cmd == command::topic_create);
  CAF_CHECK_EQUAL(p.opts.name, "orders");
  CAF_CHECK_EQUAL(p.opts.partitions, 3);
  CAF_CHECK_EQUAL(p.opts.replication_factor, 2);
  CAF_CHECK_EQUAL(p.opts.configs.size(), 2u);
  CAF_CHECK(parse({"topic", "list"}).opts.cmd == command::topic_list);
  CAF_CHECK(parse({"topic", "describe", "x"}).opts.cmd == command::topic_describe);
  CAF_CHECK(parse({"topic", "delete", "x"}).opts.cmd == command::topic_delete);
  auto alter = parse({"topic", "alter", "x", "--partitions", "8"});
  CAF_CHECK(alter.opts.cmd == command::topic_alter);
  CAF_CHECK_EQUAL(alter.opts.partitions, 8);
}

CAF_TEST(bootstrap from flag then environment then default) {
  CAF_CHECK_EQUAL(parse({"topic", "list"}).opts.bootstrap, "127.0.0.1:9292");
  CAF_CHECK_EQUAL(parse({"topic", "list"}, "10.0.0.1:1").opts.bootstrap, "10.0.0.1:1");
  CAF_CHECK_EQUAL(parse({"--bootstrap", "h:2", "topic", "list"}, "10.0.0.1:1").opts.bootstrap, "h:2");
}

CAF_TEST(tls from flags then environment) {
  auto plain = parse({"topic", "list"});
  CAF_CHECK(!plain.opts.tls.enabled);
  auto flags = parse({"--tls-ca", "ca.pem", "--tls-certificate", "c.pem", "--tls-key", "c.key", "topic", "list"});
  CAF_REQUIRE(flags.outcome.run);
  CAF_CHECK(flags.opts.cmd == command::topic_list);
  CAF_CHECK(flags.opts.tls.enabled);
  CAF_CHECK_EQUAL(flags.opts.tls.ca, "ca.pem");
  CAF_CHECK_EQUAL(flags.opts.tls.certificate, "c.pem");
  CAF_CHECK_EQUAL(flags.opts.tls.key, "c.key");
  parsed env;
  env.outcome = parse_args({"--tls-key", "mine.key", "topic", "list"}, env.opts,
                           {.tls_ca = "/e/ca.pem", .tls_certificate = "/e/c.pem", .tls_key = "/e/c.key"});
  CAF_REQUIRE(env.outcome.run);
  CAF_CHECK(env.opts.tls.enabled);
  CAF_CHECK_EQUAL(env.opts.tls.ca, "/e/ca.pem");
  CAF_CHECK_EQUAL(env.opts.tls.key, "mine.key");
  // Nodes verify their clients, so one file alone cannot work: refused, naming what is missing.
  check_refused({"--tls-ca", "ca.pem", "topic", "list"}, "missing: --tls-certificate, --tls-key");
  check_refused({"--tls-key", "k", "--tls-certificate", "c", "produce", "--topic", "t"}, "missing: --tls-ca");
}

CAF_TEST(produce and consume flags) {
  auto p = parse({"produce", "--topic", "t", "--key-separator", ":", "--acks", "all", "--partition", "2"});
  CAF_REQUIRE(p.outcome.run);
  CAF_CHECK(p.opts.cmd == command::produce);
  CAF_CHECK_EQUAL(*p.opts.key_separator, ":");
  CAF_CHECK_EQUAL(p.opts.acks, "all");
  CAF_CHECK_EQUAL(*p.opts.partition, 2);
  auto c = parse({"consume", "--topic", "t", "--partition", "1", "--offset", "42", "--max-messages", "10",
                  "--timeout-ms", "500", "--print-key", "--print-offset"});
  CAF_REQUIRE(c.outcome.run);
  CAF_CHECK(c.opts.cmd == command::consume);
  CAF_CHECK_EQUAL(*c.opts.offset, "42");
  CAF_CHECK_EQUAL(*c.opts.max_messages, 10);
  CAF_CHECK_EQUAL(*c.opts.timeout_ms, 500);
  CAF_CHECK(c.opts.print_key && c.opts.print_offset);
  CAF_CHECK(parse({"consume", "--topic", "t", "--from-beginning"}).opts.from_beginning);
}

CAF_TEST(consume with a share group) {
  auto c = parse({"consume", "--topic", "t", "--share-group", "workers", "--max-messages", "5",
                  "--reject-matching", "^bad", "--release-matching", "later$"});
  CAF_REQUIRE(c.outcome.run);
  CAF_CHECK_EQUAL(*c.opts.share_group, "workers");
  CAF_CHECK_EQUAL(*c.opts.reject_matching, "^bad");
  CAF_CHECK_EQUAL(*c.opts.release_matching, "later$");
  check_refused({"consume", "--topic", "t", "--share-group", "g", "--group", "h"}, "--group");
  check_refused({"consume", "--topic", "t", "--share-group", "g", "--partition", "0"}, "--partition");
  check_refused({"consume", "--topic", "t", "--share-group", "g", "--from-beginning"}, "--from-beginning");
  check_refused({"consume", "--topic", "t", "--share-group", "g", "--filter", "a"}, "--filter");
  check_refused({"consume", "--topic", "t", "--reject-matching", "x"}, "--share-group");
  check_refused({"consume", "--topic", "t", "--release-matching", "x"}, "--share-group");
  check_refused({"consume", "--topic", "t", "--share-group", "g", "--reject-matching", "(a"},
                "regular expression");
  check_refused({"consume", "--topic", "t", "--share-group", ""}, "group");
}

CAF_TEST(perf inspect and cluster) {
  auto p = parse({"perf", "produce", "--topic", "t", "--records", "1000", "--record-size", "100",
                  "--acks", "1", "--producers", "4"});
  CAF_REQUIRE(p.outcome.run);
  CAF_CHECK(p.opts.cmd == command::perf_produce);
  CAF_CHECK_EQUAL(p.opts.records, 1000);
  CAF_CHECK_EQUAL(p.opts.producers, 4);
  CAF_CHECK(parse({"perf", "consume", "--topic", "t", "--records", "5"}).opts.cmd == command::perf_consume);
  auto e = parse({"perf", "e2e", "--topic", "t", "--rate", "2000", "--seconds", "3", "--acks", "all"});
  CAF_REQUIRE(e.outcome.run);
  CAF_CHECK(e.opts.cmd == command::perf_e2e);
  CAF_CHECK_EQUAL(e.opts.rate, 2000);
  CAF_CHECK_EQUAL(e.opts.seconds, 3);
  CAF_CHECK_EQUAL(e.opts.record_size, 100);
  CAF_CHECK_EQUAL(e.opts.acks, "all");
  CAF_CHECK_EQUAL(parse({"perf", "e2e", "--topic", "t"}).opts.rate, 10000);
  CAF_CHECK_EQUAL(parse({"perf", "e2e", "--topic", "t"}).opts.linger_ms, 0);
  CAF_CHECK_EQUAL(parse({"perf", "e2e", "--topic", "t", "--linger-ms", "5"}).opts.linger_ms, 5);
  auto i = parse({"inspect", "1", "partition"});
  CAF_CHECK(i.opts.cmd == command::inspect);
  CAF_CHECK_EQUAL(i.opts.inspect_args.size(), 2u);
  CAF_CHECK(parse({"inspect"}).outcome.run);
  CAF_CHECK(parse({"cluster", "status"}).opts.cmd == command::cluster_status);
}

CAF_TEST(inspect watch count and timeout) {
  auto once = parse({"inspect"});
  CAF_REQUIRE(once.outcome.run);
  CAF_CHECK(!once.opts.watch);
  CAF_CHECK(!once.opts.watch_count);
  // --watch alone: every 2 s until interrupted.
  auto w = parse({"inspect", "--watch"});
  CAF_REQUIRE(w.outcome.run);
  CAF_CHECK(w.opts.watch);
  CAF_CHECK_EQUAL(w.opts.watch_seconds, 2.0);
  CAF_CHECK(!w.opts.watch_count);
  auto n = parse({"inspect", "--watch", "1", "--count", "2"});
  CAF_REQUIRE(n.outcome.run);
  CAF_CHECK(n.opts.watch);
  CAF_CHECK_EQUAL(n.opts.watch_seconds, 1.0);
  CAF_REQUIRE(n.opts.watch_count);
  CAF_CHECK_EQUAL(*n.opts.watch_count, 2);
  CAF_CHECK(n.opts.inspect_args.empty()); // the 1 is the interval, not a node
  // NODE and ACTOR before the flags; a fraction of a second; a per-node timeout.
  auto a = parse({"inspect", "3", "partition", "--watch", "0.5", "--timeout-ms", "800"});
  CAF_REQUIRE(a.outcome.run);
  CAF_CHECK_EQUAL(a.opts.inspect_args.size(), 2u);
  CAF_CHECK_EQUAL(a.opts.watch_seconds, 0.5);
  CAF_REQUIRE(a.opts.timeout_ms);
  CAF_CHECK_EQUAL(*a.opts.timeout_ms, 800);
  check_refused({"inspect", "--count", "2"}, "--watch");
  check_refused({"inspect", "--watch", "1", "--count", "0"}, "--count");
  check_refused({"inspect", "--watch", "0"}, "--watch");
  check_refused({"inspect", "--watch", "soon"}, "--watch");
  check_refused({"inspect", "--timeout-ms", "0"}, "--timeout-ms");
  check_refused({"inspect", "--bogus"}, "--bogus");
}

CAF_TEST(help is printed and exits zero) {
  for (auto args : std::vector<std::vector<std::string>>{{"--help"}, {"topic", "create", "--help"},
                                                          {"consume", "--help"}, {"perf", "produce", "-h"},
                                                          {"perf", "e2e", "--help"},
                                                          {"group", "--help"}, {"txn", "--help"},
                                                          {"txn", "describe", "--help"}}) {
    auto p = parse(args);
    CAF_CHECK(!p.outcome.run);
    CAF_CHECK_EQUAL(p.outcome.exit_code, 0);
    CAF_CHECK(p.outcome.out.find("Usage") != std::string::npos);
  }
  CAF_CHECK(parse({"consume", "--help"}).outcome.out.find("--max-messages") != std::string::npos);
}

CAF_TEST(consume and perf consume take an isolation level) {
  auto d = parse({"consume", "--topic", "t"});
  CAF_REQUIRE(d.outcome.run);
  CAF_CHECK(isolation_of(d.opts) == sluice::schema::isolation_level::read_uncommitted);
  auto c = parse({"consume", "--topic", "t", "--isolation", "read_committed"});
  CAF_REQUIRE(c.outcome.run);
  CAF_CHECK(isolation_of(c.opts) == sluice::schema::isolation_level::read_committed);
  auto pc = parse({"perf", "consume", "--topic", "t", "--records", "10", "--isolation",
                   "read_committed"});
  CAF_REQUIRE(pc.outcome.run);
  CAF_CHECK(isolation_of(pc.opts) == sluice::schema::isolation_level::read_committed);
  check_refused({"consume", "--topic", "t", "--isolation", "committed"}, "--isolation");
  check_refused({"perf", "consume", "--topic", "t", "--records", "1", "--isolation", ""},
                "--isolation");
}

CAF_TEST(bad flags and values are refused in one line) {
  check_refused({}, "subcommand");
  check_refused({"frobnicate"}, "frobnicate");
  check_refused({"produce", "--topic", "t", "--acks", "7"}, "--acks");
  check_refused({"produce"}, "--topic");
  check_refused({"consume", "--topic", "t", "--no-such-flag"}, "--no-such-flag");
  check_refused({"consume", "--topic", "t", "--offset", "5"}, "--partition");
  check_refused({"consume", "--topic", "t", "--partition", "0", "--offset", "-3"}, "offset");
  check_refused({"consume", "--topic", "t", "--partition", "0", "--offset", "soon"}, "offset");
  check_refused({"consume", "--topic", "t", "--partition", "0", "--offset", "1", "--from-beginning"},
                "--from-beginning");
  check_refused({"consume", "--topic", "t", "--max-messages", "x"}, "--max-messages");
  check_refused({"topic", "create", "x", "--partitions", "0"}, "--partitions");
  check_refused({"topic", "create", "x", "--config", "novalue"}, "KEY=VALUE");
  check_refused({"topic", "create"}, "NAME");
  check_refused({"topic", "alter", "x"}, "--partitions");
  check_refused({"perf", "produce", "--topic", "t", "--records", "0", "--record-size", "1"}, "--records");
  check_refused({"perf", "produce", "--topic", "t", "--records", "10", "--record-size", "1", "--producers", "0"},
                "--producers");
  check_refused({"perf", "e2e", "--topic", "t", "--rate", "0"}, "--rate");
  check_refused({"perf", "e2e", "--topic", "t", "--linger-ms", "-1"}, "--linger-ms");
  check_refused({"perf", "e2e", "--topic", "t", "--rate", "-5"}, "--rate");
  check_refused({"perf", "e2e", "--topic", "t", "--seconds", "0"}, "--seconds");
  check_refused({"perf", "e2e", "--topic", "t", "--record-size", "4"}, "--record-size");
  check_refused({"perf", "e2e", "--rate", "10"}, "--topic");
  check_refused({"inspect", "a", "b", "c"}, "");
}

CAF_TEST(consumer group commands) {
  auto c = parse({"consume", "--topic", "t", "--group", "g", "--group-instance-id", "host-1",
                  "--session-timeout-ms", "2000", "--assignor", "range", "--assignor", "roundrobin"});
  CAF_REQUIRE(c.outcome.run);
  CAF_CHECK(c.opts.cmd == command::consume);
  CAF_CHECK_EQUAL(c.opts.group, std::optional<std::string>{"g"});
  CAF_CHECK_EQUAL(c.opts.group_instance_id, std::optional<std::string>{"host-1"});
  CAF_CHECK_EQUAL(c.opts.session_timeout_ms, 2000);
  CAF_CHECK_EQUAL(c.opts.assignors, (std::vector<std::string>{"range", "roundrobin"}));
  CAF_CHECK(parse({"group", "list"}).opts.cmd == command::group_list);
  auto d = parse({"group", "describe", "g"});
  CAF_CHECK(d.opts.cmd == command::group_describe);
  CAF_CHECK_EQUAL(d.opts.name, "g");
  auto r = parse({"group", "reset-offsets", "g", "--topic", "t", "--to-offset", "42", "--dry-run"});
  CAF_REQUIRE(r.outcome.run);
  CAF_CHECK(r.opts.cmd == command::group_reset_offsets);
  CAF_CHECK(r.opts.reset_to == reset_target::offset);
  CAF_CHECK_EQUAL(r.opts.reset_offset, 42);
  CAF_CHECK(r.opts.dry_run);
  auto t = parse({"group", "reset-offsets", "g", "--topic", "t", "--to-datetime", "2026-11-24T10:00:00Z"});
  CAF_REQUIRE(t.outcome.run);
  CAF_CHECK(t.opts.reset_to == reset_target::datetime);
  int64_t at = t.opts.reset_timestamp.value;
  CAF_CHECK_EQUAL(at, 1'795'514'400'000);
  check_refused({"consume", "--topic", "t", "--group", "g", "--partition", "1"}, "--partition");
  check_refused({"consume", "--topic", "t", "--group", "g", "--assignor", "sticky"}, "--assignor");
  check_refused({"consume", "--topic", "t", "--group-instance-id", "x"}, "--group");
  check_refused({"group", "describe"}, "GROUP");
  check_refused({"consume", "--topic", "t", "--group", ""}, "group id");
  check_refused({"group", "reset-offsets", "g", "--topic", "t"}, "exactly one of");
  check_refused({"group", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest"},
                "exactly one of");
  check_refused({"group", "reset-offsets", "g", "--to-earliest"}, "--topic");
  check_refused({"group", "reset-offsets", "g", "--topic", "t", "--to-offset", "-1"}, "--to-offset");
  check_refused({"group", "reset-offsets", "g", "--topic", "t", "--to-datetime", "yesterday"},
                "--to-datetime");
  check_refused({"group", "frobnicate"}, "");
}

CAF_TEST(transaction commands) {
  CAF_CHECK(parse({"txn", "list"}).opts.cmd == command::txn_list);
  auto l = parse({"txn", "list", "--state", "ongoing", "--state", "PrepareCommit"});
  CAF_CHECK(l.opts.cmd == command::txn_list);
  CAF_CHECK_EQUAL(l.opts.txn_states, (std::vector<std::string>{"Ongoing", "PrepareCommit"}));
  auto d = parse({"txn", "describe", "a", "b"});
  CAF_CHECK(d.opts.cmd == command::txn_describe);
  CAF_CHECK_EQUAL(d.opts.transactional_ids, (std::vector<std::string>{"a", "b"}));
  check_refused({"txn", "describe"}, "ID");
  check_refused({"txn", "list", "--state", "Running"}, "no transaction state 'Running'");
  check_refused({"txn"}, "subcommand");
}

CAF_TEST(transactional perf produce and copy) {
  auto pp = parse({"perf", "produce", "--topic", "t", "--records", "10", "--record-size", "1",
                   "--transactional", "--transaction-ms", "250", "--transactional-id", "bench"});
  CAF_REQUIRE(pp.outcome.run);
  CAF_CHECK(pp.opts.cmd == command::perf_produce);
  CAF_CHECK(pp.opts.transactional);
  CAF_CHECK_EQUAL(pp.opts.transaction_ms, 250);
  CAF_CHECK_EQUAL(pp.opts.transactional_id, "bench");
  auto c = parse({"copy", "--from", "a", "--to", "b", "--group", "g", "--transactional-id", "c-1",
                  "--timeout-ms", "500"});
  CAF_REQUIRE(c.outcome.run);
  CAF_CHECK(c.opts.cmd == command::copy);
  CAF_CHECK_EQUAL(c.opts.topic, "a");
  CAF_CHECK_EQUAL(c.opts.to_topic, "b");
  CAF_CHECK_EQUAL(*c.opts.group, "g");
  CAF_CHECK_EQUAL(c.opts.transactional_id, "c-1");
  CAF_CHECK_EQUAL(c.opts.transaction_ms, 100);
  check_refused({"perf", "produce", "--topic", "t", "--records", "10", "--record-size", "1",
                 "--transactional", "--acks", "1"}, "--acks all");
  check_refused({"perf", "produce", "--topic", "t", "--records", "10", "--record-size", "1",
                 "--transaction-ms", "50"}, "--transactional");
  check_refused({"perf", "produce", "--topic", "t", "--records", "10", "--record-size", "1",
                 "--transactional", "--no-idempotent"}, "--no-idempotent");
  check_refused({"perf", "produce", "--topic", "t", "--records", "10", "--record-size", "1",
                 "--transactional", "--transaction-ms", "0"}, "--transaction-ms");
  check_refused({"copy", "--from", "a", "--group", "g"}, "--to");
  check_refused({"copy", "--from", "a", "--to", "b"}, "--group");
  check_refused({"copy", "--to", "b", "--group", "g"}, "--from");
}

CAF_TEST(retries: consume --nack-matching and dlq list and redrive) {
  auto plain = parse({"consume", "--topic", "t", "--group", "g"});
  CAF_REQUIRE(plain.outcome.run);
  CAF_CHECK(!plain.opts.nack_matching);
  auto c = parse({"consume", "--topic", "t", "--group", "g", "--nack-matching", "^bad", "--max-attempts", "5",
                  "--retry-backoff-ms", "0,250,60000"});
  CAF_REQUIRE(c.outcome.run);
  CAF_CHECK_EQUAL(*c.opts.nack_matching, "^bad");
  CAF_CHECK_EQUAL(c.opts.max_attempts, 5);
  CAF_CHECK_EQUAL(c.opts.retry_backoffs_ms, (std::vector<int64_t>{0, 250, 60000}));
  auto defaults = parse({"consume", "--topic", "t", "--group", "g", "--nack-matching", "x"});
  CAF_REQUIRE(defaults.outcome.run);
  CAF_CHECK_EQUAL(defaults.opts.max_attempts, 3);
  CAF_CHECK_EQUAL(defaults.opts.retry_backoffs_ms, (std::vector<int64_t>{1000, 5000, 30000}));
  check_refused({"consume", "--topic", "t", "--nack-matching", "x"}, "--nack-matching requires --group");
  check_refused({"consume", "--topic", "t", "--group", "g", "--nack-matching", "(x"}, "not a regular expression");
  check_refused({"consume", "--topic", "t", "--group", "g", "--max-attempts", "2"}, "requires --nack-matching");
  check_refused({"consume", "--topic", "t", "--group", "g", "--retry-backoff-ms", "5"}, "requires --nack-matching");
  check_refused({"consume", "--topic", "t", "--group", "g", "--nack-matching", "x", "--max-attempts", "0"},
                "--max-attempts");
  check_refused({"consume", "--topic", "t", "--group", "g", "--nack-matching", "x", "--max-attempts", "101"},
                "--max-attempts");
  for (auto bad : {"", "1,", ",1", "1,,2", "-5", "1.5", "x", "604800001"})
    check_refused({"consume", "--topic", "t", "--group", "g", "--nack-matching", "x", "--retry-backoff-ms", bad},
                  "--retry-backoff-ms");
  std::string many = "1";
  for (int i = 1; i < 33; ++i)
    many += ",1";
  CAF_CHECK(parse_backoffs_ms(many) == std::nullopt); // 33 levels
  CAF_CHECK(parse_backoffs_ms(many.substr(2)).has_value()); // 32

  auto l = parse({"dlq", "list", "--group", "g", "--topic", "t"});
  CAF_REQUIRE(l.outcome.run);
  CAF_CHECK(l.opts.cmd == command::dlq_list);
  CAF_CHECK_EQUAL(*l.opts.group, "g");
  CAF_CHECK_EQUAL(l.opts.topic, "t");
  auto r = parse({"dlq", "redrive", "--group", "g", "--topic", "t", "--to", "u", "--timeout-ms", "500"});
  CAF_REQUIRE(r.outcome.run);
  CAF_CHECK(r.opts.cmd == command::dlq_redrive);
  CAF_CHECK_EQUAL(r.opts.to_topic, "u");
  CAF_CHECK_EQUAL(*r.opts.timeout_ms, 500);
  check_refused({"dlq", "list", "--topic", "t"}, "--group");
  check_refused({"dlq", "redrive", "--group", "g"}, "--topic");
  check_refused({"dlq", "list", "--group", "", "--topic", "t"}, "group id must not be empty");
  check_refused({"dlq", "list", "--group", "g", "--topic", "t", "--to", "u"}, "--to");
  check_refused({"dlq"}, "subcommand");
}

CAF_TEST(ISO 8601 date-times) {
  auto ms = [](const char* text) -> int64_t {
    auto t = parse_iso8601(text);
    return t ? t->value : -1;
  };
  int64_t epoch = ms("1970-01-01T00:00:00Z");
  int64_t fraction = ms("1970-01-01T00:00:01.5Z");
  int64_t east = ms("1970-01-01T01:00:00+01:00");
  int64_t west = ms("1969-12-31T23:00:00-01:00");
  int64_t leap = ms("2000-03-01T00:00:00Z");
  CAF_CHECK_EQUAL(epoch, 0);
  CAF_CHECK_EQUAL(fraction, 1500);
  CAF_CHECK_EQUAL(east, 0);
  CAF_CHECK_EQUAL(west, 0);
  CAF_CHECK_EQUAL(leap, 951'868'800'000);
  for (auto bad : {"2026-11-24", "2026-11-24T10:00:00", "2026-13-24T10:00:00Z",
                   "2026-11-24T10:00:00+5", "2026-11-24T10:00:00.Z"})
    CAF_CHECK(!parse_iso8601(bad));
}

CAF_TEST(operations: reassign elect-preferred-leaders and decommission) {
  auto r = parse({"topic", "reassign", "orders", "--partition", "2", "--replicas", "3,1,2", "--wait"});
  CAF_REQUIRE(r.outcome.run);
  CAF_CHECK(r.opts.cmd == command::topic_reassign);
  CAF_CHECK_EQUAL(r.opts.name, "orders");
  CAF_CHECK(r.opts.partition == 2);
  CAF_CHECK(r.opts.replicas == (std::vector<int32_t>{3, 1, 2}));
  CAF_CHECK(r.opts.wait);
  CAF_CHECK(!r.opts.cancel);
  auto c = parse({"topic", "reassign", "orders", "--partition", "0", "--cancel"});
  CAF_REQUIRE(c.outcome.run);
  CAF_CHECK(c.opts.cancel);
  CAF_CHECK(c.opts.replicas.empty());
  check_refused({"topic", "reassign", "orders", "--partition", "0"}, "--replicas");
  check_refused({"topic", "reassign", "orders", "--replicas", "1,2"}, "--partition");
  check_refused({"topic", "reassign", "orders", "--partition", "0", "--replicas", ""}, "empty");
  check_refused({"topic", "reassign", "orders", "--partition", "0", "--replicas", "1,,2"}, "broker ids");
  check_refused({"topic", "reassign", "orders", "--partition", "0", "--replicas", "1,-2"}, "broker ids");
  check_refused({"topic", "reassign", "orders", "--partition", "0", "--replicas", "a"}, "broker ids");
  check_refused({"topic", "reassign", "orders", "--partition", "0", "--replicas", "1", "--cancel"},
                "--cancel");
  auto e = parse({"cluster", "elect-preferred-leaders"});
  CAF_REQUIRE(e.outcome.run);
  CAF_CHECK(e.opts.cmd == command::cluster_elect_preferred);
  CAF_CHECK(e.opts.topic.empty());
  CAF_CHECK_EQUAL(parse({"cluster", "elect-preferred-leaders", "--topic", "t"}).opts.topic, "t");
  auto d = parse({"cluster", "decommission", "3", "--wait", "--timeout-ms", "5000"});
  CAF_REQUIRE(d.outcome.run);
  CAF_CHECK(d.opts.cmd == command::cluster_decommission);
  CAF_CHECK_EQUAL(d.opts.broker, 3);
  CAF_CHECK(d.opts.wait);
  CAF_CHECK(d.opts.timeout_ms == int64_t{5000});
  CAF_CHECK(parse({"cluster", "decommission", "3", "--cancel"}).opts.cancel);
  check_refused({"cluster", "decommission"}, "BROKER");
  check_refused({"cluster", "decommission", "x"}, "x");
  CAF_CHECK(parse_broker_ids("7") == (std::vector<int32_t>{7}));
  CAF_CHECK(!parse_broker_ids(""));
  CAF_CHECK(!parse_broker_ids("1,"));
  CAF_CHECK(!parse_broker_ids(" 1"));
}

#include "tools/sluice/cli_args.hpp"

#include "filter/filter_expr.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <regex>
#include <cstdlib>
#include <regex>

namespace sluice::cli {

namespace {

// k=v with a non-empty key.
const CLI::Validator config_entry{[](std::string& s) -> std::string {
                                    auto eq = s.find('=');
                                    if (eq == std::string::npos || eq == 0)
                                      return "config '" + s + "' is not KEY=VALUE";
                                    return {};
                                  },
                                  "KEY=VALUE"};

// The states of schema/txn.capnp's TransactionDescription, any case.
const CLI::Validator txn_state_name{
  [](std::string& s) -> std::string {
    static constexpr const char* names[] = {"Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
                                            "CompleteCommit", "CompleteAbort", "Dead"};
    for (auto* n : names) {
      std::string_view name{n};
      if (name.size() == s.size()
          && std::equal(name.begin(), name.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
             })) {
        s = n;
        return {};
      }
    }
    return "no transaction state '" + s + "' (Empty, Ongoing, PrepareCommit, PrepareAbort, "
           "CompleteCommit, CompleteAbort, Dead)";
  },
  "STATE"};

const CLI::Validator offset_spec{[](std::string& s) -> std::string {
                                   if (s == "earliest" || s == "latest")
                                     return {};
                                   int64_t v = 0;
                                   auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
                                   if (ec != std::errc{} || end != s.data() + s.size() || v < 0)
                                     return "offset '" + s + "' is not earliest, latest or a number >= 0";
                                   return {};
                                 },
                                 "earliest|latest|N"};

const auto acks_values = CLI::IsMember({"0", "1", "all", "-1"});
const CLI::Validator group_id{[](std::string& s) -> std::string {
                                return s.empty() ? "the group id must not be empty" : "";
                              },
                              "GROUP"};

const auto assignor_values = CLI::IsMember({"range", "roundrobin", "cooperative-sticky"});
const auto isolation_values = CLI::IsMember({"read_uncommitted", "read_committed"});

// Refused here, before any connection, with the parser's one line naming the position.
const CLI::Validator filter_expression{[](std::string& s) -> std::string {
                                         auto f = filter::parse_filter(s);
                                         return f ? "" : f.err().message;
                                       },
                                       "EXPR"};

// --nack-matching: refused here when std::regex (ECMAScript) does not take it.
const CLI::Validator regex_pattern{[](std::string& s) -> std::string {
                                     try {
                                       std::regex re{s};
                                     } catch (const std::regex_error& e) {
                                       return "'" + s + "' is not a regular expression: " + e.what();
                                     }
                                     return {};
                                   },
                                   "REGEX"};

} // namespace

namespace {

// "A,B,C": integers in [lo, hi], at least one; nullopt on anything else (an empty part, a sign,
// spaces, a value out of range).
template <class Int>
std::optional<std::vector<Int>> parse_int_list(const std::string& s, Int lo, Int hi) {
  std::vector<Int> out;
  size_t at = 0;
  while (at <= s.size()) {
    auto comma = s.find(',', at);
    auto part = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    Int v{};
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc{} || end != part.data() + part.size() || v < lo || v > hi)
      return std::nullopt;
    out.push_back(v);
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return out;
}

} // namespace

std::optional<std::vector<int64_t>> parse_backoffs_ms(const std::string& s) {
  constexpr int64_t max_ms = 7LL * 24 * 3600 * 1000; // client::retry_backoff_limit
  constexpr size_t max_levels = 32;                  // client::retry_levels_limit
  auto out = parse_int_list<int64_t>(s, 0, max_ms);
  if (out && out->size() > max_levels)
    return std::nullopt;
  return out;
}

// YYYY-MM-DDTHH:MM:SS[.mmm](Z|+HH:MM|-HH:MM) -> ms since the epoch (UTC); nullopt if not that.
std::optional<timestamp_ms> parse_iso8601(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  char rest[16] = {};
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
    return std::nullopt;
  auto tail = s.substr(static_cast<size_t>(n));
  if (!tail.empty() && tail[0] == '.') {
    size_t i = 1;
    int digits = 0;
    while (i < tail.size() && std::isdigit(static_cast<unsigned char>(tail[i])) && digits < 3) {
      ms = ms * 10 + (tail[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0)
      return std::nullopt;
    while (digits++ < 3)
      ms *= 10;
    tail = tail.substr(i);
  }
  int64_t offset_min = 0;
  if (tail == "Z") {
  } else if (tail.size() == 6 && (tail[0] == '+' || tail[0] == '-') && tail[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(tail.c_str() + 1, "%2d:%2d%15s", &oh, &om, rest) != 2 || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (tail[0] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  // Days from the civil date (Howard Hinnant's days_from_civil).
  y -= mo <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return timestamp_ms{secs * 1000 + ms};
}

std::optional<std::vector<int32_t>> parse_broker_ids(const std::string& s) {
  return parse_int_list<int32_t>(s, 0, INT32_MAX);
}

namespace {

// The first line of a CLI11 message: errors stay one line on stderr.
std::string first_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos)
    s.resize(nl);
  return s;
}

} // namespace

cli_env environment() {
  return {std::getenv("SLUICE_BOOTSTRAP"), std::getenv("SLUICE_TLS_CA"), std::getenv("SLUICE_TLS_CERTIFICATE"),
          std::getenv("SLUICE_TLS_KEY")};
}

const net::tls_setting_names cli_tls_names{"TLS", "--tls-certificate (env SLUICE_TLS_CERTIFICATE)",
                                           "--tls-key (env SLUICE_TLS_KEY)", "--tls-ca (env SLUICE_TLS_CA)"};

parse_outcome parse_args(const std::vector<std::string>& args, cli_options& o, const cli_env& env) {
  auto from_env = [](const char* value, auto& out) {
    if (value && *value)
      out = value;
  };
  from_env(env.bootstrap, o.bootstrap);
  from_env(env.tls_ca, o.tls.ca);
  from_env(env.tls_certificate, o.tls.certificate);
  from_env(env.tls_key, o.tls.key);
  CLI::App app{"sluice: the Sluice command line (topics, produce, consume, perf, inspect)", "sluice"};
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  app.add_option("--bootstrap", o.bootstrap,
                 "nodes to talk to, HOST:PORT[,HOST:PORT...]: the first that answers, the others "
                 "and every broker it names when it dies (env SLUICE_BOOTSTRAP)");
  // TLS to nodes with tls.enabled: CAF's TLS authenticates both ends, so all three are needed.
  std::string tls_ca = o.tls.ca.string(), tls_certificate = o.tls.certificate.string(), tls_key = o.tls.key.string();
  app.add_option("--tls-ca", tls_ca, "TLS: CA certificates (PEM) that sign the nodes' certificates (env SLUICE_TLS_CA)");
  app.add_option("--tls-certificate", tls_certificate,
                 "TLS: this client's certificate (PEM), signed by a CA the nodes trust (env SLUICE_TLS_CERTIFICATE)");
  app.add_option("--tls-key", tls_key, "TLS: its private key (PEM, unencrypted) (env SLUICE_TLS_KEY)");

  // topic ...
  auto* topic = app.add_subcommand("topic", "create, list, describe, delete and alter topics");
  topic->require_subcommand(1);
  auto* create = topic->add_subcommand("create", "create a topic");
  create->add_option("NAME", o.name, "topic name")->required();
  create->add_option("--partitions", o.partitions, "partition count")->check(CLI::Range(1, 1 << 20));
  create->add_option("--replication-factor", o.replication_factor, "replicas per partition")
    ->check(CLI::Range(1, 32767));
  create->add_option("--config", o.configs, "topic config override KEY=VALUE (repeatable)")
    ->check(config_entry);
  auto* list = topic->add_subcommand("list", "topic names, one per line");
  auto* describe = topic->add_subcommand("describe", "partitions, leader, replicas, isr, log start/end, configs");
  describe->add_option("NAME", o.name, "topic name")->required();
  auto* del = topic->add_subcommand("delete", "delete a topic and its data");
  del->add_option("NAME", o.name, "topic name")->required();
  auto* alter = topic->add_subcommand("alter", "raise a topic's partition count");
  alter->add_option("NAME", o.name, "topic name")->required();
  alter->add_option("--partitions", o.partitions, "the new partition count (only grows)")
    ->required()
    ->check(CLI::Range(1, 1 << 20));
  auto* reassign = topic->add_subcommand(
    "reassign", "move a partition's replicas while it serves (KIP-455), or --cancel the move");
  reassign->add_option("NAME", o.name, "topic name")->required();
  reassign->add_option("--partition", o.partition, "partition")->required()->check(CLI::NonNegativeNumber);
  std::string replicas_arg;
  auto* replicas = reassign->add_option("--replicas", replicas_arg,
                                        "target broker ids, preferred leader first: a,b,c");
  auto* cancel = reassign->add_flag("--cancel", o.cancel, "back to the replicas before the move in progress");
  replicas->excludes(cancel);
  reassign->add_flag("--wait", o.wait, "return once the target replicas are in sync and the move is done");
  reassign->add_option("--timeout-ms", o.timeout_ms, "give up waiting after this long (default 300000)")
    ->check(CLI::PositiveNumber);

  // produce
  auto* produce = app.add_subcommand(
    "produce", "send stdin to a topic, one record per line; exit 0 only when every record was acked");
  produce->add_option("--topic", o.topic, "topic")->required();
  produce->add_option("--key-separator", o.key_separator,
                      "split each line at the first S into key and value");
  produce->add_option("--null-marker", o.null_marker,
                      "a value equal to S is sent as null: a tombstone, which deletes its key "
                      "from a compacted topic (README \"Log compaction\")");
  produce->add_option("--tags", o.tags, "give every record these tags: header tags=a,b (README "
                                       "\"Message filtering\")");
  produce->add_option("--header-separator", o.header_separator,
                      "each line starts with headers k=v;k=v, then S, then the record (key "
                      "separator applies to the rest); a tags header here wins over --tags");
  produce->add_option("--acks", o.acks, "0, 1 or all (default; 0 and 1 send without idempotence)")
    ->check(acks_values);
  auto* produce_idem = produce->add_flag(
    "--idempotent", o.idempotent,
    "idempotent producer (the default with acks=all): retries never duplicate or reorder");
  produce->add_flag("--no-idempotent", o.no_idempotent, "plain batches, no producer id")
    ->excludes(produce_idem);
  produce->add_option("--partition", o.partition, "send every record to this partition")
    ->check(CLI::NonNegativeNumber);
  auto* produce_delay = produce->add_option(
    "--delay-ms", o.delay_ms,
    "delayed delivery: each record becomes visible D ms after it is sent (1000 .. 2592000000, "
    "i.e. 1 s to 30 days; --print-acks then shows its __delayed partition and offset)");
  produce->add_option("--deliver-at", o.deliver_at,
                      "delayed delivery: every record becomes visible at MS (ms since the epoch), "
                      "1 s to 30 days after it is sent")
    ->excludes(produce_delay);
  produce->add_option("--delivery-timeout-ms", o.delivery_timeout_ms,
                      "give up on a record not acked within this time")
    ->check(CLI::PositiveNumber);
  produce->add_option("--max-in-flight", o.max_in_flight,
                      "max.in.flight.requests.per.connection; 1 keeps each partition's records "
                      "in send order through retries")
    ->check(CLI::Range(1, 1024));
  produce->add_flag("--print-acks", o.print_acks,
                    "print PARTITION<TAB>OFFSET<TAB>VALUE for each acknowledged record, as acked");

  // consume
  auto* consume = app.add_subcommand(
    "consume", "print a topic's values, one per line; exit 0 after --max-messages or --timeout-ms idle");
  consume->add_option("--topic", o.topic, "topic")->required();
  auto* group_opt = consume->add_option("--group", o.group,
                                        "read as a member of this consumer group (partitions "
                                        "assigned by the group, offsets committed)")
                         ->check(group_id);
  consume->add_option("--group-instance-id", o.group_instance_id,
                      "static membership: a restart within the session timeout keeps the partitions")
    ->needs(group_opt);
  consume->add_option("--session-timeout-ms", o.session_timeout_ms, "group session.timeout.ms")
    ->check(CLI::Range(int64_t{1}, int64_t{86'400'000}));
  consume->add_option("--heartbeat-interval-ms", o.heartbeat_interval_ms, "group heartbeat.interval.ms")
    ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}));
  consume->add_option("--auto-commit-interval-ms", o.auto_commit_interval_ms,
                      "commit what was printed this often")
    ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}));
  consume->add_option("--assignor", o.assignors,
                      "partition.assignment.strategy, most preferred first (repeatable)")
    ->check(assignor_values);
  auto* from_beginning = consume->add_flag("--from-beginning", o.from_beginning,
                                           "start at the log start instead of the end");
  consume->add_option("--max-messages", o.max_messages, "exit after this many records")
    ->check(CLI::PositiveNumber);
  consume->add_option("--timeout-ms", o.timeout_ms, "exit after this long without a record")
    ->check(CLI::NonNegativeNumber);
  auto* filter_opt = consume->add_option("--filter", o.filter, "only records matching EXPR, filtered by the broker "
                                            "(e.g. \"a || b\", \"region = 'eu' AND priority > 3\")")
    ->check(filter_expression);
  consume->add_option("--isolation", o.isolation,
                      "read_uncommitted (default: everything below the high watermark) or "
                      "read_committed (committed transactions only)")
    ->check(isolation_values);
  consume->add_flag("--print-key", o.print_key, "print KEY<TAB>VALUE (null for a null key)");
  consume->add_flag("--print-offset", o.print_offset, "print OFFSET<TAB> first");
  consume->add_flag("--print-partition", o.print_partition, "print PARTITION<TAB> before everything");
  consume->add_flag("--print-timestamp", o.print_timestamp, "print TIMESTAMP<TAB> (the record's, ms) after the offset");
  consume->add_flag("--print-received", o.print_received,
                    "print RECEIVED<TAB> (when the poll returned it, ms since the epoch) after the timestamp");
  auto* partition = consume->add_option("--partition", o.partition, "read only this partition")
                      ->check(CLI::NonNegativeNumber)
                      ->excludes(group_opt);
  auto* offset_opt = consume->add_option("--offset", o.offset, "with --partition: start here (earliest, latest or N)")
    ->check(offset_spec)
    ->needs(partition)
    ->excludes(from_beginning);
  auto* nack = consume->add_option("--nack-matching", o.nack_matching,
                                   "with --group: nack (instead of print) every record whose value "
                                   "contains a match of REGEX: it goes to the group's retry topics "
                                   "and, after --max-attempts deliveries, to GROUP.TOPIC.dlq (time spent waiting for a retry "
                                   "to be due counts as idle for --timeout-ms)")
                 ->check(regex_pattern)
                 ->needs(group_opt);
  consume->add_option("--max-attempts", o.max_attempts,
                      "with --nack-matching: deliveries before a record is dead-lettered (default 3)")
    ->check(CLI::Range(1, 100))
    ->needs(nack);
  std::string backoffs_arg;
  auto* backoffs = consume->add_option("--retry-backoff-ms", backoffs_arg,
                                       "with --nack-matching: wait before retry 1, 2, ... in ms, the "
                                       "last one for any further (default 1000,5000,30000)")
                     ->needs(nack);
  auto* share = consume->add_option("--share-group", o.share_group,
                                    "read as a member of this share group (queue-style: every member "
                                    "reads every partition, each record goes to one member at a time "
                                    "and is accepted once printed; see README \"Share groups\")")
                  ->check(group_id)
                  ->excludes(group_opt)
                  ->excludes(partition)
                  ->excludes(offset_opt)
                  ->excludes(from_beginning)
                  ->excludes(filter_opt);
  consume->add_option("--reject-matching", o.reject_matching,
                      "with --share-group: reject (archive, never deliver again) records whose value "
                      "matches REGEX instead of printing them")
    ->check(regex_pattern)
    ->needs(share);
  consume->add_option("--release-matching", o.release_matching,
                      "with --share-group: release (hand back for redelivery) records whose value "
                      "matches REGEX instead of printing them")
    ->check(regex_pattern)
    ->needs(share);

  // group ...
  auto* grp = app.add_subcommand("group", "list, describe and reset the offsets of consumer groups");
  grp->require_subcommand(1);
  auto* glist = grp->add_subcommand("list", "GROUP<TAB>STATE<TAB>MEMBERS, one group per line");
  auto* gdesc = grp->add_subcommand(
    "describe", "state, generation, members with their partitions, committed offset, log end and lag");
  gdesc->add_option("GROUP", o.name, "group id")->required();
  auto* greset = grp->add_subcommand(
    "reset-offsets", "set the committed offsets of an inactive group (no members)");
  greset->add_option("GROUP", o.name, "group id")->required();
  greset->add_option("--topic", o.topic, "topic whose partitions to reset")->required();
  bool earliest_flag = false, latest_flag = false;
  auto* to_earliest = greset->add_flag("--to-earliest", earliest_flag, "to each partition's log start");
  auto* to_latest = greset->add_flag("--to-latest", latest_flag, "to each partition's log end");
  auto* to_offset = greset->add_option("--to-offset", o.reset_offset, "to this offset (clamped to the log)")
                      ->check(CLI::NonNegativeNumber);
  auto* to_datetime = greset->add_option("--to-datetime", o.reset_datetime,
                                         "to the first record at or after this time, "
                                         "YYYY-MM-DDTHH:MM:SS[.mmm](Z|+HH:MM)");
  greset->add_flag("--dry-run", o.dry_run, "print the new offsets without committing them");

  // txn ...
  auto* txn = app.add_subcommand("txn", "list and describe transactions (transactional ids)");
  txn->require_subcommand(1);
  auto* tlist = txn->add_subcommand("list", "ID<TAB>STATE<TAB>PRODUCER_ID<TAB>COORDINATOR, one id per line");
  tlist->add_option("--state", o.txn_states,
                    "only ids in this state (repeatable): Empty, Ongoing, PrepareCommit, "
                    "PrepareAbort, CompleteCommit, CompleteAbort, Dead")
    ->transform(txn_state_name);
  auto* tdesc = txn->add_subcommand(
    "describe", "state, producer id and epoch, timeout, start time, partitions and groups of each id");
  tdesc->add_option("ID", o.transactional_ids, "transactional id")->required();

  // cluster status
  auto* cluster = app.add_subcommand("cluster", "the cluster's nodes");
  cluster->require_subcommand(1);
  auto* status = cluster->add_subcommand("status", "node id, address, topic and partition counts");
  auto* elect = cluster->add_subcommand(
    "elect-preferred-leaders",
    "make each partition's first replica its leader where it is alive and in sync; prints what moved");
  elect->add_option("--topic", o.topic, "only this topic's partitions");
  auto* decommission = cluster->add_subcommand(
    "decommission", "move every replica off a broker to the other live brokers; it takes no new ones");
  decommission->add_option("BROKER", o.broker, "broker id")->required()->check(CLI::NonNegativeNumber);
  decommission->add_flag("--cancel", o.cancel, "the broker takes new replicas again (moves made stay)");
  decommission->add_flag("--wait", o.wait, "return once the broker holds no replica");
  decommission->add_option("--timeout-ms", o.timeout_ms, "give up waiting after this long (default 300000)")
    ->check(CLI::PositiveNumber);

  // inspect [NODE] [ACTOR]
  auto* inspect = app.add_subcommand(
    "inspect", "every node's actor tree with mailbox sizes and states, partition replicas (role, "
               "ISR, followers' lag) and consumer groups. NODE: only this node, an id or "
               "HOST:PORT; ACTOR: only the actors whose name contains it");
  inspect->add_option("NODE_ACTOR", o.inspect_args, "[NODE] [ACTOR]")->expected(0, 2);
  // --watch takes an optional value: given alone it means every 2 s.
  auto* watch = inspect->add_option("--watch", o.watch_seconds,
                                    "redraw every SECONDS (default 2) until interrupted (NODE and ACTOR go before it)")
                  ->expected(0, 1)
                  ->check(CLI::Range(0.1, 3600.0));
  inspect->add_option("--count", o.watch_count, "with --watch: stop after N snapshots")
    ->check(CLI::PositiveNumber)
    ->needs(watch);
  inspect->add_option("--timeout-ms", o.timeout_ms,
                      "per node: how long to wait for its answer (default 5000)")
    ->check(CLI::PositiveNumber);

  // copy: consume-transform-produce with transactions
  auto* copy = app.add_subcommand(
    "copy", "copy a topic into another exactly once: read_committed input, transactional output "
            "committed together with the group's input positions; restartable");
  copy->add_option("--from", o.topic, "input topic")->required();
  copy->add_option("--to", o.to_topic, "output topic (input partition p goes to p modulo its partitions)")
    ->required();
  copy->add_option("--group", o.group, "consumer group whose committed offsets are the input positions")
    ->required()
    ->check(group_id);
  copy->add_option("--transactional-id", o.transactional_id,
                   "transactional.id; a restarted copy with the same id fences the old one "
                   "(default sluice-copy-GROUP)");
  copy->add_option("--transaction-ms", o.transaction_ms, "commit every this many ms (default 100)")
    ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}));
  copy->add_option("--timeout-ms", o.timeout_ms, "exit after this long without a new record (default 10000)")
    ->check(CLI::NonNegativeNumber);

  // dlq list | dlq redrive
  auto* dlq = app.add_subcommand("dlq", "inspect and re-drive a consumer group's dead-letter topic GROUP.TOPIC.dlq");
  dlq->require_subcommand(1);
  auto* dlist = dlq->add_subcommand(
    "list", "PARTITION<TAB>OFFSET<TAB>ATTEMPTS<TAB>ERROR<TAB>VALUE per dead-lettered record (the "
            "partition and offset it had in TOPIC), then 'records: N'");
  auto* dredrive = dlq->add_subcommand(
    "redrive", "send the dead-lettered records back to TOPIC (or --to) without their sluice.* headers, "
               "exactly once: a second redrive sends only records dead-lettered since; prints "
               "'redrove N records to TOPIC'");
  for (auto* sub : {dlist, dredrive}) {
    sub->add_option("--group", o.group, "the consumer group that dead-lettered the records")
      ->required()
      ->check(group_id);
    sub->add_option("--topic", o.topic, "the topic the records were consumed from")->required();
    sub->add_option("--timeout-ms", o.timeout_ms, "fail after this long without progress (default 10000)")
      ->check(CLI::PositiveNumber);
  }
  dredrive->add_option("--to", o.to_topic, "send them to this topic instead (partition: the original "
                                           "one modulo its partitions)");

  // perf produce | perf consume | perf e2e
  auto* perf = app.add_subcommand(
    "perf", "throughput and latency; ends with 'records/s: X  MB/s: Y  p50_ms: A  p99_ms: B' (MB = 2^20 bytes)");
  perf->require_subcommand(1);
  auto* pp = perf->add_subcommand("produce", "send N records of B bytes; latency is send to ack");
  pp->add_option("--topic", o.topic, "topic")->required();
  pp->add_option("--records", o.records, "records to send")->required()->check(CLI::PositiveNumber);
  pp->add_option("--record-size", o.record_size, "value bytes per record")
    ->required()
    ->check(CLI::Range(0, 1 << 24));
  pp->add_option("--acks", o.acks, "0, 1 or all (default; 0 and 1 send without idempotence)")
    ->check(acks_values);
  auto* pp_idem = pp->add_flag("--idempotent", o.idempotent,
                               "idempotent producers (the default with acks=all)");
  auto* pp_plain = pp->add_flag("--no-idempotent", o.no_idempotent, "plain batches, no producer id")
                     ->excludes(pp_idem);
  auto* pp_txn = pp->add_flag("--transactional", o.transactional,
                              "each producer commits a transaction every --transaction-ms")
                   ->excludes(pp_plain);
  pp->add_option("--transaction-ms", o.transaction_ms, "with --transactional: how long each transaction stays open (default 100)")
    ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}))
    ->needs(pp_txn);
  pp->add_option("--transactional-id", o.transactional_id,
                 "with --transactional: the producers' transactional.id prefix (default perf-PID)")
    ->needs(pp_txn);
  pp->add_option("--producers", o.producers, "producer threads")->check(CLI::Range(1, 64));
  pp->add_option("--batch-size", o.batch_bytes, "batch.size in bytes")->check(CLI::Range(1024, 16 << 20));
  auto* pc = perf->add_subcommand("consume", "read N records from the beginning; latency is per fetch");
  pc->add_option("--topic", o.topic, "topic")->required();
  pc->add_option("--records", o.records, "records to read")->required()->check(CLI::PositiveNumber);
  pc->add_option("--group", o.group, "read as a member of this consumer group (commits on exit)")
    ->check(group_id);
  pc->add_option("--timeout-ms", o.timeout_ms, "fail after this long without a record")
    ->check(CLI::NonNegativeNumber);
  pc->add_option("--fetch-size", o.fetch_bytes, "max.partition.fetch.bytes")->check(CLI::Range(1024, 64 << 20));
  pc->add_option("--filter", o.filter, "consume with this filter expression (--records counts matches)")
    ->check(filter_expression);
  pc->add_option("--isolation", o.isolation, "read_uncommitted (default) or read_committed")
    ->check(isolation_values);
  auto* pe = perf->add_subcommand(
    "e2e", "send R records/s for S seconds and read them back in-process; latency is send to seen by the consumer");
  pe->add_option("--topic", o.topic, "topic")->required();
  pe->add_option("--rate", o.rate, "records/s to send")->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  pe->add_option("--seconds", o.seconds, "how long to send")->check(CLI::Range(int64_t{1}, int64_t{3600}));
  // The value starts with the 8-byte send time.
  pe->add_option("--record-size", o.record_size, "value bytes per record")->check(CLI::Range(8, 1 << 24));
  pe->add_option("--acks", o.acks, "0, 1 or all")->check(acks_values);
  pe->add_option("--linger-ms", o.linger_ms,
                 "the producer's linger.ms (default 0, as Kafka's EndToEndLatency: a batch waiting to fill counts as latency)")
    ->check(CLI::Range(int64_t{0}, int64_t{10'000}));

  parse_outcome out;
  // CLI11 reports "a subcommand is required" for a misspelt one; name it instead.
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--bootstrap" || args[i] == "--tls-ca" || args[i] == "--tls-certificate" || args[i] == "--tls-key") {
      ++i;
      continue;
    }
    if (args[i].rfind("-", 0) == 0)
      continue;
    auto known = app.get_subcommands([&](const CLI::App* sub) { return sub->check_name(args[i]); });
    if (known.empty()) {
      out.exit_code = exit_usage;
      out.err = "sluice: unknown command '" + args[i] + "' (see --help)";
      return out;
    }
    break;
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 takes them backwards
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out.out = app.help();
    return out;
  } catch (const CLI::CallForAllHelp&) {
    out.out = app.help("", CLI::AppFormatMode::All);
    return out;
  } catch (const CLI::ParseError& e) {
    out.exit_code = exit_usage;
    out.err = "sluice: " + first_line(e.what()) + " (see --help)";
    return out;
  }
  o.tls.ca = tls_ca;
  o.tls.certificate = tls_certificate;
  o.tls.key = tls_key;
  o.tls.enabled = !(tls_ca.empty() && tls_certificate.empty() && tls_key.empty());
  if (o.tls.enabled && (tls_ca.empty() || tls_certificate.empty() || tls_key.empty())) {
    std::string missing;
    for (auto [given, name] : {std::pair{&tls_ca, "--tls-ca"}, std::pair{&tls_certificate, "--tls-certificate"},
                               std::pair{&tls_key, "--tls-key"}})
      if (given->empty())
        missing += std::string{missing.empty() ? "" : ", "} + name;
    out.exit_code = exit_usage;
    out.err = "sluice: TLS needs --tls-ca, --tls-certificate and --tls-key (or SLUICE_TLS_CA, "
              "SLUICE_TLS_CERTIFICATE, SLUICE_TLS_KEY) together; missing: "
              + missing + " (see --help)";
    return out;
  }
  if (o.transactional && o.acks != "all" && o.acks != "-1") {
    out.exit_code = exit_usage;
    out.err = "sluice: --transactional needs --acks all, not --acks " + o.acks + " (see --help)";
    return out;
  }
  if (o.idempotent && o.acks != "all" && o.acks != "-1") {
    out.exit_code = exit_usage;
    out.err = "sluice: --idempotent needs --acks all (an idempotent producer waits for the whole "
              "ISR), not --acks " + o.acks + " (see --help)";
    return out;
  }
  if (backoffs->count() > 0) {
    auto ms = parse_backoffs_ms(backoffs_arg);
    if (!ms) {
      out.exit_code = exit_usage;
      out.err = "sluice: --retry-backoff-ms '" + backoffs_arg
                + "' is not a list A,B,C of at most 32 waits in ms, each in [0, 604800000] (see --help)";
      return out;
    }
    o.retry_backoffs_ms = std::move(*ms);
  }
  if (greset->parsed()) {
    auto chosen = to_earliest->count() + to_latest->count() + to_offset->count() + to_datetime->count();
    if (chosen != 1) {
      out.exit_code = exit_usage;
      out.err = "sluice: group reset-offsets needs exactly one of --to-earliest, --to-latest, "
                "--to-offset, --to-datetime (see --help)";
      return out;
    }
    o.reset_to = to_earliest->count() ? reset_target::earliest
                 : to_latest->count() ? reset_target::latest
                 : to_offset->count() ? reset_target::offset
                                      : reset_target::datetime;
    if (o.reset_to == reset_target::datetime) {
      auto ts = parse_iso8601(o.reset_datetime);
      if (!ts) {
        out.exit_code = exit_usage;
        out.err = "sluice: --to-datetime '" + o.reset_datetime
                  + "' is not YYYY-MM-DDTHH:MM:SS[.mmm](Z|+HH:MM) (see --help)";
        return out;
      }
      o.reset_timestamp = *ts;
    }
  }
  if (reassign->parsed()) {
    if (!o.cancel && replicas->count() == 0) {
      out.exit_code = exit_usage;
      out.err = "sluice: topic reassign needs --replicas a,b,c or --cancel (see --help)";
      return out;
    }
    if (!o.cancel) {
      auto ids = parse_broker_ids(replicas_arg);
      if (!ids) {
        out.exit_code = exit_usage;
        out.err = replicas_arg.empty()
                    ? "sluice: --replicas is empty: give the target broker ids a,b,c (see --help)"
                    : "sluice: --replicas '" + replicas_arg + "' is not a list of broker ids a,b,c (see --help)";
        return out;
      }
      o.replicas = std::move(*ids);
    }
  }
  if (create->parsed()) o.cmd = command::topic_create;
  else if (list->parsed()) o.cmd = command::topic_list;
  else if (describe->parsed()) o.cmd = command::topic_describe;
  else if (del->parsed()) o.cmd = command::topic_delete;
  else if (alter->parsed()) o.cmd = command::topic_alter;
  else if (reassign->parsed()) o.cmd = command::topic_reassign;
  else if (produce->parsed()) o.cmd = command::produce;
  else if (consume->parsed()) o.cmd = command::consume;
  else if (status->parsed()) o.cmd = command::cluster_status;
  else if (elect->parsed()) o.cmd = command::cluster_elect_preferred;
  else if (decommission->parsed()) o.cmd = command::cluster_decommission;
  else if (inspect->parsed()) {
    o.cmd = command::inspect;
    o.watch = watch->count() > 0;
  }
  else if (pp->parsed()) o.cmd = command::perf_produce;
  else if (pc->parsed()) o.cmd = command::perf_consume;
  else if (pe->parsed()) o.cmd = command::perf_e2e;
  else if (copy->parsed()) o.cmd = command::copy;
  else if (dlist->parsed()) o.cmd = command::dlq_list;
  else if (dredrive->parsed()) o.cmd = command::dlq_redrive;
  else if (glist->parsed()) o.cmd = command::group_list;
  else if (gdesc->parsed()) o.cmd = command::group_describe;
  else if (greset->parsed()) o.cmd = command::group_reset_offsets;
  else if (tlist->parsed()) o.cmd = command::txn_list;
  else if (tdesc->parsed()) o.cmd = command::txn_describe;
  out.run = true;
  return out;
}

} // namespace sluice::cli

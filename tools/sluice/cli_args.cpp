#include "tools/sluice/cli_args.hpp"

#include <CLI/CLI.hpp>

#include <charconv>

namespace sluice::cli {

namespace {

const char* groups_later = "consumer groups arrive in a later release";

// k=v with a non-empty key.
const CLI::Validator config_entry{[](std::string& s) -> std::string {
                                    auto eq = s.find('=');
                                    if (eq == std::string::npos || eq == 0)
                                      return "config '" + s + "' is not KEY=VALUE";
                                    return {};
                                  },
                                  "KEY=VALUE"};

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

// The first line of a CLI11 message: errors stay one line on stderr.
std::string first_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos)
    s.resize(nl);
  return s;
}

} // namespace

parse_outcome parse_args(const std::vector<std::string>& args, cli_options& o,
                         const char* bootstrap_env) {
  if (bootstrap_env && *bootstrap_env)
    o.bootstrap = bootstrap_env;
  CLI::App app{"sluice: the Sluice command line (topics, produce, consume, perf, inspect)", "sluice"};
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  app.add_option("--bootstrap", o.bootstrap, "node to talk to, HOST:PORT (env SLUICE_BOOTSTRAP)");

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

  // produce
  auto* produce = app.add_subcommand(
    "produce", "send stdin to a topic, one record per line; exit 0 only when every record was acked");
  produce->add_option("--topic", o.topic, "topic")->required();
  produce->add_option("--key-separator", o.key_separator,
                      "split each line at the first S into key and value");
  produce->add_option("--acks", o.acks, "0, 1 or all")->check(acks_values);
  produce->add_option("--partition", o.partition, "send every record to this partition")
    ->check(CLI::NonNegativeNumber);
  produce->add_option("--delivery-timeout-ms", o.delivery_timeout_ms,
                      "give up on a record not acked within this time")
    ->check(CLI::PositiveNumber);

  // consume
  std::optional<std::string> group;
  auto* consume = app.add_subcommand(
    "consume", "print a topic's values, one per line; exit 0 after --max-messages or --timeout-ms idle");
  consume->add_option("--topic", o.topic, "topic")->required();
  consume->add_option("--group", group, "consumer group (not supported yet)");
  auto* from_beginning = consume->add_flag("--from-beginning", o.from_beginning,
                                           "start at the log start instead of the end");
  consume->add_option("--max-messages", o.max_messages, "exit after this many records")
    ->check(CLI::PositiveNumber);
  consume->add_option("--timeout-ms", o.timeout_ms, "exit after this long without a record")
    ->check(CLI::NonNegativeNumber);
  consume->add_flag("--print-key", o.print_key, "print KEY<TAB>VALUE (null for a null key)");
  consume->add_flag("--print-offset", o.print_offset, "print OFFSET<TAB> first");
  auto* partition = consume->add_option("--partition", o.partition, "read only this partition")
                      ->check(CLI::NonNegativeNumber);
  consume->add_option("--offset", o.offset, "with --partition: start here (earliest, latest or N)")
    ->check(offset_spec)
    ->needs(partition)
    ->excludes(from_beginning);

  // group ...
  auto* grp = app.add_subcommand("group", "consumer groups (later release)");
  grp->allow_extras();
  grp->prefix_command();

  // cluster status
  auto* cluster = app.add_subcommand("cluster", "the cluster's nodes");
  cluster->require_subcommand(1);
  auto* status = cluster->add_subcommand("status", "node id, address, topic and partition counts");

  // inspect [NODE] [ACTOR]
  auto* inspect = app.add_subcommand(
    "inspect", "a node's actor tree, mailbox sizes and states. NODE: a node id or HOST:PORT "
               "(default: the bootstrap node); ACTOR: filter by actor name");
  inspect->add_option("NODE_ACTOR", o.inspect_args, "[NODE] [ACTOR]")->expected(0, 2);

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
  pp->add_option("--acks", o.acks, "0, 1 or all")->check(acks_values);
  pp->add_option("--producers", o.producers, "producer threads")->check(CLI::Range(1, 64));
  pp->add_option("--batch-size", o.batch_bytes, "batch.size in bytes")->check(CLI::Range(1024, 16 << 20));
  auto* pc = perf->add_subcommand("consume", "read N records from the beginning; latency is per fetch");
  pc->add_option("--topic", o.topic, "topic")->required();
  pc->add_option("--records", o.records, "records to read")->required()->check(CLI::PositiveNumber);
  pc->add_option("--group", group, "consumer group (not supported yet)");
  pc->add_option("--timeout-ms", o.timeout_ms, "fail after this long without a record")
    ->check(CLI::NonNegativeNumber);
  pc->add_option("--fetch-size", o.fetch_bytes, "max.partition.fetch.bytes")->check(CLI::Range(1024, 64 << 20));
  auto* pe = perf->add_subcommand(
    "e2e", "send R records/s for S seconds and read them back in-process; latency is send to seen by the consumer");
  pe->add_option("--topic", o.topic, "topic")->required();
  pe->add_option("--rate", o.rate, "records/s to send")->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  pe->add_option("--seconds", o.seconds, "how long to send")->check(CLI::Range(int64_t{1}, int64_t{3600}));
  // The value starts with the 8-byte send time.
  pe->add_option("--record-size", o.record_size, "value bytes per record")->check(CLI::Range(8, 1 << 24));
  pe->add_option("--acks", o.acks, "0, 1 or all")->check(acks_values);

  parse_outcome out;
  // CLI11 reports "a subcommand is required" for a misspelt one; name it instead.
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--bootstrap") {
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
  if (group || grp->parsed()) {
    out.exit_code = exit_usage;
    out.err = std::string{"sluice: "} + groups_later;
    return out;
  }
  if (create->parsed()) o.cmd = command::topic_create;
  else if (list->parsed()) o.cmd = command::topic_list;
  else if (describe->parsed()) o.cmd = command::topic_describe;
  else if (del->parsed()) o.cmd = command::topic_delete;
  else if (alter->parsed()) o.cmd = command::topic_alter;
  else if (produce->parsed()) o.cmd = command::produce;
  else if (consume->parsed()) o.cmd = command::consume;
  else if (status->parsed()) o.cmd = command::cluster_status;
  else if (inspect->parsed()) o.cmd = command::inspect;
  else if (pp->parsed()) o.cmd = command::perf_produce;
  else if (pc->parsed()) o.cmd = command::perf_consume;
  else if (pe->parsed()) o.cmd = command::perf_e2e;
  out.run = true;
  return out;
}

} // namespace sluice::cli

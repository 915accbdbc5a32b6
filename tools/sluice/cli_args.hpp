#pragma once

// The command line of `sluice` (the CLI contract in ARCHITECTURE.md): what was asked for, as
// plain values. Parsing is separate from running so that tests can check every refusal.

#include "net/tls.hpp"
#include "schema/isolation_level.hpp"
#include "store/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::cli {

enum class command {
  topic_create,
  topic_list,
  topic_describe,
  topic_delete,
  topic_alter,
  topic_reassign,
  produce,
  consume,
  cluster_status,
  inspect,
  perf_produce,
  perf_consume,
  perf_e2e,
  group_list,
  group_describe,
  group_reset_offsets,
  cluster_elect_preferred,
  cluster_decommission,
  txn_list,
  txn_describe,
  copy,
  dlq_list,
  dlq_redrive,
};

// group reset-offsets --to-...
enum class reset_target { earliest, latest, offset, datetime };

struct cli_options {
  std::string bootstrap = "127.0.0.1:9292";
  net::tls_options tls; // on with --tls-ca, --tls-certificate and --tls-key (all three)
  command cmd = command::topic_list;

  // topic
  std::string name;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  std::vector<std::string> configs; // k=v
  std::vector<int32_t> replicas;    // topic reassign --replicas a,b,c (with --partition)
  bool cancel = false;              // topic reassign, cluster decommission
  bool wait = false;                // ... until the replicas moved (bounded by --timeout-ms)

  // cluster decommission BROKER
  int32_t broker = -1;

  // produce, consume, perf
  std::string topic;
  std::optional<std::string> key_separator;
  std::optional<std::string> null_marker;      // produce: a value equal to it is sent as null
  std::optional<std::string> tags;             // produce --tags a,b: header `tags` on every record
  std::optional<std::string> header_separator; // produce: each line is HEADERS S REST
  std::string filter;                          // consume, perf consume --filter EXPR
  std::string isolation = "read_uncommitted";  // consume, perf consume --isolation (Kafka's default)
  // acks=all with an idempotent producer by default (Kafka 3); --acks 0|1 turns idempotence
  // off, --idempotent insists on it (refused with acks 0|1), --no-idempotent sends plain batches.
  std::string acks = "all";
  bool idempotent = false;
  bool no_idempotent = false;
  // perf produce --transactional, copy: transactions of --transaction-ms each, under
  // --transactional-id (perf produce: the prefix of one id per producer thread).
  bool transactional = false;
  int64_t transaction_ms = 100;
  std::string transactional_id;
  std::string to_topic; // copy --to
  std::optional<int32_t> partition;
  std::optional<int64_t> delay_ms;   // produce --delay-ms: delayed delivery (README)
  std::optional<int64_t> deliver_at; // produce --deliver-at MS since the epoch
  int64_t delivery_timeout_ms = 10000;
  size_t max_in_flight = 16;
  bool print_acks = false;
  bool from_beginning = false;
  std::optional<int64_t> max_messages;
  std::optional<int64_t> timeout_ms;
  bool print_key = false;
  bool print_offset = false;
  bool print_partition = false;
  bool print_timestamp = false; // consume: the record's timestamp
  bool print_received = false;  // consume: when this consumer got it (ms since the epoch)
  std::optional<std::string> offset; // earliest | latest | a number

  // consume --share-group (share groups, KIP-932): accept every record printed unless one of
  // these ECMAScript regexes matches its value (reject wins over release).
  std::optional<std::string> share_group;
  std::optional<std::string> reject_matching;
  std::optional<std::string> release_matching;

  // consume --group, group ...
  std::optional<std::string> group;
  std::optional<std::string> group_instance_id;
  int64_t session_timeout_ms = 10000;
  int64_t heartbeat_interval_ms = 1000;
  int64_t auto_commit_interval_ms = 1000;
  std::vector<std::string> assignors{"cooperative-sticky"};
  reset_target reset_to = reset_target::latest;
  int64_t reset_offset = 0;
  std::string reset_datetime;      // ISO 8601, e.g. 2026-11-24T10:00:00Z
  timestamp_ms reset_timestamp{-1}; // reset_datetime, parsed
  bool dry_run = false;

  // consume --group G --nack-matching REGEX [--max-attempts N] [--retry-backoff-ms A,B,C];
  // dlq list|redrive --group G --topic T [--to TOPIC] (README "Retries and dead-letter topics")
  std::optional<std::string> nack_matching; // ECMAScript regex, searched in each value
  int32_t max_attempts = 3;
  std::vector<int64_t> retry_backoffs_ms{1000, 5000, 30000};

  // txn list [--state S ...] | txn describe ID...
  std::vector<std::string> txn_states;
  std::vector<std::string> transactional_ids;

  // inspect [NODE] [ACTOR] [--watch [SECONDS] [--count N]] (--timeout-ms: per node)
  std::vector<std::string> inspect_args;
  bool watch = false;
  double watch_seconds = 2;            // between snapshots
  std::optional<int64_t> watch_count;  // snapshots to print; unset: until interrupted

  // perf
  int64_t records = 0;
  int32_t record_size = 100;
  int32_t producers = 1;
  int32_t batch_bytes = 256 * 1024;     // perf produce: batch.size
  int32_t fetch_bytes = 2 << 20;        // perf consume: max.partition.fetch.bytes
  int64_t rate = 10000;                 // perf e2e: records/s
  int64_t seconds = 5;                  // perf e2e: how long to send
  int64_t linger_ms = 0;                // perf e2e: the producer's linger.ms
};

// What to do after parsing: run the command, or exit with `exit_code` after printing `out`
// (help) to stdout and `err` (one line) to stderr.
struct parse_outcome {
  bool run = false;
  int exit_code = 0;
  std::string out;
  std::string err;
};

// --isolation as the consumer's isolation level (the parser admitted only the two names).
inline schema::isolation_level isolation_of(const cli_options& o) {
  return o.isolation == "read_committed" ? schema::isolation_level::read_committed
                                         : schema::isolation_level::read_uncommitted;
}

// "a,b,c" -> broker ids (each >= 0); nullopt for anything else, an empty string included.
std::optional<std::vector<int32_t>> parse_broker_ids(const std::string& s);

// Exit codes: 0 success, 1 the command failed (unknown topic, unreachable node, ...),
// 2 the command line was refused (bad flag, invalid value, not supported yet).
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// "A,B,C" -> backoffs in ms (each in [0, 7 days], at most 32); nullopt for anything else.
std::optional<std::vector<int64_t>> parse_backoffs_ms(const std::string& s);

// ISO 8601 date-time with a zone (Z or +HH:MM) as ms since the epoch; nullopt otherwise.
std::optional<timestamp_ms> parse_iso8601(const std::string& s);

// The environment variables sluice reads (nullptr when unset); flags override them.
struct cli_env {
  const char* bootstrap = nullptr;       // SLUICE_BOOTSTRAP
  const char* tls_ca = nullptr;          // SLUICE_TLS_CA
  const char* tls_certificate = nullptr; // SLUICE_TLS_CERTIFICATE
  const char* tls_key = nullptr;         // SLUICE_TLS_KEY
};

cli_env environment();

// The flags and variables the TLS files come from, for messages about them.
extern const net::tls_setting_names cli_tls_names;

parse_outcome parse_args(const std::vector<std::string>& args, cli_options& opts, const cli_env& env = {});

} // namespace sluice::cli

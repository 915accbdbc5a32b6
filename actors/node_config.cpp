#include "actors/node_config.hpp"

#include <charconv>
#include <cstdint>
#include <fstream>

namespace sluice::actors {

namespace {

schema::error invalid(std::string message) {
  return {schema::errc::invalid_config, std::move(message)};
}

schema::status parse_int(std::string_view key, std::string_view text, int64_t min, int64_t max,
                         int64_t& out) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size())
    return invalid(std::string{key} + " must be an integer, not '" + std::string{text} + "'");
  if (v < min || v > max)
    return invalid(std::string{key} + " must be in [" + std::to_string(min) + ", "
                   + std::to_string(max) + "], not " + std::to_string(v));
  out = v;
  return {};
}

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

} // namespace

schema::result<listen_address> parse_listen_address(std::string_view key, std::string_view text,
                                                     uint16_t min_port) {
  if (text.empty())
    return listen_address{};
  auto bad = [&](const char* why) {
    return invalid(std::string{key} + " expects HOST:PORT, not '" + std::string{text} + "': " + why);
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return bad("no port");
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty())
    return bad("empty host");
  auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port < min_port || port > 65535)
    return bad(min_port == 0 ? "port must be 0..65535" : "port must be 1..65535");
  return listen_address{std::string{host}, static_cast<uint16_t>(port)};
}

schema::status apply_node_setting(node_config& cfg, std::string_view key, std::string_view value) {
  int64_t v = 0;
  if (key == "num.partitions") {
    if (auto st = parse_int(key, value, 1, cfg.limits.max_partitions, v); !st)
      return st;
    cfg.limits.default_partitions = static_cast<int32_t>(v);
  } else if (key == "max.partitions") {
    if (auto st = parse_int(key, value, 1, 1 << 20, v); !st)
      return st;
    cfg.limits.max_partitions = static_cast<int32_t>(v);
  } else if (key == "tick.ms") {
    if (auto st = parse_int(key, value, 0, 3'600'000, v); !st)
      return st;
    cfg.tick_interval = std::chrono::milliseconds{v};
  } else if (key == "max.parked.fetches") {
    if (auto st = parse_int(key, value, 0, 1 << 20, v); !st)
      return st;
    cfg.max_parked_fetches = static_cast<size_t>(v);
  } else if (key == "fetch.max.wait.ms") {
    if (auto st = parse_int(key, value, 0, 3'600'000, v); !st)
      return st;
    cfg.max_wait_ms_limit = static_cast<int32_t>(v);
  } else if (key == "offsets.topic.num.partitions") {
    if (auto st = parse_int(key, value, 1, 1000, v); !st)
      return st;
    cfg.offsets_partitions = static_cast<int32_t>(v);
  } else if (key == "offsets.topic.replication.factor") {
    if (auto st = parse_int(key, value, 1, 5, v); !st)
      return st;
    cfg.offsets_replication = static_cast<int16_t>(v);
  } else if (key == "transaction.state.log.num.partitions") {
    if (auto st = parse_int(key, value, 1, 1000, v); !st)
      return st;
    cfg.transaction_state_partitions = static_cast<int32_t>(v);
  } else if (key == "transaction.state.log.replication.factor") {
    if (auto st = parse_int(key, value, 1, 5, v); !st)
      return st;
    cfg.transaction_state_replication = static_cast<int16_t>(v);
  } else if (key == "delayed.log.num.partitions") {
    if (auto st = parse_int(key, value, 1, 1000, v); !st)
      return st;
    cfg.delayed_partitions = static_cast<int32_t>(v);
  } else if (key == "delayed.log.replication.factor") {
    if (auto st = parse_int(key, value, 1, 5, v); !st)
      return st;
    cfg.delayed_replication = static_cast<int16_t>(v);
  } else if (key == "transaction.max.timeout.ms") {
    if (auto st = parse_int(key, value, 1, 86'400'000, v); !st)
      return st;
    cfg.transaction_max_timeout_ms = static_cast<int32_t>(v);
  } else if (key == "transactional.id.expiration.ms") {
    if (auto st = parse_int(key, value, 1, INT32_MAX, v); !st)
      return st;
    cfg.transactional_id_expiration_ms = v;
  } else if (key == "group.min.session.timeout.ms") {
    if (auto st = parse_int(key, value, 1, cfg.group_max_session_timeout_ms, v); !st)
      return st;
    cfg.group_min_session_timeout_ms = static_cast<int32_t>(v);
  } else if (key == "group.max.session.timeout.ms") {
    if (auto st = parse_int(key, value, cfg.group_min_session_timeout_ms, 86'400'000, v); !st)
      return st;
    cfg.group_max_session_timeout_ms = static_cast<int32_t>(v);
  } else if (key == "offsets.retention.minutes") {
    if (auto st = parse_int(key, value, 1, int64_t{100} * 365 * 24 * 60, v); !st)
      return st;
    cfg.offsets_retention_ms = v * 60'000;
  } else if (key == "offsets.retention.check.interval.ms") {
    if (auto st = parse_int(key, value, 1, 86'400'000, v); !st)
      return st;
    cfg.offsets_retention_check_ms = v;
  } else if (key == "broker.rack") {
    cfg.rack = std::string{value};
  } else if (key == "broker.session.timeout.ms") {
    if (auto st = parse_int(key, value, 100, 3'600'000, v); !st)
      return st;
    cfg.broker_session_timeout_ms = v;
  } else if (key == "broker.heartbeat.interval.ms") {
    if (auto st = parse_int(key, value, 10, 3'600'000, v); !st)
      return st;
    cfg.broker_heartbeat_interval_ms = v;
  } else if (key == "controller.election.timeout.ms") {
    if (auto st = parse_int(key, value, 20, 600'000, v); !st)
      return st;
    cfg.controller_election_timeout_ms = v;
  } else if (key == "metadata.snapshot.records") {
    if (auto st = parse_int(key, value, 0, 1 << 30, v); !st)
      return st;
    cfg.metadata_snapshot_records = static_cast<size_t>(v);
  } else if (key == "replica.lag.time.max.ms") {
    if (auto st = parse_int(key, value, 10, 3'600'000, v); !st)
      return st;
    cfg.replica_lag_time_max_ms = v;
  } else if (key == "replica.page.cache.bytes") {
    if (auto st = parse_int(key, value, 0, int64_t{1} << 40, v); !st)
      return st;
    cfg.replica_page_cache_bytes = static_cast<uint64_t>(v);
  } else if (key == "log.cleaner.backoff.ms") {
    if (auto st = parse_int(key, value, 1, 86'400'000, v); !st)
      return st;
    cfg.cleaner_backoff_ms = v;
  } else if (key == "log.cleaner.dedupe.buffer.size") {
    if (auto st = parse_int(key, value, 1024, int64_t{1} << 34, v); !st)
      return st;
    cfg.cleaner_map_bytes = static_cast<size_t>(v);
  } else if (key == "scheduler.threads") {
    if (auto st = parse_int(key, value, 0, 256, v); !st)
      return st;
    cfg.scheduler_threads = static_cast<size_t>(v);
  } else if (key == "metrics.listen" || key == "http.listen") {
    auto address = parse_listen_address(key, value);
    if (!address)
      return address.err();
    (key == "metrics.listen" ? cfg.metrics_listen : cfg.http_listen) = *address;
  } else if (key == "kafka.listen") {
    auto address = parse_listen_address(key, value);
    if (!address)
      return address.err();
    cfg.kafka_listen = *address;
  } else if (key == "tls.enabled") {
    if (value != "true" && value != "false")
      return invalid(std::string{key} + " must be true or false, not '" + std::string{value} + "'");
    cfg.tls.enabled = value == "true";
  } else if (key == "tls.certificate") {
    cfg.tls.certificate = value;
  } else if (key == "tls.key") {
    cfg.tls.key = value;
  } else if (key == "tls.ca") {
    cfg.tls.ca = value;
  } else if (key == unclean_election_key) {
    // The controllers elect from the topic's own configs: a node default would differ from
    // node to node and could not be applied alike by every controller.
    return invalid(std::string{key} + " is set per topic (sluice topic create T --config "
                   + std::string{key} + "=true), not as a node default");
  } else {
    return set_config(cfg.topic_defaults, key, value);
  }
  return {};
}

schema::status load_node_config_file(node_config& cfg, const std::filesystem::path& path) {
  std::ifstream in{path};
  if (!in)
    return invalid("cannot read config file " + path.string());
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto text = trim(line);
    if (text.empty() || text.front() == '#')
      continue;
    auto where = path.string() + ":" + std::to_string(number) + ": ";
    auto eq = text.find('=');
    if (eq == std::string_view::npos)
      return invalid(where + "expected key=value, got '" + std::string{text} + "'");
    if (auto st = apply_node_setting(cfg, trim(text.substr(0, eq)), trim(text.substr(eq + 1))); !st)
      return invalid(where + st.err().message);
  }
  return {};
}

std::string node_config_help() {
  node_config d;
  std::string out =
    "  num.partitions=" + std::to_string(d.limits.default_partitions)
    + "        partitions of a topic created with --partitions -1\n"
    "  max.partitions=" + std::to_string(d.limits.max_partitions)
    + "     most partitions one topic may have\n"
    "  tick.ms=" + std::to_string(d.tick_interval.count())
    + "            how often partitions run retention, flush.ms, segment.ms\n"
    "  max.parked.fetches=" + std::to_string(d.max_parked_fetches)
    + " long-poll fetches one partition holds; more are answered at once\n"
    "  fetch.max.wait.ms=" + std::to_string(d.max_wait_ms_limit)
    + "  cap on a fetch's max_wait_ms\n"
    "  offsets.topic.num.partitions=" + std::to_string(d.offsets_partitions)
    + " partitions of __consumer_offsets (fixed once created)\n"
    "  offsets.topic.replication.factor=" + std::to_string(d.offsets_replication)
    + " its replicas in a cluster, at most the controllers (fixed once created)\n"
    "  transaction.state.log.num.partitions=" + std::to_string(d.transaction_state_partitions)
    + " partitions of __transaction_state (fixed once created)\n"
    "  transaction.state.log.replication.factor=" + std::to_string(d.transaction_state_replication)
    + " its replicas in a cluster, at most the controllers (fixed once created)\n"
    "  delayed.log.num.partitions=" + std::to_string(d.delayed_partitions)
    + " partitions of __delayed, one delivery scheduler each (fixed once created)\n"
    "  delayed.log.replication.factor=" + std::to_string(d.delayed_replication)
    + " its replicas in a cluster, at most the controllers (fixed once created)\n"
    "  transaction.max.timeout.ms=" + std::to_string(d.transaction_max_timeout_ms)
    + " longest transaction.timeout.ms a transactional producer may ask for\n"
    "  transactional.id.expiration.ms=" + std::to_string(d.transactional_id_expiration_ms)
    + " a transactional id idle this long (no transaction open) is removed\n"
    "  group.min.session.timeout.ms=" + std::to_string(d.group_min_session_timeout_ms)
    + " shortest session.timeout.ms a consumer may ask for\n"
    "  group.max.session.timeout.ms=" + std::to_string(d.group_max_session_timeout_ms)
    + " longest\n"
    "  offsets.retention.minutes=" + std::to_string(d.offsets_retention_ms / 60'000)
    + " a group without members loses a committed offset this long after both it became\n"
    "                               empty and the offset was committed; a group left with none goes\n"
    "  offsets.retention.check.interval.ms=" + std::to_string(d.offsets_retention_check_ms) + "\n"
    "  broker.rack=                 this broker's rack, for rack-aware replica placement\n"
    "  broker.session.timeout.ms=" + std::to_string(d.broker_session_timeout_ms)
    + " a broker without heartbeats this long is fenced\n"
    "  broker.heartbeat.interval.ms=" + std::to_string(d.broker_heartbeat_interval_ms) + "\n"
    "  controller.election.timeout.ms=" + std::to_string(d.controller_election_timeout_ms)
    + " Raft election timeout among controllers (randomised up to 2x)\n"
    "  metadata.snapshot.records=" + std::to_string(d.metadata_snapshot_records)
    + " metadata log records between snapshots (0: never)\n"
    "  replica.lag.time.max.ms=" + std::to_string(d.replica_lag_time_max_ms)
    + " a follower not caught up for this long leaves the ISR\n"
    "  replica.page.cache.bytes=" + std::to_string(d.replica_page_cache_bytes)
    + " per partition, what a follower keeps of its newest writes in the page\n"
    "                               cache; older ones are written back and dropped (0: keep all)\n"
    "  log.cleaner.backoff.ms=" + std::to_string(d.cleaner_backoff_ms)
    + " how often a compacted partition checks whether it is dirty enough to clean\n"
    "  log.cleaner.dedupe.buffer.size=" + std::to_string(d.cleaner_map_bytes)
    + " memory of the cleaner's key map (16 bytes a key); more keys: several passes\n"
    "  scheduler.threads=0          actor scheduler threads (0: one per core)\n"
    "  metrics.listen=              HOST:PORT serving Prometheus text on /metrics (empty: off)\n"
    "  http.listen=                 HOST:PORT serving the web console, /api/* and /metrics\n"
    "  tls.enabled=false            TLS on every link, to clients and between nodes (needs\n"
    "                               the three below; deploy/make-certs makes test ones)\n"
    "  tls.certificate=             this node's certificate, PEM (also shown to other nodes)\n"
    "  tls.key=                     its private key, PEM, unencrypted\n"
    "  tls.ca=                      CA certificates, PEM: peers (nodes and clients) must\n"
    "                               present a certificate one of them signed\n"
    "  kafka.listen=                HOST:PORT of the Kafka wire protocol listener (as\n"
    "                               --kafka-listen); none by default\n"
    "  and every topic config key, setting the node's default:\n";
  for (auto& e : describe_config(d.topic_defaults, {}))
    if (e.key != unclean_election_key)
      out += "  " + e.key + "=" + e.value + "\n";
  return out;
}

} // namespace sluice::actors

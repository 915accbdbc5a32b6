#include "tools/sluiced/args.hpp"

#include <algorithm>

#include <charconv>
#include <optional>

namespace sluice::tools {

namespace {

template <class T>
std::optional<T> parse_number(const std::string& s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= s.size()) {
    auto end = s.find(sep, begin);
    if (end == std::string::npos)
      end = s.size();
    if (end > begin)
      out.push_back(s.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

} // namespace

sluiced_args parse_sluiced_args(const std::vector<std::string>& args) {
  actors::node_config cfg;
  std::optional<std::string> config_file;
  std::optional<std::string> fsync;
  std::optional<actors::listen_address> metrics_listen, http_listen;
  std::optional<std::string> kafka_listen;
  bool have_id = false, have_dir = false, have_listen = false;
  for (size_t i = 0; i < args.size(); ++i) {
    auto& flag = args[i];
    if (flag == "--help" || flag == "-h")
      return show_help{};
    if (flag.rfind("--", 0) != 0)
      return bad_args{"unexpected argument '" + flag + "'"};
    if (i + 1 >= args.size())
      return bad_args{flag + " requires a value"};
    auto& value = args[++i];
    if (flag == "--node-id") {
      auto id = parse_number<int32_t>(value);
      if (!id || *id < 0)
        return bad_args{"--node-id expects a non-negative integer, not '" + value + "'"};
      cfg.id = node_id{*id};
      have_id = true;
    } else if (flag == "--data-dir") {
      if (value.empty())
        return bad_args{"--data-dir expects a directory"};
      cfg.data_dir = value;
      have_dir = true;
    } else if (flag == "--listen") {
      auto address = actors::parse_listen_address(flag, value, 0);
      if (!address || value.empty())
        return bad_args{"--listen expects HOST:PORT, not '" + value + "'"};
      cfg.host = address->host;
      cfg.port = address->port;
      have_listen = true;
    } else if (flag == "--kafka-listen") {
      kafka_listen = value;
    } else if (flag == "--controllers") {
      auto list = actors::parse_controllers(split(value, ','));
      if (!list)
        return bad_args{"--controllers: " + list.err().message};
      cfg.controllers = std::move(*list);
    } else if (flag == "--config") {
      config_file = value;
    } else if (flag == "--fsync") {
      if (value != "always" && value != "never")
        return bad_args{"--fsync expects always or never, not '" + value + "'"};
      fsync = value;
    } else if (flag == "--metrics-listen" || flag == "--http-listen") {
      auto address = actors::parse_listen_address(flag, value);
      if (!address)
        return bad_args{address.err().message};
      (flag == "--metrics-listen" ? metrics_listen : http_listen) = *address;
    } else {
      return bad_args{"unknown flag " + flag + " (see --help)"};
    }
  }
  if (!have_id || !have_dir || !have_listen)
    return bad_args{"--node-id, --data-dir and --listen are required (see --help)"};
  if (config_file)
    if (auto st = actors::load_node_config_file(cfg, *config_file); !st)
      return bad_args{st.err().message};
  // After the file: the flag wins over its kafka.listen.
  if (kafka_listen)
    if (auto st = actors::apply_node_setting(cfg, "kafka.listen", *kafka_listen); !st)
      return bad_args{"--kafka-listen expects HOST:PORT, not '" + *kafka_listen + "'"};
  if (fsync)
    cfg.topic_defaults.flush_messages = *fsync == "always" ? 1 : actors::never;
  if (metrics_listen)
    cfg.metrics_listen = *metrics_listen;
  if (http_listen)
    cfg.http_listen = *http_listen;
  for (auto* http : {&cfg.metrics_listen, &cfg.http_listen})
    if (http->enabled() && http->host == cfg.host && http->port == cfg.port)
      return bad_args{(http == &cfg.metrics_listen ? "--metrics-listen " : "--http-listen ")
                      + http->to_string() + " is the node's --listen address"};
  if (!cfg.controllers.empty()
      && std::none_of(cfg.controllers.begin(), cfg.controllers.end(),
                      [&](auto& c) { return c.id == cfg.id; }))
    return bad_args{"--controllers must list this node (id " + std::to_string(cfg.id.value)
                    + "): brokers that are not controllers are not supported yet"};
  return cfg;
}

std::string sluiced_usage() {
  return "usage: sluiced --node-id N --data-dir DIR --listen HOST:PORT\n"
         "               [--controllers id@host:port,...] [--config FILE] [--fsync always|never]\n"
         "               [--metrics-listen HOST:PORT] [--http-listen HOST:PORT]\n"
         "               [--kafka-listen HOST:PORT]\n"
         "\n"
         "Runs one Sluice node: it keeps its data in DIR (meta/ for LMDB metadata, topics/ for\n"
         "partition logs), listens on HOST:PORT and prints \"sluiced node N listening on\n"
         "HOST:PORT\" once it serves. SIGTERM or SIGINT stops it cleanly (logs flushed, exit 0).\n"
         "\n"
         "  --node-id N        this node's id (>= 0)\n"
         "  --data-dir DIR     created if missing\n"
         "  --listen HOST:PORT address to accept clients on ([::1]:9292 for IPv6)\n"
         "  --controllers L    the cluster's metadata controllers, id@host:port,... (1, 3 or 5,\n"
         "                     this node among them); without it the node runs alone\n"
         "  --kafka-listen HOST:PORT\n"
         "                     also serve Kafka clients (librdkafka, kcat) on HOST:PORT: the Kafka\n"
         "                     wire protocol listener (README: \"Kafka clients\")\n"
         "  --config FILE      key=value lines ('#' comments), applied over the defaults:\n"
         + actors::node_config_help()
         + "  --fsync always     fsync every append (flush.messages=1) for power-loss durability\n"
           "  --metrics-listen HOST:PORT  serve Prometheus text (format 0.0.4) on /metrics:\n"
           "                     partition log start/end, high watermark, ISR, group lag,\n"
           "                     request counts and latency histograms, actor mailboxes\n"
           "  --http-listen HOST:PORT     serve the web console on / (cluster, topics, groups\n"
           "                     with lag, live throughput), its JSON on /api/cluster,\n"
           "                     /api/topics, /api/groups, and /metrics as well\n"
           "                     (both also as config keys; the command line wins)\n"
           "\n"
           "Exit codes: 0 clean stop, 1 cannot start (port in use, data dir), 2 bad arguments or\n"
           "config (a TLS file that cannot serve included).\n";
}

} // namespace sluice::tools

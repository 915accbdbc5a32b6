#define CAF_SUITE tools.sluiced_args
#include <caf/test/unit_test.hpp>

#include "net/tls.hpp"
#include "tools/sluiced/args.hpp"
#include "tests/store/temp_dir.hpp"

#include <fstream>

using namespace sluice;
using namespace sluice::tools;

namespace {

using strings = std::vector<std::string>;

std::string bad(const sluiced_args& a) {
  auto* b = std::get_if<bad_args>(&a);
  return b ? b->message : "";
}

} // namespace

CAF_TEST(the required flags make a config) {
  auto a = parse_sluiced_args({"--node-id", "3", "--data-dir", "/d", "--listen", "0.0.0.0:9400",
                               "--controllers", "1@h1:1,2@h2:2,3@h3:3"});
  auto* cfg = std::get_if<actors::node_config>(&a);
  CAF_REQUIRE(cfg != nullptr);
  CAF_CHECK_EQUAL(cfg->id, node_id{3});
  CAF_CHECK_EQUAL(cfg->data_dir, "/d");
  CAF_CHECK_EQUAL(cfg->host, "0.0.0.0");
  CAF_CHECK_EQUAL(cfg->port, 9400);
  CAF_REQUIRE_EQUAL(cfg->controllers.size(), 3u);
  auto third = cfg->controllers[2];
  CAF_CHECK(third == (actors::controller_address{node_id{3}, "h3", 3}));
  auto v6 = parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "[::1]:9292"});
  CAF_CHECK_EQUAL(std::get<actors::node_config>(v6).host, "::1");
}

CAF_TEST(bad flags are one line errors) {
  CAF_CHECK(std::holds_alternative<show_help>(parse_sluiced_args({"--help"})));
  for (auto args : {strings{"--node-id", "x", "--data-dir", "/d", "--listen", "h:1"},
                    strings{"--node-id", "1", "--data-dir", "/d", "--listen", "h"},
                    strings{"--node-id", "1", "--data-dir", "/d", "--listen", "h:99999"},
                    strings{"--node-id", "1", "--data-dir", "/d"},
                    strings{"--node-id", "1", "--data-dir", "/d", "--listen", "h:1", "--bogus", "1"},
                    strings{"--node-id"}, strings{"stray"},
                    // controllers: even count, duplicate id, bad entries, this node missing
                    strings{"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                            "--controllers", "1@h:1,2@h:2"},
                    strings{"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                            "--controllers", "1@h:1,1@h:2,3@h:3"},
                    strings{"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                            "--controllers", "1@h:1,x@h:2,3@h:3"},
                    strings{"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                            "--controllers", "1@h:0"},
                    strings{"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                            "--controllers", "1@:5"},
                    strings{"--node-id", "4", "--data-dir", "/d", "--listen", "h:1",
                            "--controllers", "1@h:1,2@h:2,3@h:3"}}) {
    auto msg = bad(parse_sluiced_args(args));
    CAF_CHECK(!msg.empty());
    CAF_CHECK_EQUAL(msg.find('\n'), std::string::npos);
    CAF_MESSAGE(msg);
  }
}

CAF_TEST(the config file sets node settings and topic defaults) {
  test::temp_dir dir;
  auto file = dir / "node.conf";
  std::ofstream{file} << "# defaults for this node\n\nretention.ms = 3600000\nnum.partitions=4\n"
                         "tick.ms=250\noffsets.topic.replication.factor=2\n"
                         "transactional.id.expiration.ms=86400000\n"
                         "offsets.retention.minutes=1440\noffsets.retention.check.interval.ms=5000\n";
  auto a = parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1", "--config",
                               file.string(), "--fsync", "always"});
  auto& cfg = std::get<actors::node_config>(a);
  CAF_CHECK_EQUAL(cfg.topic_defaults.retention_ms, 3600000);
  CAF_CHECK_EQUAL(cfg.limits.default_partitions, 4);
  CAF_CHECK_EQUAL(cfg.tick_interval.count(), 250);
  CAF_CHECK_EQUAL(cfg.offsets_replication, 2);
  CAF_CHECK_EQUAL(cfg.topic_defaults.flush_messages, 1);
  CAF_CHECK_EQUAL(cfg.transactional_id_expiration_ms, 86400000);
  CAF_CHECK_EQUAL(actors::node_config{}.transactional_id_expiration_ms, 604800000); // Kafka's 7 days
  CAF_CHECK_EQUAL(cfg.offsets_retention_ms, 86400000);
  CAF_CHECK_EQUAL(cfg.offsets_retention_check_ms, 5000);
  CAF_CHECK_EQUAL(actors::node_config{}.offsets_retention_ms, 604800000); // Kafka's 7 days
  std::ofstream{file} << "offsets.retention.minutes=0\n";
  auto no_retention = bad(parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                                              "--config", file.string()}));
  CAF_CHECK(no_retention.find("offsets.retention.minutes") != std::string::npos);
  std::ofstream{file} << "transactional.id.expiration.ms=0\n";
  auto zero = bad(parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                                      "--config", file.string()}));
  CAF_CHECK(zero.find("transactional.id.expiration.ms") != std::string::npos);
  std::ofstream{file} << "retention.ms=soon\n";
  auto msg = bad(parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                                     "--config", file.string()}));
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("node.conf:1") != std::string::npos);
  CAF_CHECK(msg.find("retention.ms") != std::string::npos);
  std::ofstream{file} << "offsets.topic.replication.factor=0\n";
  msg = bad(parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                                "--config", file.string()}));
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("offsets.topic.replication.factor") != std::string::npos);
  // Unclean election is the topic's own setting: the controllers must elect alike.
  std::ofstream{file} << "unclean.leader.election.enable=true\n";
  msg = bad(parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                                "--config", file.string()}));
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("set per topic") != std::string::npos);
}

CAF_TEST(the kafka listener is off by default and set by flag or config file) {
  strings base{"--node-id", "1", "--data-dir", "/d", "--listen", "h:1"};
  CAF_CHECK(!std::get<actors::node_config>(parse_sluiced_args(base)).kafka_listen.enabled());
  auto with = base;
  with.insert(with.end(), {"--kafka-listen", "[::1]:9092"});
  auto cfg = std::get<actors::node_config>(parse_sluiced_args(with));
  CAF_CHECK_EQUAL(cfg.kafka_listen.host, "::1");
  CAF_CHECK_EQUAL(cfg.kafka_listen.port, 9092);
  for (auto value : {"9092", "h:", ":9092", "h:port", "h:70000", "h:-1"}) {
    auto bad_flag = base;
    bad_flag.insert(bad_flag.end(), {"--kafka-listen", value});
    auto msg = bad(parse_sluiced_args(bad_flag));
    CAF_MESSAGE(msg);
    CAF_CHECK_EQUAL(msg, std::string{"--kafka-listen expects HOST:PORT, not '"} + value + "'");
  }
  test::temp_dir dir;
  auto file = dir / "node.conf";
  std::ofstream{file} << "kafka.listen=127.0.0.1:9093\n";
  auto from_file = base;
  from_file.insert(from_file.end(), {"--config", file.string()});
  auto file_cfg = std::get<actors::node_config>(parse_sluiced_args(from_file));
  CAF_CHECK_EQUAL(file_cfg.kafka_listen.port, 9093);
  // The flag wins over the file.
  from_file.insert(from_file.end(), {"--kafka-listen", "127.0.0.1:9094"});
  auto flag_cfg = std::get<actors::node_config>(parse_sluiced_args(from_file));
  CAF_CHECK_EQUAL(flag_cfg.kafka_listen.port, 9094);
  std::ofstream{file} << "kafka.listen=nowhere\n";
  auto msg = bad(parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1",
                                     "--config", file.string()}));
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("node.conf:1: kafka.listen expects HOST:PORT, not 'nowhere'") != std::string::npos);
}

CAF_TEST(scheduler threads are a count up to 256) {
  test::temp_dir dir;
  auto file = dir / "node.conf";
  auto parse = [&] {
    return parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1", "--config", file.string()});
  };
  std::ofstream{file} << "scheduler.threads=1\n";
  auto a = parse();
  CAF_CHECK_EQUAL(std::get<actors::node_config>(a).scheduler_threads, 1u);
  std::ofstream{file} << "scheduler.threads=0\n";
  a = parse();
  CAF_CHECK_EQUAL(std::get<actors::node_config>(a).scheduler_threads, 0u);
  for (auto* v : {"-1", "257", "two"}) {
    std::ofstream{file} << "scheduler.threads=" << v << "\n";
    auto msg = bad(parse());
    CAF_MESSAGE(msg);
    CAF_CHECK(msg.find("scheduler.threads") != std::string::npos);
  }
}

CAF_TEST(replica page cache bytes are a size; 0 keeps everything cached) {
  test::temp_dir dir;
  auto file = dir / "node.conf";
  auto parse = [&] {
    return parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1", "--config", file.string()});
  };
  auto window = [&] {
    auto a = parse();
    return std::get<actors::node_config>(a).replica_page_cache_bytes;
  };
  std::ofstream{file} << "num.partitions=2\n";
  CAF_CHECK_EQUAL(window(), uint64_t{8} << 20);
  std::ofstream{file} << "replica.page.cache.bytes=0\n";
  CAF_CHECK_EQUAL(window(), 0u);
  std::ofstream{file} << "replica.page.cache.bytes=1048576\n";
  CAF_CHECK_EQUAL(window(), uint64_t{1} << 20);
  for (auto* v : {"-1", "lots"}) {
    std::ofstream{file} << "replica.page.cache.bytes=" << v << "\n";
    auto msg = bad(parse());
    CAF_MESSAGE(msg);
    CAF_CHECK(msg.find("replica.page.cache.bytes") != std::string::npos);
  }
}

CAF_TEST(tls keys in the config file) {
  test::temp_dir dir;
  auto file = dir / "node.conf";
  auto parse_file = [&] {
    return parse_sluiced_args({"--node-id", "1", "--data-dir", "/d", "--listen", "h:1", "--config", file.string()});
  };
  std::ofstream{file} << "num.partitions=2\n";
  CAF_CHECK(!std::get<actors::node_config>(parse_file()).tls.enabled);
  std::ofstream{file} << "tls.enabled=true\ntls.certificate=/etc/sluice/node.pem\ntls.key = /etc/sluice/node.key\n"
                         "tls.ca=/etc/sluice/ca.pem\n";
  auto a = parse_file();
  auto& tls = std::get<actors::node_config>(a).tls;
  CAF_CHECK(tls.enabled);
  CAF_CHECK_EQUAL(tls.certificate, "/etc/sluice/node.pem");
  CAF_CHECK_EQUAL(tls.key, "/etc/sluice/node.key");
  CAF_CHECK_EQUAL(tls.ca, "/etc/sluice/ca.pem");
  std::ofstream{file} << "tls.enabled=yes\n";
  auto msg = bad(parse_file());
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("node.conf:1") != std::string::npos);
  CAF_CHECK(msg.find("tls.enabled must be true or false") != std::string::npos);
}

// What sluiced checks before it starts (the files themselves: tests/integration/tls.sh).
CAF_TEST(tls settings that cannot serve are refused naming the setting) {
  test::temp_dir dir;
  net::tls_options tls;
  CAF_CHECK(net::check_tls(tls, net::node_tls_names, true).ok()); // off: nothing to check
  tls.enabled = true;
  auto msg = net::check_tls(tls, net::node_tls_names, true).err().message;
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("tls.enabled needs tls.certificate") != std::string::npos);
  tls.certificate = dir / "node.pem";
  tls.key = dir / "node.key";
  tls.ca = dir / "ca.pem";
  msg = net::check_tls(tls, net::node_tls_names, true).err().message;
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("tls.certificate " + (dir / "node.pem").string() + ": cannot read it") != std::string::npos);
  std::ofstream{dir / "node.pem"} << "not a certificate\n";
  std::ofstream{dir / "node.key"} << "not a key\n";
  std::ofstream{dir / "ca.pem"} << "not a CA\n";
  msg = net::check_tls(tls, net::node_tls_names, true).err().message;
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("tls.certificate " + (dir / "node.pem").string() + ": not a PEM certificate") != std::string::npos);
  CAF_CHECK_EQUAL(msg.find('\n'), std::string::npos);
}

CAF_TEST(metrics and console listeners from flags and config keys) {
  test::temp_dir dir;
  auto file = dir / "node.conf";
  auto base = strings{"--node-id", "1", "--data-dir", "/d", "--listen", "127.0.0.1:9292"};
  auto parse = [&](strings extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return parse_sluiced_args(args);
  };
  auto off = std::get<actors::node_config>(parse({}));
  CAF_CHECK(!off.metrics_listen.enabled());
  CAF_CHECK(!off.http_listen.enabled());
  auto on = std::get<actors::node_config>(parse({"--metrics-listen", "0.0.0.0:9280", "--http-listen", "[::1]:9281"}));
  CAF_CHECK(on.metrics_listen == (actors::listen_address{"0.0.0.0", 9280}));
  CAF_CHECK(on.http_listen == (actors::listen_address{"::1", 9281}));
  // The config file sets them; the command line wins over it.
  std::ofstream{file} << "metrics.listen=127.0.0.1:9380\nhttp.listen = 127.0.0.1:9381\n";
  auto from_file = std::get<actors::node_config>(parse({"--config", file.string()}));
  CAF_CHECK(from_file.metrics_listen == (actors::listen_address{"127.0.0.1", 9380}));
  CAF_CHECK(from_file.http_listen == (actors::listen_address{"127.0.0.1", 9381}));
  auto flag_wins = std::get<actors::node_config>(parse({"--http-listen", "127.0.0.1:9999", "--config", file.string()}));
  CAF_CHECK_EQUAL(flag_wins.http_listen.port, 9999);
  CAF_CHECK_EQUAL(flag_wins.metrics_listen.port, 9380);
  // An empty value in the file switches a listener off.
  std::ofstream{file} << "metrics.listen=\n";
  CAF_CHECK(!std::get<actors::node_config>(parse({"--config", file.string()})).metrics_listen.enabled());
}

CAF_TEST(bad listener addresses are refused with one line) {
  auto base = strings{"--node-id", "1", "--data-dir", "/d", "--listen", "127.0.0.1:9292"};
  for (auto extra : {strings{"--metrics-listen", "nohost"}, strings{"--metrics-listen", ":9280"},
                     strings{"--http-listen", "h:0"}, strings{"--http-listen", "h:65536"},
                     strings{"--http-listen", "h:80x"},
                     strings{"--http-listen", "127.0.0.1:9292"}, strings{"--metrics-listen"}}) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    auto msg = bad(parse_sluiced_args(args));
    CAF_MESSAGE(msg);
    CAF_CHECK(!msg.empty());
    CAF_CHECK_EQUAL(msg.find('\n'), std::string::npos);
  }
  test::temp_dir dir;
  auto file = dir / "node.conf";
  std::ofstream{file} << "num.partitions=1\nhttp.listen=localhost\n";
  auto args = base;
  args.insert(args.end(), {"--config", file.string()});
  auto msg = bad(parse_sluiced_args(args));
  CAF_MESSAGE(msg);
  CAF_CHECK(msg.find("node.conf:2: http.listen expects HOST:PORT, not 'localhost'") != std::string::npos);
}

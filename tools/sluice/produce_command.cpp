// sluice produce: stdin to a topic, one record per line; exit 0 only when every record was acked.
// --print-acks reports each acknowledged record with its partition and offset, which is what a
// test of "no acknowledged record lost" checks the log against.

#include "client/producer.hpp"
#include "tools/sluice/commands.hpp"

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

namespace sluice::cli {

int run_produce(const cli_options& o, const conn_ptr& conn) {
  client::producer_config cfg;
  cfg.acks = parse_acks(o.acks);
  cfg.enable_idempotence = !o.no_idempotent;
  cfg.delivery_timeout = std::chrono::milliseconds{o.delivery_timeout_ms};
  cfg.request_timeout = std::min(cfg.request_timeout, cfg.delivery_timeout);
  cfg.max_in_flight = o.max_in_flight;
  client::producer prod{conn, cfg};
  std::optional<partition_id> partition;
  if (o.partition)
    partition = partition_id{*o.partition};
  std::optional<client::error> refused;
  std::ios::sync_with_stdio(false);
  std::string line;
  uint64_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    client::producer_record r{o.topic, std::nullopt, line, partition};
    if (o.key_separator) {
      auto at = line.find(*o.key_separator);
      if (at == std::string::npos) {
        refused = client::make_error(client::errc::invalid_argument,
                                     "line " + std::to_string(line_no) + " has no key separator '"
                                       + *o.key_separator + "'");
        break;
      }
      r.key = std::string_view{line}.substr(0, at);
      r.value = std::string_view{line}.substr(at + o.key_separator->size());
    }
    client::delivery_callback on_ack;
    if (o.print_acks)
      on_ack = [value = std::string{r.value.value_or(std::string_view{})}](const client::delivery_report& d) {
        if (d.ok()) // one fprintf per record: whole lines even from the sender's thread
          std::fprintf(stdout, "%d\t%lld\t%s\n", d.partition.value,
                       static_cast<long long>(d.off.value), value.c_str());
      };
    if (auto st = prod.send(r, std::move(on_ack)); !st) {
      refused = st.err();
      break;
    }
    // Stop reading once a record failed: the exit code is 1 whatever follows.
    if (line_no % 1024 == 0 && prod.stats().failed_records)
      break;
  }
  // Every accepted record is acked or failed after close; once something failed, records
  // still on their way are not waited for.
  bool failing = refused || prod.stats().failed_records;
  prod.close(failing ? std::optional{std::chrono::milliseconds{0}} : std::nullopt);
  std::fflush(stdout);
  if (refused)
    return fail(*refused);
  if (auto s = prod.stats(); s.failed_records)
    return fail(s.last_error);
  return 0;
}

} // namespace sluice::cli

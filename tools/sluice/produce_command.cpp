// sluice produce: stdin to a topic, one record per line; exit 0 only when every record was acked.
// --print-acks reports each acknowledged record with its partition and offset, which is what a
// test of "no acknowledged record lost" checks the log against.

#include "client/producer.hpp"
#include "store/delayed_format.hpp"
#include "tools/sluice/commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace sluice::cli {

namespace {

// "k=v;k=v" (the part of a line before --header-separator) into headers viewing `text`.
client::status parse_headers(std::string_view text, std::vector<store::record_header>& out) {
  while (!text.empty()) {
    auto end = text.find(';');
    auto item = text.substr(0, end);
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return client::make_error(client::errc::invalid_argument,
                                "header '" + std::string{item} + "' is not k=v");
    out.push_back({item.substr(0, eq), item.substr(eq + 1)});
    if (end == std::string_view::npos)
      break;
    text.remove_prefix(end + 1);
  }
  return {};
}

} // namespace

int run_produce(const cli_options& o, const conn_ptr& conn) {
  // A bad delay is refused before stdin is read (the producer checks each record again).
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  if (auto delay = o.delay_ms ? o.delay_ms : o.deliver_at ? std::optional{*o.deliver_at - now_ms} : std::nullopt)
    if (auto why = store::delayed::check_delay(*delay))
      return fail(client::make_error(client::errc::invalid_argument, *why));
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
  std::vector<store::record_header> headers;
  while (std::getline(std::cin, line)) {
    ++line_no;
    std::string_view rest{line};
    headers.clear();
    if (o.header_separator) {
      auto at = rest.find(*o.header_separator);
      if (at == std::string_view::npos) {
        refused = client::make_error(client::errc::invalid_argument,
                                     "line " + std::to_string(line_no) + " has no header separator '"
                                       + *o.header_separator + "'");
        break;
      }
      if (auto st = parse_headers(rest.substr(0, at), headers); !st) {
        refused = client::make_error(client::errc::invalid_argument,
                                     "line " + std::to_string(line_no) + ": " + st.err().message);
        break;
      }
      rest.remove_prefix(at + o.header_separator->size());
    }
    if (o.tags && std::none_of(headers.begin(), headers.end(), [](auto& h) { return h.key == "tags"; }))
      headers.push_back({"tags", *o.tags});
    client::producer_record r{o.topic, std::nullopt, rest, partition};
    r.headers = headers;
    r.delay_ms = o.delay_ms;
    if (o.deliver_at)
      r.deliver_at = timestamp_ms{*o.deliver_at};
    if (o.key_separator) {
      auto at = rest.find(*o.key_separator);
      if (at == std::string::npos) {
        refused = client::make_error(client::errc::invalid_argument,
                                     "line " + std::to_string(line_no) + " has no key separator '"
                                       + *o.key_separator + "'");
        break;
      }
      r.key = rest.substr(0, at);
      r.value = rest.substr(at + o.key_separator->size());
    }
    if (o.null_marker && r.value == std::string_view{*o.null_marker})
      r.value = std::nullopt;
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

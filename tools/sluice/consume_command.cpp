// sluice consume: print a topic's values, one per line; exit 0 after --max-messages records
// or --timeout-ms without a record.

#include "client/consumer.hpp"
#include "tools/sluice/commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

namespace sluice::cli {

using namespace std::chrono;

namespace {

// Where the assigned partitions start: explicit --offset, --from-beginning, else the end.
client::status position(const cli_options& o, client::consumer& c, const std::vector<client::topic_partition>& tps) {
  if (o.offset && *o.offset != "earliest" && *o.offset != "latest")
    return c.seek(tps.front(), offset{std::stoll(*o.offset)});
  if (o.from_beginning || (o.offset && *o.offset == "earliest"))
    return c.seek_to_beginning();
  return c.seek_to_end();
}

void append_line(std::string& out, const cli_options& o, const store::record_view& r) {
  if (o.print_offset)
    out += std::to_string(r.off.value) + '\t';
  if (o.print_key) {
    if (r.key)
      out.append(*r.key);
    else
      out += "null";
    out += '\t';
  }
  if (r.value)
    out.append(*r.value);
  else
    out += "null";
  out += '\n';
}

} // namespace

int run_consume(const cli_options& o, const conn_ptr& conn) {
  client::consumer_config cfg;
  // An explicit offset is meant: outside the log is an error, not a silent reset.
  cfg.auto_offset_reset = o.offset ? client::offset_reset::none : client::offset_reset::latest;
  cfg.fetch_max_wait = milliseconds{100};
  client::consumer c{conn, cfg};
  auto tps = c.partitions_for(o.topic);
  if (!tps)
    return fail(tps.err());
  if (o.partition) {
    auto n = static_cast<int32_t>(tps->size());
    if (*o.partition >= n)
      return fail("partition " + std::to_string(*o.partition) + " out of range: topic '" + o.topic + "' has "
                  + std::to_string(n) + " partitions");
    *tps = {{o.topic, partition_id{*o.partition}}};
  }
  c.assign(*tps);
  if (auto st = position(o, c, *tps); !st)
    return fail(st.err());

  const int64_t max = o.max_messages.value_or(INT64_MAX);
  int64_t printed = 0;
  auto last_record = steady_clock::now();
  std::string out;
  while (printed < max) {
    auto wait = milliseconds{200};
    if (o.timeout_ms) {
      auto left = milliseconds{*o.timeout_ms} - duration_cast<milliseconds>(steady_clock::now() - last_record);
      if (left <= milliseconds::zero())
        break;
      wait = std::min(wait, left);
    }
    auto recs = c.poll(wait);
    if (!recs)
      return fail(recs.err());
    if (recs->empty())
      continue;
    out.clear();
    recs->for_each([&](const client::topic_partition&, const store::record_view& r) {
      if (printed < max) {
        append_line(out, o, r);
        ++printed;
      }
    });
    if (!recs->last_error().empty())
      return fail(recs->last_error());
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    last_record = steady_clock::now();
  }
  return 0;
}

} // namespace sluice::cli

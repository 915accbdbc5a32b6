// sluice consume --share-group G: read a topic as a member of a share group (KIP-932; see
// client/share_consumer.hpp). Each record this member acquires is printed and then accepted,
// unless its value matches --reject-matching (rejected: archived) or --release-matching
// (released: delivered again, maybe to another member), which are not printed. The
// acknowledgements of each poll are sent before the next poll; on exit, records acquired but not
// handled (past --max-messages) are released at once. At-least-once: a record whose
// acknowledgement was refused or lost (its lock expired, its leader failed) is delivered again
// and printed again.

#include "client/share_consumer.hpp"
#include "tools/sluice/commands.hpp"

#include <chrono>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <regex>
#include <string>
#include <string_view>

#include <unistd.h>

namespace sluice::cli {

using namespace std::chrono;

namespace {

// Whole lines, at most PIPE_BUF bytes a write(), which a pipe takes at once or not at all: a
// member killed -9 while its output blocks in a full pipe leaves only whole records there
// (one fwrite of a poll's output left a record cut at the pipe's 64 KiB for the reader).
void write_lines(std::string_view out) {
  std::fflush(stdout);
  while (!out.empty()) {
    auto n = out.size();
    if (n > PIPE_BUF) {
      auto nl = out.rfind('\n', PIPE_BUF - 1);
      n = nl != std::string_view::npos ? nl + 1 : std::min(out.find('\n'), out.size() - 1) + 1;
    }
    auto w = ::write(STDOUT_FILENO, out.data(), n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return; // as fwrite did: a closed or failing stdout does not stop the member
    out.remove_prefix(static_cast<size_t>(w));
  }
}

} // namespace

int run_share_consume(const cli_options& o, const conn_ptr& conn) {
  std::optional<std::regex> reject, release;
  if (o.reject_matching)
    reject.emplace(*o.reject_matching);
  if (o.release_matching)
    release.emplace(*o.release_matching);
  client::share_consumer c{conn, {*o.share_group, "", 500, 1 << 20}};
  if (auto st = c.subscribe({o.topic}); !st)
    return fail(st.err());
  const int64_t max = o.max_messages.value_or(INT64_MAX);
  int64_t printed = 0;
  auto last_record = steady_clock::now();
  std::string out;
  while (printed < max) {
    // Share fetches long-poll at the leaders: wait up to 500 ms, less near --timeout-ms.
    auto wait = milliseconds{500};
    if (o.timeout_ms) {
      auto left = milliseconds{*o.timeout_ms} - duration_cast<milliseconds>(steady_clock::now() - last_record);
      if (left <= milliseconds::zero())
        break;
      wait = std::min(wait, left);
    }
    auto recs = c.poll(wait);
    if (!recs) {
      if (recs.err().retriable())
        continue;
      return fail(recs.err());
    }
    if (recs->empty())
      continue;
    out.clear();
    for (auto& r : *recs) {
      if (printed >= max) {
        (void)c.acknowledge(r, schema::acknowledge_type::release); // for another member, at once
        continue;
      }
      std::string value = r.value.value_or("null");
      if (reject && std::regex_search(value, *reject)) {
        (void)c.acknowledge(r, schema::acknowledge_type::reject);
        continue;
      }
      if (release && std::regex_search(value, *release)) {
        (void)c.acknowledge(r, schema::acknowledge_type::release);
        continue;
      }
      if (o.print_partition)
        out += std::to_string(r.tp.partition.value) + '\t';
      if (o.print_offset)
        out += std::to_string(r.off.value) + '\t';
      if (o.print_key)
        out += r.key.value_or("null") + '\t';
      out += value;
      out += '\n';
      (void)c.acknowledge(r, schema::acknowledge_type::accept);
      ++printed;
    }
    write_lines(out);
    last_record = steady_clock::now();
    if (auto st = c.commit_sync(); !st)
      std::fprintf(stderr, "sluice: acknowledgement refused (the records come again): %s\n",
                   st.err().to_string().c_str());
  }
  c.close();
  return 0;
}

} // namespace sluice::cli

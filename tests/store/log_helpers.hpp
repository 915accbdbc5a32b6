#pragma once

#include "store/batch.hpp"
#include "store/partition_log.hpp"
#include "tests/store/temp_dir.hpp"

#include <string>
#include <vector>

namespace sluice::test {

// A batch of `n` records "<prefix>-<i>" with timestamps ts, ts+1, ...
inline std::vector<std::byte> make_batch(size_t n, const std::string& prefix, int64_t ts = 1000) {
  store::batch_builder b;
  for (size_t i = 0; i < n; ++i) {
    auto v = prefix + "-" + std::to_string(i);
    b.add(timestamp_ms{ts + static_cast<int64_t>(i)}, std::nullopt, std::string_view{v});
  }
  return b.finish();
}

struct read_record {
  int64_t off;
  std::string value;
  int64_t ts;
};

// Every record from `from` to log end, in order, checking each batch's CRC.
inline std::vector<read_record> read_all(const store::partition_log& l, offset from = offset{-1},
                                         size_t max_bytes = 1 << 20) {
  std::vector<read_record> out;
  auto pos = from.value < 0 ? l.log_start_offset() : from;
  while (pos < l.log_end_offset()) {
    auto r = l.read(pos, max_bytes);
    if (!r || r->bytes.empty())
      break;
    size_t p = 0;
    while (p < r->bytes.size()) {
      store::bytes_view rest{r->bytes.data() + p, r->bytes.size() - p};
      auto h = store::validate_batch(rest);
      if (!h)
        return out;
      store::record_reader rr{rest.first(h->size_bytes())};
      store::record_view rec;
      while (rr.next(rec))
        if (rec.off >= pos)
          out.push_back({rec.off.value, std::string{rec.value.value_or("")}, rec.timestamp.value});
      p += h->size_bytes();
    }
    pos = r->next_offset;
  }
  return out;
}

// A clock the test moves by hand.
struct manual_clock {
  int64_t now_ms = 1'000'000;
  store::clock_fn fn() {
    return [this] { return now_ms; };
  }
};

} // namespace sluice::test

#pragma once

// Deterministic actor tests: CAF's test coordinator runs every actor on the test thread and
// owns time (trigger_timeouts advances it to the next timer), so long polls and deadlines are
// tested without sleeps. Requests go from `self` with send(); consume() runs the actors until
// nothing is left to do without firing timers; reply<T>() takes the answer from self's mailbox.

#define FAIL(...) CAF_FAIL(__VA_ARGS__) // caf/test/dsl.hpp expects it
#include <caf/test/dsl.hpp>

#include "schema/codec.hpp"
#include "schema/type_ids.hpp"
#include "store/batch.hpp"
#include "tests/store/temp_dir.hpp"

#include <caf/actor_system_config.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sluice::test {

struct actor_test_config : caf::actor_system_config {
  actor_test_config() { schema::register_message_types(*this); }
};

// A base of its own so that it outlives the coordinator, whose destructor still runs the
// actors (closing logs in `dir`).
struct with_temp_dir {
  temp_dir dir;
};

struct actor_fixture : with_temp_dir, ::test_coordinator_fixture<actor_test_config> {
  // Runs actors until idle; timers stay pending.
  void consume() { consume_messages(); }

  // The next message in self's mailbox if it is a T; nullopt when the mailbox is empty.
  template <class T>
  std::optional<T> reply() {
    std::optional<T> out;
    self->receive([&](T& x) { out = std::move(x); },
                  [&](caf::error& err) { CAF_FAIL("error reply: " << sys.render(err)); },
                  caf::after(std::chrono::seconds(0)) >> [] {});
    return out;
  }

  template <class T>
  T require_reply() {
    auto r = reply<T>();
    if (!r)
      CAF_FAIL("no reply of the expected type");
    return std::move(*r);
  }

  // The next reply, an envelope, decoded as Response (a test failure when it is not).
  template <class Response>
  Response decoded_reply() {
    auto e = require_reply<schema::envelope>();
    auto r = schema::decode<Response>(e);
    if (!r)
      CAF_FAIL("reply does not decode: " << r.err().to_string());
    return std::move(*r);
  }

  bool mailbox_empty() { return !self->has_next_message(); }
};

// A batch of `n` records "<prefix>-<i>" with timestamps ts, ts+1, ... (relative offsets; the
// partition assigns real ones).
inline std::vector<std::byte> batch_of(size_t n, const std::string& prefix, int64_t ts = 1000,
                                       size_t pad_bytes = 0) {
  store::batch_builder b;
  for (size_t i = 0; i < n; ++i) {
    auto v = prefix + "-" + std::to_string(i) + std::string(pad_bytes, 'x');
    b.add(timestamp_ms{ts + static_cast<int64_t>(i)}, std::nullopt, std::string_view{v});
  }
  return b.finish();
}

struct record {
  int64_t off;
  std::string value;
  bool operator==(const record&) const = default;
};

// Every record of whole batches back to back, checking each batch; empty on a bad batch.
inline std::vector<record> records_of(std::span<const std::byte> bytes) {
  std::vector<record> out;
  size_t p = 0;
  while (p < bytes.size()) {
    store::bytes_view rest{bytes.data() + p, bytes.size() - p};
    auto h = store::validate_batch(rest);
    if (!h)
      return {};
    store::record_reader rr{rest.first(h->size_bytes())};
    store::record_view rec;
    while (rr.next(rec))
      out.push_back({rec.off.value, std::string{rec.value.value_or("")}});
    p += h->size_bytes();
  }
  return out;
}

} // namespace sluice::test

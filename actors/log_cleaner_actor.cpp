#include "actors/log_cleaner_actor.hpp"

#include "actors/inspect_field.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace sluice::actors {

namespace {

struct cleaner_state {
  uint64_t jobs = 0;
  uint64_t failures = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t records_removed = 0;
  int64_t busy_ms = 0;        // time spent cleaning
  double mb_per_s = 0;        // read throughput over every job so far
  std::string last_partition;
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cleaner_state& x) {
  field jobs{"jobs", x.jobs};
  field failures{"failures", x.failures};
  field read{"bytes_read", x.bytes_read};
  field written{"bytes_written", x.bytes_written};
  field removed{"records_removed", x.records_removed};
  field busy{"busy_ms", x.busy_ms};
  field mbps{"mb_per_s", x.mb_per_s};
  field last{"last_partition", x.last_partition};
  field error{"last_error", x.last_error};
  return f(caf::meta::type_name("log_cleaner"), jobs, failures, read, written, removed, busy,
           mbps, last, error);
}

class log_cleaner_impl : public log_cleaner_actor::base {
public:
  explicit log_cleaner_impl(caf::actor_config& cfg) : log_cleaner_actor::base(cfg) {}

  const char* name() const override { return "log_cleaner"; }

  behavior_type make_behavior() override {
    return {
      [this](clean_atom, cleaning_request& req) { return clean(req); },
      [this](state_atom) {
        return "log cleaner (mailbox " + std::to_string(mailbox().size())
               + "): " + caf::deep_to_string(state_);
      },
    };
  }

private:
  // Blocks this actor's own thread (it is detached) for the whole job.
  cleaning_outcome clean(const cleaning_request& req) {
    ++state_.jobs;
    state_.last_partition = req.partition;
    if (!req.job) {
      ++state_.failures;
      return {nullptr, "empty cleaning request"};
    }
    auto r = store::clean_log(*req.job);
    if (!r) {
      ++state_.failures;
      state_.last_error = req.partition + ": " + r.err().to_string();
      spdlog::error("log cleaner: {}", state_.last_error);
      return {nullptr, r.err().to_string()};
    }
    state_.bytes_read += r->stats.bytes_read;
    state_.bytes_written += r->stats.bytes_written;
    state_.records_removed += r->stats.records_removed;
    state_.busy_ms += r->stats.duration_ms;
    if (state_.busy_ms > 0)
      state_.mb_per_s = static_cast<double>(state_.bytes_read) / 1e6
                        / (static_cast<double>(state_.busy_ms) / 1000.0);
    return {std::make_shared<const store::cleaning_result>(std::move(*r)), {}};
  }

  cleaner_state state_;
};

} // namespace

log_cleaner_actor spawn_log_cleaner(caf::actor_system& sys, bool detached) {
  if (detached)
    return sys.spawn<log_cleaner_impl, caf::detached>();
  return sys.spawn<log_cleaner_impl>();
}

} // namespace sluice::actors

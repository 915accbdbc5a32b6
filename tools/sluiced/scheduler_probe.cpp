#include "tools/sluiced/scheduler_probe.hpp"

#include "actors/request_meter.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace sluice::tools {

namespace {

struct probe_state {
  actors::request_meter delay{"scheduler_delay"};
  static inline const char* name = "scheduler_probe";
};

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

scheduler_probe::behavior_type probe(scheduler_probe::stateful_pointer<probe_state> self,
                                     std::chrono::milliseconds interval) {
  auto arm = [self, interval] {
    self->delayed_send(self, interval, actors::tick_atom_v,
                       steady_ns() + std::chrono::nanoseconds(interval).count());
  };
  arm();
  return {
    [self, arm](actors::tick_atom, int64_t due_ns) {
      self->state.delay.record(std::chrono::nanoseconds(steady_ns() - due_ns), 0, false);
      arm();
    },
    [self](actors::state_atom) { return self->state.delay.stats(); },
  };
}

} // namespace

scheduler_probe spawn_scheduler_probe(caf::actor_system& sys, std::chrono::milliseconds interval) {
  return sys.spawn(probe, interval);
}

} // namespace sluice::tools

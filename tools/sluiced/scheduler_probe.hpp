#pragma once

// Scheduler statistics for /metrics (issue 11). CAF 0.17 keeps per-worker statistics only in
// its profiling scheduler, which writes them to a file, so sluiced measures two things itself:
//
// - scheduling delay: a probe actor asks CAF's clock to wake it every `interval`; the time
//   from when the wake-up was due to when a worker runs the probe is how long a message that
//   became ready waits for a scheduler thread (clock thread plus worker queues). Nothing else
//   sends to the probe, so its own mailbox never adds to it.
// - CPU time per thread of the process (thread_cpu.hpp), the scheduler's workers among them.

#include "actors/atoms.hpp"
#include "schema/inspect.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>

namespace sluice::tools {

using scheduler_probe = caf::typed_actor<caf::reacts_to<actors::tick_atom, int64_t>,
                                         caf::replies_to<actors::state_atom>::with<schema::request_stats>>;

// Its histogram is request_stats of kind "scheduler_delay" (latency_bounds_us buckets).
scheduler_probe spawn_scheduler_probe(caf::actor_system& sys, std::chrono::milliseconds interval);

} // namespace sluice::tools

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::schema::request_stats)

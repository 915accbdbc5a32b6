#pragma once

// The node's log cleaner (cleanup.policy=compact; store/log_cleaner.hpp): one detached actor
// per node, with its own thread, so that cleaning (reading and rewriting segments) never
// occupies a scheduler thread. Partition actors plan a job in a short step, send it here and
// install the result when it comes back; meanwhile they append and serve fetches as ever.
// Jobs run one at a time, in arrival order (the node's disk and cores are shared).

#include "actors/atoms.hpp"
#include "store/log_cleaner.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_actor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sluice::actors {

// A job travels as a shared pointer: it holds open file descriptors and never leaves the node.
struct cleaning_request {
  std::string partition; // "<topic>-<p>", for the cleaner's state
  std::shared_ptr<store::cleaning_job> job;
};

// Exactly one of result or error.
struct cleaning_outcome {
  std::shared_ptr<const store::cleaning_result> result;
  std::string error;
};

using log_cleaner_actor = caf::typed_actor<
  caf::replies_to<clean_atom, cleaning_request>::with<cleaning_outcome>,
  caf::replies_to<state_atom>::with<std::string>>;

// What a partition needs to use the cleaner (node config log.cleaner.*).
struct cleaner_args {
  log_cleaner_actor actor;
  int64_t backoff_ms = 15'000;       // log.cleaner.backoff.ms: between dirty-ratio checks
  size_t map_bytes = 32u << 20;      // log.cleaner.dedupe.buffer.size
};

// Detached (its own thread) unless `detached` is false: deterministic tests run it on the
// test coordinator like any actor.
log_cleaner_actor spawn_log_cleaner(caf::actor_system& sys, bool detached = true);

} // namespace sluice::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::cleaning_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::actors::cleaning_outcome)

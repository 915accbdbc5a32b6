#pragma once
// How a Sluice process (node or client) sets CAF's work-stealing scheduler.
//
// An idle CAF worker polls its queue (100 times back to back, then 500 times 50 us apart)
// before it waits on its condition variable. Each of those 50 us sleeps is two context
// switches, and on this paravirtualised VM a context switch costs several microseconds of
// hypervisor work: with three nodes and a client on 2 cores, the polling took more CPU than
// replicating the data (3 brokers RF 3 acks=all: 117k context switches and 6.2 CPU-seconds
// for 3 M records with the polling, 23k to 30k and 3.3 to 4.0 s without it). Waiting on the
// condition variable right after the busy polls costs a futex wake per enqueue to a sleeping
// worker, which is cheaper. It also took an idle cluster node from 30% of a core to below 8%.
//
// middleman.workers = 0: BASP deserialises a message in the multiplexer thread instead of
// copying its payload into a BASP worker first (CAF's default is one worker on 2 cores). A
// fetch response is the envelope's bytes, so that copy was one more pass over every
// replicated byte, and deserialising a vector<char> is itself one memcpy.

#include <caf/actor_system_config.hpp>

#include <cstddef>

namespace sluice::schema {

inline void tune_scheduler(caf::actor_system_config& cfg) {
  cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  cfg.set("middleman.workers", size_t{0});
}

} // namespace sluice::schema

#pragma once

// How the producer's sender packs its queue of sealed batches into produce requests, one
// group per link (the partition leader's broker). Plain C++, tested directly.
//
// Rules, for a queue in send order (retries first, then sealing order):
// - a batch goes to the link of its partition's leader; one whose partition has no link now
//   (`link` nullopt: no leader known, link down, a retry of the partition still backing off)
//   stays, and so does every later batch of its partition;
// - a link takes at most `free_slots(link)` new requests (max.in.flight minus those in flight),
//   each of at most `max_request_bytes` (a larger batch still goes, alone);
// - a request carries at most one batch per partition, and a partition's later batch goes in
//   a later request than its earlier one (requests to a link arrive in the order sent), so
//   batches of one partition leave in queue order; a batch that finds no room stays, and with
//   it every later batch of its partition.

#include "store/types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sluice::client {

using link_id = uint32_t;

// One queued batch as the planner sees it.
struct plan_batch {
  std::string_view topic;
  partition_id partition{0};
  size_t bytes = 0;
  std::optional<link_id> link; // nullopt: cannot be sent now
};

// One request to send: its link and the queue indices of its batches, in queue order.
struct planned_request {
  link_id link = 0;
  std::vector<size_t> batches;
  size_t bytes = 0;
};

// The requests to send now, per link in the order they must leave; batches not named stay queued.
std::vector<planned_request> plan_requests(std::span<const plan_batch> queue,
                                           const std::function<size_t(link_id)>& free_slots,
                                           size_t max_request_bytes);

} // namespace sluice::client

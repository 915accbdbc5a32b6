#pragma once

// The producer's sender: the actor that takes sealed batches from the accumulator, packs them
// into produce requests (at most one batch per partition each, up to max.request.size), keeps
// up to max.in.flight requests outstanding, retries retriable failures with backoff, and
// completes every record exactly once (delivery callback, then memory released).
//
// Ordering: batches of one partition leave in the order they were sealed. A retried batch may
// land after a later one of its partition, as in Kafka without idempotence when
// max.in.flight > 1.

#include "client/node_link.hpp"
#include "client/producer_config.hpp"
#include "client/producer_shared.hpp"
#include "schema/envelope.hpp"

#include <caf/event_based_actor.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace sluice::client {

class producer_sender : public caf::event_based_actor {
public:
  producer_sender(caf::actor_config& cfg, std::shared_ptr<producer_shared> shared, node_link link,
                  producer_config config);

  caf::behavior make_behavior() override;
  const char* name() const override { return "sluice.producer"; }

private:
  struct waiting_retry {
    steady_clock::time_point due;
    producer_batch batch;
  };
  struct finished {
    producer_batch batch;
    offset base{-1};
    client::error error;
  };

  void pump();
  void on_link_lost();
  void abort_all();
  void when_link_down(steady_clock::time_point now, std::vector<finished>& done);
  std::vector<producer_batch> next_request();
  void send_request(std::vector<producer_batch> batches);
  void on_reply(uint64_t id, const schema::envelope& reply);
  void on_request_error(uint64_t id, const client::error& e);
  void retry_or_fail(producer_batch b, const client::error& e, steady_clock::time_point now,
                     std::vector<finished>& done);
  void complete(std::vector<finished>& done);
  void arm_timer(steady_clock::time_point at);

  std::shared_ptr<producer_shared> shared_;
  node_link link_;
  producer_config config_;
  std::deque<producer_batch> queue_;   // sealed, waiting for a request slot
  std::vector<waiting_retry> backoff_; // failed retriably, waiting to go back into queue_
  std::unordered_map<uint64_t, std::vector<producer_batch>> in_flight_;
  uint64_t next_request_id_ = 0;
  std::optional<steady_clock::time_point> timer_at_;
  client::error last_error_; // why the link is down, for batches that expire meanwhile
};

} // namespace sluice::client

#pragma once

// The consumer's fetcher: the actor that resolves missing positions (list offsets, by
// auto.offset.reset or seek_to_*), keeps one fetch request in flight for every assigned
// partition with a position while less than prefetch_max_bytes wait unpolled, and turns
// each response into CRC-checked chunks for poll(). Positions advance when a chunk arrives;
// a seek bumps the partition's epoch so that a response already on its way is dropped.

#include "client/consumer_config.hpp"
#include "client/consumer_shared.hpp"
#include "client/node_link.hpp"
#include "schema/envelope.hpp"
#include "schema/offsets.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace sluice::client {

class consumer_fetcher : public caf::event_based_actor {
public:
  consumer_fetcher(caf::actor_config& cfg, std::shared_ptr<consumer_shared> shared, node_link link,
                   consumer_config config);

  caf::behavior make_behavior() override;
  const char* name() const override { return "sluice.consumer"; }

  // One partition of a request in flight, as it was when the request was sent.
  struct part {
    topic_partition tp;
    uint64_t epoch = 0;
    offset position{0};             // fetches: the fetch offset
    offset_reset reset = offset_reset::latest; // list offsets: which end
  };

private:
  using clock = std::chrono::steady_clock;

  void step();
  void fetch(std::vector<part> parts);
  void resolve(std::vector<part> parts);
  void on_fetch(const schema::envelope& reply, const std::vector<part>& parts, clock::time_point sent);
  void apply_chunks(std::vector<fetched_chunk>& chunks);
  std::optional<client::error> reset_position(const part& p);
  void on_offsets(const schema::envelope& reply, const std::vector<part>& parts);
  void on_network_error(const client::error& e);
  void fail(client::error e);
  void pause(clock::duration d);
  // The reply as a Response; else reports a non-retriable error, pauses for retry.backoff.ms
  // and steps again (the request is simply sent anew), and returns nullopt.
  template <class Response>
  std::optional<Response> decode_or_retry(const schema::envelope& reply);
  void arm_timer(clock::time_point at);

  std::shared_ptr<consumer_shared> shared_;
  node_link link_;
  consumer_config config_;
  bool fetching_ = false;
  bool resolving_ = false;
  std::optional<clock::time_point> paused_until_; // after errors: no request before this
  std::optional<clock::time_point> timer_at_;
};

} // namespace sluice::client

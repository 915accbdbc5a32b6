#pragma once

// The consumer's fetcher: the actor that resolves missing positions (list offsets, by
// auto.offset.reset or seek_to_*), fetches every assigned partition with a position while less
// than prefetch_max_bytes wait unpolled, and turns each response into CRC-checked chunks for
// poll(). Positions advance when a chunk arrives; a seek bumps the partition's epoch so that a
// response already on its way is dropped.
//
// Partitions are grouped by their leader's link (client/cluster_router.hpp): one long-poll
// fetch and one list-offsets request in flight per link at a time. A partition whose leader
// refused it (not_leader, leader_not_available, fenced or unknown leader epoch) or whose link
// was lost waits for fresh metadata and is then asked of its new leader; other partitions keep
// going. A response is used only for partitions still at the position and epoch it was asked
// for, so the answer of a former leader arriving after the new one's is dropped.

#include "client/cluster_router.hpp"
#include "client/consumer_config.hpp"
#include "client/consumer_shared.hpp"
#include "client/node_link.hpp"
#include "client/wakeup_timer.hpp"
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
  // `bootstrap` is the connection's node; `routed` as connection::routed().
  consumer_fetcher(caf::actor_config& cfg, std::shared_ptr<consumer_shared> shared, node_link bootstrap,
                   bool routed, consumer_config config);

  caf::behavior make_behavior() override;
  const char* name() const override { return "sluice.consumer"; }

  // One partition of a request in flight, as it was when the request was sent.
  struct part {
    topic_partition tp;
    uint64_t epoch = 0;
    offset position{0};             // fetches: the fetch offset
    offset_reset reset = offset_reset::latest; // list offsets: which end
  };

  // A partition a fetch answered offset_out_of_range for, with the leader's bounds.
  struct out_of_range {
    const part* p = nullptr;
    offset high_watermark{-1};
    offset log_start{-1};
  };

private:
  using clock = std::chrono::steady_clock;

  // What is in flight on one link.
  struct link_state {
    bool fetching = false;
    bool resolving = false;
    uint64_t seq = 0; // bumped when the link is lost: answers sent before are dropped
    std::optional<clock::time_point> paused_until; // after errors: no request before this
  };

  void step();
  void route_parts(std::vector<part>& parts, std::vector<std::pair<link_id, std::vector<part>>>& out,
                   clock::time_point now);
  void fetch(link_id link, std::vector<part> parts);
  void resolve(link_id link, std::vector<part> parts);
  void on_fetch(link_id link, schema::envelope& reply, const std::vector<part>& parts,
                clock::time_point sent);
  void apply_chunks(std::vector<fetched_chunk>& chunks);
  struct reset_outcome {
    std::optional<client::error> error; // auto.offset.reset is none
    bool wait = false;                  // behind the leader's high watermark: ask again later
  };
  reset_outcome reset_position(const out_of_range& oor);
  void on_offsets(link_id link, const schema::envelope& reply, const std::vector<part>& parts);
  void on_request_error(link_id link, const client::error& e);
  void on_link_lost(link_id link);
  void fail(client::error e);
  void pause(link_id link, clock::duration d);
  bool paused(link_id link, clock::time_point now);
  // The decoded reply; else reports a non-retriable error, pauses the link for
  // retry.backoff.ms and steps again (the request is simply sent anew), and returns nullopt.
  template <class Response>
  std::optional<Response> or_retry(link_id link, result<Response> r);
  link_state& state(link_id link);
  void wake_at(clock::time_point at);

  std::shared_ptr<consumer_shared> shared_;
  consumer_config config_;
  cluster_router router_;
  std::vector<link_state> links_; // indexed by link_id
  bool report_unknown_ = false;   // a metadata answer came: say once what it does not know
  wakeup_timer timer_;
  std::optional<clock::time_point> wake_at_; // the earliest wake-up this step wants
};

} // namespace sluice::client

#pragma once

// The client's map of the cluster, built from metadata answers: which broker leads each
// partition of the topics the client uses, where the brokers listen, and when to ask again.
// Plain C++ (no CAF, no clock: the time is passed in), so its rules are tested directly; the
// actors reach it through client/cluster_router.hpp.
//
// When a refresh is due (Kafka's Metadata.timeToNextUpdate):
//   a topic never asked for          now (a new topic is not held back by the backoff)
//   a refresh was asked for          last attempt + refresh_backoff: a partition's leader said
//                                    not_leader or its epoch was fenced, a partition has no
//                                    leader, a link was lost, a refresh failed
//   otherwise                        last success + max_age (metadata.max.age.ms)
// Between an invalidation and the next answer the partition has no route: its requests wait
// instead of going to a broker that just said it does not lead.

#include "client/node_address.hpp"
#include "schema/metadata.hpp"
#include "store/types.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::client {

class routing_table {
public:
  using clock = std::chrono::steady_clock;
  using broker = schema::metadata_response::broker;

  struct options {
    std::chrono::milliseconds refresh_backoff{100}; // retry.backoff.ms
    std::chrono::milliseconds max_age{300000};      // metadata.max.age.ms
  };

  // Where a partition's requests go now.
  struct route {
    enum class kind : uint8_t {
      leader,            // to `leader`, which listens at `address`
      wait,              // no leader known (none elected, not asked yet, invalidated): refresh
      unknown_topic,     // the cluster answered that the topic does not exist
      unknown_partition, // the topic has fewer partitions than that, as far as known
    };
    kind what = kind::wait;
    node_id leader{-1};
    leader_epoch epoch{-1};
    const broker* address = nullptr; // valid until the next update
  };

  explicit routing_table(options o) : options_(o) {}

  // The topic is used: every refresh asks for it from now on.
  void track(std::string_view topic);
  // Where requests for the partition go. An untracked topic becomes tracked (kind::wait);
  // an unknown topic or partition asks for a refresh, so that a new one is found.
  route lookup(std::string_view topic, partition_id p);

  // The partition's leader refused it (not_leader, leader_not_available, fenced or unknown
  // leader epoch): no route until the next answer, which is asked for.
  void invalidate(std::string_view topic, partition_id p);
  // A refresh after the backoff (a lost link, a timed-out request, a failed refresh).
  void request_refresh() { refresh_wanted_ = true; }

  // The topics a refresh asks for.
  std::vector<std::string> topics() const;
  // A metadata request just left: the backoff counts from here.
  void refresh_sent(clock::time_point now);
  // What a metadata answer says: brokers replaced (unless it lists none), every topic in it
  // replaced; topics it leaves out keep what they had and ask for another refresh.
  void update(const schema::metadata_response& md, clock::time_point now);

  // When the next refresh is due (maybe in the past); nullopt while no topic is tracked.
  std::optional<clock::time_point> next_refresh() const;
  bool refresh_wanted() const;

  const std::vector<broker>& brokers() const { return brokers_; }
  const broker* find_broker(node_id id) const;
  // Distinct leaders of the tracked partitions (at least 1 while none is known).
  size_t leader_count() const { return leader_count_; }
  // The topic's partition count as last answered; nullopt when not known.
  std::optional<int32_t> partition_count(std::string_view topic) const;

private:
  struct partition_entry {
    node_id leader{-1};
    leader_epoch epoch{-1};
    bool invalid = false; // refused since the last answer
  };
  struct topic_entry {
    enum class state : uint8_t { never_asked, asked, known, unknown };
    state st = state::never_asked;
    std::vector<partition_entry> partitions;
  };
  struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  topic_entry& entry(std::string_view topic);
  void count_leaders();

  options options_;
  std::unordered_map<std::string, topic_entry, string_hash, std::equal_to<>> topics_;
  std::vector<broker> brokers_;
  size_t leader_count_ = 1;
  bool refresh_wanted_ = false;
  std::optional<clock::time_point> last_attempt_;
  std::optional<clock::time_point> last_success_;
};

// Where to dial a broker: the host and port it registered, except that a wildcard host
// (a node listening on 0.0.0.0 or ::, which is no address to dial) means the host the client
// bootstrapped from.
node_address dial_address(const routing_table::broker& b, const std::optional<node_address>& bootstrap);

} // namespace sluice::client

#pragma once

// sluice::share_consumer: a member of a share group (KIP-932, queue-style consumption). Every
// member reads every partition of the subscribed topics; each partition's leader hands a record
// to one member at a time (an acquisition lock of share.record.lock.duration.ms) and the member
// acknowledges it: accept (done), release (give it back for redelivery) or reject
// (unprocessable, archived). Records whose lock expires, or that are released, are delivered
// again, to any member, up to share.delivery.count.limit deliveries. Delivery is at-least-once:
// an acknowledgement counts once commit_sync() (or the next poll()) got it answered.
//
// Acknowledgement is implicit unless the application acknowledges a record explicitly: the next
// poll() or commit_sync() accepts every polled record it did not acknowledge (KIP-932's
// implicit mode), and sends the explicit ones with their types. close() sends what was
// acknowledged and releases the rest of what this member holds, so other members get it at
// once instead of after the lock timeout.
//
// Blocking, from one application thread at a time (not an actor): poll() sends one share fetch
// to each partition leader at once and waits for their answers.

#include "client/connection.hpp"
#include "client/result.hpp"
#include "client/routing_table.hpp"
#include "client/topic_partition.hpp"
#include "schema/share.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::client {

struct share_consumer_config {
  std::string group_id;      // required
  std::string member_id;     // empty: one is made up (unique per process and instance)
  int32_t max_records = 500; // per partition and poll
  int32_t max_bytes = 1 << 20; // per partition and poll
};

// One delivered record; owns its bytes.
struct share_record {
  topic_partition tp;
  offset off{0};
  int16_t delivery_count = 0; // 1 on the first delivery
  timestamp_ms timestamp{0};
  std::optional<std::string> key;
  std::optional<std::string> value;
};

class share_consumer {
public:
  share_consumer(std::shared_ptr<connection> conn, share_consumer_config config);
  ~share_consumer(); // close()
  share_consumer(const share_consumer&) = delete;
  share_consumer& operator=(const share_consumer&) = delete;

  // The topics to read (replaces the subscription); an unknown topic is an error.
  status subscribe(const std::vector<std::string>& topics);

  // Acknowledges what the previous poll returned (implicitly: accept), then waits up to
  // `timeout` for records. Empty when none came; an error when no leader could be asked.
  result<std::vector<share_record>> poll(std::chrono::milliseconds timeout);

  // Marks a polled record; sent with the next commit_sync() or poll(). An error for a record
  // this consumer does not hold (not polled, or acknowledged already).
  status acknowledge(const share_record& r,
                     schema::acknowledge_type type = schema::acknowledge_type::accept);

  // Sends every acknowledgement (explicit, and implicit accepts of the rest of what was
  // polled) and waits for the leaders' answers. An error names the first partition refused:
  // its records will be delivered again (their locks expired, or the leader moved).
  status commit_sync();

  // Sends explicit acknowledgements, releases everything else held, stops. Idempotent.
  void close();

  const std::string& member_id() const { return config_.member_id; }

private:
  struct held_range {
    offset first{0};
    offset last{0};
  };
  // Everything polled and not yet acknowledged to the leader, by partition: held (acquired)
  // offsets with an explicit type when the application gave one.
  struct held_partition {
    std::map<int64_t, std::optional<schema::acknowledge_type>> offsets;
  };

  status refresh_leaders();
  // Sends the acknowledgements of `held_` (unmarked: `implicit`) and clears it.
  status send_acks(schema::acknowledge_type implicit);

  std::shared_ptr<connection> conn_;
  share_consumer_config config_;
  std::vector<std::string> topics_;
  routing_table table_{{}};
  bool stale_ = true;
  std::map<topic_partition, held_partition> held_;
  bool closed_ = false;
};

} // namespace sluice::client

namespace sluice {
using client::share_consumer;
using client::share_consumer_config;
using client::share_record;
} // namespace sluice

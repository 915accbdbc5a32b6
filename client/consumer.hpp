#pragma once

// sluice::consumer in partition-assignment mode (consumer groups arrive later): assign
// partitions, seek, poll. The fetcher actor keeps the next fetch in flight while the
// application works through what poll() returned, and poll() hands out the fetched batches
// in place (consumer_records). One application thread at a time.

#include "client/connection.hpp"
#include "client/consumer_config.hpp"
#include "client/consumer_records.hpp"
#include "client/latency_histogram.hpp"
#include "client/result.hpp"
#include "client/topic_partition.hpp"

#include <caf/actor.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace sluice::client {

struct consumer_shared;

class consumer {
public:
  explicit consumer(std::shared_ptr<connection> conn, consumer_config config = {});
  ~consumer(); // close()
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Replaces the assignment. Partitions kept keep their positions; new ones start by
  // auto.offset.reset unless sought.
  void assign(const std::vector<topic_partition>& tps);
  std::vector<topic_partition> assignment() const;

  // Every partition of `topic`, for assigning a whole topic; unknown topic is an error.
  result<std::vector<topic_partition>> partitions_for(const std::string& topic);

  // The next poll() returns records from `off` on (an out-of-range offset is then handled
  // by auto.offset.reset). Errors for a partition that is not assigned.
  status seek(const topic_partition& tp, offset off);
  // To the log start / the high watermark, resolved when next fetched; empty: all assigned.
  status seek_to_beginning(const std::vector<topic_partition>& tps = {});
  status seek_to_end(const std::vector<topic_partition>& tps = {});

  // The offset of the next record poll() will return for `tp`, once known.
  std::optional<offset> position(const topic_partition& tp) const;

  // Waits up to `timeout` for fetched records and returns all that are buffered (empty when
  // none arrived). An error when the fetcher hit one: unknown topic, offset out of range under
  // auto.offset.reset=none, a corrupt batch, a lost connection.
  result<consumer_records> poll(std::chrono::milliseconds timeout);

  // Round trips of fetch requests so far, in microseconds.
  latency_histogram fetch_latency() const;

  void close();

private:
  status seek_to(const std::vector<topic_partition>& tps, offset_reset where);
  void wake_fetcher();

  std::shared_ptr<connection> conn_;
  consumer_config config_;
  std::shared_ptr<consumer_shared> shared_;
  caf::actor fetcher_;
};

} // namespace sluice::client

namespace sluice {
using client::consumer;
using client::consumer_config;
using client::consumer_records;
using client::topic_partition;
} // namespace sluice

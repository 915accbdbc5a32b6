#pragma once

// The consumer's side of retry topics (client/retry_policy.hpp): creates a source topic's
// retry and dead-letter topics, re-produces nacked records to where the policy sends them, and
// keeps each nacked record's source offset "pending" until that produce is acknowledged
// (acks=all, idempotent). Commits are clamped below the lowest pending offset of each
// partition, so a commit never passes a nacked record that is not yet safely in its next
// topic. A crash between the acknowledgement and the next commit redelivers the record (and
// it may be nacked again: a duplicate in a retry or dead-letter topic; at-least-once).
//
// Used by consumer (one application thread); the producer's delivery callbacks touch only the
// pending state, under its own mutex.

#include "client/connection.hpp"
#include "client/consumer_group.hpp"
#include "client/producer.hpp"
#include "client/result.hpp"
#include "client/retry_policy.hpp"
#include "client/topic_partition.hpp"
#include "store/batch.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::client {

class retry_forwarder {
public:
  // `policy` enabled and valid; `group` names the topics.
  retry_forwarder(std::shared_ptr<connection> conn, std::string group, retry_policy policy);
  ~retry_forwarder();
  retry_forwarder(const retry_forwarder&) = delete;
  retry_forwarder& operator=(const retry_forwarder&) = delete;

  // Creates the retry and dead-letter topics of source topic `topic` that are missing, with
  // its partition count and replication factor (so keyed records keep their partition and
  // the topics are as durable as the source). Once per topic.
  status prepare(const std::string& topic);
  // The retry topics of `topic`, level 1 first.
  std::vector<std::string> retry_topics(const std::string& topic) const;
  // Whether `topic` is named as one of this group's retry topics (assigned directly, too).
  bool is_retry_topic(std::string_view topic) const;

  // Sends record `r` of `tp` on to its next retry topic or the dead-letter topic with
  // `error_text`; `now` stamps the first failure and the due time. An error when the record
  // was not accepted (nothing then pends for it).
  status nack(const topic_partition& tp, const store::record_view& r, std::string_view error_text, timestamp_ms now);

  // Lowers each offset to the lowest pending nack of its partition.
  void clamp(offset_map& offsets) const;
  // Waits up to `timeout` for every nack so far to be acknowledged; whether they all are.
  bool flush(std::chrono::milliseconds timeout);
  // A nack whose produce finally failed (its offset stays pending: commits stay below it).
  std::optional<error> take_failure();
  size_t pending() const;

private:
  struct pending_state {
    mutable std::mutex mtx;
    std::map<topic_partition, std::multiset<int64_t>> offsets;
    std::optional<error> failure;
  };

  std::shared_ptr<connection> conn_;
  std::string group_;
  retry_policy policy_;
  std::unique_ptr<producer> producer_;
  std::set<std::string, std::less<>> prepared_;
  std::shared_ptr<pending_state> pending_;
  std::vector<store::record_header> scratch_; // one record's decoded headers
};

} // namespace sluice::client

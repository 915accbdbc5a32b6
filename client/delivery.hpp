#pragma once

#include "client/error.hpp"
#include "store/types.hpp"

#include <functional>

namespace sluice::client {

// The outcome of one produced record. On success `off` is the record's offset in its
// partition (the batch's base offset plus the record's index in the batch), -1 under acks=0,
// where the node does not say.
struct delivery_report {
  partition_id partition{-1};
  offset off{-1};
  client::error error;

  bool ok() const { return error.ok(); }
};

// Runs on the producer's sender actor when the record is acknowledged or finally failed: keep
// it short, and never call what may block on the sender from it (flush, close, or send while
// buffer.memory may be full): the sender is the one that would unblock it.
using delivery_callback = std::function<void(const delivery_report&)>;

} // namespace sluice::client

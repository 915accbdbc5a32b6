#pragma once

// The consumer's side of the group protocol (schema/group.capnp): join and sync from the
// application thread inside poll(), heartbeats from an actor in the background, committed
// offsets both ways. The consumer (client/consumer.cpp) owns one when it subscribes and turns
// what ensure_active() reports into rebalance listener calls and a new assignment.
//
// Threads: every member function runs on the application thread; the heartbeat actor shares
// only group_shared with it.

#include "client/connection.hpp"
#include "client/consumer_config.hpp"
#include "client/result.hpp"
#include "client/topic_partition.hpp"
#include "schema/group.hpp"

#include <caf/actor.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sluice::client {

using offset_map = std::map<topic_partition, offset>;
using commit_callback = std::function<void(const offset_map&, const status&)>;

// What the application thread and the heartbeat actor share.
struct group_shared {
  std::mutex mtx;
  std::string member_id;
  generation_id generation = no_generation;
  bool rejoin = true;  // join before the next fetch
  bool joining = false; // join_and_sync under way: no heartbeats, stale answers ignored
  bool lost = false;   // the coordinator dropped us: our partitions are lost, not revoked
  std::optional<error> fatal; // e.g. fenced by a newer member with our group.instance.id
  std::chrono::steady_clock::time_point last_poll = std::chrono::steady_clock::now();
  // commit_async completions, for the application thread to call back in poll().
  std::vector<std::function<void()>> completions;
  std::function<void()> wake; // interrupts a poll() waiting for records
};

// How a rebalance changed the assignment, for the listener and the fetcher.
struct assignment_change {
  std::vector<topic_partition> revoked;  // the member gave them up (commit first)
  std::vector<topic_partition> lost;     // taken away: committing them would be fenced
  std::vector<topic_partition> assigned; // new; positions from their committed offsets
  std::vector<topic_partition> now;      // the whole assignment after the change
};

// Group config.group_id's committed offsets of `tps` (nullopt where nothing is committed),
// retrying while the coordinator loads, up to request.timeout.ms. Needs no membership.
result<std::map<topic_partition, std::optional<offset>>>
fetch_committed(const connection& conn, const consumer_config& config,
                const std::vector<topic_partition>& tps);

class consumer_group {
public:
  consumer_group(std::shared_ptr<connection> conn, consumer_config config);
  ~consumer_group(); // stops the heartbeat actor; does not leave (close() does)

  void subscribe(std::vector<std::string> topics);
  const std::vector<std::string>& subscription() const { return topics_; }
  bool eager() const;

  // Called at the start of every poll(): a pending rejoin (first poll, a rebalance the
  // heartbeat heard of, a lost membership) happens here. `before_join` runs first, before
  // any other member can be given them, with the partitions that go whatever the join
  // decides: all of them lost (membership gone) or revoked (eager protocol; commit them).
  // Returns what the join changed (cooperative revocations, new partitions, the whole new
  // assignment; empty when no join was due), or the error that stopped the join (retried at
  // the next poll).
  result<assignment_change> ensure_active(const std::function<void(const assignment_change&)>& before_join);
  bool rejoin_pending();
  void note_poll();

  status commit_sync(const offset_map& offsets);
  void commit_async(offset_map offsets, commit_callback cb);
  // Runs finished commit_async callbacks (application thread).
  void run_completions();
  result<std::map<topic_partition, std::optional<offset>>>
  committed(const std::vector<topic_partition>& tps) {
    return fetch_committed(*conn_, config_, tps);
  }

  // LeaveGroup (a dynamic member; a static one keeps its slot for session.timeout.ms).
  void leave();
  std::shared_ptr<group_shared> shared() const { return shared_; }
  std::vector<topic_partition> owned() const { return {owned_.begin(), owned_.end()}; }

private:
  result<std::vector<topic_partition>> join_and_sync();
  schema::group_member_ref member_ref();

  std::shared_ptr<connection> conn_;
  consumer_config config_;
  std::vector<std::string> topics_;
  std::set<topic_partition> owned_;
  std::shared_ptr<group_shared> shared_;
  caf::actor heartbeat_;
};

} // namespace sluice::client

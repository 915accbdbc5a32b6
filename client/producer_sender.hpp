#pragma once

// The producer's sender: the actor that takes sealed batches from the accumulator, routes each
// to its partition's leader (client/cluster_router.hpp), packs them per leader into produce
// requests (client/produce_plan.hpp: at most one batch per partition each, up to
// max.request.size), keeps up to max.in.flight requests outstanding per link, retries
// retriable failures with backoff, and completes every record exactly once (delivery
// callback, then memory released).
//
// Retries: a batch refused with not_leader, leader_not_available or a fenced or unknown
// leader epoch makes its partition's route invalid until fresh metadata names the leader; a
// request without an answer (lost link, timeout) asks for fresh metadata too. Either way the
// batch waits out its backoff and goes to whoever leads then. A batch that cannot be sent
// (no leader, link down) waits, and fails once delivery.timeout.ms passed since its creation.
//
// Ordering: batches of one partition leave in the order they were sealed, and while one of
// them waits for its retry the later ones wait too. Batches already in flight behind a failing
// one fail alike, come back in their order, and may then still land in another order than
// sent, as in Kafka without idempotence when max.in.flight > 1.
//
// Idempotence (producer_config::idempotent(), issue 9): before its first batch the sender asks
// a node for a producer id (InitProducerId; batches wait meanwhile, retried with backoff). It
// stamps each batch with the id, epoch and the partition's next sequence when it first sends
// it (so a batch that expires unsent leaves no gap) and a retry keeps its stamp, so the leader
// recognises it: a duplicate is answered with the original's offsets, and a batch sent behind
// one that did not land is refused out_of_order_sequence and retried after it. At most
// max_in_flight_per_partition (5) batches of a partition are in flight, the window the leader
// remembers. A stamped batch that fails for good leaves a gap no later batch can fill: the
// sender then bumps its epoch and numbers every partition from 0 again (KIP-360; a new
// producer id when the epoch would overflow), and batches of the old epoch still to be
// retried are stamped anew.
//
// Transactions (producer_config::transactional(), producer.hpp): the id and epoch come from
// init_transactions() on the application thread (producer_shared), not from the sender. A
// batch to a partition not yet in the open transaction waits while the sender adds the
// partition with AddPartitionsToTxn (one request for all such partitions, retried with
// backoff), so no transactional batch reaches a partition the coordinator would not mark.
// Batches carry attr_transactional. A failed batch makes the transaction abortable instead
// of bumping the epoch here (the coordinator owns it); being fenced is fatal.

#include "client/cluster_router.hpp"
#include "client/node_link.hpp"
#include "client/producer_config.hpp"
#include "client/producer_shared.hpp"
#include "client/wakeup_timer.hpp"
#include "schema/envelope.hpp"

#include <caf/event_based_actor.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sluice::client {

class producer_sender : public caf::event_based_actor {
public:
  // `bootstrap` is the connection's node; `routed` as connection::routed().
  producer_sender(caf::actor_config& cfg, std::shared_ptr<producer_shared> shared, node_link bootstrap,
                  bool routed, producer_config config);

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
  struct request_in_flight {
    link_id link = 0;
    std::vector<producer_batch> batches;
  };

  void pump();
  void take_due_retries(steady_clock::time_point now);
  void drain_accumulator(steady_clock::time_point now, std::optional<steady_clock::time_point>& linger_deadline);
  void send_planned(steady_clock::time_point now, std::vector<finished>& done);
  void fail_everything(const client::error& e);
  void on_link_lost(link_id link);
  void abort_all();
  void send_request(link_id link, std::vector<producer_batch> batches);
  void on_reply(uint64_t id, const schema::envelope& reply);
  void on_request_error(uint64_t id, const client::error& e);
  std::chrono::milliseconds backoff_after(int failures) const;
  void retry_or_fail(producer_batch b, const client::error& e, steady_clock::time_point now,
                     std::vector<finished>& done);
  client::error expiry_error(const producer_batch& b, const cluster_router::target& t);
  void on_metadata(const schema::metadata_response& md);
  void complete(std::vector<finished>& done);
  size_t& in_flight_on(link_id link);
  void wake_at(steady_clock::time_point at);
  std::optional<link_id> first_link_up();
  // Idempotence (see above).
  void request_producer_id(steady_clock::time_point now);
  void on_producer_id_failed(const client::error& e);
  void stamp(producer_batch& b);
  void bump_epoch();
  bool retriable(const producer_batch& b, const client::error& e) const;
  // Transactions (see above).
  void adopt_transaction();
  void add_partitions(steady_clock::time_point now,
                      std::set<std::pair<std::string, int32_t>> partitions);
  void on_add_partitions_failed(const client::error& e);
  // The leader the metadata named cannot take the batch now: it has no such topic or
  // partition (a broker restarted and not yet serving its topics, or metadata older than a
  // topic change), or the partition's log is not open (recovering, or restarting after a
  // crash). Kafka's UNKNOWN_TOPIC_OR_PARTITION and KAFKA_STORAGE_ERROR are retriable with a
  // metadata refresh, bounded by delivery.timeout.ms; a topic that is really gone fails when
  // the refreshed metadata no longer has it.
  static bool unavailable_here(const client::error& e) {
    return e.code == errc::server && (e.server == schema::errc::unknown_topic_or_partition
                                      || e.server == schema::errc::storage_error);
  }

  std::shared_ptr<producer_shared> shared_;
  producer_config config_;
  cluster_router router_;
  std::deque<producer_batch> queue_;   // sealed, waiting for a route and a request slot
  size_t parked_ = 0;                  // of queue_, those without a route at the last pump
  std::vector<waiting_retry> backoff_; // failed retriably, waiting to go back into queue_
  std::map<uint64_t, request_in_flight> in_flight_; // by id: in sending order
  std::vector<size_t> in_flight_per_link_; // indexed by link_id
  uint64_t next_request_id_ = 0;
  wakeup_timer timer_;
  std::optional<steady_clock::time_point> wake_at_; // the earliest wake-up this pump wants
  client::error last_error_; // why no broker could be reached, for batches that expire meanwhile
  bool idempotent_;
  producer_id pid_ = no_producer_id;
  producer_epoch epoch_ = no_producer_epoch;
  bool pid_in_flight_ = false;
  int pid_failures_ = 0;
  steady_clock::time_point pid_retry_at_{};
  // The next sequence per partition under pid_ and epoch_.
  std::map<std::pair<std::string, int32_t>, int32_t> next_sequence_;
  bool transactional_;
  uint64_t txn_generation_ = 0;
  std::set<std::pair<std::string, int32_t>> txn_partitions_; // added to the open transaction
  bool add_in_flight_ = false;
  int add_failures_ = 0;
  steady_clock::time_point add_retry_at_{};
};

} // namespace sluice::client

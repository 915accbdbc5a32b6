#include "client/producer.hpp"

#include "client/murmur2.hpp"
#include "client/producer_sender.hpp"
#include "client/producer_shared.hpp"
#include "client/topic_metadata.hpp"

#include <caf/send.hpp>

#include "store/delayed_format.hpp"

#include <algorithm>
#include <random>

namespace sluice::client {

using namespace std::chrono;

namespace {

timestamp_ms wall_clock_ms() {
  return timestamp_ms{duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()};
}

} // namespace

producer::producer(std::shared_ptr<connection> conn, producer_config config)
  : conn_(std::move(conn)), config_(config) {
  // Zero here would stall the sender forever.
  config_.max_in_flight = std::max<size_t>(1, config_.max_in_flight);
  config_.batch_bytes = std::max<size_t>(1, config_.batch_bytes);
  record_accumulator::limits limits{config_.batch_bytes, config_.linger, config_.buffer_bytes};
  shared_ = std::make_shared<producer_shared>(limits, config_.partitioner_seed.value_or(std::random_device{}()));
  if (config_.transactional())
    shared_->txn = txn_phase::uninitialized;
  sender_ = conn_->system().spawn<producer_sender>(shared_, conn_->bootstrap_link(), conn_->routed(), config_);
}

producer::~producer() { close(); }

producer_stats producer::stats() const {
  std::lock_guard lock{shared_->mtx};
  return {shared_->acked_records, shared_->failed_records, shared_->last_error};
}

void producer::wake_sender() {
  if (!shared_->wake_pending.exchange(true))
    caf::anon_send(sender_, caf::tick_atom_v);
}

result<int32_t> producer::partitions_for(std::string_view topic) {
  {
    std::lock_guard lock{shared_->mtx};
    if (auto* t = shared_->acc.find_topic(topic))
      return shared_->acc.partitions(*t);
  }
  auto md = fetch_topic_metadata(*conn_, {std::string{topic}});
  if (!md)
    return md.err();
  auto count = static_cast<int32_t>(md->front().partitions.size());
  std::lock_guard lock{shared_->mtx};
  return shared_->acc.partitions(shared_->acc.set_topic(topic, count));
}

// The target partition is chosen as for a plain record (explicit, else murmur2(key); keyless
// records round-robin, since the sticky partition of the target is never batched here); the
// record goes to the __delayed partition of that target with the delivery headers added.
status producer::send_delayed(const producer_record& r, delivery_callback cb) {
  namespace dl = store::delayed;
  if (r.deliver_at && r.delay_ms)
    return make_error(errc::invalid_argument, "a record has a deliver-at time or a delay, not both");
  if (r.topic == dl::topic)
    return make_error(errc::invalid_argument, "a delayed record names its target topic, not " + std::string{dl::topic});
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->txn != txn_phase::none)
      return make_error(errc::invalid_argument, "delayed records cannot be part of a transaction");
  }
  auto ts = r.timestamp == no_timestamp ? wall_clock_ms() : r.timestamp;
  auto at = r.deliver_at ? r.deliver_at->value : ts.value + *r.delay_ms;
  if (auto why = dl::check_delay(at - ts.value))
    return make_error(errc::invalid_argument, *why);
  auto n = partitions_for(r.topic);
  if (!n)
    return n.err();
  partition_id target{0};
  if (r.partition) {
    if (r.partition->value < 0 || r.partition->value >= *n)
      return make_error(errc::invalid_argument,
                        "partition " + std::to_string(r.partition->value) + " out of range: topic '"
                          + std::string{r.topic} + "' has " + std::to_string(*n) + " partitions");
    target = *r.partition;
  } else if (r.key) {
    target = key_partition(*r.key, *n);
  } else {
    target = partition_id{static_cast<int32_t>(delayed_round_robin_++ % static_cast<uint32_t>(*n))};
  }
  auto scheduled_by = partitions_for(dl::topic);
  if (!scheduled_by)
    return scheduled_by.err();
  auto to = dl::deliver_to_value(r.topic, target);
  auto when = std::to_string(at);
  std::vector<store::record_header> headers(r.headers.begin(), r.headers.end());
  headers.push_back({dl::deliver_to_header, to});
  headers.push_back({dl::deliver_at_header, when});
  producer_record stored{dl::topic, r.key, r.value, dl::partition_for(r.topic, target, *scheduled_by),
                         ts, headers};
  return send(stored, std::move(cb));
}

status producer::send(const producer_record& r, delivery_callback cb) {
  if (r.deliver_at || r.delay_ms)
    return send_delayed(r, std::move(cb));
  record_accumulator::record rec{r.timestamp == no_timestamp ? wall_clock_ms() : r.timestamp,
                                 r.key, r.value, r.headers};
  std::unique_lock lock{shared_->mtx};
  auto* t = shared_->acc.find_topic(r.topic);
  if (!t) {
    lock.unlock();
    auto count = partitions_for(r.topic);
    if (!count)
      return count.err();
    lock.lock();
    t = shared_->acc.find_topic(r.topic);
  }
  std::optional<steady_clock::time_point> deadline;
  for (;;) {
    if (shared_->closed)
      return make_error(errc::closed, "producer is closed");
    if (shared_->txn != txn_phase::none && shared_->txn != txn_phase::in_transaction)
      return shared_->txn == txn_phase::fatal
               ? shared_->txn_fatal
               : make_error(errc::invalid_argument,
                            "a transactional producer sends only inside a transaction "
                            "(begin_transaction)");
    auto res = shared_->acc.append(*t, r.partition, rec, cb, steady_clock::now());
    using outcome = record_accumulator::outcome;
    switch (res.status) {
      case outcome::appended:
        ++shared_->incomplete_records;
        lock.unlock();
        if (res.wake_sender)
          wake_sender();
        return {};
      case outcome::too_large:
        return error{errc::server, schema::errc::record_too_large,
                "record of " + std::to_string(record_accumulator::record_bytes_bound(rec))
                  + " bytes does not fit buffer.memory or a batch"};
      case outcome::bad_partition:
        return make_error(errc::invalid_argument,
                          "partition " + std::to_string(r.partition->value) + " out of range: topic '"
                            + std::string{r.topic} + "' has "
                            + std::to_string(shared_->acc.partitions(*t)) + " partitions");
      case outcome::no_memory: {
        if (!deadline)
          deadline = steady_clock::now() + config_.max_block;
        // Lingering batches hold the memory: have the sender take them now.
        ++shared_->drain_all;
        lock.unlock();
        wake_sender();
        lock.lock();
        auto st = shared_->changed.wait_until(lock, *deadline);
        --shared_->drain_all;
        if (st == std::cv_status::timeout && steady_clock::now() >= *deadline)
          return make_error(errc::buffer_full,
                            "buffer.memory (" + std::to_string(config_.buffer_bytes)
                              + " bytes) stayed full for max.block.ms");
        break;
      }
    }
  }
}

std::future<delivery_report> producer::send(const producer_record& r) {
  auto promise = std::make_shared<std::promise<delivery_report>>();
  auto fut = promise->get_future();
  auto st = send(r, [promise](const delivery_report& rep) { promise->set_value(rep); });
  if (!st)
    promise->set_value({r.partition.value_or(partition_id{-1}), offset{-1}, st.err()});
  return fut;
}

bool producer::flush(std::optional<milliseconds> timeout) {
  std::unique_lock lock{shared_->mtx};
  if (shared_->incomplete_records == 0)
    return true;
  ++shared_->drain_all;
  lock.unlock();
  wake_sender();
  lock.lock();
  auto complete = [&] { return shared_->incomplete_records == 0; };
  bool done = true;
  if (timeout)
    done = shared_->changed.wait_for(lock, *timeout, complete);
  else
    shared_->changed.wait(lock, complete);
  --shared_->drain_all;
  return done;
}

void producer::close(std::optional<milliseconds> timeout) {
  {
    std::lock_guard lock{shared_->mtx};
    if (shared_->closed)
      return;
    shared_->closed = true; // no appends from here on: incomplete_records only falls
  }
  if (!flush(timeout)) {
    caf::anon_send(sender_, caf::close_atom_v);
    std::unique_lock lock{shared_->mtx};
    shared_->changed.wait(lock, [&] { return shared_->incomplete_records == 0; });
  }
  caf::anon_send_exit(sender_, caf::exit_reason::user_shutdown);
  sender_ = nullptr;
}

} // namespace sluice::client

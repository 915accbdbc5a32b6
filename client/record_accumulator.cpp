#include "client/record_accumulator.hpp"

#include "client/murmur2.hpp"
#include "store/batch_format.hpp"

#include <algorithm>
#include <cassert>

namespace sluice::client {

namespace {

struct open_batch {
  std::optional<store::batch_builder> builder; // engaged while the batch has records
  std::vector<std::pair<uint32_t, delivery_callback>> callbacks;
  size_t reserved_bytes = 0;
  steady_clock::time_point created;
  uint64_t seq = 0; // tells a live entry of opened_ from one whose batch was sealed since
};

} // namespace

class record_accumulator::topic {
public:
  std::string name;
  sticky_partition sticky;
  std::vector<open_batch> open; // one per partition

  int32_t partitions() const { return static_cast<int32_t>(open.size()); }
};

record_accumulator::record_accumulator(limits l, uint64_t seed) : limits_(l), rng_(seed) {}

record_accumulator::~record_accumulator() = default;

record_accumulator::topic* record_accumulator::find_topic(std::string_view name) {
  auto i = topics_.find(name);
  return i == topics_.end() ? nullptr : i->second.get();
}

record_accumulator::topic& record_accumulator::set_topic(std::string_view name, int32_t partitions) {
  auto* t = find_topic(name);
  if (!t) {
    auto owned = std::make_unique<topic>();
    owned->name = std::string{name};
    t = owned.get();
    topics_.emplace(owned->name, std::move(owned));
  }
  if (partitions > t->partitions())
    t->open.resize(static_cast<size_t>(partitions));
  return *t;
}

int32_t record_accumulator::partitions(const topic& t) const { return t.partitions(); }

size_t record_accumulator::record_bytes_bound(const record& r) {
  // length, offset delta, key and value lengths, header count: 5-byte varints at most;
  // attributes 1 byte; timestamp delta a 10-byte varlong.
  size_t n = 5 + 1 + 10 + 5 + 5 + 5 + 5;
  n += r.key ? r.key->size() : 0;
  n += r.value ? r.value->size() : 0;
  for (auto& h : r.headers)
    n += 10 + h.key.size() + h.value.size();
  return n;
}

record_accumulator::append_result record_accumulator::append(topic& t,
                                                             std::optional<partition_id> partition,
                                                             const record& r, delivery_callback& cb,
                                                             steady_clock::time_point now) {
  append_result res;
  const size_t need = record_bytes_bound(r);
  if (store::batch_format::header_size + need
      > std::min<size_t>(limits_.buffer_bytes, store::batch_format::max_batch_bytes)) {
    res.status = outcome::too_large;
    return res;
  }
  auto fits = [&](const open_batch& b) {
    return !b.builder || b.builder->size_bytes() + need <= limits_.batch_bytes;
  };
  int32_t p = 0;
  if (partition) {
    if (partition->value < 0 || partition->value >= t.partitions()) {
      res.status = outcome::bad_partition;
      return res;
    }
    p = partition->value;
  } else if (r.key) {
    p = key_partition(*r.key, t.partitions()).value;
  } else {
    p = t.sticky.current(t.partitions(), rng_).value;
    // KIP-480: a record that would open a new batch on the sticky partition seals the full
    // one and goes to the next sticky partition instead.
    if (!fits(t.open[static_cast<size_t>(p)])) {
      seal(t, p);
      res.wake_sender = true;
      p = t.sticky.current(t.partitions(), rng_).value;
    }
  }
  auto* b = &t.open[static_cast<size_t>(p)];
  if (!fits(*b)) {
    seal(t, p);
    res.wake_sender = true;
    b = &t.open[static_cast<size_t>(p)];
  }
  if (!b->builder) {
    size_t reserve = std::max(limits_.batch_bytes, store::batch_format::header_size + need);
    if (buffered_bytes_ + reserve > limits_.buffer_bytes) {
      res.status = outcome::no_memory;
      res.partition = partition_id{p};
      return res;
    }
    buffered_bytes_ += reserve;
    b->builder.emplace(reserve);
    b->reserved_bytes = reserve;
    b->created = now;
    b->seq = next_seq_++;
    opened_.push_back({&t, p, b->seq});
    ++open_count_;
    res.wake_sender = true;
  }
  if (cb)
    b->callbacks.emplace_back(b->builder->record_count(), std::move(cb));
  b->builder->add(r.timestamp, r.key, r.value, r.headers);
  res.partition = partition_id{p};
  return res;
}

void record_accumulator::seal(topic& t, int32_t partition) {
  auto& b = t.open[static_cast<size_t>(partition)];
  if (!b.builder)
    return;
  producer_batch out;
  out.topic = t.name;
  out.partition = partition_id{partition};
  out.record_count = b.builder->record_count();
  out.bytes = b.builder->finish();
  out.reserved_bytes = b.reserved_bytes;
  out.callbacks = std::move(b.callbacks);
  out.created = b.created;
  ready_.push_back(std::move(out));
  b.builder.reset();
  b.callbacks.clear();
  b.reserved_bytes = 0;
  --open_count_;
  t.sticky.on_batch_sealed(partition_id{partition}, t.partitions(), rng_);
}

// Drops front entries of opened_ whose batch was sealed (by size or flush) since; returns
// whether a live one is left at the front.
bool record_accumulator::pop_stale_front() {
  while (!opened_.empty()) {
    auto& o = opened_.front();
    auto& b = o.t->open[static_cast<size_t>(o.partition)];
    if (b.builder && b.seq == o.seq)
      return true;
    opened_.pop_front();
  }
  return false;
}

std::vector<producer_batch> record_accumulator::drain(steady_clock::time_point now,
                                                      size_t max_batches, bool flush) {
  // Seal lingered batches only while the ready queue is short of what the sender can take: a
  // batch left open keeps filling while requests are in flight.
  while (ready_.size() < max_batches && pop_stale_front()) {
    auto& o = opened_.front();
    auto& b = o.t->open[static_cast<size_t>(o.partition)];
    if (!flush && now < b.created + limits_.linger)
      break;
    auto* t = o.t;
    auto p = o.partition;
    opened_.pop_front();
    seal(*t, p);
  }
  std::vector<producer_batch> out;
  size_t n = std::min(max_batches, ready_.size());
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::move(ready_.front()));
    ready_.pop_front();
  }
  return out;
}

std::optional<steady_clock::time_point> record_accumulator::next_linger_deadline() {
  if (!pop_stale_front())
    return std::nullopt;
  auto& o = opened_.front();
  return o.t->open[static_cast<size_t>(o.partition)].created + limits_.linger;
}

void record_accumulator::release(size_t reserved_bytes) {
  assert(reserved_bytes <= buffered_bytes_);
  buffered_bytes_ -= reserved_bytes;
}

} // namespace sluice::client

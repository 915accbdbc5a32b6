#include "client/retry_forwarder.hpp"

#include "client/admin.hpp"
#include "client/retry_headers.hpp"
#include "client/topic_metadata.hpp"
#include "store/batch.hpp"

namespace sluice::client {

namespace {

producer_config forwarding_producer() {
  producer_config cfg;
  cfg.acks = schema::acks::all;
  cfg.enable_idempotence = true; // a retried produce never duplicates a nacked record
  cfg.linger = std::chrono::milliseconds{1};
  return cfg;
}

} // namespace

retry_forwarder::retry_forwarder(std::shared_ptr<connection> conn, std::string group, retry_policy policy)
  : conn_(std::move(conn)),
    group_(std::move(group)),
    policy_(std::move(policy)),
    producer_(std::make_unique<producer>(conn_, forwarding_producer())),
    pending_(std::make_shared<pending_state>()) {}

retry_forwarder::~retry_forwarder() = default;

status retry_forwarder::prepare(const std::string& topic) {
  if (prepared_.contains(topic))
    return {};
  if (auto st = validate_retry_names(policy_, group_, topic); !st)
    return st;
  auto md = fetch_topic_metadata(*conn_, {topic});
  if (!md)
    return md.err();
  auto& src = md->front();
  admin adm{conn_};
  auto replicas = static_cast<int16_t>(std::max<size_t>(src.partitions.front().replicas.size(), 1));
  std::vector<std::string> names = retry_topics(topic);
  names.push_back(dead_letter_topic_name(group_, topic));
  for (auto& name : names) {
    auto st = adm.create_topic({name, static_cast<int32_t>(src.partitions.size()), replicas, {}});
    if (!st && !(st.err().code == errc::server && st.err().server == schema::errc::topic_already_exists))
      return make_error(st.err().code, "creating retry topic '" + name + "': " + st.err().to_string());
  }
  prepared_.insert(topic);
  return {};
}

std::vector<std::string> retry_forwarder::retry_topics(const std::string& topic) const {
  std::vector<std::string> out;
  for (int32_t level = 1; level <= retry_levels(policy_); ++level)
    out.push_back(retry_topic_name(group_, topic, level));
  return out;
}

bool retry_forwarder::is_retry_topic(std::string_view topic) const {
  auto ref = parse_retry_topic(group_, topic);
  return ref && ref->level <= retry_levels(policy_);
}

status retry_forwarder::nack(const topic_partition& tp, const store::record_view& r, std::string_view error_text,
                             timestamp_ms now) {
  scratch_.clear();
  if (r.header_count > 0 && !store::decode_headers(r, scratch_))
    return make_error(errc::protocol, "nack: the headers of " + tp.to_string() + " offset "
                                        + std::to_string(r.off.value) + " cannot be read");
  retry_info info;
  std::optional<retry_info> before;
  if (auto ref = parse_retry_topic(group_, tp.topic); ref && ref->level <= retry_levels(policy_)) {
    if (auto st = prepare(ref->source_topic); !st)
      return st;
    auto decoded = decode_retry_info(scratch_);
    if (!decoded)
      return make_error(errc::protocol, "nack: " + tp.to_string() + " offset " + std::to_string(r.off.value)
                                          + ": " + decoded.err().to_string());
    before = std::move(*decoded);
  }
  if (before) {
    info = std::move(*before);
    ++info.attempts;
  } else {
    if (auto st = prepare(tp.topic); !st)
      return st;
    info.original_topic = tp.topic;
    info.original_partition = tp.partition;
    info.original_offset = r.off;
    info.attempts = 1;
    info.first_failure = now;
  }
  auto dest = next_destination(policy_, group_, info.original_topic, info.attempts, now);
  info.error = std::string{error_text};
  info.due = dest.due;
  auto partitions = producer_->partitions_for(dest.topic);
  if (!partitions)
    return partitions.err();
  retry_headers headers{info, scratch_};
  producer_record out{dest.topic, r.key, r.value, partition_id{info.original_partition.value % *partitions},
                      r.timestamp, headers.view()};
  {
    std::lock_guard lock{pending_->mtx};
    pending_->offsets[tp].insert(r.off.value);
  }
  std::weak_ptr<pending_state> weak = pending_;
  auto where = tp.to_string() + " offset " + std::to_string(r.off.value) + " to " + dest.topic;
  auto st = producer_->send(out, [weak, tp, off = r.off.value, where](const delivery_report& rep) {
    auto p = weak.lock();
    if (!p)
      return;
    std::lock_guard lock{p->mtx};
    if (rep.ok()) {
      auto& set = p->offsets[tp];
      set.erase(set.find(off));
      if (set.empty())
        p->offsets.erase(tp);
    } else if (!p->failure) {
      p->failure = make_error(rep.error.code, "nack of " + where + " failed: " + rep.error.to_string());
    }
  });
  if (!st) {
    std::lock_guard lock{pending_->mtx};
    auto& set = pending_->offsets[tp];
    set.erase(set.find(r.off.value));
    if (set.empty())
      pending_->offsets.erase(tp);
  }
  return st;
}

void retry_forwarder::clamp(offset_map& offsets) const {
  std::lock_guard lock{pending_->mtx};
  for (auto& [tp, off] : offsets)
    if (auto p = pending_->offsets.find(tp); p != pending_->offsets.end() && !p->second.empty())
      off.value = std::min(off.value, *p->second.begin());
}

bool retry_forwarder::flush(std::chrono::milliseconds timeout) { return producer_->flush(timeout); }

std::optional<error> retry_forwarder::take_failure() {
  std::lock_guard lock{pending_->mtx};
  auto f = std::move(pending_->failure);
  pending_->failure.reset();
  return f;
}

size_t retry_forwarder::pending() const {
  std::lock_guard lock{pending_->mtx};
  size_t n = 0;
  for (auto& [tp, set] : pending_->offsets)
    n += set.size();
  return n;
}

} // namespace sluice::client

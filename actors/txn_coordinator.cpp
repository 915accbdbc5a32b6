#include "actors/txn_coordinator.hpp"

#include <algorithm>
#include <cassert>

namespace sluice::actors {

using schema::errc;

namespace {

schema::error concurrent(const std::string& id, const char* why) {
  return {errc::concurrent_transactions, "transactional id '" + id + "': " + why + ": retry"};
}

schema::error bad_state(const std::string& id, const std::string& why) {
  return {errc::invalid_txn_state, "transactional id '" + id + "': " + why};
}

txn_effects answer(txn_token t, schema::error e) {
  txn_effects out;
  out.replies.push_back({t, std::move(e), no_producer_id, no_producer_epoch});
  return out;
}

template <class T>
void move_append(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// Back to Empty with nothing of a transaction in it.
void clear_txn(txn_metadata& m) {
  m.partitions.clear();
  m.group_offsets.clear();
  m.start_time = no_timestamp;
}

} // namespace

void txn_effects::append(txn_effects&& o) {
  move_append(writes, o.writes);
  move_append(replies, o.replies);
  move_append(markers, o.markers);
  move_append(group_commits, o.group_commits);
}

delivery_outcome classify_marker_error(errc e) {
  switch (e) {
    case errc::none:
    case errc::unknown_topic_or_partition:
    case errc::invalid_producer_epoch: return delivery_outcome::done;
    default: return delivery_outcome::retry;
  }
}

delivery_outcome classify_group_commit_error(errc e) {
  switch (e) {
    case errc::none:
    case errc::invalid_group_id:
    case errc::invalid_request:
    case errc::unknown_topic_or_partition: return delivery_outcome::done;
    default: return delivery_outcome::retry;
  }
}

// -- helpers ---------------------------------------------------------------------------------

producer_epoch txn_coordinator::next_epoch(const entry& e) {
  auto& d = *e.durable;
  int16_t top = d.epoch.value;
  if (e.uncertain && e.uncertain->id == d.id)
    top = std::max(top, e.uncertain->epoch.value);
  return producer_epoch{static_cast<int16_t>(top < INT16_MAX ? top + 1 : top)};
}

txn_effects txn_coordinator::write(const std::string& id, entry& e, txn_metadata next,
                                   std::optional<txn_token> waiter, bool wants_id) {
  assert(!e.pending);
  txn_effects out;
  if (next.state == txn_state::dead)
    out.writes.push_back({id, std::nullopt});
  else
    out.writes.push_back({id, next});
  e.pending = std::move(next);
  e.waiter = waiter;
  e.waiter_wants_id = wants_id;
  return out;
}

txn_coordinator::entry* txn_coordinator::admit(const std::string& id, producer_id pid,
                                               producer_epoch epoch, schema::error& err) {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.durable || it->second.durable->state == txn_state::dead) {
    err = {errc::transactional_id_not_found,
           "transactional id '" + id + "' is not known to its coordinator: InitProducerId first"};
    return nullptr;
  }
  auto& e = it->second;
  auto& cur = latest(e);
  if (pid != cur.id) {
    err = {errc::invalid_producer_epoch, "transactional id '" + id + "' belongs to producer id "
                                           + std::to_string(cur.id.value) + ", not "
                                           + std::to_string(pid.value) + ": fenced"};
    return nullptr;
  }
  auto fence = cur.epoch;
  if (e.uncertain && e.uncertain->id == pid)
    fence = std::max(fence, e.uncertain->epoch);
  if (epoch != cur.epoch || epoch < fence) {
    err = {errc::invalid_producer_epoch,
           "transactional id '" + id + "': epoch " + std::to_string(epoch.value)
             + " is not the current one (" + std::to_string(fence.value)
             + "): a newer producer fenced this one"};
    return nullptr;
  }
  if (e.pending) {
    err = concurrent(id, "a write of its state is in flight");
    return nullptr;
  }
  return &e;
}

// -- producer requests -----------------------------------------------------------------------

bool txn_coordinator::needs_producer_id(std::string_view id) const {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return true;
  auto& e = it->second;
  if (!e.durable)
    return false; // its first write is in flight: answered concurrent_transactions
  return e.durable->state == txn_state::dead || next_epoch(e).value > max_producer_epoch;
}

txn_effects txn_coordinator::init_producer_id(txn_token t, const schema::init_producer_id_request& r,
                                              std::optional<producer_id> fresh, int64_t now_ms) {
  auto& id = r.transactional_id;
  if (r.transaction_timeout_ms <= 0 || r.transaction_timeout_ms > limits_.max_timeout_ms)
    return answer(t, {errc::invalid_transaction_timeout,
                      "transaction.timeout.ms must be in [1, " + std::to_string(limits_.max_timeout_ms)
                        + "], not " + std::to_string(r.transaction_timeout_ms)});
  auto no_id = [&] {
    return answer(t, {errc::coordinator_not_available,
                      "no producer id to hand out to '" + id + "' yet: retry"});
  };
  auto it = entries_.find(id);
  if (it == entries_.end() || (it->second.durable && it->second.durable->state == txn_state::dead
                               && !it->second.pending)) {
    if (!fresh)
      return no_id();
    auto& e = entries_[id];
    txn_metadata m;
    m.id = *fresh;
    m.epoch = producer_epoch{0};
    m.timeout_ms = r.transaction_timeout_ms;
    m.last_update = timestamp_ms{now_ms};
    return write(id, e, std::move(m), t, true);
  }
  auto& e = it->second;
  if (e.pending)
    return answer(t, concurrent(id, "a write of its state is in flight"));
  auto& cur = *e.durable;
  // KIP-360: a producer may bump its own epoch by naming it; any other id/epoch is fenced.
  if (r.id != no_producer_id && (r.id != cur.id || r.epoch != cur.epoch))
    return answer(t, {errc::invalid_producer_epoch,
                      "transactional id '" + id + "': producer " + std::to_string(r.id.value)
                        + " epoch " + std::to_string(r.epoch.value)
                        + " is not its current producer: fenced"});
  if (e.uncertain && is_prepare(e.uncertain->state)) {
    auto out = redo_decision(id, e, std::nullopt, now_ms);
    out.append(answer(t, concurrent(id, "its previous transaction is ending")));
    return out;
  }
  if (is_prepare(cur.state))
    return answer(t, concurrent(id, "its previous transaction is completing"));
  if (cur.state == txn_state::ongoing) {
    auto out = fence_and_abort(id, e, now_ms);
    out.append(answer(t, concurrent(id, "aborting the open transaction of its previous producer")));
    return out;
  }
  txn_metadata next = cur;
  clear_txn(next);
  next.state = txn_state::empty;
  next.timeout_ms = r.transaction_timeout_ms;
  next.last_update = timestamp_ms{now_ms};
  next.epoch = next_epoch(e);
  if (next.epoch.value > max_producer_epoch) {
    if (!fresh)
      return no_id();
    next.id = *fresh;
    next.epoch = producer_epoch{0};
  }
  return write(id, e, std::move(next), t, true);
}

txn_effects txn_coordinator::begin_or_extend(txn_token t, const std::string& id, producer_id pid,
                                             producer_epoch epoch, int64_t now_ms,
                                             const std::function<bool(txn_metadata&)>& change) {
  schema::error err;
  auto* e = admit(id, pid, epoch, err);
  if (!e)
    return answer(t, std::move(err));
  if (e->uncertain && is_prepare(e->uncertain->state))
    return answer(t, bad_state(id, std::string{"its "} + to_string(e->uncertain->state)
                                     + " was not confirmed: retry EndTxn"));
  auto& cur = *e->durable;
  if (is_prepare(cur.state))
    return answer(t, concurrent(id, "its previous transaction is completing"));
  txn_metadata next = cur;
  if (cur.state != txn_state::ongoing) {
    clear_txn(next);
    next.state = txn_state::ongoing;
    next.start_time = timestamp_ms{now_ms};
  }
  if (!change(next) && cur.state == txn_state::ongoing)
    return answer(t, {}); // nothing new: already in the transaction
  next.last_update = timestamp_ms{now_ms};
  return write(id, *e, std::move(next), t, false);
}

txn_effects txn_coordinator::add_partitions(txn_token t, const schema::add_partitions_to_txn_request& r,
                                            int64_t now_ms) {
  for (auto& tp : r.partitions)
    if (tp.topic.empty() || tp.partition.value < 0)
      return answer(t, {errc::invalid_request, "a partition needs a topic and a partition >= 0"});
  if (r.partitions.empty()) {
    schema::error err;
    if (!admit(r.transactional_id, r.id, r.epoch, err))
      return answer(t, std::move(err));
    return answer(t, {});
  }
  return begin_or_extend(t, r.transactional_id, r.id, r.epoch, now_ms, [&](txn_metadata& m) {
    bool added = false;
    for (auto& tp : r.partitions) {
      auto at = std::ranges::lower_bound(m.partitions, tp);
      if (at != m.partitions.end() && *at == tp)
        continue;
      m.partitions.insert(at, tp);
      added = true;
    }
    return added;
  });
}

txn_effects txn_coordinator::txn_offset_commit(txn_token t, const schema::txn_offset_commit_request& r,
                                               int64_t now_ms) {
  if (r.group.empty())
    return answer(t, {errc::invalid_group_id, "the group id is empty"});
  for (auto& o : r.offsets)
    if (o.topic.empty() || o.partition.value < 0 || o.off.value < 0)
      return answer(t, {errc::invalid_request,
                        "an offset needs a topic, a partition >= 0 and an offset >= 0"});
  return begin_or_extend(t, r.transactional_id, r.id, r.epoch, now_ms, [&](txn_metadata& m) {
    auto& offsets = m.group_offsets[r.group];
    bool changed = false;
    for (auto& o : r.offsets) {
      txn_offset v{o.topic, o.partition, o.off, o.epoch, o.metadata};
      auto at = std::ranges::find_if(offsets, [&](const txn_offset& x) {
        return x.topic == o.topic && x.partition == o.partition;
      });
      if (at == offsets.end()) {
        offsets.push_back(std::move(v));
        changed = true;
      } else if (!(*at == v)) {
        *at = std::move(v);
        changed = true;
      }
    }
    return changed;
  });
}

txn_effects txn_coordinator::end_txn(txn_token t, const schema::end_txn_request& r, int64_t now_ms) {
  auto& id = r.transactional_id;
  schema::error err;
  auto* e = admit(id, r.id, r.epoch, err);
  if (!e)
    return answer(t, std::move(err));
  auto asked = r.commit ? txn_state::prepare_commit : txn_state::prepare_abort;
  if (e->uncertain && is_prepare(e->uncertain->state)) {
    if (e->uncertain->state != asked)
      return answer(t, bad_state(id, std::string{"cannot "} + (r.commit ? "commit" : "abort")
                                       + ": its " + to_string(e->uncertain->state)
                                       + " was not confirmed: retry that"));
    return redo_decision(id, *e, t, now_ms);
  }
  auto& cur = *e->durable;
  auto done_as = r.commit ? txn_state::complete_commit : txn_state::complete_abort;
  switch (cur.state) {
    case txn_state::ongoing: {
      txn_metadata next = cur;
      next.state = asked;
      next.last_update = timestamp_ms{now_ms};
      return write(id, *e, std::move(next), t, false);
    }
    case txn_state::prepare_commit:
    case txn_state::prepare_abort:
      if (cur.state == asked)
        return answer(t, concurrent(id, "its transaction is completing"));
      return answer(t, bad_state(id, std::string{"cannot "} + (r.commit ? "commit" : "abort")
                                       + " a transaction in " + to_string(cur.state)));
    case txn_state::complete_commit:
    case txn_state::complete_abort:
      if (cur.state == done_as)
        return answer(t, {}); // a retry of the decision taken
      return answer(t, bad_state(id, std::string{"cannot "} + (r.commit ? "commit" : "abort")
                                       + ": the last transaction ended " + to_string(cur.state)));
    case txn_state::empty:
    case txn_state::dead: break;
  }
  return answer(t, bad_state(id, "no transaction to end (state " + std::string{to_string(cur.state)}
                                   + ")"));
}

// -- ending a transaction --------------------------------------------------------------------

txn_effects txn_coordinator::redo_decision(const std::string& id, entry& e,
                                           std::optional<txn_token> waiter, int64_t now_ms) {
  txn_metadata next = *e.uncertain;
  next.last_update = timestamp_ms{now_ms};
  return write(id, e, std::move(next), waiter, false);
}

txn_effects txn_coordinator::fence_and_abort(const std::string& id, entry& e, int64_t now_ms) {
  if (e.uncertain && is_prepare(e.uncertain->state))
    return redo_decision(id, e, std::nullopt, now_ms);
  txn_metadata next = *e.durable;
  next.epoch = next_epoch(e);
  next.state = txn_state::prepare_abort;
  next.last_update = timestamp_ms{now_ms};
  return write(id, e, std::move(next), std::nullopt, false);
}

txn_effects txn_coordinator::drive(const std::string& id, entry& e, int64_t now_ms) {
  auto& m = *e.durable;
  bool commit = m.state == txn_state::prepare_commit;
  e.markers_left = {m.partitions.begin(), m.partitions.end()};
  e.groups_left.clear();
  if (commit)
    for (auto& [g, _] : m.group_offsets)
      e.groups_left.insert(g);
  e.waiting = {};
  e.backoff_ms = 0;
  e.retry_at_ms = 0;
  e.complete_due = false;
  txn_effects out;
  if (!e.markers_left.empty())
    out.markers.push_back({id, m.id, m.epoch, commit, m.partitions});
  for (auto& g : e.groups_left)
    out.group_commits.push_back({id, m.id, m.epoch, g, m.group_offsets.at(g)});
  out.append(complete_if_done(id, e, now_ms));
  return out;
}

txn_effects txn_coordinator::complete_if_done(const std::string& id, entry& e, int64_t now_ms) {
  if (!e.durable || !is_prepare(e.durable->state) || e.pending || !e.markers_left.empty()
      || !e.groups_left.empty())
    return {};
  txn_metadata next = *e.durable;
  next.state = next.state == txn_state::prepare_commit ? txn_state::complete_commit
                                                       : txn_state::complete_abort;
  clear_txn(next);
  next.last_update = timestamp_ms{now_ms};
  e.complete_due = false;
  return write(id, e, std::move(next), std::nullopt, false);
}

void txn_coordinator::schedule_retry(entry& e, int64_t now_ms) {
  if (e.retry_at_ms > now_ms)
    return; // a retry round is scheduled already
  e.backoff_ms = e.backoff_ms == 0 ? limits_.retry_backoff_min_ms
                                   : std::min(2 * e.backoff_ms, limits_.retry_backoff_max_ms);
  e.retry_at_ms = now_ms + e.backoff_ms;
}

// Nothing open or ending, no decision pending, and unchanged for id_expiration_ms. An uncertain
// write that is not a decision does not hold the id: its producer was never answered success,
// and the tombstone supersedes it whether it landed or not.
bool txn_coordinator::expired(const entry& e, int64_t now_ms) const {
  auto& m = *e.durable;
  if (e.pending || e.waiter || (e.uncertain && is_prepare(e.uncertain->state)) || e.complete_due
      || !e.markers_left.empty() || !e.groups_left.empty() || e.retry_at_ms > now_ms)
    return false;
  if (m.state != txn_state::empty && !is_complete(m.state))
    return false;
  return m.last_update.value != no_timestamp.value
         && now_ms - m.last_update.value > limits_.id_expiration_ms;
}

txn_effects txn_coordinator::tick(int64_t now_ms) {
  txn_effects out;
  for (auto& [id, e] : entries_) {
    if (e.pending || !e.durable)
      continue;
    auto& m = *e.durable;
    if (expired(e, now_ms)) {
      txn_metadata dead = m;
      dead.state = txn_state::dead;
      dead.last_update = timestamp_ms{now_ms};
      out.append(write(id, e, std::move(dead), std::nullopt, false));
      continue;
    }
    if (m.state == txn_state::ongoing) {
      if (now_ms - m.start_time.value > m.timeout_ms && e.retry_at_ms <= now_ms) {
        // A failed abort is tried again after a backoff, not on every tick.
        if (e.uncertain)
          schedule_retry(e, now_ms);
        out.append(fence_and_abort(id, e, now_ms));
      }
      continue;
    }
    if (!is_prepare(m.state) || e.retry_at_ms > now_ms)
      continue;
    if (!e.waiting.partitions.empty())
      out.markers.push_back({id, m.id, m.epoch, m.state == txn_state::prepare_commit,
                             {e.waiting.partitions.begin(), e.waiting.partitions.end()}});
    for (auto& g : e.waiting.groups)
      out.group_commits.push_back({id, m.id, m.epoch, g, m.group_offsets.at(g)});
    e.waiting = {};
    if (e.complete_due)
      out.append(complete_if_done(id, e, now_ms));
  }
  return out;
}

// -- outcomes --------------------------------------------------------------------------------

txn_effects txn_coordinator::written(const std::string& id, int64_t now_ms) {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.pending)
    return {};
  auto& e = it->second;
  e.durable = std::move(*e.pending);
  e.pending.reset();
  e.uncertain.reset();
  txn_effects out;
  if (e.durable->state == txn_state::dead) {
    entries_.erase(it); // expired: its tombstone is durable (no request waits on a removal)
    return out;
  }
  if (e.waiter) {
    auto& m = *e.durable;
    out.replies.push_back({*e.waiter, {}, e.waiter_wants_id ? m.id : no_producer_id,
                           e.waiter_wants_id ? m.epoch : no_producer_epoch});
    e.waiter.reset();
  }
  if (is_prepare(e.durable->state)) {
    out.append(drive(id, e, now_ms));
  } else {
    e.markers_left.clear();
    e.groups_left.clear();
    e.waiting = {};
    e.complete_due = false;
    e.backoff_ms = 0;
    e.retry_at_ms = 0;
  }
  return out;
}

txn_effects txn_coordinator::write_failed(const std::string& id, const schema::error& why,
                                          int64_t now_ms) {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.pending)
    return {};
  auto& e = it->second;
  auto failed = std::move(*e.pending);
  e.pending.reset();
  txn_effects out;
  if (failed.state == txn_state::dead) {
    // A removal that may or may not have landed: either way a later write of the id's state
    // supersedes it, so it leaves nothing uncertain; it is tried again after a backoff.
    schedule_retry(e, now_ms);
    return out;
  }
  if (e.waiter) {
    out.replies.push_back({*e.waiter,
                           {errc::coordinator_not_available,
                            "transactional id '" + id + "': its state was not written ("
                              + why.to_string() + "): retry"},
                           no_producer_id, no_producer_epoch});
    e.waiter.reset();
  }
  if (!e.durable) {
    entries_.erase(it); // a new id: nothing of it is known to have been written
    return out;
  }
  if (is_complete(failed.state) && is_prepare(e.durable->state)) {
    e.complete_due = true; // everything was acknowledged: only Complete* is left to write
    schedule_retry(e, now_ms);
  }
  // An uncertain Prepare* fixes the decision; a later uncertain write does not undo that.
  if (!e.uncertain || !is_prepare(e.uncertain->state) || is_prepare(failed.state))
    e.uncertain = std::move(failed);
  return out;
}

txn_effects txn_coordinator::marker_result(const std::string& id, producer_id pid,
                                           producer_epoch epoch,
                                           const schema::txn_topic_partition& tp,
                                           delivery_outcome o, int64_t now_ms) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return {};
  auto& e = it->second;
  if (!e.durable || !is_prepare(e.durable->state) || e.durable->id != pid
      || e.durable->epoch != epoch || !e.markers_left.contains(tp))
    return {}; // an answer for an older decision, or a duplicate
  if (o == delivery_outcome::retry) {
    e.waiting.partitions.insert(tp);
    schedule_retry(e, now_ms);
    return {};
  }
  e.markers_left.erase(tp);
  e.waiting.partitions.erase(tp);
  return complete_if_done(id, e, now_ms);
}

txn_effects txn_coordinator::offsets_result(const std::string& id, producer_id pid,
                                            producer_epoch epoch, const std::string& group,
                                            delivery_outcome o, int64_t now_ms) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return {};
  auto& e = it->second;
  if (!e.durable || e.durable->state != txn_state::prepare_commit || e.durable->id != pid
      || e.durable->epoch != epoch || !e.groups_left.contains(group))
    return {};
  if (o == delivery_outcome::retry) {
    e.waiting.groups.insert(group);
    schedule_retry(e, now_ms);
    return {};
  }
  e.groups_left.erase(group);
  e.waiting.groups.erase(group);
  return complete_if_done(id, e, now_ms);
}

// -- loading ---------------------------------------------------------------------------------

txn_effects txn_coordinator::load(const std::string& id, txn_metadata m, int64_t now_ms) {
  txn_effects out;
  auto& e = entries_[id];
  if (e.waiter)
    out.replies.push_back({*e.waiter,
                           {errc::coordinator_not_available, "the coordinator reloaded: retry"},
                           no_producer_id, no_producer_epoch});
  e = entry{};
  e.durable = std::move(m);
  if (is_prepare(e.durable->state))
    out.append(drive(id, e, now_ms));
  return out;
}

txn_effects txn_coordinator::unload(const std::function<bool(const std::string&)>& which,
                                    const schema::error& why) {
  txn_effects out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!which(it->first)) {
      ++it;
      continue;
    }
    if (it->second.waiter)
      out.replies.push_back({*it->second.waiter, why, no_producer_id, no_producer_epoch});
    it = entries_.erase(it);
  }
  return out;
}

// -- reading ---------------------------------------------------------------------------------

const txn_metadata* txn_coordinator::find(std::string_view id) const {
  auto it = entries_.find(id);
  return it == entries_.end() || !it->second.durable ? nullptr : &*it->second.durable;
}

void txn_coordinator::for_each(
  const std::function<void(const std::string&, const txn_metadata&)>& fn) const {
  for (auto& [id, e] : entries_)
    if (e.durable)
      fn(id, *e.durable);
}

size_t txn_coordinator::markers_pending() const {
  size_t n = 0;
  for (auto& [_, e] : entries_)
    n += e.markers_left.size();
  return n;
}

std::vector<schema::txn_topic_partition> txn_coordinator::markers_left(std::string_view id) const {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return {};
  return {it->second.markers_left.begin(), it->second.markers_left.end()};
}

} // namespace sluice::actors

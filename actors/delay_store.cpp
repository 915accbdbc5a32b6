#include "actors/delay_store.hpp"

#include "store/delayed_format.hpp"
#include "store/kv_store_format.hpp"

#include <map>

namespace sluice::actors {

namespace kvf = store::kv_format;
namespace dl = store::delayed;

namespace {

constexpr const char* who = "delay index";

schema::error storage(const store::error& e) {
  return {schema::errc::storage_error, std::string{who} + ": " + e.to_string()};
}

schema::error damaged(const std::string& what) {
  return {schema::errc::storage_error, std::string{who} + ": " + what};
}

std::string part_key(partition_id p) {
  std::string out;
  kvf::append_int(out, p.value);
  return out;
}

std::string entry_key(partition_id p, int64_t deliver_at, offset o) {
  auto out = part_key(p);
  kvf::append_int(out, deliver_at);
  kvf::append_int(out, o.value);
  return out;
}

std::string seq_key(partition_id p, std::string_view topic, partition_id target) {
  auto out = part_key(p);
  kvf::append_str(out, topic);
  kvf::append_int(out, target.value);
  return out;
}

void append_bytes(std::string& out, std::string_view s) {
  kvf::append_int(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

std::optional<std::string_view> read_bytes(std::string_view& in) {
  auto rest = in;
  auto n = kvf::read_int<uint32_t>(rest);
  if (!n || rest.size() < *n)
    return std::nullopt;
  in = rest.substr(*n);
  return rest.substr(0, *n);
}

// The state value: fields in this order, int64 each but `done` (uint8).
std::string encode_state(const delay_partition_state& s) {
  std::string out;
  for (auto v : {s.pid.value, s.open.id, s.open.end_ms, s.open.below.value, s.open.count,
                 s.open.members, s.pending, s.delivered, s.skipped})
    kvf::append_int(out, v);
  kvf::append_int(out, static_cast<uint8_t>(s.open.done ? 1 : 0));
  return out;
}

std::optional<delay_partition_state> decode_state(std::string_view v) {
  delay_partition_state s;
  int64_t* fields[] = {&s.pid.value, &s.open.id,   &s.open.end_ms, &s.open.below.value, &s.open.count,
                       &s.open.members, &s.pending, &s.delivered,  &s.skipped};
  for (auto* f : fields) {
    auto x = kvf::read_int<int64_t>(v);
    if (!x)
      return std::nullopt;
    *f = *x;
  }
  auto done = kvf::read_int<uint8_t>(v);
  if (!done || !v.empty())
    return std::nullopt;
  s.open.done = *done != 0;
  return s;
}

template <class Txn>
schema::result<delay_partition_state> read_state(const Txn& txn, store::kv_db db, partition_id p) {
  auto v = txn.get(db, part_key(p));
  if (!v)
    return v.err().code == store::errc::not_found
             ? schema::result<delay_partition_state>{delay_partition_state{}}
             : schema::result<delay_partition_state>{storage(v.err())};
  auto s = decode_state(*v);
  if (!s)
    return damaged("the state of partition " + std::to_string(p.value) + " does not decode");
  return *s;
}

struct target_key {
  std::string topic;
  int32_t partition;
  auto operator<=>(const target_key&) const = default;
};

} // namespace

size_t delay_entry::payload_bytes() const {
  size_t n = 32 + topic.size() + (key ? key->size() : 0) + (value ? value->size() : 0);
  for (auto& [k, v] : headers)
    n += k.size() + v.size() + 8;
  return n;
}

std::string encode_delay_entry(const delay_entry& e) {
  std::string out;
  kvf::append_str(out, e.topic);
  kvf::append_int(out, e.partition.value);
  kvf::append_int(out, static_cast<uint8_t>((e.key ? 1 : 0) | (e.value ? 2 : 0)));
  append_bytes(out, e.key.value_or(""));
  append_bytes(out, e.value.value_or(""));
  kvf::append_int(out, static_cast<uint32_t>(e.headers.size()));
  for (auto& [k, v] : e.headers) {
    append_bytes(out, k);
    append_bytes(out, v);
  }
  return out;
}

std::optional<delay_entry> decode_delay_entry(std::string_view key, std::string_view v) {
  delay_entry e;
  auto p = kvf::read_int<int32_t>(key);
  auto at = kvf::read_int<int64_t>(key);
  auto off = kvf::read_int<int64_t>(key);
  if (!p || !at || !off || !key.empty())
    return std::nullopt;
  e.deliver_at_ms = *at;
  e.off = offset{*off};
  auto topic = kvf::read_str(v);
  auto tp = kvf::read_int<int32_t>(v);
  auto flags = kvf::read_int<uint8_t>(v);
  auto k = read_bytes(v);
  auto val = read_bytes(v);
  auto n = kvf::read_int<uint32_t>(v);
  if (!topic || !tp || !flags || !k || !val || !n)
    return std::nullopt;
  e.topic = std::string{*topic};
  e.partition = partition_id{*tp};
  if (*flags & 1)
    e.key = std::string{*k};
  if (*flags & 2)
    e.value = std::string{*val};
  for (uint32_t i = 0; i < *n; ++i) {
    auto hk = read_bytes(v);
    auto hv = read_bytes(v);
    if (!hk || !hv)
      return std::nullopt;
    e.headers.emplace_back(std::string{*hk}, std::string{*hv});
  }
  if (!v.empty())
    return std::nullopt;
  return e;
}

schema::result<std::unique_ptr<delay_store>> delay_store::open(const std::filesystem::path& dir) {
  auto kv = open_view_store(dir, who);
  if (!kv)
    return kv.err();
  auto pending = (*kv)->db("pending");
  auto open = (*kv)->db("open");
  auto seqs = (*kv)->db("seqs");
  auto state = (*kv)->db("state");
  auto applied = (*kv)->db("applied");
  for (auto* d : {&pending, &open, &seqs, &state, &applied})
    if (!*d)
      return storage(d->err());
  return std::unique_ptr<delay_store>{new delay_store(std::move(*kv), *pending, *open, *seqs,
                                                      *state, applied_offsets{*applied, who})};
}

schema::result<delay_partition_state> delay_store::state(partition_id p) const {
  auto txn = kv_->begin_read();
  if (!txn)
    return storage(txn.err());
  auto s = read_state(*txn, state_, p);
  if (!s)
    return s;
  auto through = applied_.get(*kv_, p);
  if (!through)
    return through.err();
  s->indexed_through = *through;
  return s;
}

schema::result<delay_partition_state> delay_store::index(partition_id p, offset from,
                                                         std::span<const std::byte> batches) {
  auto current = state(p);
  if (!current)
    return current;
  auto s = std::move(*current);
  auto start = std::max(from, s.indexed_through);
  auto txn = kv_->begin_write();
  if (!txn)
    return storage(txn.err());
  auto prefix = part_key(p);
  std::vector<store::record_header> headers;
  std::optional<schema::error> bad;

  auto apply_slot = [&](const dl::control_record& c) {
    if (c.fields[0] != s.open.id + 1 || !s.open.done)
      return; // a fenced leader's slot, or one closed twice
    delay_slot slot{c.fields[0], c.fields[1], offset{c.fields[2]}, c.fields[3], 0, false};
    std::vector<std::pair<std::string, std::string>> moved;
    auto st = txn->scan_prefix(pending_, prefix, [&](std::string_view k, std::string_view v) {
      if (static_cast<int64_t>(moved.size()) >= slot.count)
        return false;
      auto rest = k.substr(prefix.size());
      auto at = kvf::read_int<int64_t>(rest);
      auto off = kvf::read_int<int64_t>(rest);
      if (!at || !off || *at > slot.end_ms)
        return false;
      if (*off < slot.below.value)
        moved.emplace_back(std::string{k}, std::string{v});
      return true;
    });
    if (!st)
      bad = storage(st.err());
    for (auto& [k, v] : moved) {
      (void)txn->put(open_, k, v);
      (void)txn->del(pending_, k);
    }
    slot.members = static_cast<int64_t>(moved.size());
    s.pending -= slot.members;
    s.open = slot;
  };

  auto apply_done = [&](const dl::control_record& c) {
    if (c.fields[0] != s.open.id || s.open.done)
      return;
    std::map<target_key, int64_t> counts;
    std::vector<std::string> keys;
    auto st = txn->scan_prefix(open_, prefix, [&](std::string_view k, std::string_view v) {
      auto e = decode_delay_entry(k, v);
      if (!e) {
        bad = damaged("an open entry of partition " + std::to_string(p.value) + " does not decode");
        return false;
      }
      ++counts[{e->topic, e->partition.value}];
      keys.emplace_back(k);
      return true;
    });
    if (!st)
      bad = storage(st.err());
    for (auto& [t, n] : counts) {
      auto k = seq_key(p, t.topic, partition_id{t.partition});
      int64_t next = 0;
      if (auto v = txn->get(seqs_, k)) {
        std::string_view in{*v};
        next = kvf::read_int<int64_t>(in).value_or(0);
      }
      std::string out;
      kvf::append_int(out, (next + n) % (int64_t{INT32_MAX} + 1)); // sequences wrap to 0
      (void)txn->put(seqs_, k, out);
    }
    for (auto& k : keys)
      (void)txn->del(open_, k);
    s.delivered += s.open.members;
    s.open.done = true;
  };

  auto next = s.indexed_through;
  store::bytes_view rest{batches.data(), batches.size()};
  while (!rest.empty() && !bad) {
    auto h = store::validate_batch(rest);
    if (!h)
      return schema::error{schema::errc::corrupt_message,
                           std::string{dl::topic} + "-" + std::to_string(p.value) + ": "
                             + h.err().to_string()};
    auto batch = rest.first(h->size_bytes());
    rest = rest.subspan(h->size_bytes());
    if (h->next_offset() <= start)
      continue;
    next = std::max(next, h->next_offset());
    if (h->is_control())
      continue; // a transaction marker: nothing of the scheduler's
    store::record_reader reader{batch};
    store::record_view r;
    while (reader.next(r) && !bad) {
      if (r.off < start)
        continue;
      if (!store::decode_headers(r, headers)) {
        ++s.skipped;
        continue;
      }
      auto control = dl::parse_control(headers, r.value);
      if (!control) {
        ++s.skipped;
        continue;
      }
      if (*control) {
        auto& c = **control;
        if (c.kind == dl::control_kind::pid && s.pid.value < 0)
          s.pid = producer_id{c.fields[0]};
        else if (c.kind == dl::control_kind::slot)
          apply_slot(c);
        else if (c.kind == dl::control_kind::done)
          apply_done(c);
        continue;
      }
      auto t = dl::parse_target(headers, r.timestamp);
      if (!t) {
        ++s.skipped;
        continue;
      }
      delay_entry e{r.off, t->deliver_at_ms, t->topic, t->partition, {}, {}, {}};
      if (r.key)
        e.key = std::string{*r.key};
      if (r.value)
        e.value = std::string{*r.value};
      for (auto& hd : headers)
        if (hd.key != dl::deliver_to_header)
          e.headers.emplace_back(std::string{hd.key}, std::string{hd.value});
      (void)txn->put(pending_, entry_key(p, e.deliver_at_ms, e.off), encode_delay_entry(e));
      ++s.pending;
    }
    if (reader.error_state())
      return schema::error{schema::errc::corrupt_message,
                           std::string{dl::topic} + "-" + std::to_string(p.value) + ": "
                             + reader.error_state()->to_string()};
  }
  if (bad)
    return *bad;
  (void)txn->put(state_, prefix, encode_state(s));
  if (applied_.advances(*txn, p, next))
    applied_.set(*txn, p, next);
  if (auto st = txn->commit(); !st)
    return storage(st.err());
  s.indexed_through = std::max(s.indexed_through, next);
  return s;
}

schema::result<int64_t> delay_store::due_count(partition_id p, int64_t end_ms, offset below,
                                               int64_t max_count, size_t max_bytes) const {
  int64_t n = 0;
  size_t bytes = 0;
  auto prefix = part_key(p);
  std::optional<schema::error> bad;
  auto st = kv_->scan_prefix(pending_, prefix, [&](std::string_view k, std::string_view v) {
    if (n >= max_count)
      return false;
    auto e = decode_delay_entry(k, v);
    if (!e) {
      bad = damaged("a pending entry of partition " + std::to_string(p.value) + " does not decode");
      return false;
    }
    if (e->deliver_at_ms > end_ms)
      return false;
    if (e->off >= below)
      return true;
    bytes += e->payload_bytes();
    if (n > 0 && bytes > max_bytes)
      return false;
    ++n;
    return true;
  });
  if (!st)
    return storage(st.err());
  if (bad)
    return *bad;
  return n;
}

schema::result<std::optional<int64_t>> delay_store::next_due(partition_id p) const {
  std::optional<int64_t> out;
  auto prefix = part_key(p);
  auto st = kv_->scan_prefix(pending_, prefix, [&](std::string_view k, std::string_view) {
    auto rest = k.substr(prefix.size());
    out = kvf::read_int<int64_t>(rest);
    return false;
  });
  if (!st)
    return storage(st.err());
  return out;
}

schema::result<std::vector<delay_entry>> delay_store::open_entries(partition_id p) const {
  std::vector<delay_entry> out;
  std::optional<schema::error> bad;
  auto st = kv_->scan_prefix(open_, part_key(p), [&](std::string_view k, std::string_view v) {
    auto e = decode_delay_entry(k, v);
    if (!e) {
      bad = damaged("an open entry of partition " + std::to_string(p.value) + " does not decode");
      return false;
    }
    out.push_back(std::move(*e));
    return true;
  });
  if (!st)
    return storage(st.err());
  if (bad)
    return *bad;
  return out;
}

schema::result<int32_t> delay_store::next_sequence(partition_id p, std::string_view topic,
                                                   partition_id target) const {
  auto v = kv_->get(seqs_, seq_key(p, topic, target));
  if (!v)
    return v.err().code == store::errc::not_found ? schema::result<int32_t>{0}
                                                   : schema::result<int32_t>{storage(v.err())};
  std::string_view in{*v};
  auto n = kvf::read_int<int64_t>(in);
  if (!n)
    return damaged("a sequence of partition " + std::to_string(p.value) + " does not decode");
  return static_cast<int32_t>(*n);
}

} // namespace sluice::actors

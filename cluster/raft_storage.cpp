#include "cluster/raft_storage.hpp"

#include "store/kv_store_format.hpp"

#include <algorithm>

namespace sluice::cluster {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t format_version = 1;
constexpr std::string_view hard_key = "hard";
constexpr std::string_view snapshot_key = "snap";

schema::error storage(const std::string& what) {
  return {schema::errc::storage_error, "raft storage: " + what};
}

schema::error storage(const store::error& e) { return storage(e.to_string()); }

std::string index_key(log_index i) {
  std::string out;
  kvf::append_int(out, i.value);
  return out;
}

std::string encode_hard(const hard_state& h) {
  std::string out;
  kvf::append_int(out, format_version);
  kvf::append_int(out, h.term.value);
  kvf::append_int(out, static_cast<uint8_t>(h.voted_for ? 1 : 0));
  kvf::append_int(out, h.voted_for.value_or(node_id{0}).value);
  return out;
}

std::optional<hard_state> decode_hard(std::string_view v) {
  auto version = kvf::read_int<uint8_t>(v);
  auto term = kvf::read_int<int64_t>(v);
  auto voted = kvf::read_int<uint8_t>(v);
  auto vote = kvf::read_int<int32_t>(v);
  if (version != format_version || !term || !voted || *voted > 1 || !vote || !v.empty())
    return std::nullopt;
  hard_state h{raft_term{*term}, std::nullopt};
  if (*voted == 1)
    h.voted_for = node_id{*vote};
  return h;
}

std::string encode_snapshot(const raft_snapshot& s) {
  std::string out;
  kvf::append_int(out, format_version);
  kvf::append_int(out, s.index.value);
  kvf::append_int(out, s.term.value);
  out += s.data;
  return out;
}

std::optional<raft_snapshot> decode_snapshot(std::string_view v) {
  auto version = kvf::read_int<uint8_t>(v);
  auto index = kvf::read_int<int64_t>(v);
  auto term = kvf::read_int<int64_t>(v);
  if (version != format_version || !index || *index < 1 || !term || *term < 1)
    return std::nullopt;
  return raft_snapshot{log_index{*index}, raft_term{*term}, std::string{v}};
}

std::string encode_entry(const log_entry& e) {
  std::string out;
  kvf::append_int(out, format_version);
  kvf::append_int(out, e.term.value);
  out += e.command;
  return out;
}

} // namespace

schema::result<std::unique_ptr<raft_storage>> raft_storage::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return storage("create " + dir.string() + ": " + ec.message());
  auto kv = store::kv_store::open(dir); // sync_on_commit: the durability rule needs the fsync
  if (!kv)
    return storage(kv.err());
  auto state = (*kv)->db("raft_state");
  auto snapshot = (*kv)->db("raft_snapshot");
  auto log = (*kv)->db("raft_log");
  if (!state || !snapshot || !log)
    return storage(!state ? state.err() : !snapshot ? snapshot.err() : log.err());
  return std::unique_ptr<raft_storage>{
    new raft_storage(std::move(*kv), *state, *snapshot, *log)};
}

schema::result<raft_persisted> raft_storage::load() {
  raft_persisted out;
  auto hard = kv_->get(state_, hard_key);
  if (hard) {
    auto h = decode_hard(*hard);
    if (!h)
      return storage("the hard state does not decode");
    out.hard = *h;
  } else if (hard.err().code != store::errc::not_found) {
    return storage(hard.err());
  }
  auto snap = kv_->get(snapshot_, snapshot_key);
  if (snap) {
    out.snapshot = decode_snapshot(*snap);
    if (!out.snapshot)
      return storage("the snapshot does not decode");
    if (out.snapshot->term > out.hard.term)
      return storage("the snapshot holds term " + std::to_string(out.snapshot->term.value)
                     + ", beyond the hard state's term " + std::to_string(out.hard.term.value));
  } else if (snap.err().code != store::errc::not_found) {
    return storage(snap.err());
  }
  auto first = out.snapshot ? out.snapshot->index.value + 1 : 1;
  auto floor_term = out.snapshot ? out.snapshot->term.value : 0;
  std::optional<schema::error> bad;
  auto st = kv_->scan_prefix(log_, "", [&](std::string_view k, std::string_view v) {
    auto key = k;
    auto index = kvf::read_int<int64_t>(key);
    auto version = kvf::read_int<uint8_t>(v);
    auto term = kvf::read_int<int64_t>(v);
    auto expected = first + static_cast<int64_t>(out.log.size());
    if (!index || !key.empty() || version != format_version || !term) {
      bad = storage("log record " + std::to_string(expected) + " does not decode");
      return false;
    }
    if (*index != expected) {
      bad = storage("log index " + std::to_string(*index) + " where " + std::to_string(expected)
                    + " was expected (" + (*index > expected ? "a gap" : "covered by the snapshot")
                    + ")");
      return false;
    }
    if (*term < (out.log.empty() ? floor_term : out.log.back().term.value)) {
      bad = storage("log term decreases at index " + std::to_string(*index));
      return false;
    }
    out.log.push_back({raft_term{*term}, log_index{*index}, std::string{v}});
    return true;
  });
  if (!st)
    return storage(st.err());
  if (bad)
    return *bad;
  if (!out.log.empty() && out.log.back().term > out.hard.term)
    return storage("the log holds term " + std::to_string(out.log.back().term.value)
                   + ", beyond the hard state's term " + std::to_string(out.hard.term.value));
  snapshot_index_ = log_index{first - 1};
  last_ = log_index{first - 1 + static_cast<int64_t>(out.log.size())};
  return out;
}

schema::status raft_storage::persist(const raft_ready& ready) {
  if (!ready.hard && !ready.snapshot && !ready.truncate_from && ready.entries.empty())
    return {};
  auto txn = kv_->begin_write();
  if (!txn)
    return storage(txn.err());
  auto snapshot_index = snapshot_index_;
  auto last = last_;
  // The first failed write fails the transaction (kv_write_txn), so commit() reports it.
  if (ready.snapshot) {
    auto& s = *ready.snapshot;
    if (s.index <= snapshot_index)
      return storage("snapshot at " + std::to_string(s.index.value) + " does not go beyond "
                     + std::to_string(snapshot_index.value));
    (void)txn->put(snapshot_, snapshot_key, encode_snapshot(s));
    for (auto i = snapshot_index + 1; i <= std::min(s.index, last); ++i)
      (void)txn->del(log_, index_key(i));
    snapshot_index = s.index;
    last = std::max(last, s.index);
  }
  if (ready.truncate_from) {
    // Entries the snapshot covers are gone already; the log may not shrink below it.
    for (auto i = std::max(*ready.truncate_from, snapshot_index + 1); i <= last; ++i)
      (void)txn->del(log_, index_key(i));
    last = std::max(snapshot_index, std::min(last, *ready.truncate_from - 1));
  }
  for (auto& e : ready.entries) {
    if (e.index.value != last.value + 1)
      return storage("entry " + std::to_string(e.index.value) + " does not follow "
                     + std::to_string(last.value));
    (void)txn->put(log_, index_key(e.index), encode_entry(e));
    last = e.index;
  }
  if (ready.hard)
    (void)txn->put(state_, hard_key, encode_hard(*ready.hard));
  if (auto st = txn->commit(); !st)
    return storage(st.err());
  snapshot_index_ = snapshot_index;
  last_ = last;
  return {};
}

} // namespace sluice::cluster

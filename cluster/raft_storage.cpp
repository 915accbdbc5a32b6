#include "cluster/raft_storage.hpp"

#include "store/kv_store_format.hpp"

namespace sluice::cluster {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t format_version = 1;
constexpr std::string_view hard_key = "hard";

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
  auto log = (*kv)->db("raft_log");
  if (!state || !log)
    return storage(!state ? state.err() : log.err());
  return std::unique_ptr<raft_storage>{new raft_storage(std::move(*kv), *state, *log)};
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
  std::optional<schema::error> bad;
  auto st = kv_->scan_prefix(log_, "", [&](std::string_view k, std::string_view v) {
    auto key = k;
    auto index = kvf::read_int<int64_t>(key);
    auto version = kvf::read_int<uint8_t>(v);
    auto term = kvf::read_int<int64_t>(v);
    auto expected = static_cast<int64_t>(out.log.size()) + 1;
    if (!index || !key.empty() || version != format_version || !term) {
      bad = storage("log record " + std::to_string(expected) + " does not decode");
      return false;
    }
    if (*index != expected) {
      bad = storage("log index " + std::to_string(*index) + " where " + std::to_string(expected)
                    + " was expected (a gap)");
      return false;
    }
    if (!out.log.empty() && *term < out.log.back().term.value) {
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
  last_ = log_index{static_cast<int64_t>(out.log.size())};
  return out;
}

schema::status raft_storage::persist(const raft_ready& ready) {
  if (!ready.hard && !ready.truncate_from && ready.entries.empty())
    return {};
  auto txn = kv_->begin_write();
  if (!txn)
    return storage(txn.err());
  auto last = last_;
  // The first failed write fails the transaction (kv_write_txn), so commit() reports it.
  if (ready.truncate_from) {
    for (auto i = *ready.truncate_from; i <= last; i = log_index{i.value + 1})
      (void)txn->del(log_, index_key(i));
    if (ready.truncate_from->value <= last.value)
      last = log_index{ready.truncate_from->value - 1};
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
  last_ = last;
  return {};
}

} // namespace sluice::cluster

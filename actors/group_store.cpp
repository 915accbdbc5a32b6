#include "actors/group_store.hpp"

#include "store/kv_store_format.hpp"

#include <algorithm>

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

schema::error storage(const store::error& e) {
  return {schema::errc::storage_error, "group store: " + e.to_string()};
}

schema::error undecodable(std::string_view what, std::string_view key) {
  return {schema::errc::storage_error,
          "group store: a record of " + std::string{what} + " does not decode (key "
            + std::to_string(key.size()) + " bytes)"};
}

std::string group_key(std::string_view group) {
  std::string out;
  kvf::append_str(out, group);
  return out;
}

// The value under `key` in `db`, decoded; nullopt when there is none. `what` names the
// database in errors.
template <class Value, class Decode>
schema::result<std::optional<Value>> get_decoded(const store::kv_store& kv, store::kv_db db,
                                                 std::string_view what, const std::string& key,
                                                 Decode decode) {
  auto v = kv.get(db, key);
  if (!v) {
    if (v.err().code == store::errc::not_found)
      return std::optional<Value>{};
    return storage(v.err());
  }
  auto x = decode(*v);
  if (!x)
    return undecodable(what, key);
  return std::optional<Value>{std::move(*x)};
}

// Every record of `group` in `db`, whose keys are (group, topic, partition), as
// Record{group, topic, partition, value}; the first value that does not decode is an error.
template <class Record, class Decode>
schema::result<std::vector<Record>> scan_group(const store::kv_store& kv, store::kv_db db,
                                               std::string_view what, std::string_view group,
                                               Decode decode) {
  std::vector<Record> out;
  std::optional<schema::error> bad;
  auto prefix = group_key(group);
  auto st = kv.scan_prefix(db, prefix, [&](std::string_view k, std::string_view v) {
    auto rest = k.substr(prefix.size());
    auto tp = kvf::parse_partition_key(rest);
    auto x = decode(v);
    if (!tp || !x) {
      bad = undecodable(what, k);
      return false;
    }
    out.push_back({std::string{group}, std::move(tp->topic), tp->partition, std::move(*x)});
    return true;
  });
  if (!st)
    return storage(st.err());
  if (bad)
    return *bad;
  return out;
}

} // namespace

schema::result<std::unique_ptr<group_store>> group_store::open(const std::filesystem::path& dir) {
  auto kv = open_view_store(dir, "group store");
  if (!kv)
    return kv.err();
  auto offsets = (*kv)->db("offsets");
  auto groups = (*kv)->db("groups");
  auto applied = (*kv)->db("applied");
  auto shares = (*kv)->db("shares");
  if (!offsets || !groups || !applied || !shares)
    return storage(!offsets ? offsets.err() : !groups ? groups.err() : !applied ? applied.err() : shares.err());
  return std::unique_ptr<group_store>{new group_store(std::move(*kv), *offsets, *groups, *shares,
                                                      applied_offsets{*applied, "group store"})};
}

schema::result<offset> group_store::applied(partition_id p) const {
  return applied_.get(*kv_, p);
}

schema::status group_store::apply(partition_id p, offset next,
                                  std::span<const offsets_record> records) {
  auto txn = kv_->begin_write();
  if (!txn)
    return storage(txn.err());
  if (!applied_.advances(*txn, p, next))
    return {}; // already reflected: a replay of an applied range
  // The first failed write fails the transaction (kv_write_txn), so commit() reports it.
  for (auto& r : records) {
    if (auto* c = std::get_if<offset_commit_record>(&r)) {
      auto key = kvf::group_partition_key(c->group, c->topic, c->partition);
      (void)(c->value ? txn->put(offsets_, key, encode_committed(*c->value)) : txn->del(offsets_, key));
      continue;
    }
    if (auto* sh = std::get_if<share_state_record>(&r)) {
      auto key = kvf::group_partition_key(sh->group, sh->topic, sh->partition);
      (void)(sh->value ? txn->put(shares_, key, encode_share_value(*sh->value)) : txn->del(shares_, key));
      continue;
    }
    auto& g = std::get<group_metadata_record>(r);
    auto key = group_key(g.group);
    if (g.value) {
      (void)txn->put(groups_, key, encode_group_value(*g.value));
      continue;
    }
    // A deleted group takes its offsets with it.
    (void)txn->del(groups_, key);
    std::vector<std::string> gone;
    auto scanned = txn->scan_prefix(offsets_, key, [&](std::string_view k, std::string_view) {
      gone.emplace_back(k);
      return true;
    });
    if (!scanned)
      return storage(scanned.err());
    for (auto& k : gone)
      (void)txn->del(offsets_, k);
  }
  applied_.set(*txn, p, next);
  if (auto st = txn->commit(); !st)
    return storage(st.err());
  return {};
}

schema::result<std::vector<offset_commit_record>>
group_store::offsets(std::string_view group) const {
  return scan_group<offset_commit_record>(*kv_, offsets_, "offsets", group, decode_committed);
}

schema::result<std::optional<group_metadata_value>>
group_store::group(std::string_view group) const {
  return get_decoded<group_metadata_value>(*kv_, groups_, "groups", group_key(group), decode_group_value);
}

schema::result<std::vector<std::string>> group_store::groups() const {
  std::vector<std::string> out;
  auto st = kv_->scan_prefix(groups_, "", [&](std::string_view k, std::string_view) {
    auto rest = k;
    if (auto name = kvf::read_str(rest))
      out.emplace_back(*name);
    return true;
  });
  if (!st)
    return storage(st.err());
  std::ranges::sort(out);
  return out;
}

schema::result<std::optional<share_state_value>>
group_store::share_state(std::string_view group, std::string_view topic, partition_id p) const {
  return get_decoded<share_state_value>(*kv_, shares_, "shares", kvf::group_partition_key(group, topic, p),
                                        decode_share_value);
}

schema::result<std::vector<share_state_record>> group_store::share_states(std::string_view group) const {
  return scan_group<share_state_record>(*kv_, shares_, "shares", group, decode_share_value);
}

schema::result<std::vector<std::string>> group_store::share_groups() const {
  std::vector<std::string> out;
  auto st = kv_->scan_prefix(shares_, "", [&](std::string_view k, std::string_view) {
    auto rest = k;
    if (auto name = kvf::read_str(rest); name && (out.empty() || out.back() != *name))
      out.emplace_back(*name);
    return true;
  });
  if (!st)
    return storage(st.err());
  return out;
}

} // namespace sluice::actors

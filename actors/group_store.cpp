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
  std::vector<offset_commit_record> out;
  std::optional<schema::error> bad;
  auto prefix = group_key(group);
  auto st = kv_->scan_prefix(offsets_, prefix, [&](std::string_view k, std::string_view v) {
    auto rest = k.substr(prefix.size());
    auto tp = kvf::parse_partition_key(rest);
    auto c = decode_committed(v);
    if (!tp || !c) {
      bad = undecodable("offsets", k);
      return false;
    }
    out.push_back({std::string{group}, std::move(tp->topic), tp->partition, std::move(*c)});
    return true;
  });
  if (!st)
    return storage(st.err());
  if (bad)
    return *bad;
  return out;
}

schema::result<std::optional<group_metadata_value>>
group_store::group(std::string_view group) const {
  auto v = kv_->get(groups_, group_key(group));
  if (!v) {
    if (v.err().code == store::errc::not_found)
      return std::optional<group_metadata_value>{};
    return storage(v.err());
  }
  auto g = decode_group_value(*v);
  if (!g)
    return undecodable("groups", group_key(group));
  return std::optional<group_metadata_value>{std::move(*g)};
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
  auto key = kvf::group_partition_key(group, topic, p);
  auto v = kv_->get(shares_, key);
  if (!v) {
    if (v.err().code == store::errc::not_found)
      return std::optional<share_state_value>{};
    return storage(v.err());
  }
  auto s = decode_share_value(*v);
  if (!s)
    return undecodable("shares", key);
  return std::optional<share_state_value>{std::move(*s)};
}

schema::result<std::vector<share_state_record>> group_store::share_states(std::string_view group) const {
  std::vector<share_state_record> out;
  std::optional<schema::error> bad;
  auto prefix = group_key(group);
  auto st = kv_->scan_prefix(shares_, prefix, [&](std::string_view k, std::string_view v) {
    auto rest = k.substr(prefix.size());
    auto tp = kvf::parse_partition_key(rest);
    auto s = decode_share_value(v);
    if (!tp || !s) {
      bad = undecodable("shares", k);
      return false;
    }
    out.push_back({std::string{group}, std::move(tp->topic), tp->partition, std::move(*s)});
    return true;
  });
  if (!st)
    return storage(st.err());
  if (bad)
    return *bad;
  return out;
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

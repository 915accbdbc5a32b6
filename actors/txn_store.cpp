#include "actors/txn_store.hpp"

#include "store/kv_store_format.hpp"

#include <algorithm>

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

constexpr const char* who = "transaction store";

schema::error storage(const store::error& e) {
  return {schema::errc::storage_error, std::string{who} + ": " + e.to_string()};
}

std::string id_key(std::string_view id) {
  std::string out;
  kvf::append_str(out, id);
  return out;
}

} // namespace

schema::result<std::unique_ptr<txn_store>> txn_store::open(const std::filesystem::path& dir) {
  auto kv = open_view_store(dir, who);
  if (!kv)
    return kv.err();
  auto txns = (*kv)->db("transactions");
  auto applied = (*kv)->db("applied");
  if (!txns || !applied)
    return storage(!txns ? txns.err() : applied.err());
  return std::unique_ptr<txn_store>{
    new txn_store(std::move(*kv), *txns, applied_offsets{*applied, who})};
}

schema::result<offset> txn_store::applied(partition_id p) const {
  return applied_.get(*kv_, p);
}

schema::status txn_store::apply(partition_id p, offset next, std::span<const txn_record> records) {
  auto txn = kv_->begin_write();
  if (!txn)
    return storage(txn.err());
  if (!applied_.advances(*txn, p, next))
    return {};
  // The first failed write fails the transaction (kv_write_txn), so commit() reports it.
  for (auto& r : records) {
    auto key = id_key(r.transactional_id);
    (void)(r.value ? txn->put(txns_, key, encode_txn_metadata(*r.value)) : txn->del(txns_, key));
  }
  applied_.set(*txn, p, next);
  if (auto st = txn->commit(); !st)
    return storage(st.err());
  return {};
}

schema::result<std::vector<std::pair<std::string, txn_metadata>>> txn_store::transactions() const {
  std::vector<std::pair<std::string, txn_metadata>> out;
  std::optional<schema::error> bad;
  auto st = kv_->scan_prefix(txns_, "", [&](std::string_view k, std::string_view v) {
    auto rest = k;
    auto id = kvf::read_str(rest);
    auto m = decode_txn_metadata(v);
    if (!id || !rest.empty() || !m) {
      bad = schema::error{schema::errc::storage_error,
                          std::string{who} + ": a record does not decode (key "
                            + std::to_string(k.size()) + " bytes)"};
      return false;
    }
    out.emplace_back(std::string{*id}, std::move(*m));
    return true;
  });
  if (!st)
    return storage(st.err());
  if (bad)
    return *bad;
  // Keys sort by (length, bytes) (kv_store_format.hpp); callers want id order.
  std::ranges::sort(out, {}, &std::pair<std::string, txn_metadata>::first);
  return out;
}

} // namespace sluice::actors

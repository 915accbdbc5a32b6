#include "actors/applied_offsets.hpp"

#include "store/kv_store_format.hpp"

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

std::string applied_key(partition_id p) {
  std::string out;
  kvf::append_int(out, p.value);
  return out;
}

} // namespace

schema::result<std::unique_ptr<store::kv_store>> open_view_store(const std::filesystem::path& dir,
                                                                 std::string_view who) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return schema::error{schema::errc::storage_error,
                         std::string{who} + ": create " + dir.string() + ": " + ec.message()};
  store::kv_options options;
  options.sync_on_commit = false;
  auto kv = store::kv_store::open(dir, options);
  if (!kv)
    return schema::error{schema::errc::storage_error, std::string{who} + ": " + kv.err().to_string()};
  return std::move(*kv);
}

schema::error applied_offsets::storage(const store::error& e) const {
  return {schema::errc::storage_error, who_ + ": " + e.to_string()};
}

schema::result<offset> applied_offsets::get(const store::kv_store& kv, partition_id p) const {
  auto v = kv.get(db_, applied_key(p));
  if (!v)
    return v.err().code == store::errc::not_found ? schema::result<offset>{offset{0}}
                                                   : schema::result<offset>{storage(v.err())};
  auto o = kvf::decode_offset(*v);
  if (!o)
    return schema::error{schema::errc::storage_error,
                         who_ + ": the applied offset of partition " + std::to_string(p.value)
                           + " does not decode"};
  return *o;
}

bool applied_offsets::advances(const store::kv_write_txn& txn, partition_id p, offset next) const {
  auto current = txn.get(db_, applied_key(p));
  if (!current)
    return true;
  auto o = kvf::decode_offset(*current);
  return !o || *o < next;
}

void applied_offsets::set(store::kv_write_txn& txn, partition_id p, offset next) const {
  // A failed put fails the transaction (kv_write_txn), so the caller's commit() reports it.
  (void)txn.put(db_, applied_key(p), kvf::encode_offset(next));
}

} // namespace sluice::actors

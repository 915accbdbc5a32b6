#pragma once

// The `applied` database of a manager's materialised view of an internal topic (group_store,
// txn_store): per partition of the topic, the next log offset the view reflects. The view's
// records and this offset move in one write transaction, which is what lets a replay from
// get(p) repair any crash.

#include "schema/result.hpp"
#include "store/kv_store.hpp"
#include "store/types.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace sluice::actors {

// The LMDB environment of a materialised view in `dir`, created if missing. Commits are not
// synced: after a crash the view replays its topic from the applied offsets it kept. Errors
// are storage_error naming `who`.
schema::result<std::unique_ptr<store::kv_store>> open_view_store(const std::filesystem::path& dir,
                                                                 std::string_view who);

class applied_offsets {
public:
  // `who` names the view in error messages ("group store").
  applied_offsets(store::kv_db db, std::string who) : db_(db), who_(std::move(who)) {}

  // 0 for a partition never applied.
  schema::result<offset> get(const store::kv_store& kv, partition_id p) const;
  // Whether `next` moves p forward; a replay of an applied range does not.
  bool advances(const store::kv_write_txn& txn, partition_id p, offset next) const;
  void set(store::kv_write_txn& txn, partition_id p, offset next) const;

  schema::error storage(const store::error& e) const;

private:
  store::kv_db db_;
  std::string who_;
};

} // namespace sluice::actors

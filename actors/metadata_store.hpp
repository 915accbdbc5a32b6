#pragma once

// Where the metadata actor keeps the topic table: the named database "topics" of the node's
// LMDB environment (DATA/meta), one key per topic (its name), value:
//
//   u8 version (1) | int32 partitions | int16 replication_factor | u32 config count |
//   count x (str key, str value)                       (encodings of store/kv_store_format.hpp)
//
// and (a single node's producer ids, issue 9) the named database "producer_ids", key "next":
// int64, the first producer id no block has covered yet (absent: 0).
//
// Owned by the metadata actor; every call is one LMDB transaction in the caller's thread.

#include "actors/topic_spec.hpp"
#include "schema/result.hpp"
#include "store/kv_store.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

std::string encode_topic_spec(const topic_spec& spec);
// nullopt when the bytes are not a version-1 record.
std::optional<topic_spec> decode_topic_spec(std::string_view name, std::string_view value);

class metadata_store {
public:
  // Errors are storage_error with the LMDB message.
  static schema::result<std::unique_ptr<metadata_store>> open(const std::filesystem::path& dir);

  // Every topic; a record that does not decode is storage_error (never silently dropped).
  schema::result<std::vector<topic_spec>> load() const;
  schema::status put(const topic_spec& spec);
  schema::status erase(std::string_view name);
  // Reserves the next `count` producer ids in one transaction (durable before it returns, so
  // a restarted node never hands out an id twice) and returns the first.
  schema::result<producer_id> allocate_producer_ids(int32_t count);

private:
  metadata_store(std::unique_ptr<store::kv_store> kv, store::kv_db topics, store::kv_db pids)
    : kv_(std::move(kv)), topics_(topics), producer_ids_(pids) {}

  std::unique_ptr<store::kv_store> kv_;
  store::kv_db topics_;
  store::kv_db producer_ids_;
};

} // namespace sluice::actors

#pragma once

// Where the metadata actor keeps the topic table: the named database "topics" of the node's
// LMDB environment (DATA/meta), one key per topic (its name), value:
//
//   u8 version (1) | int32 partitions | int16 replication_factor | u32 config count |
//   count x (str key, str value)                       (encodings of store/kv_store_format.hpp)
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

private:
  metadata_store(std::unique_ptr<store::kv_store> kv, store::kv_db topics)
    : kv_(std::move(kv)), topics_(topics) {}

  std::unique_ptr<store::kv_store> kv_;
  store::kv_db topics_;
};

} // namespace sluice::actors

#pragma once

// The commands of the replicated metadata log (issue 6): what the controller leader proposes to
// Raft (cluster/raft_actor.hpp) after validating a request against its topic_table, and what
// every controller applies, in log order, to its own table. Like KRaft's records they state
// results, not requests (a put carries the validated spec, not the create request), so applying
// is deterministic and cannot fail on a valid record: every replica ends with the same table.
//
//   record = u8 version (1) | u8 type | payload        (encodings of store/kv_store_format.hpp)
//     type 0  topic put     str(name) | the value of actors/metadata_store.hpp's topic record
//     type 1  topic delete  str(name)
//
// Broker registrations and fencing (cluster/broker_registry.hpp) join this list when the
// metadata actor moves onto Raft.

#include "actors/topic_spec.hpp"
#include "actors/topic_table.hpp"
#include "schema/result.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace sluice::actors {

struct topic_put_record {
  topic_spec spec;
  bool operator==(const topic_put_record&) const = default;
};

struct topic_delete_record {
  std::string name;
  bool operator==(const topic_delete_record&) const = default;
};

using metadata_record = std::variant<topic_put_record, topic_delete_record>;

std::string encode_metadata_record(const metadata_record& r);
// corrupt_message for bytes that are not a version-1 record.
schema::result<metadata_record> decode_metadata_record(std::string_view bytes);

// Applies `r` to `table` (the Raft apply step).
void apply_metadata_record(topic_table& table, const metadata_record& r);

} // namespace sluice::actors

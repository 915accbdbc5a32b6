#pragma once

// Request decoders and response encoders of the Kafka APIs the listener serves, at the versions
// of kafka/api.hpp. Pure functions, no I/O. A request decodes straight into the Sluice request
// it becomes (schema/*.hpp); a response encodes from the Sluice response it answers, so the
// listener (actors/kafka_listener.hpp) only forwards. Decoders read the body after the request
// header and never read outside it: a truncated or malformed body is corrupt_message (the
// listener closes the connection, as a Kafka broker does with a request it cannot parse);
// values the protocol forbids are refused per partition or topic where Kafka does so.
// Encoders append the body to `out` (after begin_response, kafka/request_header.hpp).

#include "kafka/wire.hpp"
#include "schema/fetch.hpp"
#include "schema/group.hpp"
#include "schema/metadata.hpp"
#include "schema/offsets.hpp"
#include "schema/produce.hpp"
#include "schema/result.hpp"
#include "schema/topics.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::kafka {

// ApiVersions v0-v2. A request of a version above 2 is answered in the v0 layout with
// unsupported_version and the list (KIP-511): pass version 0 and that error.
void encode_api_versions(std::vector<std::byte>& out, int16_t version, int16_t error_code);

// Metadata v0-v1. In v0 an empty topic list asks for every topic; in v1 a null list does.
schema::result<schema::metadata_request> decode_metadata(bytes_view body, int16_t version);
// `md.brokers` must already hold the Kafka listeners' addresses. A partition without a leader
// is reported with leader_not_available.
void encode_metadata(std::vector<std::byte>& out, int16_t version,
                     const schema::metadata_response& md);

// Produce v3. Partitions whose record set does not translate (kafka/record_batch.hpp) are not
// in `request` but in `refused`, answered with their error alongside the others. Kafka sends
// no response at all for acks=0.
struct produce_decoded {
  schema::produce_request request;
  std::vector<schema::produce_response::partition_response> refused;
};
schema::result<produce_decoded> decode_produce(bytes_view body, int16_t version);
void encode_produce(std::vector<std::byte>& out, int16_t version,
                    const std::vector<schema::produce_response::partition_response>& partitions);

// Fetch v4. Records go out translated to Kafka batches.
schema::result<schema::fetch_request> decode_fetch(bytes_view body, int16_t version);
void encode_fetch(std::vector<std::byte>& out, int16_t version,
                  const schema::fetch_response& response);

// ListOffsets v1: timestamp -1 asks for the latest offset, -2 for the earliest.
schema::result<schema::list_offsets_request> decode_list_offsets(bytes_view body, int16_t version);
void encode_list_offsets(std::vector<std::byte>& out, int16_t version,
                         const schema::list_offsets_response& response);

// FindCoordinator v0: the group id.
schema::result<std::string> decode_find_coordinator(bytes_view body, int16_t version);
void encode_find_coordinator(std::vector<std::byte>& out, int16_t version, int16_t error_code,
                             const schema::metadata_response::broker& coordinator);

// JoinGroup v0-v1 of protocol type "consumer": each protocol's metadata is the consumer
// protocol's subscription (kafka/consumer_protocol.hpp); the topics of the first become the
// Sluice member's subscription. Sluice's coordinator assigns partitions itself
// (actors/group_membership.hpp), so the response names no member of the group as its leader:
// every client is a follower, sends an empty SyncGroup and gets its assignment from it.
schema::result<schema::join_group_request> decode_join_group(bytes_view body, int16_t version);
void encode_join_group(std::vector<std::byte>& out, int16_t version,
                       const schema::join_group_response& response);
// The leader id a JoinGroup response carries: no member's id.
inline constexpr const char* coordinator_leader_id = "sluice-coordinator";

// SyncGroup v0: the assignments a client-side leader sends are ignored (see above).
schema::result<schema::sync_group_request> decode_sync_group(bytes_view body, int16_t version);
void encode_sync_group(std::vector<std::byte>& out, int16_t version,
                       const schema::sync_group_response& response);

schema::result<schema::heartbeat_request> decode_heartbeat(bytes_view body, int16_t version);
void encode_heartbeat(std::vector<std::byte>& out, int16_t version, const schema::error& error);

schema::result<schema::leave_group_request> decode_leave_group(bytes_view body, int16_t version);
void encode_leave_group(std::vector<std::byte>& out, int16_t version, const schema::error& error);

// OffsetCommit v2 (retention time ignored: Sluice keeps committed offsets until the group is
// deleted) and OffsetFetch v1.
schema::result<schema::offset_commit_request> decode_offset_commit(bytes_view body, int16_t version);
void encode_offset_commit(std::vector<std::byte>& out, int16_t version,
                          const schema::offset_commit_response& response);
schema::result<schema::offset_fetch_request> decode_offset_fetch(bytes_view body, int16_t version);
// v1 has no group-level error: a group error is reported on every partition asked for.
void encode_offset_fetch(std::vector<std::byte>& out, int16_t version,
                         const schema::offset_fetch_request& request,
                         const schema::offset_fetch_response& response);

// CreateTopics v0 and DeleteTopics v0. A topic with manual replica assignments is refused
// (`refused`, invalid_request): Sluice places replicas itself.
struct create_topics_decoded {
  schema::create_topics_request request;
  std::vector<schema::topic_result> refused;
};
schema::result<create_topics_decoded> decode_create_topics(bytes_view body, int16_t version);
schema::result<schema::delete_topics_request> decode_delete_topics(bytes_view body, int16_t version);
// CreateTopics v0 and DeleteTopics v0 responses have the same layout: [name, error_code].
void encode_topic_results(std::vector<std::byte>& out, int16_t version,
                          const std::vector<schema::topic_result>& topics);

} // namespace sluice::kafka

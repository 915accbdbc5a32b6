#pragma once

// Translation between Kafka record batches v2 (kafka/record_batch_format.hpp) and Sluice
// batches (store/batch_format.hpp): one header rewrite and one CRC per batch, records copied
// as they are (both sides use Kafka's record v2 layout).

#include "schema/result.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace sluice::kafka {

// Appends the Sluice form of every Kafka batch in `kafka_records` (a Produce request's record
// set) to `out`. Refuses the whole set, leaving `out` as it was, when a batch is cut short, has
// a length below its header or above Sluice's max batch, another magic than 2 (older message
// formats), a CRC that does not match (corrupt_message) or compression (invalid_request:
// Sluice stores uncompressed batches only). An empty set is invalid_request too.
schema::status to_sluice(std::span<const std::byte> kafka_records, std::vector<std::byte>& out);

// Appends the Kafka form of every Sluice batch in `sluice_records` (a fetch response's
// records, whole batches as stored) to `out`. Stops at the first incomplete or impossible
// header: a fetch answer is read by the client up to what it can parse, as Kafka's own
// truncated last batch is.
void to_kafka(std::span<const std::byte> sluice_records, std::vector<std::byte>& out);

// The size to_kafka(sluice_records) appends, for reserving.
size_t kafka_size(std::span<const std::byte> sluice_records);

} // namespace sluice::kafka

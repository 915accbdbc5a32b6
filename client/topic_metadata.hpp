#pragma once

#include "client/connection.hpp"
#include "schema/metadata.hpp"

#include <string>
#include <vector>

namespace sluice::client {

// The metadata of the named topics, each checked: an unknown topic is an error
// ("unknown topic 'T'"), as is a topic without partitions.
result<std::vector<schema::metadata_response::topic_metadata>>
fetch_topic_metadata(const connection& conn, const std::vector<std::string>& topics);

// An error for a topic the node does not know, with the code the node uses for it.
error unknown_topic(const std::string& topic);

} // namespace sluice::client

#pragma once

#include "actors/metadata_interface.hpp"
#include "actors/topic_table.hpp"
#include "schema/metadata.hpp"

#include <caf/actor_system.hpp>

#include <filesystem>

namespace sluice::actors {

struct metadata_args {
  std::filesystem::path dir; // the node's LMDB environment, DATA/meta
  topic_config defaults;
  topic_limits limits;
  schema::metadata_response::broker self; // the one broker, leader of every partition
};

metadata_actor spawn_metadata(caf::actor_system& sys, metadata_args args);

} // namespace sluice::actors

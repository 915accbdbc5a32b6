#pragma once

#include <cstdint>

namespace sluice::schema {

// IsolationLevel in schema/common.capnp, same ordinals. read_uncommitted reads up to the high
// watermark, read_committed up to the last stable offset.
enum class isolation_level : uint16_t {
  read_uncommitted = 0,
  read_committed = 1,
};

} // namespace sluice::schema

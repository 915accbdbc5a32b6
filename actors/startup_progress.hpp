#pragma once

// Start-up recovery, as sluiced's progress bar counts it (issue 11): partition logs whose
// opening finished (recovered, or failed and reported) since the process started. One
// process-wide counter, bumped by partition actors on whatever scheduler thread runs them and
// read by sluiced's bar thread; nothing else is shared between them.

#include <atomic>
#include <cstdint>

namespace sluice::actors {

std::atomic<uint64_t>& partition_logs_opened();

} // namespace sluice::actors

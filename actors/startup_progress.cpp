#include "actors/startup_progress.hpp"

namespace sluice::actors {

std::atomic<uint64_t>& partition_logs_opened() {
  static std::atomic<uint64_t> opened{0};
  return opened;
}

} // namespace sluice::actors

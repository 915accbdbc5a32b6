#pragma once

// sluiced's start-up progress bar (issue 11): partition logs opened (recovered) out of the
// partition directories found under DATA/topics, drawn on stderr while it is a terminal
// (tools/sluice/progress.hpp) and gone once every log is open or nothing moved for two
// seconds (a directory of a deleted topic never opens).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <thread>

namespace sluice::tools {

// Partition directories ("<topic>-<p>") under `topics_dir`; 0 when it does not exist.
uint64_t count_partition_dirs(const std::filesystem::path& topics_dir);

class recovery_bar {
public:
  // Does nothing unless stderr is a terminal and `total` > 0.
  recovery_bar(uint64_t total, const std::atomic<uint64_t>& opened);
  ~recovery_bar(); // erases the bar if it still shows

  recovery_bar(const recovery_bar&) = delete;
  recovery_bar& operator=(const recovery_bar&) = delete;

private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace sluice::tools

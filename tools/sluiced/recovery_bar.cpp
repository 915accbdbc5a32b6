#include "tools/sluiced/recovery_bar.hpp"

#include "tools/sluice/progress.hpp"

#include <chrono>

namespace sluice::tools {

uint64_t count_partition_dirs(const std::filesystem::path& topics_dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(topics_dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    if (it->is_directory(ec) && it->path().filename().string().find('-') != std::string::npos)
      ++n;
  return n;
}

recovery_bar::recovery_bar(uint64_t total, const std::atomic<uint64_t>& opened) {
  if (total == 0 || !cli::progress_enabled())
    return;
  thread_ = std::thread{[this, total, &opened] {
    constexpr auto stall_limit = std::chrono::seconds(2);
    cli::progress_bar bar{"recovery", "partitions", total, opened};
    auto last = opened.load(std::memory_order_relaxed);
    auto moved = std::chrono::steady_clock::now();
    while (!stop_.load(std::memory_order_relaxed)) {
      auto now_opened = opened.load(std::memory_order_relaxed);
      auto now = std::chrono::steady_clock::now();
      if (now_opened >= total)
        break;
      if (now_opened != last) {
        last = now_opened;
        moved = now;
      } else if (now - moved >= stall_limit) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }};
}

recovery_bar::~recovery_bar() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable())
    thread_.join();
}

} // namespace sluice::tools

#pragma once

// A one-line progress bar for long CLI work (perf produce/consume, topic reassign --wait,
// group reset-offsets), drawn on stderr only when stderr is a terminal, so scripts and
// tests that read stderr see exactly what they saw before. stdout is never touched.
//
//   produce [##########..........]  52%  520,000/1,000,000 records  310,245/s  ETA 2s

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace sluice::cli {

struct progress_state {
  std::string_view label; // what is going on: "produce"
  std::string_view unit;  // what is counted: "records"
  uint64_t done = 0;
  uint64_t total = 0;     // 0: unknown (no bar, percentage or ETA)
  double elapsed_s = 0;
};

// The line for `s`, at most `width` columns (the bar shrinks first, then the line is cut),
// without a newline. Pure: the tests call it directly.
std::string render_progress(const progress_state& s, size_t width);

// Redraws render_progress of `done` in place (carriage return) from a thread of its own, at
// most every 100 ms, while it lives; erases the line when destroyed. Does nothing unless
// stderr is a terminal. `done` is read with relaxed loads and may be bumped by any thread.
class progress_bar {
public:
  progress_bar(std::string label, std::string unit, uint64_t total, const std::atomic<uint64_t>& done);
  ~progress_bar();

  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  void set_total(uint64_t total) { total_.store(total, std::memory_order_relaxed); }

private:
  std::string label_;
  std::string unit_;
  std::atomic<uint64_t> total_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Whether progress bars draw: stderr is a terminal.
bool progress_enabled();

} // namespace sluice::cli

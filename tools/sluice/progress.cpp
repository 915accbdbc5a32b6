#include "tools/sluice/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sluice::cli {

namespace {

constexpr auto redraw_interval = std::chrono::milliseconds{100};
constexpr size_t default_width = 80;
constexpr size_t min_bar = 10, max_bar = 30;

// 1234567 -> "1,234,567"
std::string grouped(uint64_t v) {
  auto digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

// 75 -> "1m15s", 3 -> "3s", 4000 -> "1h06m"
std::string duration_text(double seconds) {
  auto s = static_cast<uint64_t>(std::llround(std::max(0.0, seconds)));
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60));
  return buf;
}

size_t terminal_width() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return default_width;
}

} // namespace

std::string render_progress(const progress_state& s, size_t width) {
  double rate = s.elapsed_s > 0 ? static_cast<double>(s.done) / s.elapsed_s : 0;
  std::string counts = grouped(s.done);
  if (s.total > 0)
    counts += "/" + grouped(s.total);
  counts += " " + std::string{s.unit};
  std::string tail = "  " + counts + "  " + grouped(static_cast<uint64_t>(rate)) + "/s";
  std::string head{s.label};
  if (s.total > 0) {
    auto done = std::min(s.done, s.total);
    auto fraction = static_cast<double>(done) / static_cast<double>(s.total);
    char pct[8];
    std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(fraction * 100));
    if (done >= s.total)
      tail += "  " + duration_text(s.elapsed_s);
    else if (rate > 0)
      tail += "  ETA " + duration_text(static_cast<double>(s.total - done) / rate);
    tail = std::string{"  "} + pct + tail;
    // The bar takes what the line leaves, within [min_bar, max_bar].
    size_t fixed = head.size() + 3 + tail.size();
    size_t bar = width > fixed ? std::min(max_bar, width - fixed) : 0;
    if (bar >= min_bar) {
      auto filled = static_cast<size_t>(fraction * static_cast<double>(bar));
      head += " [" + std::string(filled, '#') + std::string(bar - filled, '.') + "]";
    }
  }
  auto line = head + tail;
  if (line.size() > width)
    line.resize(width);
  return line;
}

bool progress_enabled() { return isatty(STDERR_FILENO) == 1; }

progress_bar::progress_bar(std::string label, std::string unit, uint64_t total,
                           const std::atomic<uint64_t>& done)
  : label_(std::move(label)), unit_(std::move(unit)), total_(total) {
  if (!progress_enabled())
    return;
  thread_ = std::thread{[this, &done] {
    auto start = std::chrono::steady_clock::now();
    while (!stop_.load()) {
      progress_state s{label_, unit_, done.load(std::memory_order_relaxed),
                       total_.load(std::memory_order_relaxed),
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
      // Width - 1: a line that fills the last column wraps on some terminals.
      auto line = render_progress(s, terminal_width() - 1);
      std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
      std::fflush(stderr);
      std::this_thread::sleep_for(redraw_interval);
    }
  }};
}

progress_bar::~progress_bar() {
  stop_ = true;
  if (!thread_.joinable())
    return;
  thread_.join();
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
}

} // namespace sluice::cli

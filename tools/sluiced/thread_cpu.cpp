#include "tools/sluiced/thread_cpu.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace sluice::tools {

std::optional<thread_cpu> parse_task_stat(std::string_view line, double ticks_per_second) {
  auto open = line.find(" (");
  auto close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open
      || ticks_per_second <= 0)
    return std::nullopt;
  thread_cpu out;
  auto tid = line.substr(0, open);
  if (auto [p, ec] = std::from_chars(tid.data(), tid.data() + tid.size(), out.tid);
      ec != std::errc{} || p != tid.data() + tid.size())
    return std::nullopt;
  out.name = std::string{line.substr(open + 2, close - open - 2)};
  // After ") ": field 3 (state) onwards; utime and stime are fields 14 and 15.
  auto rest = line.substr(std::min(line.size(), close + 2));
  std::vector<std::string_view> fields;
  while (!rest.empty() && fields.size() < 13) {
    auto sp = rest.find(' ');
    fields.push_back(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
  }
  if (fields.size() < 13)
    return std::nullopt;
  uint64_t ticks[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    auto f = fields[11 + static_cast<size_t>(i)];
    if (auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), ticks[i]);
        ec != std::errc{} || p != f.data() + f.size())
      return std::nullopt;
  }
  out.user_s = static_cast<double>(ticks[0]) / ticks_per_second;
  out.system_s = static_cast<double>(ticks[1]) / ticks_per_second;
  return out;
}

std::vector<thread_cpu> read_thread_cpu() {
  std::vector<thread_cpu> out;
  auto hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::ifstream in{it->path() / "stat"};
    std::string line;
    if (std::getline(in, line))
      if (auto t = parse_task_stat(line, hz))
        out.push_back(std::move(*t));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.tid < b.tid; });
  return out;
}

} // namespace sluice::tools

#pragma once

// CPU time of each thread of this process, from /proc/self/task/<tid>/stat (issue 11,
// /metrics). CAF 0.17.6 names its scheduler workers "caf.multiplexer" (as it does the I/O
// multiplexer's thread), its clock "caf.clock" and detached actors' threads "caf.actor".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::tools {

struct thread_cpu {
  int64_t tid = 0;
  std::string name;
  double user_s = 0;
  double system_s = 0;

  bool operator==(const thread_cpu&) const = default;
};

// One task's stat line ("tid (comm) state ... utime stime ..."): comm may hold spaces and
// parentheses, so it ends at the last ')'. nullopt for a line that is not one.
std::optional<thread_cpu> parse_task_stat(std::string_view line, double ticks_per_second);

// Every thread of the process, by tid; threads that end while being read are left out.
std::vector<thread_cpu> read_thread_cpu();

} // namespace sluice::tools

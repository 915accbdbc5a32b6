#pragma once

// The text `sluice inspect` prints: one line per actor ("<kind> <name> (mailbox N): <state>"),
// children indented two spaces below their parent.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::actors {

// `line` followed by each child block, every line of it indented by two spaces.
inline std::string state_tree(std::string line, const std::vector<std::string>& children) {
  for (auto& child : children) {
    size_t begin = 0;
    while (begin < child.size()) {
      auto end = child.find('\n', begin);
      if (end == std::string::npos)
        end = child.size();
      line += "\n  ";
      line.append(child, begin, end - begin);
      begin = end + 1;
    }
  }
  return line;
}

struct actor_mailbox {
  std::string_view actor; // "<kind> <name>", e.g. "partition orders-0"
  int64_t queued = 0;
};

// Every actor line of `tree` with its mailbox size, in order; lines without "(mailbox N)" (an
// actor that did not answer) are left out. The views point into `tree`.
inline std::vector<actor_mailbox> actor_mailboxes(std::string_view tree) {
  std::vector<actor_mailbox> out;
  size_t begin = 0;
  while (begin < tree.size()) {
    auto end = tree.find('\n', begin);
    if (end == std::string_view::npos)
      end = tree.size();
    auto line = tree.substr(begin, end - begin);
    begin = end + 1;
    auto name_begin = line.find_first_not_of(' ');
    auto m = line.find(" (mailbox ");
    if (name_begin == std::string_view::npos || m == std::string_view::npos || m < name_begin)
      continue;
    auto digits = line.substr(m + 10);
    int64_t queued = 0;
    auto [last, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), queued);
    if (ec != std::errc{} || last == digits.data() + digits.size() || *last != ')')
      continue;
    out.push_back({line.substr(name_begin, m - name_begin), queued});
  }
  return out;
}

// The lines of `tree` whose actor name (the word after the kind) contains `filter`; all of
// them when it is empty.
inline std::string filter_state_tree(const std::string& tree, std::string_view filter) {
  if (filter.empty())
    return tree;
  std::string out;
  size_t begin = 0;
  while (begin < tree.size()) {
    auto end = tree.find('\n', begin);
    if (end == std::string::npos)
      end = tree.size();
    std::string_view line{tree.data() + begin, end - begin};
    auto name_begin = line.find_first_not_of(' ');
    name_begin = name_begin == std::string_view::npos ? line.size() : line.find(' ', name_begin);
    auto name = name_begin == std::string_view::npos
                  ? std::string_view{}
                  : line.substr(name_begin + 1, line.find(' ', name_begin + 1) - name_begin - 1);
    if (name.find(filter) != std::string_view::npos) {
      if (!out.empty())
        out += '\n';
      out.append(line.substr(line.find_first_not_of(' ')));
    }
    begin = end + 1;
  }
  return out;
}

} // namespace sluice::actors

#pragma once

// Just enough JSON writing for the console's /api/* answers: a quoted, escaped string
// (RFC 8259: quote, backslash and control characters), and comma-separated lists.

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::tools {

inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// "[a,b,...]" of already rendered values.
inline std::string json_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? "," : "") + values[i];
  return out + "]";
}

template <class T, class F>
std::string json_array(const std::vector<T>& xs, F render) {
  std::vector<std::string> values;
  values.reserve(xs.size());
  for (auto& x : xs)
    values.push_back(render(x));
  return json_array(values);
}

} // namespace sluice::tools

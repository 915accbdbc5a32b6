#pragma once

// A strict reader of the Prometheus text exposition format 0.0.4, for the tests of sluiced's
// /metrics (tools/sluiced/metrics_text.hpp) and of itself: every line is a HELP, a TYPE or a
// sample; names and label names match the format's grammar; label values use only the three
// escapes; each family has one TYPE before its samples, and its samples are contiguous; no
// series appears twice; histograms have an `le` on every bucket, ascending, cumulative counts
// that never fall, a "+Inf" bucket equal to `_count`, and a `_sum`.

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::test {

struct prom_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct prom_parse {
  std::vector<prom_sample> samples;
  std::map<std::string, std::string> types; // family -> counter, gauge, histogram, ...
  std::vector<std::string> errors;          // "line N: why"

  // The value of the one sample named `name` whose labels include `match`.
  std::optional<double> value(const std::string& name, const std::map<std::string, std::string>& match) const {
    std::optional<double> out;
    for (auto& s : samples) {
      if (s.name != name)
        continue;
      bool all = true;
      for (auto& [k, v] : match)
        all = all && s.labels.contains(k) && s.labels.at(k) == v;
      if (all) {
        if (out)
          return std::nullopt; // ambiguous
        out = s.value;
      }
    }
    return out;
  }
};

namespace detail {

inline bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
inline bool name_char(char c) { return name_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

inline bool valid_metric_name(std::string_view n) {
  if (n.empty() || !name_start(n[0]))
    return false;
  for (char c : n)
    if (!name_char(c))
      return false;
  return true;
}

inline bool valid_label_name(std::string_view n) {
  return valid_metric_name(n) && n.find(':') == std::string_view::npos;
}

inline std::optional<double> parse_value(std::string_view v) {
  if (v == "+Inf")
    return HUGE_VAL;
  if (v == "-Inf")
    return -HUGE_VAL;
  if (v == "NaN")
    return NAN;
  if (v.empty())
    return std::nullopt;
  std::string s{v};
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || s.find_first_of("iInN") != std::string::npos)
    return std::nullopt;
  return d;
}

// The family a sample name belongs to, given the declared types.
inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (auto suffix : {"_bucket", "_sum", "_count"}) {
    std::string_view n{name}, s{suffix};
    if (n.size() > s.size() && n.substr(n.size() - s.size()) == s) {
      std::string base{n.substr(0, n.size() - s.size())};
      if (auto it = types.find(base); it != types.end() && (it->second == "histogram" || it->second == "summary"))
        return base;
    }
  }
  return name;
}

} // namespace detail

inline prom_parse parse_exposition(std::string_view text) {
  using namespace detail;
  prom_parse out;
  std::set<std::string> helped, finished, series;
  std::string current; // family whose samples are being read
  auto error = [&](int line, std::string why) {
    out.errors.push_back("line " + std::to_string(line) + ": " + why);
  };
  if (!text.empty() && text.back() != '\n')
    error(0, "the text does not end with a newline");
  int number = 0;
  size_t begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    if (end == std::string_view::npos)
      end = text.size();
    auto line = text.substr(begin, end - begin);
    begin = end + 1;
    ++number;
    if (line.empty()) {
      error(number, "empty line");
      continue;
    }
    if (line[0] == '#') {
      bool help = line.rfind("# HELP ", 0) == 0, type = line.rfind("# TYPE ", 0) == 0;
      if (!help && !type) {
        error(number, "comment that is neither HELP nor TYPE");
        continue;
      }
      auto rest = line.substr(7);
      auto space = rest.find(' ');
      std::string name{rest.substr(0, space)};
      if (!valid_metric_name(name) || space == std::string_view::npos) {
        error(number, "bad metric name or missing text in '" + std::string{line} + "'");
        continue;
      }
      if (finished.contains(name) || (name != current && out.types.contains(name)))
        error(number, "family " + name + " declared again after its samples");
      if (help && !helped.insert(name).second)
        error(number, "second HELP for " + name);
      if (type) {
        std::string t{rest.substr(space + 1)};
        if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" && t != "untyped")
          error(number, "unknown type '" + t + "'");
        if (out.types.contains(name))
          error(number, "second TYPE for " + name);
        out.types[name] = t;
      }
      if (name != current) {
        if (!current.empty())
          finished.insert(current);
        current = name;
      }
      continue;
    }
    prom_sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ')
      ++i;
    s.name = std::string{line.substr(0, i)};
    if (!valid_metric_name(s.name)) {
      error(number, "bad metric name '" + s.name + "'");
      continue;
    }
    std::string key = s.name + "{";
    bool bad = false;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (!bad && i < line.size() && line[i] != '}') {
        auto eq = line.find('=', i);
        if (eq == std::string_view::npos) {
          bad = true;
          break;
        }
        std::string lname{line.substr(i, eq - i)};
        if (!valid_label_name(lname) || eq + 1 >= line.size() || line[eq + 1] != '"') {
          bad = true;
          break;
        }
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') {
            if (j + 1 >= line.size() || (line[j + 1] != '\\' && line[j + 1] != '"' && line[j + 1] != 'n')) {
              bad = true;
              break;
            }
            value += line[j + 1] == 'n' ? '\n' : line[j + 1];
            ++j;
          } else {
            value += line[j];
          }
        }
        if (bad || j >= line.size()) {
          bad = true;
          break;
        }
        if (!s.labels.emplace(lname, value).second)
          bad = true;
        i = j + 1;
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i < line.size() && line[i] != '}')
          bad = true;
      }
      if (bad || i >= line.size() || line[i] != '}') {
        error(number, "bad label set in '" + std::string{line} + "'");
        continue;
      }
      ++i;
    }
    for (auto& [k, v] : s.labels)
      key += k + "=" + v + ",";
    if (i >= line.size() || line[i] != ' ') {
      error(number, "no value in '" + std::string{line} + "'");
      continue;
    }
    auto rest = line.substr(i + 1);
    auto value_text = rest.substr(0, rest.find(' ')); // an optional timestamp may follow
    auto v = parse_value(value_text);
    if (!v) {
      error(number, "bad value '" + std::string{value_text} + "'");
      continue;
    }
    s.value = *v;
    auto family = family_of(s.name, out.types);
    if (!out.types.contains(family))
      error(number, "sample of " + family + " without a TYPE before it");
    if (family != current)
      error(number, "sample of " + family + " outside its family's block");
    if (out.types[family] == "counter" && !(s.value >= 0))
      error(number, "negative counter " + s.name);
    if (!series.insert(key).second)
      error(number, "series " + key + "} appears twice");
    out.samples.push_back(std::move(s));
  }
  // Histograms: per label set (without le), buckets ascending and cumulative, +Inf == count.
  for (auto& [family, type] : out.types) {
    if (type != "histogram")
      continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts, sums;
    for (auto& s : out.samples) {
      auto labels = s.labels;
      if (s.name == family + "_bucket") {
        if (!labels.contains("le")) {
          error(0, family + " bucket without le");
          continue;
        }
        auto le = parse_value(labels["le"]);
        labels.erase("le");
        if (!le)
          error(0, family + " bucket with a bad le");
        else
          buckets[labels].push_back({*le, s.value});
      } else if (s.name == family + "_count") {
        counts[labels] = s.value;
      } else if (s.name == family + "_sum") {
        sums[labels] = s.value;
      }
    }
    for (auto& [labels, bs] : buckets) {
      for (size_t k = 1; k < bs.size(); ++k)
        if (!(bs[k].first > bs[k - 1].first) || bs[k].second < bs[k - 1].second)
          error(0, family + " buckets not ascending or not cumulative");
      if (bs.empty() || !std::isinf(bs.back().first))
        error(0, family + " has no +Inf bucket");
      else if (!counts.contains(labels) || counts[labels] != bs.back().second)
        error(0, family + " +Inf bucket differs from _count");
      if (!sums.contains(labels))
        error(0, family + " has no _sum");
    }
  }
  return out;
}

} // namespace sluice::test

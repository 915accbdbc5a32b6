#include "client/retry_policy.hpp"

#include <algorithm>
#include <charconv>

namespace sluice::client {

namespace {

constexpr size_t max_topic_name_chars = 249; // actors/topic_table.cpp, validate_topic_name
constexpr std::string_view retry_infix = ".retry-";
constexpr std::string_view dead_letter_suffix = ".dlq";

bool legal_topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
         || c == '_' || c == '-';
}

status name_error(std::string_view name, std::string_view why) {
  return make_error(errc::invalid_argument, "retry topic '" + std::string{name} + "' " + std::string{why});
}

status check_name(std::string_view name) {
  if (name.size() > max_topic_name_chars)
    return name_error(name, "is longer than " + std::to_string(max_topic_name_chars)
                              + " characters: shorten the group id or topic");
  if (!std::ranges::all_of(name, legal_topic_char))
    return name_error(name, "has a character outside [a-zA-Z0-9._-]: the group id must be a legal topic "
                            "name part to retry its records");
  return {};
}

} // namespace

status validate(const retry_policy& p) {
  if (p.max_attempts < 0 || p.max_attempts > retry_max_attempts_limit)
    return make_error(errc::invalid_argument, "retry max attempts must be in [0, "
                                                + std::to_string(retry_max_attempts_limit) + "], not "
                                                + std::to_string(p.max_attempts));
  if (p.max_attempts > 1 && p.backoffs.empty())
    return make_error(errc::invalid_argument, "retry max attempts " + std::to_string(p.max_attempts)
                                                + " needs at least one retry backoff");
  if (p.backoffs.size() > retry_levels_limit)
    return make_error(errc::invalid_argument, std::to_string(p.backoffs.size())
                                                + " retry backoffs: at most "
                                                + std::to_string(retry_levels_limit));
  for (auto b : p.backoffs)
    if (b < std::chrono::milliseconds::zero() || b > retry_backoff_limit)
      return make_error(errc::invalid_argument, "retry backoff " + std::to_string(b.count())
                                                  + " ms is outside [0, "
                                                  + std::to_string(retry_backoff_limit.count()) + "] ms");
  return {};
}

int32_t retry_levels(const retry_policy& p) {
  if (p.max_attempts <= 1)
    return 0;
  return std::min(static_cast<int32_t>(p.backoffs.size()), p.max_attempts - 1);
}

std::string retry_topic_name(std::string_view group, std::string_view topic, int32_t level) {
  return std::string{group} + "." + std::string{topic} + std::string{retry_infix} + std::to_string(level);
}

std::string dead_letter_topic_name(std::string_view group, std::string_view topic) {
  return std::string{group} + "." + std::string{topic} + std::string{dead_letter_suffix};
}

status validate_retry_names(const retry_policy& p, std::string_view group, std::string_view topic) {
  if (auto st = check_name(dead_letter_topic_name(group, topic)); !st)
    return st;
  if (auto levels = retry_levels(p); levels > 0)
    return check_name(retry_topic_name(group, topic, levels)); // the longest name
  return {};
}

std::optional<retry_topic_ref> parse_retry_topic(std::string_view group, std::string_view name) {
  if (name.size() <= group.size() + 1 || name.substr(0, group.size()) != group || name[group.size()] != '.')
    return std::nullopt;
  auto rest = name.substr(group.size() + 1);
  auto infix = rest.rfind(retry_infix);
  if (infix == std::string_view::npos || infix == 0)
    return std::nullopt;
  auto digits = rest.substr(infix + retry_infix.size());
  int32_t level = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), level);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || level < 1
      || digits.front() == '0')
    return std::nullopt;
  return retry_topic_ref{std::string{rest.substr(0, infix)}, level};
}

retry_destination next_destination(const retry_policy& p, std::string_view group, std::string_view source_topic,
                                   int32_t attempts, timestamp_ms now) {
  retry_destination d;
  d.attempts = std::max(attempts, 1);
  auto levels = retry_levels(p);
  if (d.attempts >= p.max_attempts || levels == 0) {
    d.topic = dead_letter_topic_name(group, source_topic);
    d.dead_letter = true;
    d.due = now;
    return d;
  }
  d.level = std::min(d.attempts, levels);
  d.topic = retry_topic_name(group, source_topic, d.level);
  d.due = timestamp_ms{now.value + p.backoffs[static_cast<size_t>(d.level - 1)].count()};
  return d;
}

} // namespace sluice::client

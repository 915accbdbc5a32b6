#include "client/retry_headers.hpp"

#include <charconv>

namespace sluice::client {

namespace {

template <class Int>
std::optional<Int> parse_number(std::string_view s) {
  Int v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

} // namespace

bool is_retry_header(std::string_view key) { return key.starts_with(retry_header::prefix); }

result<std::optional<retry_info>> decode_retry_info(std::span<const store::record_header> headers) {
  auto find = [&](std::string_view key) -> std::optional<std::string_view> {
    for (auto& h : headers)
      if (h.key == key)
        return h.value;
    return std::nullopt;
  };
  auto attempts = find(retry_header::attempts);
  if (!attempts)
    return std::optional<retry_info>{};
  auto bad = [](std::string_view key, std::string_view why) {
    return make_error(errc::protocol, "retry header " + std::string{key} + " " + std::string{why});
  };
  retry_info info;
  auto topic = find(retry_header::original_topic);
  if (!topic || topic->empty())
    return bad(retry_header::original_topic, "is missing");
  info.original_topic = std::string{*topic};
  auto number = [&]<class Int>(std::string_view key, Int& out, Int min) -> status {
    auto text = find(key);
    if (!text)
      return bad(key, "is missing");
    auto v = parse_number<Int>(*text);
    if (!v || *v < min)
      return bad(key, "is not a number >= " + std::to_string(min) + ": '" + std::string{*text} + "'");
    out = *v;
    return {};
  };
  if (auto st = number(retry_header::attempts, info.attempts, int32_t{1}); !st)
    return st.err();
  if (auto st = number(retry_header::original_partition, info.original_partition.value, int32_t{0}); !st)
    return st.err();
  if (auto st = number(retry_header::original_offset, info.original_offset.value, int64_t{0}); !st)
    return st.err();
  if (auto st = number(retry_header::first_failure_ms, info.first_failure.value, int64_t{0}); !st)
    return st.err();
  if (auto st = number(retry_header::due_ms, info.due.value, int64_t{0}); !st)
    return st.err();
  info.error = std::string{find(retry_header::error).value_or("")};
  return std::optional<retry_info>{std::move(info)};
}

retry_headers::retry_headers(const retry_info& info, std::span<const store::record_header> own) {
  numbers_ = {std::to_string(info.original_partition.value), std::to_string(info.original_offset.value),
              std::to_string(info.attempts), std::to_string(info.first_failure.value)};
  due_ = std::to_string(info.due.value);
  all_ = without_retry_headers(own);
  all_.push_back({retry_header::original_topic, info.original_topic});
  all_.push_back({retry_header::original_partition, numbers_[0]});
  all_.push_back({retry_header::original_offset, numbers_[1]});
  all_.push_back({retry_header::attempts, numbers_[2]});
  all_.push_back({retry_header::error, info.error});
  all_.push_back({retry_header::first_failure_ms, numbers_[3]});
  all_.push_back({retry_header::due_ms, due_});
}

std::vector<store::record_header> without_retry_headers(std::span<const store::record_header> headers) {
  std::vector<store::record_header> out;
  for (auto& h : headers)
    if (!is_retry_header(h.key))
      out.push_back(h);
  return out;
}

} // namespace sluice::client

#include "store/segment_format.hpp"

#include <cstdio>

namespace sluice::store::segment_format {

std::string file_stem(int64_t base_offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(base_offset));
  return buf;
}

std::optional<parsed_name> parse_file_name(std::string_view name) {
  if (name.size() <= base_digits)
    return std::nullopt;
  int64_t base = 0;
  for (size_t i = 0; i < base_digits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9')
      return std::nullopt;
    if (base > (INT64_MAX - (c - '0')) / 10)
      return std::nullopt;
    base = base * 10 + (c - '0');
  }
  auto rest = name.substr(base_digits);
  if (rest.ends_with(deleted_suffix) || rest.ends_with(tmp_suffix))
    return parsed_name{base, file_kind::leftover};
  if (rest == std::string{log_suffix} + std::string{cleaned_suffix}
      || rest == std::string{index_suffix} + std::string{cleaned_suffix}
      || rest == std::string{time_index_suffix} + std::string{cleaned_suffix})
    return parsed_name{base, file_kind::cleaned};
  if (rest == log_suffix)
    return parsed_name{base, file_kind::log};
  if (rest == index_suffix)
    return parsed_name{base, file_kind::index};
  if (rest == time_index_suffix)
    return parsed_name{base, file_kind::time_index};
  if (rest == snapshot_suffix)
    return parsed_name{base, file_kind::producer_snapshot};
  return std::nullopt;
}

} // namespace sluice::store::segment_format

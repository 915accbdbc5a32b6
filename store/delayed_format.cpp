#include "store/delayed_format.hpp"

#include "store/crc32c.hpp"
#include "store/kv_store_format.hpp"

#include <charconv>

namespace sluice::store::delayed {

namespace {

std::optional<std::string_view> find(std::span<const record_header> hs, std::string_view key) {
  for (auto& h : hs)
    if (h.key == key)
      return h.value;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

error invalid(std::string why) { return make_error(errc::invalid_argument, std::move(why)); }

constexpr size_t field_count(control_kind k) { return k == control_kind::slot ? 4 : 1; }

} // namespace

partition_id partition_for(std::string_view t, partition_id p, int32_t partitions) {
  auto key = deliver_to_value(t, p);
  auto h = crc32c::value(key.data(), key.size());
  return partition_id{static_cast<int32_t>(h % static_cast<uint32_t>(std::max(partitions, 1)))};
}

std::string deliver_to_value(std::string_view t, partition_id p) {
  return std::string{t} + "/" + std::to_string(p.value);
}

std::optional<std::string> check_delay(int64_t delay_ms) {
  if (delay_ms >= min_delay_ms && delay_ms <= max_delay_ms)
    return std::nullopt;
  return "a delay of " + std::to_string(delay_ms) + " ms is outside " + std::to_string(min_delay_ms)
         + ".." + std::to_string(max_delay_ms) + " ms (1 s to 30 days)";
}

result<target> parse_target(std::span<const record_header> headers, timestamp_ms record_ts) {
  auto to = find(headers, deliver_to_header);
  auto at = find(headers, deliver_at_header);
  if (!to && !at)
    return make_error(errc::not_found, "not a delayed record");
  if (!to || !at)
    return invalid(std::string{"a delayed record needs both "} + std::string{deliver_to_header}
                   + " and " + std::string{deliver_at_header} + " headers");
  auto slash = to->rfind('/');
  auto p = slash == std::string_view::npos ? std::nullopt : parse_int(to->substr(slash + 1));
  if (!p || slash == 0 || *p < 0 || *p > INT32_MAX)
    return invalid(std::string{deliver_to_header} + " '" + std::string{*to}
                   + "' is not <topic>/<partition>");
  auto when = parse_int(*at);
  if (!when)
    return invalid(std::string{deliver_at_header} + " '" + std::string{*at}
                   + "' is not a time in ms since the epoch");
  if (auto why = check_delay(*when - record_ts.value))
    return invalid(*why);
  return target{std::string{to->substr(0, slash)}, partition_id{static_cast<int32_t>(*p)}, *when};
}

status check_client_record(std::span<const record_header> headers, timestamp_ms record_ts) {
  if (find(headers, control_header))
    return invalid(std::string{"header "} + std::string{control_header}
                   + " is reserved for the delivery scheduler");
  auto t = parse_target(headers, record_ts);
  if (!t)
    return t.err().code == errc::not_found
             ? invalid("a record of " + std::string{topic} + " needs " + std::string{deliver_to_header}
                       + " and " + std::string{deliver_at_header} + " headers (send it with a delay)")
             : t.err();
  return {};
}

status check_client_batches(bytes_view batches) {
  std::vector<record_header> headers;
  size_t index = 0;
  while (!batches.empty()) {
    auto h = validate_batch(batches);
    if (!h)
      return h.err();
    auto batch = batches.first(h->size_bytes());
    batches = batches.subspan(h->size_bytes());
    if (h->is_control())
      return invalid("a control batch cannot be produced to " + std::string{topic});
    record_reader reader{batch};
    record_view r;
    for (; reader.next(r); ++index) {
      if (!decode_headers(r, headers))
        return invalid("record " + std::to_string(index) + ": its headers do not decode");
      if (auto st = check_client_record(headers, r.timestamp); !st)
        return invalid("record " + std::to_string(index) + ": " + st.err().message);
    }
    if (reader.error_state())
      return *reader.error_state();
  }
  return {};
}

std::string_view control_name(control_kind k) {
  switch (k) {
    case control_kind::pid: return "pid";
    case control_kind::slot: return "slot";
    case control_kind::done: return "done";
  }
  return "?";
}

std::string encode_control_value(const control_record& c) {
  std::string out;
  for (size_t i = 0; i < field_count(c.kind); ++i)
    kv_format::append_int(out, c.fields[i]);
  return out;
}

result<std::optional<control_record>> parse_control(std::span<const record_header> headers,
                                                    std::optional<std::string_view> value) {
  auto name = find(headers, control_header);
  if (!name)
    return std::optional<control_record>{};
  control_record c;
  if (*name == "pid")
    c.kind = control_kind::pid;
  else if (*name == "slot")
    c.kind = control_kind::slot;
  else if (*name == "done")
    c.kind = control_kind::done;
  else
    return invalid("unknown delay control record '" + std::string{*name} + "'");
  auto v = value.value_or(std::string_view{});
  if (v.size() != field_count(c.kind) * sizeof(int64_t))
    return invalid("delay control record '" + std::string{*name} + "' has "
                   + std::to_string(v.size()) + " value bytes");
  for (size_t i = 0; i < field_count(c.kind); ++i)
    c.fields[i] = *kv_format::read_int<int64_t>(v);
  return std::optional<control_record>{c};
}

} // namespace sluice::store::delayed

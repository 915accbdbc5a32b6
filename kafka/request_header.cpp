#include "kafka/request_header.hpp"

#include <string>

namespace sluice::kafka {

schema::result<request_header> decode_request_header(reader& r) {
  request_header h;
  h.api_key = r.i16();
  h.api_version = r.i16();
  h.correlation_id = r.i32();
  h.client_id = r.nullable_string();
  if (!r.ok())
    return schema::error{schema::errc::corrupt_message, "kafka request header cut short"};
  return h;
}

void begin_response(std::vector<std::byte>& out, int32_t correlation_id) {
  out.clear();
  writer w{out};
  w.i32(0);
  w.i32(correlation_id);
}

void finish_response(std::vector<std::byte>& out) {
  writer w{out};
  w.patch_i32(0, static_cast<int32_t>(out.size() - 4));
}

schema::error malformed(const char* api) {
  return {schema::errc::corrupt_message, std::string{"malformed kafka "} + api + " request"};
}

} // namespace sluice::kafka

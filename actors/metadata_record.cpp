#include "actors/metadata_record.hpp"

#include "actors/metadata_store.hpp"
#include "store/kv_store_format.hpp"

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t format_version = 1;
constexpr uint8_t put_type = 0;
constexpr uint8_t delete_type = 1;

schema::error corrupt(const std::string& what) {
  return {schema::errc::corrupt_message, "metadata record: " + what};
}

} // namespace

std::string encode_metadata_record(const metadata_record& r) {
  std::string out;
  kvf::append_int(out, format_version);
  if (auto* put = std::get_if<topic_put_record>(&r)) {
    kvf::append_int(out, put_type);
    kvf::append_str(out, put->spec.name);
    out += encode_topic_spec(put->spec);
  } else {
    kvf::append_int(out, delete_type);
    kvf::append_str(out, std::get<topic_delete_record>(r).name);
  }
  return out;
}

schema::result<metadata_record> decode_metadata_record(std::string_view bytes) {
  auto version = kvf::read_int<uint8_t>(bytes);
  auto type = kvf::read_int<uint8_t>(bytes);
  auto name = kvf::read_str(bytes);
  if (version != format_version || !type || !name)
    return corrupt("not a version-1 record");
  if (*type == put_type) {
    auto spec = decode_topic_spec(*name, bytes);
    if (!spec)
      return corrupt("the topic of a put does not decode");
    return metadata_record{topic_put_record{std::move(*spec)}};
  }
  if (*type == delete_type) {
    if (!bytes.empty())
      return corrupt("trailing bytes after a delete");
    return metadata_record{topic_delete_record{std::string{*name}}};
  }
  return corrupt("unknown record type " + std::to_string(*type));
}

void apply_metadata_record(topic_table& table, const metadata_record& r) {
  if (auto* put = std::get_if<topic_put_record>(&r))
    table.apply_put(put->spec);
  else
    table.apply_delete(std::get<topic_delete_record>(r).name);
}

} // namespace sluice::actors

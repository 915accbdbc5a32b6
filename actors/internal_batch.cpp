#include "actors/internal_batch.hpp"

#include "store/batch.hpp"

namespace sluice::actors {

std::vector<std::byte> build_internal_batch(std::span<const encoded_record> records,
                                            timestamp_ms now) {
  size_t bytes = 128;
  for (auto& r : records)
    bytes += r.key.size() + (r.value ? r.value->size() : 0) + 32;
  store::batch_builder b{bytes};
  for (auto& r : records)
    b.add(now, std::string_view{r.key},
          r.value ? std::optional<std::string_view>{*r.value} : std::nullopt);
  return b.finish();
}

schema::status for_each_internal_record(
  std::span<const std::byte> bytes, std::string_view topic,
  const std::function<schema::status(offset, std::string_view, std::optional<std::string_view>)>& fn) {
  auto corrupt = [&](const std::string& what) {
    return schema::error{schema::errc::corrupt_message, std::string{topic} + " record: " + what};
  };
  store::bytes_view rest{bytes.data(), bytes.size()};
  while (!rest.empty()) {
    auto h = store::decode_header(rest);
    if (!h)
      return corrupt(h.err().to_string());
    if (h->size_bytes() > rest.size())
      return corrupt("batch cut short");
    auto batch = rest.first(h->size_bytes());
    if (auto ok = store::validate_batch(batch); !ok)
      return corrupt(ok.err().to_string());
    store::record_reader reader{batch};
    store::record_view rec;
    while (reader.next(rec)) {
      if (!rec.key)
        return corrupt("record without a key at offset " + std::to_string(rec.off.value));
      if (auto st = fn(rec.off, *rec.key, rec.value); !st)
        return st;
    }
    if (reader.error_state())
      return corrupt(reader.error_state()->to_string());
    rest = rest.subspan(h->size_bytes());
  }
  return {};
}

} // namespace sluice::actors

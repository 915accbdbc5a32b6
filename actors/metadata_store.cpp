#include "actors/metadata_store.hpp"

#include "store/kv_store_format.hpp"

namespace sluice::actors {

namespace kvf = store::kv_format;

namespace {

constexpr uint8_t record_version = 1;

schema::error storage(const store::error& e) {
  return {schema::errc::storage_error, "metadata store: " + e.to_string()};
}

} // namespace

std::string encode_topic_spec(const topic_spec& spec) {
  std::string out;
  kvf::append_int(out, record_version);
  kvf::append_int(out, spec.partitions);
  kvf::append_int(out, spec.replication_factor);
  kvf::append_int(out, static_cast<uint32_t>(spec.configs.size()));
  for (auto& [k, v] : spec.configs) {
    kvf::append_str(out, k);
    kvf::append_str(out, v);
  }
  return out;
}

std::optional<topic_spec> decode_topic_spec(std::string_view name, std::string_view in) {
  auto version = kvf::read_int<uint8_t>(in);
  if (!version || *version != record_version)
    return std::nullopt;
  auto partitions = kvf::read_int<int32_t>(in);
  auto rf = kvf::read_int<int16_t>(in);
  auto count = kvf::read_int<uint32_t>(in);
  if (!partitions || !rf || !count)
    return std::nullopt;
  topic_spec out{std::string{name}, *partitions, *rf, {}, {}};
  for (uint32_t i = 0; i < *count; ++i) {
    auto k = kvf::read_str(in);
    auto v = k ? kvf::read_str(in) : std::nullopt;
    if (!v)
      return std::nullopt;
    out.configs.emplace(std::string{*k}, std::string{*v});
  }
  if (!in.empty())
    return std::nullopt;
  return out;
}

schema::result<std::unique_ptr<metadata_store>>
metadata_store::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec); // LMDB creates the last level only
  if (ec)
    return schema::error{schema::errc::storage_error,
                         "metadata store: create " + dir.string() + ": " + ec.message()};
  auto kv = store::kv_store::open(dir);
  if (!kv)
    return storage(kv.err());
  auto topics = (*kv)->db("topics");
  if (!topics)
    return storage(topics.err());
  auto pids = (*kv)->db("producer_ids");
  if (!pids)
    return storage(pids.err());
  return std::unique_ptr<metadata_store>{new metadata_store(std::move(*kv), *topics, *pids)};
}

schema::result<std::vector<topic_spec>> metadata_store::load() const {
  auto pairs = kv_->scan_prefix(topics_, "");
  if (!pairs)
    return storage(pairs.err());
  std::vector<topic_spec> out;
  for (auto& [k, v] : *pairs) {
    auto spec = decode_topic_spec(k, v);
    if (!spec)
      return schema::error{schema::errc::storage_error,
                           "metadata store: the record of topic '" + k + "' does not decode"};
    out.push_back(std::move(*spec));
  }
  return out;
}

schema::status metadata_store::put(const topic_spec& spec) {
  if (auto st = kv_->put(topics_, spec.name, encode_topic_spec(spec)); !st)
    return storage(st.err());
  return {};
}

schema::status metadata_store::erase(std::string_view name) {
  if (auto st = kv_->del(topics_, name); !st)
    return storage(st.err());
  return {};
}

schema::result<producer_id> metadata_store::allocate_producer_ids(int32_t count) {
  constexpr std::string_view key = "next";
  auto txn = kv_->begin_write();
  if (!txn)
    return storage(txn.err());
  int64_t next = 0;
  if (auto v = txn->get(producer_ids_, key)) {
    std::string_view in = *v;
    auto n = kvf::read_int<int64_t>(in);
    if (!n || !in.empty() || *n < 0)
      return schema::error{schema::errc::storage_error,
                           "metadata store: the next producer id does not decode"};
    next = *n;
  } else if (v.code() != store::errc::not_found) {
    return storage(v.err());
  }
  std::string out;
  kvf::append_int(out, next + count);
  if (auto st = txn->put(producer_ids_, key, out); !st)
    return storage(st.err());
  if (auto st = txn->commit(); !st)
    return storage(st.err());
  return producer_id{next};
}

} // namespace sluice::actors

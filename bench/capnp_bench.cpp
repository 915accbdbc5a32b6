// Cap'n Proto codec of the hottest wire message: a produce request carrying one 16 KiB batch.
// Figures, not tests: read encode and decode as ratios of BM_CapnpCopyBaseline, one plain copy
// of the same bytes in the same run. Encode copies the records twice (struct -> builder ->
// envelope, into a zeroed first segment), decode once (envelope -> struct).
#include "schema/produce.hpp"
#include "store/batch.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

constexpr size_t batch_bytes = 16 * 1024;

// 100-byte values with short keys, like a typical log line, until the batch holds 16 KiB.
sluice::schema::produce_request produce_16k() {
  sluice::store::batch_builder b{batch_bytes};
  std::string value(100, 'v');
  for (int i = 0; b.size_bytes() + 128 <= batch_bytes; ++i) {
    std::string key = "key-" + std::to_string(i);
    b.add(sluice::timestamp_ms{1'700'000'000'000 + i}, std::string_view{key},
          std::string_view{value});
  }
  sluice::schema::produce_request req;
  req.acks = sluice::schema::acks::all;
  req.partitions.push_back({"bench", sluice::partition_id{0}, b.finish()});
  return req;
}

int64_t records_bytes(const sluice::schema::produce_request& req) {
  return static_cast<int64_t>(req.partitions[0].records.size());
}

void BM_CapnpCopyBaseline(benchmark::State& state) {
  auto req = produce_16k();
  auto& src = req.partitions[0].records;
  for (auto _ : state) {
    std::vector<std::byte> dst(src.begin(), src.end());
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(state.iterations() * records_bytes(req));
}
BENCHMARK(BM_CapnpCopyBaseline);

void BM_CapnpEncode(benchmark::State& state) {
  auto req = produce_16k();
  for (auto _ : state) {
    auto e = sluice::schema::encode(req);
    benchmark::DoNotOptimize(e.bytes.data());
  }
  state.SetBytesProcessed(state.iterations() * records_bytes(req));
}
BENCHMARK(BM_CapnpEncode);

void BM_CapnpDecode(benchmark::State& state) {
  auto req = produce_16k();
  auto e = sluice::schema::encode(req);
  for (auto _ : state) {
    auto r = sluice::schema::decode<sluice::schema::produce_request>(e);
    if (!r.ok()) {
      state.SkipWithError(r.err().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(r->partitions.data());
  }
  state.SetBytesProcessed(state.iterations() * records_bytes(req));
}
BENCHMARK(BM_CapnpDecode);

} // namespace

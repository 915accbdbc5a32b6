// Micro-benchmarks of the storage engine. Figures, not tests: compare them with
// `dd` on the same filesystem in the same run (bench/store-vs-disk).
#include "store/batch.hpp"
#include "store/crc32c.hpp"
#include "store/index.hpp"
#include "store/partition_log.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

using namespace sluice;
using namespace sluice::store;
namespace fs = std::filesystem;

namespace {

// Where the benchmark logs live: $SLUICE_BENCH_DIR (so store-vs-disk can put
// them on the filesystem it measures dd on), else the temp directory.
fs::path bench_root() {
  if (const char* d = std::getenv("SLUICE_BENCH_DIR"))
    return d;
  return fs::temp_directory_path();
}

// A benchmark's log directory; kept after the run when $SLUICE_BENCH_KEEP is
// set, so store-vs-disk can `dd` the very segment files the benchmark read.
struct scratch_dir {
  fs::path path;
  explicit scratch_dir(const std::string& name)
    : path(bench_root() / (name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~scratch_dir() {
    if (!std::getenv("SLUICE_BENCH_KEEP"))
      fs::remove_all(path);
  }
};

// A batch of exactly `bytes` (when that fits a record): 100-byte records and a
// last one sized to fill the rest. Exact sizes keep appends page aligned like
// dd's blocks; a ragged size costs the page cache ~25% even for dd itself.
std::vector<std::byte> batch_of(size_t bytes) {
  batch_builder b(bytes + 1024);
  std::string value(100, 'v');
  while (b.size_bytes() + 2 * 110 <= bytes)
    b.add(timestamp_ms{1}, std::nullopt, std::string_view{value});
  for (size_t len = bytes > b.size_bytes() ? bytes - b.size_bytes() : 0; len > 0; --len) {
    batch_builder trial = b;
    std::string last(len, 'v');
    trial.add(timestamp_ms{1}, std::nullopt, std::string_view{last});
    if (trial.size_bytes() == bytes)
      return trial.finish();
  }
  if (b.empty())
    b.add(timestamp_ms{1}, std::nullopt, std::string_view{value});
  return b.finish();
}

// No retention: deleting a 1 GiB segment inside the timed loop would charge
// the append figure for an unlink that dd never does. The scratch directory
// goes at the end of each run.
log_config bench_config() {
  log_config c;
  c.retention_ms = -1;
  return c;
}

void BM_LogAppend(benchmark::State& state) {
  scratch_dir dir{"sluice-bench-append"};
  auto l = partition_log::open(dir.path, bench_config());
  if (!l) {
    state.SkipWithError(l.err().to_string().c_str());
    return;
  }
  auto batch = batch_of(static_cast<size_t>(state.range(0)));
  uint64_t records = 0;
  for (auto _ : state) {
    auto r = (*l)->append(batch);
    if (!r) {
      state.SkipWithError(r.err().to_string().c_str());
      break;
    }
    records += r->record_count;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(records),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LogAppend)->Arg(1 << 10)->Arg(16 << 10)->Arg(256 << 10)->Arg(1 << 20);

// Sequential reads of a prefilled log, 1 MiB per read, from page cache.
void BM_LogRead(benchmark::State& state) {
  scratch_dir dir{"sluice-bench-read"};
  auto l = partition_log::open(dir.path, bench_config());
  if (!l) {
    state.SkipWithError(l.err().to_string().c_str());
    return;
  }
  auto batch = batch_of(static_cast<size_t>(state.range(0)));
  const size_t fill_bytes = 256 << 20;
  for (size_t done = 0; done < fill_bytes; done += batch.size())
    (void)(*l)->append(batch);
  offset pos = (*l)->log_start_offset();
  uint64_t bytes = 0;
  read_result r; // reused, as a partition actor serving one consumer would
  for (auto _ : state) {
    if (auto st = (*l)->read(pos, 1 << 20, r); !st) {
      state.SkipWithError(st.err().to_string().c_str());
      break;
    }
    bytes += r.bytes.size();
    benchmark::DoNotOptimize(r.bytes.data());
    pos = r.next_offset >= (*l)->log_end_offset() ? (*l)->log_start_offset() : r.next_offset;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_LogRead)->Arg(1 << 10)->Arg(16 << 10)->Arg(256 << 10)->Arg(1 << 20);

// Floor lookups in the offset index of a full 1 GiB segment (one entry per 4 KiB).
// Log compaction (store/log_cleaner.hpp): clean_log over 32 MiB of closed 4 MiB segments of
// 100-byte records, `range(0)` distinct keys updated round-robin (so all but the last round
// goes). Each iteration cleans the same prefilled log (the .cleaned files are deleted, never
// installed): bytes processed = bytes of segments read. Compare with BM_LogRead's MB/s of the
// same run, the page-cache read rate.
void BM_CleanLog(benchmark::State& state) {
  scratch_dir dir{"sluice-bench-clean"};
  auto cfg = bench_config();
  cfg.compacted = true;
  cfg.segment_bytes = 4u << 20;
  auto l = partition_log::open(dir.path, cfg);
  if (!l) {
    state.SkipWithError(l.err().to_string().c_str());
    return;
  }
  const auto keys = static_cast<int64_t>(state.range(0));
  std::string value(100, 'v');
  int64_t k = 0;
  while ((*l)->size_bytes() < (32u << 20)) {
    batch_builder b;
    for (int i = 0; i < 100; ++i, ++k) {
      auto key = "key-" + std::to_string(k % keys);
      b.add(timestamp_ms{1}, std::string_view{key}, std::string_view{value});
    }
    auto batch = b.finish();
    if (auto r = (*l)->append(batch); !r) {
      state.SkipWithError(r.err().to_string().c_str());
      return;
    }
  }
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto job = (*l)->plan_cleaning((*l)->log_end_offset(), 64u << 20);
    if (!job || !*job) {
      state.SkipWithError("nothing to clean");
      break;
    }
    auto r = clean_log(**job);
    if (!r) {
      state.SkipWithError(r.err().to_string().c_str());
      break;
    }
    bytes += r->stats.bytes_read;
    remove_cleaned(dir.path, r->swap.bases);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_CleanLog)->Arg(1000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_IndexLookup(benchmark::State& state) {
  scratch_dir dir{"sluice-bench-index"};
  fs::create_directories(dir.path);
  auto idx = offset_index::create(dir.path / "00000000000000000000.index");
  const uint32_t entries = (1u << 30) / 4096;
  for (uint32_t i = 1; i <= entries; ++i)
    idx->append({i * 40, i * 4096});
  std::mt19937 rng{1};
  uint64_t found = 0;
  for (auto _ : state) {
    auto e = idx->floor(rng() % (entries * 40));
    found += e ? e->position : 0;
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexLookup);

void BM_Crc32c(benchmark::State& state) {
  std::vector<std::byte> buf(static_cast<size_t>(state.range(0)), std::byte{0x5a});
  uint32_t c = 0;
  for (auto _ : state)
    c = crc32c::extend(c, buf.data(), buf.size());
  benchmark::DoNotOptimize(c);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_Crc32c)->Arg(64)->Arg(1 << 10)->Arg(16 << 10)->Arg(256 << 10)->Arg(1 << 20);

void BM_Crc32cPortable(benchmark::State& state) {
  std::vector<std::byte> buf(static_cast<size_t>(state.range(0)), std::byte{0x5a});
  uint32_t c = 0;
  for (auto _ : state)
    c = crc32c::extend_portable(c, buf.data(), buf.size());
  benchmark::DoNotOptimize(c);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_Crc32cPortable)->Arg(16 << 10);

} // namespace

int main(int argc, char** argv) {
  // bench/store-vs-disk compares appends with a dd of exactly the same bytes, so
  // it asks for a fixed iteration count: Google Benchmark's own calibration runs
  // would otherwise write several times more than dd and meet writeback
  // throttling that dd never does.
  if (const char* n = std::getenv("SLUICE_BENCH_ITERATIONS"))
    for (int64_t batch : {int64_t{1} << 10, int64_t{16} << 10, int64_t{256} << 10, int64_t{1} << 20})
      benchmark::RegisterBenchmark("BM_LogAppendFixed", BM_LogAppend)
        ->Arg(batch)
        ->Iterations(std::atoll(n));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

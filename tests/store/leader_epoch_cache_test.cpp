#define CAF_SUITE store.leader_epoch_cache
#include <caf/test/unit_test.hpp>

#include "store/crc32c.hpp"
#include "store/leader_epoch_cache.hpp"
#include "store/leader_epoch_format.hpp"
#include "tests/store/temp_dir.hpp"

#include <cstring>
#include <fstream>

using namespace sluice;
using namespace sluice::store;
using namespace sluice::test;
namespace fs = std::filesystem;

namespace {

epoch_entry entry(int32_t epoch, int64_t start) { return {leader_epoch{epoch}, offset{start}}; }
epoch_end answer(int32_t epoch, int64_t end) { return {leader_epoch{epoch}, offset{end}}; }

struct fixture {
  temp_dir dir;
  fs::path path = dir.path() / leader_epoch_format::file_name;

  // A history holding `entries`, assigned in order.
  leader_epoch_cache make(std::initializer_list<epoch_entry> entries) {
    leader_epoch_cache c{path};
    for (auto& e : entries) {
      auto r = c.assign(e.epoch, e.start_offset);
      if (!r || !*r)
        CAF_FAIL("assign(" << e.epoch << ", " << e.start_offset << ") did not add an entry");
    }
    return c;
  }

  // (1,0) (3,10) (4,25), the history of the worked examples in the header.
  leader_epoch_cache three() { return make({entry(1, 0), entry(3, 10), entry(4, 25)}); }

  std::string file_bytes() const {
    std::ifstream f{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{f}, {}};
  }

  void write_bytes(const std::string& data) const {
    std::ofstream f{path, std::ios::binary | std::ios::trunc};
    f << data;
  }

  // Rewrites the trailing CRC so that only the edit under test is wrong.
  void fix_crc(std::string& data) const {
    auto n = data.size() - leader_epoch_format::crc_size;
    uint32_t crc = crc32c::value(reinterpret_cast<const std::byte*>(data.data()), n);
    std::memcpy(data.data() + n, &crc, 4);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(leader_epoch_cache_tests, fixture)

CAF_TEST(a new history is empty and answers undefined) {
  leader_epoch_cache c{path};
  CAF_CHECK(c.entries().empty());
  CAF_CHECK(!c.latest_epoch());
  CAF_CHECK_EQUAL(c.end_offset_for(leader_epoch{0}, offset{10}), epoch_end{});
  CAF_CHECK(!c.dirty());
}

CAF_TEST(assign appends a newer epoch) {
  auto c = three();
  CAF_CHECK_EQUAL(c.entries(), (std::vector{entry(1, 0), entry(3, 10), entry(4, 25)}));
  CAF_CHECK_EQUAL(c.latest_epoch(), leader_epoch{4});
  CAF_CHECK(c.dirty());
}

CAF_TEST(assign ignores the latest epoch again) {
  auto c = three();
  auto r = c.assign(leader_epoch{4}, offset{30});
  CAF_REQUIRE(r.ok());
  CAF_CHECK(!r.value());
  CAF_CHECK_EQUAL(c.entries().back(), entry(4, 25));
}

CAF_TEST(assign ignores an epoch older than the latest) {
  auto c = three();
  auto r = c.assign(leader_epoch{2}, offset{40});
  CAF_REQUIRE(r.ok());
  CAF_CHECK(!r.value());
  CAF_CHECK_EQUAL(c.entries().size(), 3u);
}

CAF_TEST(assign accepts a new epoch at the same start offset) {
  auto c = three();
  auto r = c.assign(leader_epoch{5}, offset{25});
  CAF_REQUIRE(r.ok());
  CAF_CHECK(r.value());
  CAF_CHECK_EQUAL(c.entries().back(), entry(5, 25));
}

CAF_TEST(assign refuses a new epoch starting before the latest) {
  auto c = three();
  auto r = c.assign(leader_epoch{5}, offset{24});
  CAF_CHECK_EQUAL(r.code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(c.entries().size(), 3u);
}

CAF_TEST(assign refuses negative values) {
  leader_epoch_cache c{path};
  CAF_CHECK_EQUAL(c.assign(leader_epoch{-1}, offset{0}).code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(c.assign(leader_epoch{0}, offset{-1}).code(), errc::invalid_argument);
  CAF_CHECK(c.entries().empty());
  CAF_CHECK(!c.dirty());
}

CAF_TEST(end offset for an exact epoch is the next epoch start) {
  CAF_CHECK_EQUAL(three().end_offset_for(leader_epoch{3}, offset{30}), answer(3, 25));
  CAF_CHECK_EQUAL(three().end_offset_for(leader_epoch{1}, offset{30}), answer(1, 10));
}

CAF_TEST(end offset for an epoch between entries is the floor epoch end) {
  CAF_CHECK_EQUAL(three().end_offset_for(leader_epoch{2}, offset{30}), answer(1, 10));
}

CAF_TEST(end offset for the latest epoch is the log end) {
  CAF_CHECK_EQUAL(three().end_offset_for(leader_epoch{4}, offset{30}), answer(4, 30));
}

CAF_TEST(end offset for an epoch above the latest is the latest and the log end) {
  CAF_CHECK_EQUAL(three().end_offset_for(leader_epoch{9}, offset{30}), answer(4, 30));
}

CAF_TEST(end offset for an epoch below the first is undefined at the first start) {
  auto c = make({entry(2, 7), entry(5, 20)});
  CAF_CHECK_EQUAL(c.end_offset_for(leader_epoch{1}, offset{30}), answer(-1, 7));
  CAF_CHECK_EQUAL(c.end_offset_for(leader_epoch{-1}, offset{30}), answer(-1, 7));
}

CAF_TEST(end offset for an epoch that wrote nothing is its own start) {
  // Epoch 3 was assigned at 10 but epoch 4 took over before it appended.
  auto c = make({entry(1, 0), entry(3, 10), entry(4, 10)});
  CAF_CHECK_EQUAL(c.end_offset_for(leader_epoch{3}, offset{30}), answer(3, 10));
}

CAF_TEST(epoch at finds the entry an offset falls into) {
  auto c = three();
  CAF_CHECK_EQUAL(c.epoch_at(offset{0}), leader_epoch{1});
  CAF_CHECK_EQUAL(c.epoch_at(offset{9}), leader_epoch{1});
  CAF_CHECK_EQUAL(c.epoch_at(offset{10}), leader_epoch{3});
  CAF_CHECK_EQUAL(c.epoch_at(offset{1000}), leader_epoch{4});
  CAF_CHECK(!make({entry(2, 7)}).epoch_at(offset{6}));
}

CAF_TEST(truncate from end drops entries starting at or after the offset) {
  auto c = three();
  CAF_CHECK(c.truncate_from_end(offset{10}));
  CAF_CHECK_EQUAL(c.entries(), (std::vector{entry(1, 0)}));
}

CAF_TEST(truncate from end inside the latest epoch keeps it) {
  auto c = three();
  CAF_CHECK(c.flush().ok());
  CAF_CHECK(!c.truncate_from_end(offset{26}));
  CAF_CHECK_EQUAL(c.entries().size(), 3u);
  CAF_CHECK(!c.dirty());
}

CAF_TEST(truncate from end to zero empties the history) {
  auto c = three();
  CAF_CHECK(c.truncate_from_end(offset{0}));
  CAF_CHECK(c.entries().empty());
}

CAF_TEST(truncate from start moves the covering entry up) {
  auto c = three();
  CAF_CHECK(c.truncate_from_start(offset{12}));
  CAF_CHECK_EQUAL(c.entries(), (std::vector{entry(3, 12), entry(4, 25)}));
}

CAF_TEST(truncate from start at an entry start drops only earlier entries) {
  auto c = three();
  CAF_CHECK(c.truncate_from_start(offset{10}));
  CAF_CHECK_EQUAL(c.entries(), (std::vector{entry(3, 10), entry(4, 25)}));
}

CAF_TEST(truncate from start past every entry keeps the latest at the new start) {
  auto c = three();
  CAF_CHECK(c.truncate_from_start(offset{99}));
  CAF_CHECK_EQUAL(c.entries(), (std::vector{entry(4, 99)}));
}

CAF_TEST(truncate from start before the first entry changes nothing) {
  auto c = make({entry(2, 7), entry(5, 20)});
  CAF_CHECK(c.flush().ok());
  CAF_CHECK(!c.truncate_from_start(offset{7}));
  CAF_CHECK(!c.truncate_from_start(offset{3}));
  CAF_CHECK_EQUAL(c.entries(), (std::vector{entry(2, 7), entry(5, 20)}));
  CAF_CHECK(!c.dirty());
}

CAF_TEST(persistence round trips) {
  auto c = three();
  CAF_REQUIRE(c.flush().ok());
  CAF_CHECK(!c.dirty());
  auto back = leader_epoch_cache::load(path);
  CAF_REQUIRE(back.ok());
  CAF_CHECK_EQUAL(back->entries(), c.entries());
  CAF_CHECK(!back->dirty());
}

CAF_TEST(an empty history round trips) {
  auto c = three();
  CAF_REQUIRE(c.flush().ok());
  CAF_CHECK(c.clear());
  CAF_REQUIRE(c.flush().ok());
  auto back = leader_epoch_cache::load(path);
  CAF_REQUIRE(back.ok());
  CAF_CHECK(back->entries().empty());
}

CAF_TEST(the file layout is the one leader epoch format states) {
  auto c = make({entry(7, 0x0102030405), entry(9, 0x0a0b0c0d0e)});
  CAF_REQUIRE(c.flush().ok());
  auto bytes = file_bytes();
  CAF_REQUIRE_EQUAL(bytes.size(), leader_epoch_format::file_size(2));
  CAF_CHECK_EQUAL(bytes.size(), 40u);
  std::string expect{"SLLE\x01\x00\x00\x00\x02\x00\x00\x00", 12};
  expect += std::string{"\x07\x00\x00\x00\x05\x04\x03\x02\x01\x00\x00\x00", 12};
  expect += std::string{"\x09\x00\x00\x00\x0e\x0d\x0c\x0b\x0a\x00\x00\x00", 12};
  CAF_CHECK(bytes.substr(0, 36) == expect);
  uint32_t crc;
  std::memcpy(&crc, bytes.data() + 36, 4);
  CAF_CHECK_EQUAL(crc, crc32c::value(reinterpret_cast<const std::byte*>(bytes.data()), 36));
}

CAF_TEST(a missing file is not found) {
  CAF_CHECK_EQUAL(leader_epoch_cache::load(path).code(), errc::not_found);
}

CAF_TEST(a flipped byte is a CRC mismatch) {
  CAF_REQUIRE(three().flush().ok());
  auto bytes = file_bytes();
  bytes[20] ^= 0x01;
  write_bytes(bytes);
  auto r = leader_epoch_cache::load(path);
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_checkpoint);
  CAF_CHECK(r.err().message.find("CRC") != std::string::npos);
}

CAF_TEST(a truncated file is corrupt) {
  CAF_REQUIRE(three().flush().ok());
  auto bytes = file_bytes();
  write_bytes(bytes.substr(0, bytes.size() - 5));
  auto r = leader_epoch_cache::load(path);
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_checkpoint);
  CAF_CHECK(r.err().message.find(path.string()) != std::string::npos);
}

CAF_TEST(a file shorter than a header is corrupt) {
  write_bytes("SLLE");
  CAF_CHECK_EQUAL(leader_epoch_cache::load(path).code(), errc::corrupt_checkpoint);
}

CAF_TEST(an entry count that disagrees with the size is corrupt) {
  CAF_REQUIRE(three().flush().ok());
  auto bytes = file_bytes();
  bytes[leader_epoch_format::count_pos] = '\xff';
  bytes[leader_epoch_format::count_pos + 3] = '\xff';
  fix_crc(bytes);
  write_bytes(bytes);
  CAF_CHECK_EQUAL(leader_epoch_cache::load(path).code(), errc::corrupt_checkpoint);
}

CAF_TEST(a bad magic is corrupt) {
  CAF_REQUIRE(three().flush().ok());
  auto bytes = file_bytes();
  bytes[0] = 'X';
  fix_crc(bytes);
  write_bytes(bytes);
  auto r = leader_epoch_cache::load(path);
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_checkpoint);
  CAF_CHECK(r.err().message.find("magic") != std::string::npos);
}

CAF_TEST(an unknown version is corrupt) {
  CAF_REQUIRE(three().flush().ok());
  auto bytes = file_bytes();
  bytes[leader_epoch_format::version_pos] = 2;
  fix_crc(bytes);
  write_bytes(bytes);
  CAF_CHECK_EQUAL(leader_epoch_cache::load(path).code(), errc::corrupt_checkpoint);
}

CAF_TEST(entries out of order are corrupt even with a good CRC) {
  CAF_REQUIRE(make({entry(3, 0), entry(5, 10)}).flush().ok());
  auto bytes = file_bytes();
  // The second entry's epoch becomes 2, below the first's.
  bytes[leader_epoch_format::entries_pos + leader_epoch_format::entry_size] = 2;
  fix_crc(bytes);
  write_bytes(bytes);
  auto r = leader_epoch_cache::load(path);
  CAF_CHECK_EQUAL(r.code(), errc::corrupt_checkpoint);
  CAF_CHECK(r.err().message.find("does not follow") != std::string::npos);
}

CAF_TEST(a negative entry is corrupt even with a good CRC) {
  CAF_REQUIRE(make({entry(3, 0)}).flush().ok());
  auto bytes = file_bytes();
  bytes[leader_epoch_format::entries_pos + 3] = '\x80';
  fix_crc(bytes);
  write_bytes(bytes);
  CAF_CHECK_EQUAL(leader_epoch_cache::load(path).code(), errc::corrupt_checkpoint);
}

CAF_TEST(a failed flush keeps the history dirty) {
  leader_epoch_cache c{dir.path() / "missing-dir" / leader_epoch_format::file_name};
  CAF_REQUIRE(c.assign(leader_epoch{1}, offset{0}).ok());
  CAF_CHECK_EQUAL(c.flush().code(), errc::io_error);
  CAF_CHECK(c.dirty());
}

CAF_TEST_FIXTURE_SCOPE_END()

#define CAF_SUITE store.kv_store
#include <caf/test/unit_test.hpp>

#include "store/kv_store.hpp"
#include "store/kv_store_format.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <thread>
#include <unistd.h>

using namespace sluice;
using namespace sluice::store;
namespace fs = std::filesystem;

// Fails the test with the store's own message, which names the path and the LMDB error.
#define REQUIRE_OK(expr)                                                       \
  do {                                                                         \
    auto&& r_ = (expr);                                                        \
    if (!r_.ok())                                                              \
      CAF_FAIL(#expr << " failed: " << r_.err().to_string());                  \
  } while (false)

namespace {

std::string bytes(std::initializer_list<int> bs) {
  std::string out;
  for (int b : bs)
    out.push_back(static_cast<char>(b));
  return out;
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream f{p, std::ios::binary | std::ios::trunc};
  f << content;
}

// By value: CAF_CHECK_EQUAL binds a reference to its argument, and value() of a temporary
// result would dangle.
std::string value_of(result<std::string> r) {
  if (!r.ok())
    return "<" + r.err().to_string() + ">";
  return std::move(r).value();
}

bool one_line(const error& e) { return e.message.find('\n') == std::string::npos; }

std::vector<std::string> keys_of(const kv_pairs& pairs) {
  std::vector<std::string> out;
  for (auto& [k, v] : pairs)
    out.push_back(k);
  return out;
}

// A fresh temporary directory per test; the store lives in its subdirectory "kv" so that
// open() also exercises creating the directory.
struct fixture {
  fs::path tmp;
  fs::path dir;
  std::unique_ptr<kv_store> store;
  kv_db offsets;
  kv_db meta;

  fixture() {
    char tmpl[] = "/tmp/sluice-kv-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      std::abort();
    tmp = tmpl;
    dir = tmp / "kv";
  }

  ~fixture() {
    store.reset();
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }

  // (Re)opens the store and the two databases most tests use.
  void open(const kv_options& options = {}) {
    store.reset();
    auto s = kv_store::open(dir, options);
    REQUIRE_OK(s);
    store = std::move(*s);
    auto o = store->db("offsets");
    REQUIRE_OK(o);
    offsets = *o;
    auto m = store->db("meta");
    REQUIRE_OK(m);
    meta = *m;
  }

  std::vector<std::string> scan_keys(kv_db db, std::string_view prefix) {
    auto r = store->scan_prefix(db, prefix);
    REQUIRE_OK(r);
    return keys_of(*r);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(kv_store_tests, fixture)

// --- single operations ----------------------------------------------------------------------

CAF_TEST(put then get returns the value and del removes it) {
  open();
  REQUIRE_OK(store->put(offsets, "k", "v1"));
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "k")), "v1");
  REQUIRE_OK(store->put(offsets, "k", "v2"));
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "k")), "v2");
  REQUIRE_OK(store->del(offsets, "k"));
  CAF_CHECK_EQUAL(store->get(offsets, "k").code(), errc::not_found);
}

CAF_TEST(get of a missing key is not_found with the key in the message) {
  open();
  auto r = store->get(offsets, "absent");
  CAF_REQUIRE_EQUAL(r.code(), errc::not_found);
  CAF_CHECK(r.err().message.find("'absent'") != std::string::npos);
  CAF_CHECK(r.err().message.find(dir.string()) != std::string::npos);
}

CAF_TEST(del of a missing key succeeds) {
  open();
  REQUIRE_OK(store->del(offsets, "absent"));
  CAF_CHECK_EQUAL(store->get(offsets, "absent").code(), errc::not_found);
}

CAF_TEST(values are binary safe and may be empty) {
  open();
  auto v = bytes({0x00, 0xFF, 0x00, 0x80});
  REQUIRE_OK(store->put(offsets, bytes({0x00}), v));
  REQUIRE_OK(store->put(offsets, "empty", ""));
  CAF_CHECK_EQUAL(value_of(store->get(offsets, bytes({0x00}))), v);
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "empty")), "");
}

CAF_TEST(empty and oversized keys are invalid_argument) {
  open();
  std::string longest(store->max_key_bytes(), 'k');
  REQUIRE_OK(store->put(offsets, longest, "v"));
  CAF_CHECK_EQUAL(store->put(offsets, longest + "k", "v").code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(store->put(offsets, "", "v").code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(store->get(offsets, "").code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(store->del(offsets, "").code(), errc::invalid_argument);
}

CAF_TEST(a default constructed database handle is invalid_argument) {
  open();
  kv_db none;
  CAF_CHECK(!none.valid());
  CAF_CHECK_EQUAL(store->put(none, "k", "v").code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(store->get(none, "k").code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(store->scan_prefix(none, "").code(), errc::invalid_argument);
}

// --- durability -----------------------------------------------------------------------------

CAF_TEST(reopen keeps data in every named database) {
  open();
  REQUIRE_OK(store->put(offsets, "g1", "42"));
  REQUIRE_OK(store->put(meta, "topics", "t1,t2"));
  REQUIRE_OK(store->put(offsets, "gone", "x"));
  REQUIRE_OK(store->del(offsets, "gone"));
  open();
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "g1")), "42");
  CAF_CHECK_EQUAL(value_of(store->get(meta, "topics")), "t1,t2");
  CAF_CHECK_EQUAL(store->get(offsets, "gone").code(), errc::not_found);
}

CAF_TEST(reopen with sync_on_commit off keeps data after sync) {
  kv_options o;
  o.sync_on_commit = false;
  open(o);
  REQUIRE_OK(store->put(offsets, "k", "v"));
  REQUIRE_OK(store->sync());
  open();
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "k")), "v");
}

// --- transactions ---------------------------------------------------------------------------

CAF_TEST(write transaction destroyed without commit leaves nothing) {
  open();
  {
    auto txn = store->begin_write();
    REQUIRE_OK(txn);
    REQUIRE_OK(txn->put(offsets, "a", "1"));
    REQUIRE_OK(txn->put(meta, "b", "2"));
  }
  CAF_CHECK_EQUAL(store->get(offsets, "a").code(), errc::not_found);
  CAF_CHECK_EQUAL(store->get(meta, "b").code(), errc::not_found);
  open();
  CAF_CHECK(scan_keys(offsets, "").empty());
  CAF_CHECK(scan_keys(meta, "").empty());
}

CAF_TEST(explicit abort after writes across two databases leaves the old state) {
  open();
  REQUIRE_OK(store->put(offsets, "keep", "old"));
  REQUIRE_OK(store->put(meta, "doomed", "old"));
  auto txn = store->begin_write();
  REQUIRE_OK(txn);
  REQUIRE_OK(txn->put(offsets, "keep", "new"));
  REQUIRE_OK(txn->put(offsets, "x", "1"));
  REQUIRE_OK(txn->del(meta, "doomed"));
  REQUIRE_OK(txn->put(meta, "y", "2"));
  txn->abort();
  CAF_CHECK_EQUAL(txn->commit().code(), errc::invalid_argument); // already ended
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "keep")), "old");
  CAF_CHECK_EQUAL(value_of(store->get(meta, "doomed")), "old");
  CAF_CHECK_EQUAL(scan_keys(offsets, ""), std::vector<std::string>{"keep"});
  CAF_CHECK_EQUAL(scan_keys(meta, ""), std::vector<std::string>{"doomed"});
}

CAF_TEST(multi key commit is atomic for readers) {
  open();
  auto before = store->begin_read();
  REQUIRE_OK(before);
  auto txn = store->begin_write();
  REQUIRE_OK(txn);
  REQUIRE_OK(txn->put(offsets, "a", "1"));
  REQUIRE_OK(txn->put(offsets, "b", "2"));
  REQUIRE_OK(txn->put(meta, "c", "3"));
  // Not yet committed: a new reader sees nothing.
  CAF_CHECK_EQUAL(store->get(offsets, "a").code(), errc::not_found);
  REQUIRE_OK(txn->commit());
  // A snapshot taken before the commit still sees nothing; a new one sees everything.
  CAF_CHECK_EQUAL(before->get(offsets, "a").code(), errc::not_found);
  CAF_CHECK_EQUAL(before->get(meta, "c").code(), errc::not_found);
  CAF_CHECK_EQUAL(scan_keys(offsets, ""), (std::vector<std::string>{"a", "b"}));
  CAF_CHECK_EQUAL(value_of(store->get(meta, "c")), "3");
}

CAF_TEST(write transaction reads its own writes) {
  open();
  REQUIRE_OK(store->put(offsets, "old", "0"));
  auto txn = store->begin_write();
  REQUIRE_OK(txn);
  REQUIRE_OK(txn->put(offsets, "new", "1"));
  REQUIRE_OK(txn->del(offsets, "old"));
  CAF_CHECK_EQUAL(value_of(txn->get(offsets, "new")), "1");
  CAF_CHECK_EQUAL(txn->get(offsets, "old").code(), errc::not_found);
  auto all = txn->scan_prefix(offsets, "");
  REQUIRE_OK(all);
  CAF_CHECK_EQUAL(keys_of(*all), std::vector<std::string>{"new"});
}

CAF_TEST(a failed put fails the whole transaction) {
  open();
  auto txn = store->begin_write();
  REQUIRE_OK(txn);
  REQUIRE_OK(txn->put(offsets, "a", "1"));
  CAF_CHECK_EQUAL(txn->put(offsets, "", "bad").code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(txn->put(offsets, "b", "2").code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(txn->commit().code(), errc::invalid_argument);
  CAF_CHECK(scan_keys(offsets, "").empty());
  REQUIRE_OK(store->put(offsets, "c", "3")); // the writer lock was released
}

CAF_TEST(map full fails the transaction and the store stays usable) {
  kv_options o;
  o.map_size_bytes = 1 << 20;
  open(o);
  REQUIRE_OK(store->put(offsets, "small", "v"));
  auto txn = store->begin_write();
  REQUIRE_OK(txn);
  std::string value(64 << 10, 'x');
  status st;
  for (int i = 0; i < 64 && st.ok(); ++i) // 4 MiB into a 1 MiB map
    st = txn->put(offsets, "big" + std::to_string(i), value);
  CAF_REQUIRE_EQUAL(st.code(), errc::kv_error);
  CAF_CHECK(st.err().message.find("MDB_MAP_FULL") != std::string::npos);
  CAF_CHECK(txn->commit().code() != errc::ok);
  CAF_CHECK_EQUAL(scan_keys(offsets, ""), std::vector<std::string>{"small"});
  REQUIRE_OK(store->put(offsets, "after", "v"));
}

CAF_TEST(a second write transaction on one thread is refused instead of deadlocking) {
  open();
  auto txn = store->begin_write();
  REQUIRE_OK(txn);
  CAF_CHECK_EQUAL(store->begin_write().code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(store->put(offsets, "k", "v").code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(store->db("new").code(), errc::invalid_argument);
  REQUIRE_OK(store->db("offsets")); // already open: no transaction needed
  REQUIRE_OK(txn->commit());
  REQUIRE_OK(store->begin_write());
}

CAF_TEST(write transactions on two threads serialise and reads move between threads) {
  open();
  auto txn = store->begin_write();
  REQUIRE_OK(txn);
  REQUIRE_OK(txn->put(offsets, "a", "1"));
  status other;
  std::thread t{[&] { other = store->put(offsets, "b", "2"); }}; // waits for the writer lock
  REQUIRE_OK(txn->commit());
  t.join();
  REQUIRE_OK(other);
  auto snap = store->begin_read();
  REQUIRE_OK(snap);
  result<kv_pairs> seen = error{};
  std::thread{[&] { seen = snap->scan_prefix(offsets, ""); }}.join(); // MDB_NOTLS
  REQUIRE_OK(seen);
  CAF_CHECK_EQUAL(keys_of(*seen), (std::vector<std::string>{"a", "b"}));
}

CAF_TEST(a moved write transaction commits once) {
  open();
  auto txn = store->begin_write();
  REQUIRE_OK(txn);
  kv_write_txn moved = std::move(*txn);
  REQUIRE_OK(moved.put(offsets, "k", "v"));
  REQUIRE_OK(moved.commit());
  CAF_CHECK_EQUAL(moved.commit().code(), errc::invalid_argument);
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "k")), "v");
}

// --- prefix scans ---------------------------------------------------------------------------

CAF_TEST(prefix scan returns exactly the matching keys in order) {
  open();
  for (auto k : {"b", "a/2", "a/10", "a/1", "a", "a0", "/"})
    REQUIRE_OK(store->put(offsets, k, std::string{"v:"} + k));
  auto r = store->scan_prefix(offsets, "a/");
  REQUIRE_OK(r);
  CAF_CHECK_EQUAL(keys_of(*r), (std::vector<std::string>{"a/1", "a/10", "a/2"}));
  CAF_CHECK_EQUAL(r->front().second, "v:a/1");
  CAF_CHECK_EQUAL(scan_keys(offsets, "a"),
                  (std::vector<std::string>{"a", "a/1", "a/10", "a/2", "a0"}));
}

CAF_TEST(empty prefix scans the whole database) {
  open();
  for (auto k : {"c", "a", "b"})
    REQUIRE_OK(store->put(offsets, k, "v"));
  REQUIRE_OK(store->put(offsets, bytes({0xFF}), "v"));
  CAF_CHECK_EQUAL(scan_keys(offsets, ""),
                  (std::vector<std::string>{"a", "b", "c", bytes({0xFF})}));
}

CAF_TEST(prefix of 0xFF bytes matches keys that start with them and sorts unsigned) {
  open();
  auto ff = bytes({0xFF});
  auto ffff = bytes({0xFF, 0xFF});
  auto ffff00 = bytes({0xFF, 0xFF, 0x00});
  auto feff = bytes({0xFE, 0xFF});
  for (auto& k : {ffff00, ff, feff, ffff, bytes({0x7F})})
    REQUIRE_OK(store->put(offsets, k, "v"));
  CAF_CHECK_EQUAL(scan_keys(offsets, ff), (std::vector<std::string>{ff, ffff, ffff00}));
  CAF_CHECK_EQUAL(scan_keys(offsets, ffff), (std::vector<std::string>{ffff, ffff00}));
  CAF_CHECK(scan_keys(offsets, bytes({0xFF, 0xFF, 0xFF})).empty());
}

CAF_TEST(prefix with no match returns nothing before between and after the keys) {
  open();
  for (auto k : {"b", "d"})
    REQUIRE_OK(store->put(offsets, k, "v"));
  CAF_CHECK(scan_keys(offsets, "a").empty());
  CAF_CHECK(scan_keys(offsets, "c").empty());
  CAF_CHECK(scan_keys(offsets, "e").empty());
  CAF_CHECK(scan_keys(offsets, "bb").empty());
  CAF_CHECK(scan_keys(offsets, std::string(store->max_key_bytes() + 1, 'b')).empty());
  CAF_CHECK(scan_keys(meta, "").empty());
}

CAF_TEST(prefix scan stops when the visitor returns false) {
  open();
  for (auto k : {"p1", "p2", "p3"})
    REQUIRE_OK(store->put(offsets, k, "v"));
  std::vector<std::string> seen;
  REQUIRE_OK(store->scan_prefix(offsets, "p", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return seen.size() < 2;
  }));
  CAF_CHECK_EQUAL(seen, (std::vector<std::string>{"p1", "p2"}));
}

// --- named databases ------------------------------------------------------------------------

CAF_TEST(named databases are isolated) {
  open();
  REQUIRE_OK(store->put(offsets, "k", "in offsets"));
  REQUIRE_OK(store->put(meta, "k", "in meta"));
  REQUIRE_OK(store->put(meta, "only-meta", "v"));
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "k")), "in offsets");
  CAF_CHECK_EQUAL(value_of(store->get(meta, "k")), "in meta");
  CAF_CHECK_EQUAL(store->get(offsets, "only-meta").code(), errc::not_found);
  CAF_CHECK_EQUAL(scan_keys(offsets, ""), std::vector<std::string>{"k"});
  REQUIRE_OK(store->del(meta, "k"));
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "k")), "in offsets");
}

CAF_TEST(opening a database twice gives the same handle) {
  open();
  auto again = store->db("offsets");
  REQUIRE_OK(again);
  REQUIRE_OK(store->put(*again, "k", "v"));
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "k")), "v");
  CAF_CHECK_EQUAL(again->name(), "offsets");
  CAF_CHECK_EQUAL(store->db("").code(), errc::invalid_argument);
}

CAF_TEST(more databases than max_dbs is kv_error) {
  kv_options o;
  o.max_dbs = 3;
  open(o); // offsets, meta
  REQUIRE_OK(store->db("third"));
  auto r = store->db("fourth");
  CAF_REQUIRE_EQUAL(r.code(), errc::kv_error);
  CAF_CHECK(r.err().message.find("MDB_DBS_FULL") != std::string::npos);
  REQUIRE_OK(store->put(offsets, "k", "v")); // the failed open released the writer lock
}

// --- bad input on open ----------------------------------------------------------------------

CAF_TEST(opening a regular file is io_error naming the path) {
  write_file(dir, "not a directory");
  auto r = kv_store::open(dir);
  CAF_REQUIRE_EQUAL(r.code(), errc::io_error);
  CAF_CHECK(r.err().message.find(dir.string()) != std::string::npos);
  CAF_CHECK(one_line(r.err()));
  CAF_MESSAGE(r.err().to_string());
}

CAF_TEST(opening under a nonexistent parent is io_error) {
  auto r = kv_store::open(tmp / "no" / "such" / "kv");
  CAF_REQUIRE_EQUAL(r.code(), errc::io_error);
  CAF_CHECK(one_line(r.err()));
  CAF_MESSAGE(r.err().to_string());
}

CAF_TEST(opening under a file used as a parent is io_error) {
  write_file(tmp / "file", "x");
  auto r = kv_store::open(tmp / "file" / "kv");
  CAF_REQUIRE_EQUAL(r.code(), errc::io_error);
  CAF_MESSAGE(r.err().to_string());
}

CAF_TEST(opening a directory that is not writable is io_error) {
  // Root ignores permission bits, so it needs a directory no one may write to.
  fs::path ro = tmp / "ro";
  if (::geteuid() == 0) {
    ro = "/sys";
    if (!fs::is_directory(ro)) {
      CAF_MESSAGE("skipped: running as root without /sys");
      CAF_CHECK(true);
      return;
    }
  } else {
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  }
  auto r = kv_store::open(ro);
  CAF_REQUIRE_EQUAL(r.code(), errc::io_error);
  CAF_CHECK(r.err().message.find(ro.string()) != std::string::npos);
  CAF_CHECK(one_line(r.err()));
  CAF_MESSAGE(r.err().to_string());
  std::error_code ec; // the fixture must be able to remove it
  fs::permissions(tmp / "ro", fs::perms::owner_all, fs::perm_options::replace, ec);
}

CAF_TEST(a garbage data file is foreign_file) {
  fs::create_directory(dir);
  write_file(dir / "data.mdb", std::string(16 << 10, '\xAB'));
  auto r = kv_store::open(dir);
  CAF_REQUIRE_EQUAL(r.code(), errc::foreign_file);
  CAF_CHECK(r.err().message.find(dir.string()) != std::string::npos);
  CAF_CHECK(r.err().message.find("MDB_INVALID") != std::string::npos);
  CAF_CHECK(one_line(r.err()));
  CAF_MESSAGE(r.err().to_string());
}

CAF_TEST(a short text file as data file is foreign_file) {
  fs::create_directory(dir);
  write_file(dir / "data.mdb", "hello, I am not LMDB\n");
  CAF_CHECK_EQUAL(kv_store::open(dir).code(), errc::foreign_file);
}

CAF_TEST(a truncated data file is foreign_file) {
  open();
  REQUIRE_OK(store->put(offsets, "k", "v"));
  store.reset();
  fs::resize_file(dir / "data.mdb", 100);
  CAF_CHECK_EQUAL(kv_store::open(dir).code(), errc::foreign_file);
}

CAF_TEST(an empty data file is a new store) {
  fs::create_directory(dir);
  write_file(dir / "data.mdb", "");
  open();
  REQUIRE_OK(store->put(offsets, "k", "v"));
  CAF_CHECK_EQUAL(value_of(store->get(offsets, "k")), "v");
}

CAF_TEST(opening one directory twice in a process is invalid_argument) {
  open();
  auto second = kv_store::open(dir);
  CAF_CHECK_EQUAL(second.code(), errc::invalid_argument);
  auto via_other_name = kv_store::open(dir / ".." / "kv");
  CAF_CHECK_EQUAL(via_other_name.code(), errc::invalid_argument);
  store.reset();
  REQUIRE_OK(kv_store::open(dir)); // closing released it
}

CAF_TEST_FIXTURE_SCOPE_END()

// --- key encodings --------------------------------------------------------------------------

CAF_TEST(format integers are big endian with the sign bit flipped) {
  std::string out;
  kv_format::append_int(out, uint32_t{0x01020304});
  kv_format::append_int(out, int32_t{-1});
  kv_format::append_int(out, int64_t{0});
  CAF_CHECK_EQUAL(out, bytes({1, 2, 3, 4, 0x7F, 0xFF, 0xFF, 0xFF,
                              0x80, 0, 0, 0, 0, 0, 0, 0}));
  std::string_view in = out;
  CAF_CHECK_EQUAL(kv_format::read_int<uint32_t>(in), uint32_t{0x01020304});
  CAF_CHECK_EQUAL(kv_format::read_int<int32_t>(in), int32_t{-1});
  CAF_CHECK_EQUAL(kv_format::read_int<int64_t>(in), int64_t{0});
  CAF_CHECK(in.empty());
  CAF_CHECK(!kv_format::read_int<int64_t>(in).has_value());
}

CAF_TEST(format integer encodings sort numerically) {
  int64_t values[] = {INT64_MIN, -256, -1, 0, 1, 255, 256, 1LL << 40, INT64_MAX};
  std::string prev;
  for (auto v : values) {
    std::string cur;
    kv_format::append_int(cur, v);
    CAF_CHECK_LESS(prev, cur);
    prev = cur;
  }
}

CAF_TEST(format partition key layout is byte exact and round trips) {
  auto k = kv_format::partition_key("ab", partition_id{3});
  CAF_CHECK_EQUAL(k, bytes({0, 2, 'a', 'b', 0x80, 0, 0, 3}));
  auto tp = kv_format::parse_partition_key(k);
  CAF_REQUIRE(tp.has_value());
  CAF_CHECK_EQUAL(tp->topic, "ab");
  CAF_CHECK_EQUAL(tp->partition, partition_id{3});
  for (size_t n = 0; n < k.size(); ++n)
    CAF_CHECK(!kv_format::parse_partition_key(k.substr(0, n)).has_value());
  CAF_CHECK(!kv_format::parse_partition_key(k + "x").has_value());
  auto g = kv_format::group_partition_key("g", "ab", partition_id{3});
  CAF_CHECK_EQUAL(g, bytes({0, 1, 'g'}) + k);
  auto off = kv_format::encode_offset(offset{42});
  CAF_CHECK_EQUAL(kv_format::decode_offset(off), offset{42});
  CAF_CHECK(!kv_format::decode_offset(off.substr(1)).has_value());
}

CAF_TEST_FIXTURE_SCOPE(kv_format_scans, fixture)

CAF_TEST(format topic prefix scan finds that topic only with partitions in numeric order) {
  open();
  for (int p : {10, 2, 1, 0})
    REQUIRE_OK(store->put(offsets, kv_format::partition_key("a", partition_id{p}), "v"));
  REQUIRE_OK(store->put(offsets, kv_format::partition_key("ab", partition_id{0}), "v"));
  std::string prefix;
  kv_format::append_str(prefix, "a");
  std::vector<int> parts;
  REQUIRE_OK(store->scan_prefix(offsets, prefix, [&](std::string_view k, std::string_view) {
    parts.push_back(kv_format::parse_partition_key(k)->partition.value);
    return true;
  }));
  CAF_CHECK_EQUAL(parts, (std::vector<int>{0, 1, 2, 10}));
}

CAF_TEST_FIXTURE_SCOPE_END()

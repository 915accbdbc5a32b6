#pragma once

#include "store/result.hpp"

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <utility>
#include <vector>

struct MDB_env;
struct MDB_txn;

namespace sluice::store {

// The node's LMDB environment: committed group offsets, the metadata snapshot, the Raft
// log and state, recovery points, the leader-epoch cache. One per node, in its own
// directory (data.mdb + lock.mdb). Keys are ordered bytewise (unsigned memcmp); see
// kv_store_format.hpp for encodings that make that order numeric.
//
// Lifetimes: every transaction must end before its store is destroyed; kv_db handles are
// valid for the life of the store that made them.
// Threads: read transactions may move between threads (MDB_NOTLS) but not be used by two at
// once. A write transaction must begin and end on one thread (LMDB's writer lock is a mutex),
// i.e. inside one actor handler; a second begin_write on another thread blocks until the
// first ends.
// Integrity: LMDB checks the file header on open (a foreign or truncated data.mdb is an
// error), not the B-tree pages; it has no checksums, so a file corrupted past its header is
// not detected.

struct kv_options {
  // Upper bound of the memory map, hence of data.mdb. Only address space is reserved; the
  // file grows as pages are used, so a large bound costs nothing on 64-bit. A write past it
  // fails its transaction with kv_error (MDB_MAP_FULL).
  size_t map_size_bytes = size_t{1} << 40;
  // Named databases the environment can hold; fixed while it is open.
  unsigned max_dbs = 32;
  // false sets MDB_NOSYNC: commits survive a process crash but not a power loss.
  bool sync_on_commit = true;
};

class kv_store;

// A named database of one store. Cheap to copy. A default-constructed handle is invalid and
// every operation on it fails with invalid_argument.
class kv_db {
public:
  kv_db() = default;
  bool valid() const { return store_ != nullptr; }
  std::string_view name() const { return name_ ? std::string_view{*name_} : std::string_view{}; }

private:
  friend class kv_store;
  friend class kv_txn;
  friend class kv_write_txn;
  kv_db(const kv_store* store, unsigned dbi, const std::string* name)
      : store_(store), dbi_(dbi), name_(name) {}

  const kv_store* store_ = nullptr;
  unsigned dbi_ = 0;
  const std::string* name_ = nullptr; // key of kv_store::dbs_, stable while the store lives
};

// Called per entry of a scan, in key order; return false to stop. The views point into the
// memory map (unaligned) and are valid only during the call.
using kv_visitor = std::function<bool(std::string_view key, std::string_view value)>;
using kv_pairs = std::vector<std::pair<std::string, std::string>>;

// Reads, shared by both kinds of transaction. All see one consistent snapshot; a write
// transaction also sees its own writes.
class kv_txn {
public:
  // A copy of the value (LMDB's pointer is unaligned and dies with the transaction);
  // not_found when the key is absent.
  result<std::string> get(kv_db db, std::string_view key) const;
  // Visits every key that starts with `prefix` (empty: all keys). Do not write through this
  // transaction from inside `fn`: collect the keys, then write.
  status scan_prefix(kv_db db, std::string_view prefix, const kv_visitor& fn) const;
  // The same, copied out.
  result<kv_pairs> scan_prefix(kv_db db, std::string_view prefix) const;

protected:
  kv_txn(const kv_store* store, MDB_txn* txn) : store_(store), txn_(txn) {}
  kv_txn(kv_txn&& other) noexcept;
  kv_txn& operator=(kv_txn&&) = delete;
  ~kv_txn(); // aborts a transaction still open

  status check_open(const char* op) const;
  status check_db(kv_db db, const char* op) const;
  status check_key(kv_db db, std::string_view key, const char* op) const;

  const kv_store* store_;
  MDB_txn* txn_; // null once ended or moved from
};

class kv_read_txn : public kv_txn {
public:
  kv_read_txn(kv_read_txn&&) noexcept = default;

private:
  friend class kv_store;
  kv_read_txn(const kv_store* store, MDB_txn* txn) : kv_txn(store, txn) {}
};

// All or nothing across keys and databases: readers see nothing until commit() returns ok,
// and destroying an uncommitted transaction aborts it. The first failed put/del fails the
// whole transaction: later writes and commit() return that error and nothing is written.
class kv_write_txn : public kv_txn {
public:
  kv_write_txn(kv_write_txn&& other) noexcept;
  ~kv_write_txn();

  status put(kv_db db, std::string_view key, std::string_view value);
  // Succeeds whether or not the key was present.
  status del(kv_db db, std::string_view key);
  status commit();
  void abort();

private:
  friend class kv_store;
  kv_write_txn(kv_store* store, MDB_txn* txn) : kv_txn(store, txn) {}
  status fail(error e);

  std::optional<error> failed_;
};

class kv_store {
public:
  // Opens (creating the directory itself if missing, not its parents) the environment in
  // `dir`. Errors: io_error (not a directory, missing parent, not writable), foreign_file
  // (data.mdb is not an LMDB file or is truncated), invalid_argument (already open in this
  // process: LMDB forbids two handles on one environment in a process).
  static result<std::unique_ptr<kv_store>> open(const std::filesystem::path& dir,
                                                const kv_options& options = {});
  ~kv_store();
  kv_store(const kv_store&) = delete;
  kv_store& operator=(const kv_store&) = delete;

  // The named database `name`, created on first use in a transaction of its own. Open every
  // database before starting transactions that use it: a read transaction begun earlier does
  // not see a newly created database, and creating one while this thread holds a write
  // transaction is refused (invalid_argument) because it would deadlock.
  result<kv_db> db(std::string_view name);

  result<kv_read_txn> begin_read() const;
  // invalid_argument if this thread already holds a write transaction (it would deadlock).
  result<kv_write_txn> begin_write();

  // Single operations, each in a transaction of its own.
  status put(kv_db db, std::string_view key, std::string_view value);
  status del(kv_db db, std::string_view key);
  result<std::string> get(kv_db db, std::string_view key) const;
  status scan_prefix(kv_db db, std::string_view prefix, const kv_visitor& fn) const;
  result<kv_pairs> scan_prefix(kv_db db, std::string_view prefix) const;

  // Flushes commits made with sync_on_commit = false.
  status sync();

  const std::string& path() const { return path_; }
  // Keys must be 1..max_key_bytes() long (511 for Debian's LMDB).
  size_t max_key_bytes() const { return max_key_bytes_; }

private:
  friend class kv_txn;
  friend class kv_write_txn;
  using dir_id = std::pair<dev_t, ino_t>;

  kv_store(MDB_env* env, std::string path, dir_id id);
  void end_write() const { writer_.store(std::thread::id{}); }
  bool this_thread_writes() const { return writer_.load() == std::this_thread::get_id(); }

  MDB_env* env_;
  std::string path_;
  dir_id id_; // key in the process-wide registry of open environments
  size_t max_key_bytes_;
  std::mutex dbs_mu_;
  std::map<std::string, unsigned, std::less<>> dbs_; // guarded by dbs_mu_; never erased
  // The thread holding the write transaction, to refuse a second one on it instead of
  // deadlocking on LMDB's writer lock.
  mutable std::atomic<std::thread::id> writer_{};
};

} // namespace sluice::store

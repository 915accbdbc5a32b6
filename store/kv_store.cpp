#include "store/kv_store.hpp"

#include <lmdb.h>

#include <cerrno>
#include <cstdio>
#include <set>
#include <sys/stat.h>

namespace sluice::store {

namespace {

// LMDB forbids opening one environment twice in a process (closing the second handle drops
// the first one's fcntl locks), so open() refuses a directory already in this set.
std::mutex registry_mu;
std::set<std::pair<dev_t, ino_t>> registry; // guarded by registry_mu

errc code_of(int rc) {
  if (rc == MDB_NOTFOUND)
    return errc::not_found;
  if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
    return errc::foreign_file;
  if (rc > 0 && rc != EINVAL) // an errno from the OS
    return errc::io_error;
  return errc::kv_error;
}

error lmdb_error(int rc, const std::string& what) {
  return make_error(code_of(rc), what + ": " + mdb_strerror(rc));
}

// A key for an error message: printable bytes as they are, others as \xNN, at most 64.
std::string quoted(std::string_view key) {
  constexpr size_t max_shown = 64;
  std::string out = "'";
  for (size_t i = 0; i < key.size() && i < max_shown; ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  if (key.size() > max_shown)
    out += "...";
  return out + "'";
}

MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view to_view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

std::string where(const kv_store& store, kv_db db) {
  return store.path() + " [" + std::string{db.name()} + "]";
}

} // namespace

// --- kv_txn -------------------------------------------------------------------------------

kv_txn::kv_txn(kv_txn&& other) noexcept
    : store_(other.store_), txn_(std::exchange(other.txn_, nullptr)) {}

kv_txn::~kv_txn() {
  if (txn_)
    mdb_txn_abort(txn_);
}

status kv_txn::check_open(const char* op) const {
  if (!txn_)
    return make_error(errc::invalid_argument,
                      std::string{op} + " in " + store_->path() + ": transaction already ended");
  return {};
}

status kv_txn::check_db(kv_db db, const char* op) const {
  SLUICE_TRY(check_open(op));
  if (db.store_ != store_)
    return make_error(errc::invalid_argument,
                      std::string{op} + " in " + store_->path() +
                        ": database handle is invalid or from another store");
  return {};
}

status kv_txn::check_key(kv_db db, std::string_view key, const char* op) const {
  SLUICE_TRY(check_db(db, op));
  if (key.empty() || key.size() > store_->max_key_bytes())
    return make_error(errc::invalid_argument,
                      std::string{op} + " " + where(*store_, db) + ": key of " +
                        std::to_string(key.size()) + " bytes, must be 1.." +
                        std::to_string(store_->max_key_bytes()));
  return {};
}

result<std::string> kv_txn::get(kv_db db, std::string_view key) const {
  SLUICE_TRY(check_key(db, key, "get from"));
  MDB_val k = to_val(key);
  MDB_val v;
  if (int rc = mdb_get(txn_, db.dbi_, &k, &v); rc != 0)
    return lmdb_error(rc, "get " + quoted(key) + " from " + where(*store_, db));
  return std::string{to_view(v)};
}

status kv_txn::scan_prefix(kv_db db, std::string_view prefix, const kv_visitor& fn) const {
  SLUICE_TRY(check_db(db, "scan"));
  // No key is longer than max_key_bytes, so no key starts with a longer prefix.
  if (prefix.size() > store_->max_key_bytes())
    return {};
  auto fail = [&](int rc) { return lmdb_error(rc, "scan " + quoted(prefix) + " in " + where(*store_, db)); };
  MDB_cursor* raw = nullptr;
  if (int rc = mdb_cursor_open(txn_, db.dbi_, &raw); rc != 0)
    return fail(rc);
  std::unique_ptr<MDB_cursor, decltype(&mdb_cursor_close)> cursor{raw, mdb_cursor_close};
  // MDB_SET_RANGE: the first key >= prefix. LMDB rejects an empty key, hence MDB_FIRST.
  MDB_val k = to_val(prefix);
  MDB_val v;
  int rc = mdb_cursor_get(raw, &k, &v, prefix.empty() ? MDB_FIRST : MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT)) {
    auto key = to_view(k);
    if (!key.starts_with(prefix)) // keys are sorted: past the last match
      return {};
    if (!fn(key, to_view(v)))
      return {};
  }
  if (rc != MDB_NOTFOUND)
    return fail(rc);
  return {};
}

result<kv_pairs> kv_txn::scan_prefix(kv_db db, std::string_view prefix) const {
  kv_pairs out;
  SLUICE_TRY(scan_prefix(db, prefix, [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return true;
  }));
  return out;
}

// --- kv_write_txn -------------------------------------------------------------------------

kv_write_txn::kv_write_txn(kv_write_txn&& other) noexcept
    : kv_txn(std::move(other)), failed_(std::move(other.failed_)) {}

kv_write_txn::~kv_write_txn() { abort(); }

status kv_write_txn::fail(error e) {
  failed_ = e;
  return e;
}

status kv_write_txn::put(kv_db db, std::string_view key, std::string_view value) {
  if (failed_)
    return *failed_;
  if (auto st = check_key(db, key, "put into"); !st)
    return fail(st.err());
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  if (int rc = mdb_put(txn_, db.dbi_, &k, &v, 0); rc != 0)
    return fail(lmdb_error(rc, "put " + quoted(key) + " (" + std::to_string(value.size()) +
                                 " bytes) into " + where(*store_, db)));
  return {};
}

status kv_write_txn::del(kv_db db, std::string_view key) {
  if (failed_)
    return *failed_;
  if (auto st = check_key(db, key, "delete from"); !st)
    return fail(st.err());
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, db.dbi_, &k, nullptr);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return fail(lmdb_error(rc, "delete " + quoted(key) + " from " + where(*store_, db)));
  return {};
}

status kv_write_txn::commit() {
  SLUICE_TRY(check_open("commit"));
  if (failed_) {
    abort();
    return *failed_;
  }
  // Cleared while this thread still holds the writer lock: once it is released another
  // thread may begin a write transaction and mark itself.
  store_->end_write();
  // mdb_txn_commit frees the transaction whether or not it succeeds.
  int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
  if (rc != 0)
    return lmdb_error(rc, "commit to " + store_->path());
  return {};
}

void kv_write_txn::abort() {
  if (!txn_)
    return;
  store_->end_write(); // before the lock is released, as in commit()
  mdb_txn_abort(std::exchange(txn_, nullptr));
}

// --- kv_store -----------------------------------------------------------------------------

result<std::unique_ptr<kv_store>> kv_store::open(const std::filesystem::path& dir,
                                                 const kv_options& options) {
  namespace fs = std::filesystem;
  const std::string path = dir.string();
  const std::string what = "open LMDB environment " + path;
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (st.type() == fs::file_type::not_found) {
    if (!fs::create_directory(dir, ec) && ec)
      return make_error(errc::io_error, what + ": cannot create directory: " + ec.message());
  } else if (ec) {
    return make_error(errc::io_error, what + ": " + ec.message());
  } else if (!fs::is_directory(st)) {
    return make_error(errc::io_error, what + ": not a directory");
  }
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0)
    return make_error(errc::io_error, what + ": " + std::generic_category().message(errno));
  const dir_id id{sb.st_dev, sb.st_ino};
  {
    std::lock_guard lock{registry_mu};
    if (!registry.insert(id).second)
      return make_error(errc::invalid_argument, what + ": already open in this process");
  }
  auto unregister = [&] {
    std::lock_guard lock{registry_mu};
    registry.erase(id);
  };

  MDB_env* raw = nullptr;
  if (int rc = mdb_env_create(&raw); rc != 0) {
    unregister();
    return lmdb_error(rc, what);
  }
  // LMDB requires mdb_env_close even after a failed mdb_env_open.
  std::unique_ptr<MDB_env, decltype(&mdb_env_close)> env{raw, mdb_env_close};
  unsigned flags = MDB_NOTLS | (options.sync_on_commit ? 0u : unsigned{MDB_NOSYNC});
  int rc = mdb_env_set_mapsize(raw, options.map_size_bytes);
  if (rc == 0)
    rc = mdb_env_set_maxdbs(raw, options.max_dbs);
  if (rc == 0)
    rc = mdb_env_open(raw, path.c_str(), flags, 0644);
  if (rc != 0) {
    env.reset();
    unregister();
    return lmdb_error(rc, what);
  }
  // Frees reader slots left by crashed processes; they would pin old pages forever.
  int dead = 0;
  (void) mdb_reader_check(raw, &dead);
  return std::unique_ptr<kv_store>{new kv_store{env.release(), path, id}};
}

kv_store::kv_store(MDB_env* env, std::string path, dir_id id)
    : env_(env), path_(std::move(path)), id_(id),
      max_key_bytes_(static_cast<size_t>(mdb_env_get_maxkeysize(env))) {}

kv_store::~kv_store() {
  mdb_env_close(env_);
  std::lock_guard lock{registry_mu};
  registry.erase(id_);
}

result<kv_db> kv_store::db(std::string_view name) {
  const std::string what = "open database '" + std::string{name} + "' in " + path_;
  if (name.empty())
    return make_error(errc::invalid_argument, what + ": empty name");
  {
    std::lock_guard lock{dbs_mu_};
    if (auto it = dbs_.find(name); it != dbs_.end())
      return kv_db{this, it->second, &it->first};
  }
  if (this_thread_writes())
    return make_error(errc::invalid_argument,
                      what + ": this thread holds a write transaction; open databases first");
  // The writer lock serialises mdb_dbi_open, as LMDB requires. Two threads opening the same
  // name both get the same handle.
  auto txn = begin_write();
  SLUICE_TRY(txn);
  MDB_dbi dbi = 0;
  if (int rc = mdb_dbi_open(txn->txn_, std::string{name}.c_str(), MDB_CREATE, &dbi); rc != 0)
    return lmdb_error(rc, what);
  SLUICE_TRY(txn->commit());
  std::lock_guard lock{dbs_mu_};
  auto it = dbs_.emplace(std::string{name}, dbi).first;
  return kv_db{this, it->second, &it->first};
}

result<kv_read_txn> kv_store::begin_read() const {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != 0)
    return lmdb_error(rc, "begin read transaction in " + path_);
  return kv_read_txn{this, txn};
}

result<kv_write_txn> kv_store::begin_write() {
  if (this_thread_writes())
    return make_error(errc::invalid_argument,
                      "begin write transaction in " + path_ +
                        ": this thread already holds one (LMDB would deadlock)");
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != 0)
    return lmdb_error(rc, "begin write transaction in " + path_);
  writer_.store(std::this_thread::get_id());
  return kv_write_txn{this, txn};
}

status kv_store::put(kv_db db, std::string_view key, std::string_view value) {
  auto txn = begin_write();
  SLUICE_TRY(txn);
  SLUICE_TRY(txn->put(db, key, value));
  return txn->commit();
}

status kv_store::del(kv_db db, std::string_view key) {
  auto txn = begin_write();
  SLUICE_TRY(txn);
  SLUICE_TRY(txn->del(db, key));
  return txn->commit();
}

result<std::string> kv_store::get(kv_db db, std::string_view key) const {
  auto txn = begin_read();
  SLUICE_TRY(txn);
  return txn->get(db, key);
}

status kv_store::scan_prefix(kv_db db, std::string_view prefix, const kv_visitor& fn) const {
  auto txn = begin_read();
  SLUICE_TRY(txn);
  return txn->scan_prefix(db, prefix, fn);
}

result<kv_pairs> kv_store::scan_prefix(kv_db db, std::string_view prefix) const {
  auto txn = begin_read();
  SLUICE_TRY(txn);
  return txn->scan_prefix(db, prefix);
}

status kv_store::sync() {
  if (int rc = mdb_env_sync(env_, 1); rc != 0)
    return lmdb_error(rc, "sync " + path_);
  return {};
}

} // namespace sluice::store

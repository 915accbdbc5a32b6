#include "store/file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace sluice::store {

namespace {

error errno_error(const char* what, const std::filesystem::path& p, int e) {
  return make_error(errc::io_error, std::string{what} + " " + p.string() + ": " + std::strerror(e));
}

} // namespace

result<file> file::open(const std::filesystem::path& path, mode m) {
  int flags = O_CLOEXEC;
  switch (m) {
    case mode::read_only: flags |= O_RDONLY; break;
    case mode::read_write: flags |= O_RDWR; break;
    case mode::create_read_write: flags |= O_RDWR | O_CREAT; break;
  }
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0)
    return errno_error("open", path, errno);
  return file{fd, path};
}

file::file(file&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

file& file::operator=(file&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

file::~file() {
  if (fd_ >= 0)
    ::close(fd_);
}

error file::os_error(const char* what) const { return errno_error(what, path_, errno); }

status file::write_at(uint64_t pos, std::span<const std::byte> data) {
  while (!data.empty()) {
    auto n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(pos));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return os_error("write");
    }
    data = data.subspan(static_cast<size_t>(n));
    pos += static_cast<uint64_t>(n);
  }
  return {};
}

result<size_t> file::read_at(uint64_t pos, std::span<std::byte> dst) const {
  size_t done = 0;
  while (done < dst.size()) {
    auto n = ::pread(fd_, dst.data() + done, dst.size() - done, static_cast<off_t>(pos + done));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return os_error("read");
    }
    if (n == 0)
      break;
    done += static_cast<size_t>(n);
  }
  return done;
}

result<uint64_t> file::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0)
    return os_error("stat");
  return static_cast<uint64_t>(st.st_size);
}

status file::truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    return os_error("truncate");
  return {};
}

status file::sync_data() {
  if (::fdatasync(fd_) != 0)
    return os_error("fdatasync");
  return {};
}

status file::start_writeback(uint64_t pos, uint64_t len) const {
  if (len > 0
      && ::sync_file_range(fd_, static_cast<off_t>(pos), static_cast<off_t>(len), SYNC_FILE_RANGE_WRITE) != 0)
    return os_error("sync_file_range");
  return {};
}

status file::drop_cached(uint64_t pos, uint64_t len) const {
  if (len == 0)
    return {};
  // posix_fadvise returns the error instead of setting errno.
  if (int e = ::posix_fadvise(fd_, static_cast<off_t>(pos), static_cast<off_t>(len), POSIX_FADV_DONTNEED); e != 0)
    return errno_error("posix_fadvise", path_, e);
  return {};
}

status sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno_error("open directory", dir, errno);
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0)
    return errno_error("fsync directory", dir, e);
  return {};
}

status write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> data) {
  auto tmp = path;
  tmp += ".tmp";
  {
    auto f = file::open(tmp, file::mode::create_read_write);
    if (!f)
      return f.err();
    SLUICE_TRY(f->truncate(0));
    SLUICE_TRY(f->write_at(0, data));
    SLUICE_TRY(f->sync_data());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return errno_error("rename", tmp, errno);
  return sync_directory(path.parent_path().empty() ? "." : path.parent_path());
}

result<std::vector<std::byte>> read_whole_file(const std::filesystem::path& path) {
  auto f = file::open(path, file::mode::read_only);
  if (!f)
    return f.err();
  auto sz = f->size();
  if (!sz)
    return sz.err();
  std::vector<std::byte> buf(*sz);
  auto n = f->read_at(0, buf);
  if (!n)
    return n.err();
  buf.resize(*n);
  return buf;
}

} // namespace sluice::store

#pragma once

#include "store/result.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace sluice::store {

// An open file descriptor, closed on destruction. Every call returns an error
// value naming the path and the errno text; nothing here throws.
class file {
public:
  enum class mode { read_only, read_write, create_read_write };

  static result<file> open(const std::filesystem::path& path, mode m);

  file() = default;
  file(file&& other) noexcept;
  file& operator=(file&& other) noexcept;
  file(const file&) = delete;
  file& operator=(const file&) = delete;
  ~file();

  // Writes all of `data` at `pos` (short writes are retried).
  status write_at(uint64_t pos, std::span<const std::byte> data);
  // Reads up to dst.size() bytes at `pos`; fewer only at end of file.
  result<size_t> read_at(uint64_t pos, std::span<std::byte> dst) const;
  result<uint64_t> size() const;
  status truncate(uint64_t size);
  status sync_data();
  // Page-cache hints for [pos, pos + len) (store/drop_behind.hpp): start writing dirty pages
  // back without waiting (sync_file_range), and drop clean pages from the cache
  // (posix_fadvise DONTNEED; pages still dirty or under writeback stay). Neither changes what
  // the file holds or when it is durable.
  status start_writeback(uint64_t pos, uint64_t len) const;
  status drop_cached(uint64_t pos, uint64_t len) const;

  const std::filesystem::path& path() const { return path_; }
  bool is_open() const { return fd_ >= 0; }

private:
  file(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  error os_error(const char* what) const;

  int fd_ = -1;
  std::filesystem::path path_;
};

// Makes a rename or file creation in `dir` durable.
status sync_directory(const std::filesystem::path& dir);

// Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the directory.
status write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> data);

// Whole-file read, for small metadata files.
result<std::vector<std::byte>> read_whole_file(const std::filesystem::path& path);

} // namespace sluice::store

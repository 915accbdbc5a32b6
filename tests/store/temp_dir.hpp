#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sluice::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the owner goes out of scope.
class temp_dir {
public:
  temp_dir() {
    auto base = std::filesystem::temp_directory_path() / "sluice-test-XXXXXX";
    std::string tmpl = base.string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      std::abort();
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

} // namespace sluice::test

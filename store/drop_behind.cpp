#include "store/drop_behind.hpp"

#include <algorithm>

namespace sluice::store {

void drop_behind::on_append(const segment& s) {
  if (window_ == 0)
    return;
  auto end = s.size();
  if (s.base_offset() != base_) {
    // A new active segment, or the policy just switched on: what it holds so far is
    // treated like new bytes (written back, then dropped once the window passes it).
    base_ = s.base_offset();
    started_ = dropped_ = 0;
  }
  // A truncation cut the segment.
  started_ = std::min(started_, end);
  dropped_ = std::min(dropped_, started_);
  // Hints are advisory: a filesystem without them (tmpfs) only keeps its pages.
  if (end - started_ >= chunk) {
    (void)s.start_writeback(started_, end);
    started_ = end;
  }
  if (started_ > window_ && started_ - window_ >= dropped_ + chunk) {
    auto upto = started_ - window_;
    (void)s.drop_cached(dropped_, upto);
    dropped_ = upto;
  }
}

void drop_behind::on_seal(const segment& s) {
  if (window_ == 0 || s.base_offset() != base_)
    return;
  auto end = s.size();
  (void)s.start_writeback(std::min(started_, end), end);
  // Pages still being written back stay cached; the OS reclaims them in time.
  (void)s.drop_cached(std::min(dropped_, end), end);
  base_ = offset{-1};
}

} // namespace sluice::store

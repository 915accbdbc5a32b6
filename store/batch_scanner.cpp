#include "store/batch_scanner.hpp"

#include <algorithm>

namespace sluice::store {

batch_scanner::batch_scanner(const file& f, uint64_t start, uint64_t end, bool verify_crc,
                             size_t chunk_bytes)
  : file_(f), pos_(start), end_(end), verify_crc_(verify_crc), chunk_bytes_(chunk_bytes),
    buf_pos_(start) {}

// Makes buf_ hold [pos_, pos_ + need) if the file has it.
bool batch_scanner::fill(size_t need) {
  if (pos_ >= buf_pos_ && pos_ + need <= buf_pos_ + buf_.size())
    return true;
  size_t want = std::max(need, chunk_bytes_);
  want = static_cast<size_t>(std::min<uint64_t>(want, end_ - pos_));
  if (want < need)
    return false;
  buf_.resize(want);
  auto n = file_.read_at(pos_, buf_);
  buf_pos_ = pos_;
  if (!n) {
    stop_ = n.err();
    buf_.clear();
    return false;
  }
  buf_.resize(*n);
  return *n >= need;
}

bool batch_scanner::next(item& out) {
  if (stop_ || pos_ >= end_)
    return false;
  auto where = [&] { return file_.path().string() + " at position " + std::to_string(pos_); };
  if (!fill(batch_format::header_size)) {
    if (!stop_)
      stop_ = make_error(errc::corrupt_batch, where() + ": partial batch header");
    return false;
  }
  bytes_view avail{buf_.data() + (pos_ - buf_pos_), buf_.size() - (pos_ - buf_pos_)};
  auto h = decode_header(avail);
  if (!h) {
    stop_ = make_error(errc::corrupt_batch, where() + ": " + h.err().message);
    return false;
  }
  auto size = h->size_bytes();
  if (!fill(size)) {
    if (!stop_)
      stop_ = make_error(errc::corrupt_batch, where() + ": batch of " + std::to_string(size)
                                                + " bytes is cut short by the end of the segment");
    return false;
  }
  bytes_view batch{buf_.data() + (pos_ - buf_pos_), size};
  if (verify_crc_) {
    auto v = validate_batch(batch);
    if (!v) {
      stop_ = make_error(errc::corrupt_batch, where() + ": " + v.err().message);
      return false;
    }
  }
  out.position = pos_;
  out.header = *h;
  out.bytes = batch;
  pos_ += size;
  return true;
}

} // namespace sluice::store

#pragma once

#include "store/batch.hpp"
#include "store/file.hpp"

#include <vector>

namespace sluice::store {

// Walks the batches of a segment file front to back through a read buffer,
// so a scan costs one pread per chunk rather than one per batch.
//
// next() yields each batch whose header decodes and which lies wholly inside
// [start, end); it stops at end, or at the first batch that is cut short, has
// an impossible header or (with verify_crc) a wrong CRC, leaving the reason in
// stop_reason(). position() is then where the valid prefix ends.
class batch_scanner {
public:
  struct item {
    uint64_t position;
    batch_header header;
    bytes_view bytes; // the whole batch; valid until the next call to next()
  };

  batch_scanner(const file& f, uint64_t start, uint64_t end, bool verify_crc,
                size_t chunk_bytes = 256 * 1024);

  // Returns false at the end or at a bad batch; I/O errors also end the scan.
  bool next(item& out);
  uint64_t position() const { return pos_; }
  const std::optional<error>& stop_reason() const { return stop_; }

private:
  bool fill(size_t need);

  const file& file_;
  uint64_t pos_;
  uint64_t end_;
  bool verify_crc_;
  size_t chunk_bytes_;
  std::vector<std::byte> buf_;
  uint64_t buf_pos_ = 0; // file position of buf_[0]
  std::optional<error> stop_;
};

} // namespace sluice::store

#include "store/errc.hpp"

namespace sluice::store {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::io_error: return "io_error";
    case errc::corrupt_batch: return "corrupt_batch";
    case errc::corrupt_index: return "corrupt_index";
    case errc::corrupt_checkpoint: return "corrupt_checkpoint";
    case errc::foreign_file: return "foreign_file";
    case errc::offset_out_of_range: return "offset_out_of_range";
    case errc::invalid_argument: return "invalid_argument";
    case errc::record_too_large: return "record_too_large";
    case errc::not_found: return "not_found";
    case errc::kv_error: return "kv_error";
    case errc::stale_epoch: return "stale_epoch";
    case errc::out_of_order_sequence: return "out_of_order_sequence";
    case errc::producer_fenced: return "producer_fenced";
    case errc::invalid_record: return "invalid_record";
  }
  return "unknown";
}

namespace {
struct category final : std::error_category {
  const char* name() const noexcept override { return "sluice.store"; }
  std::string message(int c) const override { return to_string(static_cast<errc>(c)); }
};
} // namespace

const std::error_category& store_category() noexcept {
  static const category instance;
  return instance;
}

} // namespace sluice::store

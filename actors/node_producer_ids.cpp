// The node's part in idempotent producers (issue 9): InitProducerId answered out of the node's
// block of producer ids (actors/producer_id_block.hpp), the next block asked of the metadata
// actor when it runs out (KIP-730). Requests that arrive meanwhile wait for it, bounded.

#include "actors/node_impl.hpp"

#include "actors/metadata_interface.hpp"
#include "schema/error_response.hpp"
#include "schema/producer_id.hpp"

#include <spdlog/spdlog.h>

namespace sluice::actors {

using schema::errc;

namespace {

// Producers waiting for a block beyond this are told to retry.
constexpr size_t max_producer_id_waiters = 4096;
constexpr auto allocate_timeout = std::chrono::seconds(15);

} // namespace

caf::result<schema::envelope> node_impl::init_producer_id(const envelope& e) {
  ++status_.requests;
  auto req = schema::decode<schema::init_producer_id_request>(e);
  if (!req) {
    ++status_.undecodable;
    return encode(schema::error_response{req.err()});
  }
  if (!req->transactional_id.empty())
    return delegate(txns_, init_producer_id_atom_v, e); // its transaction coordinator answers
  schema::init_producer_id_response out;
  if (auto id = producer_ids_.take()) {
    status_.producer_ids_left = producer_ids_.remaining();
    out.id = *id;
    out.epoch = producer_epoch{0};
    return encode(out);
  }
  if (producer_id_waiters_.size() >= max_producer_id_waiters) {
    out.error = {errc::coordinator_not_available, "too many producers waiting for an id; retry"};
    return encode(out);
  }
  producer_id_waiters_.push_back(make_response_promise<envelope>());
  auto rp = producer_id_waiters_.back();
  request_producer_ids();
  return rp;
}

// One allocation at a time; a block of 1000 serves every waiter there can be at once, and a
// waiter left over (a larger crowd) starts the next allocation.
void node_impl::request_producer_ids() {
  if (allocating_producer_ids_)
    return;
  allocating_producer_ids_ = true;
  request(metadata_, allocate_timeout, allocate_producer_ids_atom_v,
          encode(schema::allocate_producer_ids_request{config_.id}))
    .then(
      [this](const envelope& reply) {
        allocating_producer_ids_ = false;
        auto r = schema::decode<schema::allocate_producer_ids_response>(reply);
        if (!r || !r->error.ok() || r->count <= 0 || r->first.value < 0) {
          auto err = !r ? r.err()
                        : !r->error.ok() ? r->error
                                          : schema::error{errc::unknown_server_error,
                                                          "the controller answered an empty block"};
          spdlog::warn("node {}: no block of producer ids: {}", config_.id.value, err.to_string());
          answer_producer_id_waiters(err);
          return;
        }
        producer_ids_.reset(r->first, r->count);
        spdlog::info("node {}: producer ids {}..{}", config_.id.value, r->first.value,
                     r->first.value + r->count - 1);
        answer_producer_id_waiters({});
      },
      [this](caf::error& err) {
        allocating_producer_ids_ = false;
        answer_producer_id_waiters({errc::not_controller,
                                    "the metadata controller gave no producer ids: " + to_string(err)});
      });
}

// Hands out ids to the waiters in arrival order, or `err` (retriable for the client) to all.
void node_impl::answer_producer_id_waiters(const schema::error& err) {
  auto waiters = std::move(producer_id_waiters_);
  producer_id_waiters_.clear();
  for (auto& w : waiters) {
    schema::init_producer_id_response out;
    if (!err.ok()) {
      out.error = err;
    } else if (auto id = producer_ids_.take()) {
      out.id = *id;
      out.epoch = producer_epoch{0};
    } else {
      producer_id_waiters_.push_back(std::move(w));
      continue;
    }
    w.deliver(encode(out));
  }
  status_.producer_ids_left = producer_ids_.remaining();
  if (!producer_id_waiters_.empty())
    request_producer_ids();
}

} // namespace sluice::actors

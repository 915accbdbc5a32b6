#include "schema/producer_id.hpp"

#include "schema/framing.hpp"
#include "schema/producer_id.capnp.h"

namespace sluice::schema {

using namespace framing;

envelope encode(const init_producer_id_request& x) {
  return write<wire::InitProducerIdRequest>(x.kind, 48 + x.transactional_id.size(),
                                            [&](wire::InitProducerIdRequest::Builder b) {
                                              if (!x.transactional_id.empty())
                                                b.setTransactionalId(text(x.transactional_id));
                                              b.setProducerId(x.id.value);
                                              b.setProducerEpoch(x.epoch.value);
                                              b.setTransactionTimeoutMs(x.transaction_timeout_ms);
                                            });
}

template <>
result<init_producer_id_request> decode_bytes<init_producer_id_request>(std::span<const char> bytes) {
  return read<wire::InitProducerIdRequest, init_producer_id_request>(
    bytes, [](wire::InitProducerIdRequest::Reader r) -> result<init_producer_id_request> {
      return init_producer_id_request{str(r.getTransactionalId()), producer_id{r.getProducerId()},
                                      producer_epoch{r.getProducerEpoch()},
                                      r.getTransactionTimeoutMs()};
    });
}

envelope encode(const init_producer_id_response& x) {
  return write<wire::InitProducerIdResponse>(x.kind, 48 + x.error.message.size(),
                                             [&](wire::InitProducerIdResponse::Builder b) {
                                               set_error(b, x.error);
                                               b.setProducerId(x.id.value);
                                               b.setProducerEpoch(x.epoch.value);
                                             });
}

template <>
result<init_producer_id_response>
decode_bytes<init_producer_id_response>(std::span<const char> bytes) {
  return read<wire::InitProducerIdResponse, init_producer_id_response>(
    bytes, [](wire::InitProducerIdResponse::Reader r) -> result<init_producer_id_response> {
      return init_producer_id_response{get_error(r), producer_id{r.getProducerId()},
                                       producer_epoch{r.getProducerEpoch()}};
    });
}

envelope encode(const allocate_producer_ids_request& x) {
  return write<wire::AllocateProducerIdsRequest>(x.kind, 16,
                                                 [&](wire::AllocateProducerIdsRequest::Builder b) {
                                                   b.setBrokerId(x.broker.value);
                                                 });
}

template <>
result<allocate_producer_ids_request>
decode_bytes<allocate_producer_ids_request>(std::span<const char> bytes) {
  return read<wire::AllocateProducerIdsRequest, allocate_producer_ids_request>(
    bytes, [](wire::AllocateProducerIdsRequest::Reader r) -> result<allocate_producer_ids_request> {
      return allocate_producer_ids_request{node_id{r.getBrokerId()}};
    });
}

envelope encode(const allocate_producer_ids_response& x) {
  return write<wire::AllocateProducerIdsResponse>(x.kind, 48 + x.error.message.size(),
                                                  [&](wire::AllocateProducerIdsResponse::Builder b) {
                                                    set_error(b, x.error);
                                                    b.setFirstProducerId(x.first.value);
                                                    b.setCount(x.count);
                                                  });
}

template <>
result<allocate_producer_ids_response>
decode_bytes<allocate_producer_ids_response>(std::span<const char> bytes) {
  return read<wire::AllocateProducerIdsResponse, allocate_producer_ids_response>(
    bytes, [](wire::AllocateProducerIdsResponse::Reader r) -> result<allocate_producer_ids_response> {
      if (r.getCount() < 0)
        return error{errc::invalid_request, "a producer id block of negative size"};
      return allocate_producer_ids_response{get_error(r), producer_id{r.getFirstProducerId()},
                                            r.getCount()};
    });
}

} // namespace sluice::schema

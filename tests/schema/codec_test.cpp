#define CAF_SUITE schema.codec
#include <caf/test/unit_test.hpp>

#include "tests/schema/samples.hpp"

#include "schema/fetch.capnp.h"
#include "schema/offsets.capnp.h"
#include "schema/produce.capnp.h"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/to_string.hpp>
#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>

#include <cstring>

using namespace sluice;
using namespace sluice::schema;

namespace {

// What a remote node receives: the envelope written and read by CAF's binary serializer.
envelope through_caf(const envelope& in) {
  std::vector<char> buf;
  auto copy = in;
  caf::binary_serializer sink{nullptr, buf};
  if (auto err = sink(copy))
    CAF_FAIL("serialize: " << caf::to_string(err));
  envelope out;
  caf::binary_deserializer source{nullptr, buf};
  if (auto err = source(out))
    CAF_FAIL("deserialize: " << caf::to_string(err));
  CAF_CHECK_EQUAL(source.remaining(), 0u);
  return out;
}

template <class T>
void check_round_trip(const T& x) {
  auto sent = encode(x);
  CAF_CHECK(sent.kind == T::kind);
  auto received = through_caf(sent);
  CAF_CHECK(received == sent);
  auto back = decode<T>(received);
  if (!back)
    CAF_FAIL(to_string(T::kind) << ": " << back.err().to_string());
  CAF_CHECK(*back == x);
}

// The flat-array bytes of a message built directly with capnp, for values encode refuses to make.
template <class Root, class Fill>
envelope craft(message_kind kind, Fill&& fill) {
  capnp::MallocMessageBuilder builder;
  fill(builder.initRoot<Root>());
  auto words = capnp::messageToFlatArray(builder);
  auto first = reinterpret_cast<const char*>(words.asBytes().begin());
  return {kind, std::vector<char>(first, first + words.asBytes().size())};
}

} // namespace

CAF_TEST(every message survives encode and CAF serialisation and decode) {
  test::for_each_sample([](const auto& x) {
    CAF_MESSAGE(to_string(x.kind));
    check_round_trip(x);
  });
}

CAF_TEST(default constructed messages round trip) {
  test::for_each_message_type([](auto x) { check_round_trip(x); });
}

CAF_TEST(records travel byte for byte and stay valid batches) {
  auto sent = std::get<produce_request>(test::samples());
  auto got = decode<produce_request>(through_caf(encode(sent)));
  CAF_REQUIRE(got.ok());
  auto& two = got->partitions[2].records;
  CAF_CHECK(two == sent.partitions[2].records);
  auto first = store::validate_batch(two);
  CAF_REQUIRE(first.ok());
  auto rest = std::span<const std::byte>{two}.subspan(first->size_bytes());
  auto second = store::validate_batch(rest);
  CAF_REQUIRE(second.ok());
  CAF_CHECK_EQUAL(second->record_count, 5u);
  CAF_CHECK_EQUAL(first->size_bytes() + second->size_bytes(), two.size());
}

CAF_TEST(a produce request with a 16 KiB batch is one segment) {
  produce_request x;
  x.partitions.push_back({"orders", partition_id{0}, test::sample_batch(160, 90)});
  CAF_REQUIRE(x.partitions[0].records.size() > 16 * 1024);
  auto e = encode(x);
  uint32_t segments_minus_one;
  std::memcpy(&segments_minus_one, e.bytes.data(), 4);
  CAF_CHECK_EQUAL(segments_minus_one, 0u);
}

CAF_TEST(a fetch response referencing its records decodes as the copying encode does) {
  auto sent = std::get<fetch_response>(test::samples());
  // Sizes around word boundaries, and a buffer with stale bytes past its size.
  for (size_t n : {size_t{1}, size_t{7}, size_t{8}, size_t{13}, size_t{4096}}) {
    fetch_response::partition_response p{"t", partition_id{1}, {}, offset{9}, offset{0},
                                          offset{9}, store::byte_buffer(n, std::byte{0x11})};
    p.records.resize(n + 9, std::byte{0xAB});
    p.records.resize(n);
    sent.partitions.push_back(std::move(p));
  }
  auto plain = sent;
  auto copied = decode<fetch_response>(through_caf(encode(plain)));
  auto referencing = encode_referencing(fetch_response{sent});
  auto received = through_caf(referencing);
  auto referenced = decode<fetch_response>(received);
  CAF_REQUIRE(copied.ok() && referenced.ok());
  CAF_CHECK(*referenced == *copied);
  CAF_CHECK(*referenced == plain);
  // On the wire it is one flat framing, as the copying encode's would be.
  CAF_CHECK(received.tail == nullptr);
  CAF_CHECK(received.bytes == flat_bytes(referencing));
  CAF_CHECK(received == referencing);
  // The padding capnp writes after a referenced blob is zeros, not what the buffer held.
  fetch_response tails;
  for (auto& p : sent.partitions)
    if (p.topic == "t")
      tails.partitions.push_back(p);
  auto flat = flat_bytes(encode_referencing(std::move(tails)));
  CAF_CHECK(std::find(flat.begin(), flat.end(), static_cast<char>(0xAB)) == flat.end());
}

CAF_TEST(a fetch response referencing its records keeps them in place until it is sent) {
  fetch_response x;
  x.partitions.push_back({"t", partition_id{0}, {}, offset{9}, offset{0}, offset{9},
                          store::byte_buffer(4096, std::byte{0x11})});
  x.partitions.push_back({"t", partition_id{1}, {}, offset{0}, offset{0}, offset{0}, {}});
  x.partitions.push_back({"t", partition_id{2}, {}, offset{9}, offset{0}, offset{9},
                          store::byte_buffer(13, std::byte{0x22})});
  auto first_records = x.partitions[0].records.data();
  auto e = encode_referencing(fetch_response{std::move(x)});
  // Each non-empty partition's records are a piece of the tail, where the reply put them.
  CAF_REQUIRE(e.tail != nullptr);
  CAF_REQUIRE_EQUAL(e.tail->pieces.size(), 2u);
  CAF_CHECK(e.tail->pieces[0].data() == reinterpret_cast<const char*>(first_records));
  CAF_CHECK_EQUAL(e.tail->pieces[0].size(), 4096u);
  CAF_CHECK_EQUAL(e.tail->pieces[1].size(), 16u); // 13 bytes padded to whole words
  CAF_CHECK_EQUAL(e.size(), flat_bytes(e).size());
  // Read in this process (a local requester): decode, decode_view and comparisons join it.
  auto copy = decode<fetch_response>(e);
  CAF_REQUIRE(copy.ok());
  CAF_CHECK_EQUAL(copy->partitions[2].records.size(), 13u);
  auto joined = e;
  make_flat(joined);
  CAF_CHECK(joined.tail == nullptr);
  CAF_CHECK(joined == e);
  joined.bytes.back() ^= 1;
  CAF_CHECK(!(joined == e));
  auto view = decode_view(envelope{e});
  CAF_REQUIRE(view.ok());
  CAF_CHECK_EQUAL(view->partitions[0].records.size(), 4096u);
  // A response without records has nothing to reference: no tail.
  fetch_response empty;
  empty.partitions.push_back({"t", partition_id{1}, {}, offset{0}, offset{0}, offset{0}, {}});
  CAF_CHECK(encode_referencing(std::move(empty)).tail == nullptr);
}

namespace {

// A fetch response read in place, compared field by field with the copying decode.
void check_view_matches(const fetch_response_view& v, const fetch_response& want) {
  CAF_REQUIRE_EQUAL(v.partitions.size(), want.partitions.size());
  for (size_t i = 0; i < want.partitions.size(); ++i) {
    auto& a = v.partitions[i];
    auto& b = want.partitions[i];
    CAF_CHECK_EQUAL(a.topic, b.topic);
    CAF_CHECK_EQUAL(a.partition, b.partition);
    CAF_CHECK(a.error == b.error);
    CAF_CHECK_EQUAL(a.high_watermark, b.high_watermark);
    CAF_CHECK_EQUAL(a.log_start_offset, b.log_start_offset);
    CAF_CHECK_EQUAL(a.last_stable_offset, b.last_stable_offset);
    CAF_CHECK(std::equal(a.records.begin(), a.records.end(), b.records.begin(), b.records.end()));
    CAF_CHECK_EQUAL(a.next_fetch_offset, b.next_fetch_offset);
    CAF_CHECK(a.aborted_transactions == b.aborted_transactions);
  }
}

} // namespace

CAF_TEST(a fetch response read in place views the same records and outlives its envelope) {
  auto sent = std::get<fetch_response>(test::samples());
  sent.partitions.push_back({"t", partition_id{3}, {}, offset{5}, offset{0}, offset{5},
                             store::byte_buffer(13, std::byte{0x5A})});
  // What consumers read beside the records: a filtered fetch's next offset, read_committed's
  // aborted transactions.
  sent.partitions.push_back({"t", partition_id{4}, {}, offset{40}, offset{0}, offset{30},
                             store::byte_buffer(24, std::byte{0x11}), offset{17},
                             {{producer_id{7}, offset{2}}, {producer_id{9}, offset{11}}}});
  auto e = through_caf(encode(sent));
  auto v = decode_view(std::move(e));
  CAF_REQUIRE(v.ok());
  CAF_CHECK(e.bytes.empty());
  check_view_matches(*v, sent);
  // The views point into the envelope's own bytes, kept by the owner (no copy was made).
  auto* owned = static_cast<const std::vector<char>*>(v->owner.get());
  auto& last = v->partitions[v->partitions.size() - 2].records;
  CAF_CHECK(reinterpret_cast<const char*>(last.data()) >= owned->data()
            && reinterpret_cast<const char*>(last.data() + last.size()) <= owned->data() + owned->size());
  auto copy = v->partitions;
  auto owner = v->owner;
  *v = fetch_response_view{};
  auto& kept = copy[copy.size() - 2].records;
  CAF_CHECK(std::all_of(kept.begin(), kept.end(), [](std::byte b) { return b == std::byte{0x5A}; }));
}

CAF_TEST(a fetch response read in place refuses what the copying decode refuses) {
  auto wrong = decode_view(encode(std::get<produce_request>(test::samples())));
  CAF_REQUIRE(!wrong.ok());
  CAF_CHECK_EQUAL(wrong.code(), errc::invalid_request);
  auto e = encode(std::get<fetch_response>(test::samples()));
  e.bytes.resize(e.bytes.size() - 8);
  auto cut = decode_view(std::move(e));
  CAF_REQUIRE(!cut.ok());
  CAF_CHECK_EQUAL(cut.code(), errc::corrupt_message);
  auto empty = decode_view(envelope{message_kind::fetch_response, {}});
  CAF_REQUIRE(!empty.ok());
  CAF_CHECK_EQUAL(empty.code(), errc::corrupt_message);
}

CAF_TEST(an envelope whose byte count runs past the end of the caf message fails to load) {
  std::vector<char> buf;
  auto sent = encode(std::get<produce_request>(test::samples()));
  caf::binary_serializer sink{nullptr, buf};
  if (auto err = sink(sent))
    CAF_FAIL("serialize: " << caf::to_string(err));
  for (size_t cut : {size_t{1}, size_t{8}, sent.bytes.size() / 2}) {
    auto truncated = buf;
    truncated.resize(buf.size() - cut);
    envelope out;
    caf::binary_deserializer source{nullptr, truncated};
    CAF_CHECK(source(out) != caf::none);
  }
}

CAF_TEST(decoding as the wrong message type is invalid_request) {
  auto e = encode(std::get<produce_request>(test::samples()));
  auto r = decode<fetch_request>(e);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK_EQUAL(r.code(), errc::invalid_request);
  CAF_MESSAGE(r.err().to_string());
  CAF_CHECK(r.err().message.find("fetch_request") != std::string::npos);
  CAF_CHECK(r.err().message.find("produce_request") != std::string::npos);
}

CAF_TEST(misaligned bytes decode like aligned ones) {
  auto sent = std::get<metadata_response>(test::samples());
  auto e = encode(sent);
  std::vector<char> shifted(e.bytes.size() + 1);
  std::memcpy(shifted.data() + 1, e.bytes.data(), e.bytes.size());
  auto r = decode_bytes<metadata_response>(std::span<const char>{shifted}.subspan(1));
  CAF_REQUIRE(r.ok());
  CAF_CHECK(*r == sent);
}

CAF_TEST(acks outside 0 1 and -1 is invalid_request) {
  auto e = craft<wire::ProduceRequest>(message_kind::produce_request,
                                       [](wire::ProduceRequest::Builder b) { b.setAcks(2); });
  auto r = decode<produce_request>(e);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK_EQUAL(r.code(), errc::invalid_request);
  CAF_MESSAGE(r.err().to_string());
}

CAF_TEST(an unknown isolation level is invalid_request) {
  auto e = craft<wire::FetchRequest>(message_kind::fetch_request, [](wire::FetchRequest::Builder b) {
    b.setIsolationLevel(static_cast<wire::IsolationLevel>(7));
  });
  auto r = decode<fetch_request>(e);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK_EQUAL(r.code(), errc::invalid_request);
}

CAF_TEST(a fetch without the filter fields decodes as unfiltered) {
  // What a client and a node from before filtering send: no filter, no nextFetchOffset.
  auto req = craft<wire::FetchRequest>(message_kind::fetch_request, [](wire::FetchRequest::Builder b) {
    b.initPartitions(1)[0].setTopic("t");
  });
  auto r = decode<fetch_request>(req);
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->filter, "");
  auto resp = craft<wire::FetchResponse>(message_kind::fetch_response, [](wire::FetchResponse::Builder b) {
    b.initPartitions(1)[0].setTopic("t");
  });
  auto p = decode<fetch_response>(resp);
  CAF_REQUIRE(p.ok());
  CAF_CHECK_EQUAL(p->partitions.at(0).next_fetch_offset.value, -1);
}

CAF_TEST(an unknown offset query is invalid_request) {
  using query = wire::ListOffsetsRequest::PartitionQuery::Query;
  auto e = craft<wire::ListOffsetsRequest>(
    message_kind::list_offsets_request, [](wire::ListOffsetsRequest::Builder b) {
      auto q = b.initPartitions(1)[0];
      q.getQuery().setLatest();
      // A discriminant from a newer schema: written straight into the data section.
      auto at = capnp::Schema::from<query>().getProto().getStruct().getDiscriminantOffset();
      auto data = capnp::AnyStruct::Builder{kj::mv(q)}.getDataSection();
      uint16_t unknown = 9;
      std::memcpy(data.begin() + 2 * at, &unknown, 2);
    });
  auto r = decode<list_offsets_request>(e);
  CAF_REQUIRE(!r.ok());
  CAF_CHECK_EQUAL(r.code(), errc::invalid_request);
  CAF_MESSAGE(r.err().to_string());
}

CAF_TEST(an error code from a newer peer reads as unknown_server_error) {
  auto e = craft<wire::ProduceResponse>(
    message_kind::produce_response, [](wire::ProduceResponse::Builder b) {
      auto p = b.initPartitions(1)[0];
      p.setErrorCode(static_cast<wire::ErrorCode>(999));
      p.setErrorMessage("from the future");
    });
  auto r = decode<produce_response>(e);
  CAF_REQUIRE(r.ok());
  CAF_CHECK_EQUAL(r->partitions[0].error.code, errc::unknown_server_error);
  CAF_CHECK_EQUAL(r->partitions[0].error.message, "from the future");
}

CAF_TEST(every message kind has a name and a message type) {
  for (auto k = 1; k <= static_cast<int>(last_message_kind); ++k) {
    auto kind = static_cast<message_kind>(k);
    CAF_CHECK_NOT_EQUAL(std::string{to_string(kind)}, "unknown");
    int types = 0;
    test::for_each_message_type([&](auto x) { types += decltype(x)::kind == kind; });
    CAF_CHECK_EQUAL(types, 1);
  }
}

CAF_TEST(every raft payload round trips) {
  std::vector<raft_payload> payloads{
    pre_vote_request{raft_term{3}, log_index{10}, raft_term{2}},
    pre_vote_response{raft_term{3}, true},
    vote_request{raft_term{4}, log_index{11}, raft_term{3}},
    vote_response{raft_term{4}, false},
    append_request{raft_term{4}, node_id{2}, log_index{0}, raft_term{0}, {}, log_index{0}},
    append_response{raft_term{5}, false, log_index{0}, log_index{12}, log_index{9}, raft_term{2}},
  };
  for (auto& p : payloads) {
    raft_message m{node_id{2}, node_id{5}, p};
    auto back = decode<raft_message>(encode(m));
    CAF_REQUIRE(back);
    CAF_CHECK(*back == m);
    CAF_CHECK_EQUAL(back->payload.index(), p.index());
  }
}

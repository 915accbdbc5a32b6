#define CAF_SUITE store.txn_state
#include <caf/test/unit_test.hpp>

#include "store/batch.hpp"
#include "store/crc32c.hpp"
#include "store/producer_snapshot.hpp"
#include "store/producer_state.hpp"

#include <cstring>

using namespace sluice;
using namespace sluice::store;

namespace bf = sluice::store::batch_format;

namespace {

// A data batch of producer `pid` at `epoch`, `records` records from sequence `seq`, at `at`.
batch_header data(int64_t pid, int16_t epoch, int32_t seq, int64_t at, bool txn = true,
                  uint32_t records = 10) {
  batch_header h;
  h.base_offset = offset{at};
  h.last_offset_delta = records - 1;
  h.record_count = records;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.base_sequence = seq;
  h.attributes = txn ? bf::attr_transactional : 0;
  h.max_timestamp = timestamp_ms{1000};
  return h;
}

// The header of a control batch of `pid` at `epoch`, at `at`.
batch_header marker_at(int64_t pid, int16_t epoch, int64_t at) {
  batch_header h;
  h.base_offset = offset{at};
  h.record_count = 1;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.base_sequence = -1;
  h.attributes = bf::attr_txn_control;
  h.max_timestamp = timestamp_ms{2000};
  return h;
}

// A high watermark past every offset of these tests: only open transactions are unstable.
constexpr offset all_replicated{1'000'000};

constexpr control_record commit{control_type::commit, 3};
constexpr control_record abort_txn{control_type::abort, 3};

std::vector<std::byte> sample_control_batch(control_type t = control_type::commit) {
  return make_control_batch(7, 2, {t, 5}, timestamp_ms{1234});
}

// Rewrites the key or value bytes of the control record in place and reseals the CRC.
void poke_record(std::vector<std::byte>& b, size_t from_end, std::byte v) {
  b[b.size() - from_end] = v;
  set_producer_fields(b, 7, 2, -1);
}

} // namespace

// -- control batches ------------------------------------------------------------------------

CAF_TEST(a control batch round-trips its marker) {
  auto b = sample_control_batch(control_type::abort);
  auto h = validate_batch(b);
  CAF_REQUIRE(h.ok());
  CAF_CHECK(h->is_control());
  CAF_CHECK(h->is_transactional());
  CAF_CHECK_EQUAL(h->producer_id, 7);
  CAF_CHECK_EQUAL(h->producer_epoch, 2);
  CAF_CHECK_EQUAL(h->base_sequence, -1);
  CAF_CHECK_EQUAL(h->record_count, 1u);
  auto m = parse_control_batch(b);
  CAF_REQUIRE(m.ok());
  CAF_CHECK(*m == (control_record{control_type::abort, 5}));
}

CAF_TEST(a control record is big-endian as Kafka writes it) {
  auto b = make_control_batch(7, 2, {control_type::commit, 0x01020304}, timestamp_ms{0});
  record_reader r{b};
  record_view rv;
  CAF_REQUIRE(r.next(rv));
  CAF_REQUIRE(rv.key && rv.value);
  const char key[] = {0, 0, 0, 1};
  const char value[] = {0, 0, 1, 2, 3, 4};
  CAF_CHECK_EQUAL(rv.key->size(), 4u);
  CAF_CHECK_EQUAL(std::memcmp(rv.key->data(), key, 4), 0);
  CAF_CHECK_EQUAL(rv.value->size(), 6u);
  CAF_CHECK_EQUAL(std::memcmp(rv.value->data(), value, 6), 0);
}

CAF_TEST(a data batch is no control batch) {
  batch_builder bb;
  bb.add(timestamp_ms{0}, std::nullopt, std::string_view{"x"});
  auto b = bb.finish();
  auto m = parse_control_batch(b);
  CAF_CHECK_EQUAL(m.code(), errc::corrupt_batch);
  CAF_CHECK_EQUAL(m.err().message, "control batch at offset 0: not a control batch");
}

CAF_TEST(an unknown control type is corrupt) {
  auto b = sample_control_batch();
  // The value is the record's last 6 bytes before the header count; the type is the key's
  // last byte: value(6) + value length(1) before the header count(1).
  poke_record(b, 1 + 6 + 1 + 1, std::byte{9});
  auto m = parse_control_batch(b);
  CAF_CHECK_EQUAL(m.code(), errc::corrupt_batch);
  CAF_CHECK_EQUAL(m.err().message, "control batch at offset 0: unknown control record type 9");
}

CAF_TEST(a negative control record version is corrupt) {
  auto b = sample_control_batch();
  poke_record(b, 1 + 6, std::byte{0x80}); // the value's version, high byte
  auto m = parse_control_batch(b);
  CAF_CHECK_EQUAL(m.err().message, "control batch at offset 0: negative control record version");
}

CAF_TEST(a control batch with two records is corrupt) {
  batch_builder bb;
  bb.add(timestamp_ms{0}, std::string_view{"\0\0\0\1", 4}, std::string_view{"\0\0\0\0\0\0", 6});
  bb.add(timestamp_ms{0}, std::string_view{"\0\0\0\1", 4}, std::string_view{"\0\0\0\0\0\0", 6});
  auto b = bb.finish(7, 2, -1, bf::attr_txn_control);
  auto m = parse_control_batch(b);
  CAF_CHECK_EQUAL(m.err().message,
                  "control batch at offset 0: holds 2 records, not 1");
}

CAF_TEST(a control record with a short key is corrupt) {
  batch_builder bb;
  bb.add(timestamp_ms{0}, std::string_view{"\0\1", 2}, std::string_view{"\0\0\0\0\0\0", 6});
  auto b = bb.finish(7, 2, -1, bf::attr_txn_control);
  auto m = parse_control_batch(b);
  CAF_CHECK_EQUAL(m.err().message,
                  "control batch at offset 0: control record key of 2 bytes, needs 4");
}

CAF_TEST(an end-transaction marker without value is corrupt) {
  batch_builder bb;
  bb.add(timestamp_ms{0}, std::string_view{"\0\0\0\1", 4}, std::nullopt);
  auto b = bb.finish(7, 2, -1, bf::attr_txn_control);
  auto m = parse_control_batch(b);
  CAF_CHECK_EQUAL(m.err().message,
                  "control batch at offset 0: end-transaction marker of 0 bytes, needs 6");
}

// -- producer state: transactions -------------------------------------------------------------

CAF_TEST_FIXTURE_SCOPE(txn_state_tests, producer_state)

CAF_TEST(a transactional batch opens a transaction at its base offset) {
  apply(data(1, 0, 0, 5));
  CAF_REQUIRE(find(producer_id{1}) != nullptr);
  CAF_CHECK_EQUAL(find(producer_id{1})->txn_first_offset, offset{5});
  CAF_CHECK_EQUAL(first_unstable_offset(all_replicated), std::optional{offset{5}});
  CAF_CHECK_EQUAL(open_transactions(), 1u);
}

CAF_TEST(later batches of an open transaction keep its first offset) {
  apply(data(1, 0, 0, 5));
  apply(data(1, 0, 10, 15));
  CAF_CHECK_EQUAL(find(producer_id{1})->txn_first_offset, offset{5});
  CAF_CHECK_EQUAL(open_transactions(), 1u);
}

CAF_TEST(a non-transactional batch opens nothing) {
  apply(data(1, 0, 0, 5, false));
  CAF_CHECK_EQUAL(find(producer_id{1})->txn_first_offset, offset{-1});
  CAF_CHECK(!first_unstable_offset(all_replicated));
}

CAF_TEST(a commit ends the transaction without an aborted entry) {
  apply(data(1, 0, 0, 0));
  apply(marker_at(1, 0, 10), commit);
  CAF_CHECK(!first_unstable_offset(all_replicated));
  CAF_CHECK(aborted().empty());
  CAF_CHECK_EQUAL(find(producer_id{1})->coordinator_epoch, 3);
}

CAF_TEST(an abort ends the transaction and lists it up to the marker) {
  apply(data(1, 0, 0, 0));
  apply(marker_at(1, 0, 10), abort_txn);
  CAF_CHECK(!first_unstable_offset(all_replicated));
  CAF_REQUIRE_EQUAL(aborted().size(), 1u);
  CAF_CHECK(aborted()[0] == (aborted_txn{producer_id{1}, offset{0}, offset{10}}));
}

CAF_TEST(a marker without an open transaction lists nothing) {
  apply(marker_at(1, 0, 0), abort_txn);
  CAF_CHECK(aborted().empty());
  CAF_REQUIRE(find(producer_id{1}) != nullptr);
  CAF_CHECK_EQUAL(find(producer_id{1})->epoch, producer_epoch{0});
}

CAF_TEST(a control batch without its marker changes nothing) {
  apply(data(1, 0, 0, 0));
  apply(marker_at(1, 0, 10));
  CAF_CHECK_EQUAL(first_unstable_offset(all_replicated), std::optional{offset{0}});
}

CAF_TEST(a marker of a higher epoch bumps the epoch and ends the transaction) {
  apply(data(1, 0, 0, 0));
  apply(marker_at(1, 1, 10), abort_txn);
  auto* e = find(producer_id{1});
  CAF_CHECK_EQUAL(e->epoch, producer_epoch{1});
  CAF_CHECK(e->batches.empty());
  CAF_CHECK(!first_unstable_offset(all_replicated));
  CAF_CHECK_EQUAL(aborted().size(), 1u);
  // The old epoch is fenced from now on.
  CAF_CHECK_EQUAL(check(data(1, 0, 10, 11)).verdict, producer_verdict::fenced);
}

CAF_TEST(after a marker alone at an epoch any sequence is taken) {
  apply(marker_at(1, 2, 0), abort_txn);
  CAF_CHECK_EQUAL(check(data(1, 2, 40, 1)).verdict, producer_verdict::append);
  apply(data(1, 2, 40, 1));
  CAF_CHECK_EQUAL(check(data(1, 2, 60, 11)).verdict, producer_verdict::out_of_order);
}

CAF_TEST(a marker of a lower epoch is ignored) {
  apply(data(1, 2, 0, 0));
  apply(marker_at(1, 1, 10), abort_txn);
  CAF_CHECK_EQUAL(first_unstable_offset(all_replicated), std::optional{offset{0}});
  CAF_CHECK(aborted().empty());
}

CAF_TEST(check_marker fences an older epoch only) {
  apply(data(1, 2, 0, 0));
  CAF_CHECK_EQUAL(check_marker(producer_id{1}, producer_epoch{1}).verdict, producer_verdict::fenced);
  CAF_CHECK_EQUAL(check_marker(producer_id{1}, producer_epoch{2}).verdict, producer_verdict::append);
  CAF_CHECK_EQUAL(check_marker(producer_id{1}, producer_epoch{3}).verdict, producer_verdict::append);
  CAF_CHECK_EQUAL(check_marker(producer_id{9}, producer_epoch{0}).verdict, producer_verdict::append);
  CAF_CHECK_EQUAL(check_marker(producer_id{1}, producer_epoch{-1}).verdict, producer_verdict::invalid);
}

CAF_TEST(a client control batch is invalid) {
  auto c = check(marker_at(1, 0, 0));
  CAF_CHECK_EQUAL(c.verdict, producer_verdict::invalid);
  CAF_CHECK_EQUAL(c.reason, "producer 1: a control batch is written only by the partition leader "
                            "for a transaction marker, never sent by a client");
  CAF_CHECK_EQUAL(check(marker_at(-1, -1, 0)).verdict, producer_verdict::invalid);
}

CAF_TEST(a transactional batch without producer id is invalid) {
  auto c = check(data(-1, -1, -1, 0));
  CAF_CHECK_EQUAL(c.verdict, producer_verdict::invalid);
  CAF_CHECK_EQUAL(c.reason, "a transactional batch needs a producer id, got -1");
}

CAF_TEST(the first unstable offset is the smallest open first offset) {
  apply(data(1, 0, 0, 0));
  apply(data(2, 0, 0, 10));
  CAF_CHECK_EQUAL(first_unstable_offset(all_replicated), std::optional{offset{0}});
  apply(marker_at(1, 0, 20), commit);
  CAF_CHECK_EQUAL(first_unstable_offset(all_replicated), std::optional{offset{10}});
  apply(marker_at(2, 0, 21), commit);
  CAF_CHECK(!first_unstable_offset(all_replicated));
}

CAF_TEST(an ended transaction is unstable until its marker is below the high watermark) {
  apply(data(1, 0, 0, 0));
  apply(marker_at(1, 0, 10), commit);
  CAF_CHECK_EQUAL(first_unstable_offset(offset{10}), std::optional{offset{0}});
  CAF_CHECK(!first_unstable_offset(offset{11}));
  on_high_watermark(offset{11});
  CAF_CHECK(!first_unstable_offset(offset{0})); // forgotten: stable for good
}

CAF_TEST(an open transaction before an unreplicated one bounds the stable offset) {
  apply(data(2, 0, 0, 0));
  apply(data(1, 0, 0, 10));
  apply(marker_at(1, 0, 20), commit);
  CAF_CHECK_EQUAL(first_unstable_offset(offset{15}), std::optional{offset{0}});
  apply(marker_at(2, 0, 21), abort_txn);
  CAF_CHECK_EQUAL(first_unstable_offset(offset{21}), std::optional{offset{0}});
  CAF_CHECK_EQUAL(first_unstable_offset(offset{22}), std::nullopt);
}

CAF_TEST(aborted transactions are those overlapping the range) {
  apply(data(1, 0, 0, 0));
  apply(marker_at(1, 0, 10), abort_txn); // [0, 10]
  apply(data(2, 0, 0, 11));
  apply(marker_at(2, 0, 30), abort_txn); // [11, 30]
  apply(data(3, 0, 0, 31));
  apply(marker_at(3, 0, 41), abort_txn); // [31, 41]
  auto ids = [&](int64_t from, int64_t upto) {
    std::vector<int64_t> out;
    for (auto& a : aborted_transactions(offset{from}, offset{upto}))
      out.push_back(a.id.value);
    return out;
  };
  CAF_CHECK_EQUAL(ids(0, 100), (std::vector<int64_t>{1, 2, 3}));
  CAF_CHECK_EQUAL(ids(10, 11), (std::vector<int64_t>{1}));  // marker at `from` counts
  CAF_CHECK_EQUAL(ids(11, 31), (std::vector<int64_t>{2}));  // first offset at `upto` does not
  CAF_CHECK_EQUAL(ids(25, 26), (std::vector<int64_t>{2}));  // inside a transaction
  CAF_CHECK_EQUAL(ids(42, 100), (std::vector<int64_t>{}));
}

CAF_TEST(aborted entries below the log start are pruned) {
  apply(data(1, 0, 0, 0));
  apply(marker_at(1, 0, 10), abort_txn);
  apply(data(2, 0, 0, 11));
  apply(marker_at(2, 0, 30), abort_txn);
  CAF_CHECK_EQUAL(prune_aborted(offset{10}), 0u); // the marker at 10 is still in the log
  CAF_CHECK_EQUAL(prune_aborted(offset{11}), 1u);
  CAF_REQUIRE_EQUAL(aborted().size(), 1u);
  CAF_CHECK_EQUAL(aborted()[0].id, producer_id{2});
}

CAF_TEST(a producer with an open transaction does not expire) {
  apply(data(1, 0, 0, 0));
  apply(data(2, 0, 0, 10, false));
  CAF_CHECK_EQUAL(expire(timestamp_ms{1'000'000}, 1000), 1u);
  CAF_CHECK(find(producer_id{1}) != nullptr);
  CAF_CHECK(find(producer_id{2}) == nullptr);
}

CAF_TEST(a marker keeps its producer from expiring) {
  apply(marker_at(1, 0, 0), commit); // timestamp 2000
  CAF_CHECK_EQUAL(expire(timestamp_ms{2500}, 1000), 0u);
  CAF_CHECK_EQUAL(expire(timestamp_ms{3500}, 1000), 1u);
}

CAF_TEST(a snapshot keeps open transactions and coordinator epochs and the aborted list) {
  apply(data(1, 0, 0, 0));
  apply(marker_at(1, 0, 10), abort_txn);
  apply(data(2, 0, 0, 11));
  apply(marker_at(3, 4, 21), commit); // a producer known only by a marker: no batches
  auto bytes = encode_producer_snapshot(*this, offset{22});
  auto back = decode_producer_snapshot(bytes, offset{22});
  CAF_REQUIRE(back.ok());
  CAF_CHECK(*back == *this);
  CAF_CHECK_EQUAL(back->first_unstable_offset(all_replicated), std::optional{offset{11}});
  CAF_CHECK_EQUAL(back->find(producer_id{3})->coordinator_epoch, 3);
}

CAF_TEST(a snapshot of an older format version is refused) {
  apply(data(1, 0, 0, 0));
  auto bytes = encode_producer_snapshot(*this, offset{10});
  bytes[4] = std::byte{1}; // version 1, the format before transactions
  auto body = bytes.size() - 4;
  auto crc = crc32c::value(bytes.data(), body); // resealed: only the version is wrong
  std::memcpy(bytes.data() + body, &crc, sizeof crc);
  auto back = decode_producer_snapshot(bytes, offset{10});
  CAF_CHECK_EQUAL(back.code(), errc::corrupt_checkpoint);
  CAF_CHECK_EQUAL(back.err().message, "00000000000000000010.snapshot: format version 1, this "
                                      "Sluice reads version 2");
}

CAF_TEST(a snapshot with an open transaction at or past its offset is refused) {
  producer_entry e;
  e.epoch = producer_epoch{0};
  e.txn_first_offset = offset{5};
  restore(producer_id{1}, e);
  CAF_CHECK_EQUAL(first_unstable_offset(all_replicated), std::optional{offset{5}});
  CAF_CHECK(!decode_producer_snapshot(encode_producer_snapshot(*this, offset{5}), offset{5}).ok());
  CAF_CHECK(decode_producer_snapshot(encode_producer_snapshot(*this, offset{6}), offset{6}).ok());
}

CAF_TEST(restoring an entry replaces its open transaction) {
  apply(data(1, 0, 0, 0));
  producer_entry e;
  e.epoch = producer_epoch{0};
  restore(producer_id{1}, e);
  CAF_CHECK(!first_unstable_offset(all_replicated));
}

CAF_TEST_FIXTURE_SCOPE_END()

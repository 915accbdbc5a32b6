#define CAF_SUITE store.producer_state
#include <caf/test/unit_test.hpp>

#include "store/producer_snapshot.hpp"
#include "store/producer_state.hpp"

#include <limits>

using namespace sluice;
using namespace sluice::store;

namespace {

constexpr int32_t max_seq = std::numeric_limits<int32_t>::max();

// The header of a batch of producer `pid` (epoch `epoch`) with `records` records starting at
// sequence `seq`, appended at offset `at`.
batch_header batch(int64_t pid, int16_t epoch, int32_t seq, uint32_t records = 10, int64_t at = 0,
                   int64_t ts = 1000) {
  batch_header h;
  h.base_offset = offset{at};
  h.last_offset_delta = records - 1;
  h.record_count = records;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.base_sequence = seq;
  h.max_timestamp = timestamp_ms{ts};
  return h;
}

struct fixture {
  producer_state s;
  int64_t next_offset = 0;

  // Checks, then applies as the log would after appending at the next offset.
  producer_check send(int64_t pid, int16_t epoch, int32_t seq, uint32_t records = 10) {
    auto h = batch(pid, epoch, seq, records, next_offset);
    auto c = s.check(h);
    if (c.verdict == producer_verdict::append) {
      s.apply(h);
      next_offset += records;
    }
    return c;
  }

  producer_verdict verdict(int64_t pid, int16_t epoch, int32_t seq, uint32_t records = 10) {
    return send(pid, epoch, seq, records).verdict;
  }
};

} // namespace

CAF_TEST(last sequence wraps past INT32_MAX to 0) {
  CAF_CHECK_EQUAL(last_sequence(0, 9), 9);
  CAF_CHECK_EQUAL(last_sequence(max_seq, 0), max_seq);
  CAF_CHECK_EQUAL(last_sequence(max_seq, 1), 0);
  CAF_CHECK_EQUAL(last_sequence(max_seq - 2, 4), 1);
  CAF_CHECK(in_sequence(max_seq, 0));
  CAF_CHECK(in_sequence(4, 5));
  CAF_CHECK(!in_sequence(4, 6));
  CAF_CHECK(!in_sequence(max_seq, 1));
}

CAF_TEST_FIXTURE_SCOPE(producer_state_tests, fixture)

CAF_TEST(a batch without producer id is always appended and not recorded) {
  CAF_CHECK_EQUAL(verdict(-1, -1, -1), producer_verdict::append);
  CAF_CHECK_EQUAL(s.size(), 0u);
}

CAF_TEST(an unknown producer starts at sequence 0) {
  CAF_CHECK_EQUAL(verdict(7, 0, 0), producer_verdict::append);
  auto* e = s.find(producer_id{7});
  CAF_REQUIRE(e != nullptr);
  CAF_CHECK_EQUAL(e->epoch, producer_epoch{0});
  CAF_CHECK_EQUAL(e->last_seq(), 9);
  CAF_CHECK_EQUAL(verdict(7, 0, 10), producer_verdict::append);
  CAF_CHECK_EQUAL(s.find(producer_id{7})->last_seq(), 19);
}

CAF_TEST(a duplicate of each of the last five batches answers its offsets) {
  for (int i = 0; i < 7; ++i)
    CAF_REQUIRE_EQUAL(verdict(7, 0, i * 10), producer_verdict::append);
  // Batches 2..6 (sequences 20..69) are kept; each repeat names its own offsets.
  for (int i = 2; i < 7; ++i) {
    auto c = s.check(batch(7, 0, i * 10, 10, 999));
    CAF_CHECK_EQUAL(c.verdict, producer_verdict::duplicate);
    CAF_CHECK_EQUAL(c.original.first_offset, offset{i * 10});
    CAF_CHECK_EQUAL(c.original.last_offset, offset{i * 10 + 9});
    CAF_CHECK_EQUAL(c.original.first_seq, i * 10);
  }
  CAF_CHECK_EQUAL(s.find(producer_id{7})->batches.size(), producer_state::batches_kept);
}

CAF_TEST(a retry older than the window is an old duplicate for the log to look up) {
  for (int i = 0; i < 6; ++i)
    CAF_REQUIRE_EQUAL(verdict(7, 0, i * 10), producer_verdict::append);
  // Batch 0 fell out of the window of 5; its sequences lie behind the last one.
  CAF_CHECK_EQUAL(s.check(batch(7, 0, 0)).verdict, producer_verdict::old_duplicate);
  // A sequence far ahead is a gap, not a duplicate.
  CAF_CHECK_EQUAL(s.check(batch(7, 0, 1000)).verdict, producer_verdict::out_of_order);
}

CAF_TEST(a repeat with the same first but another last sequence is no duplicate) {
  CAF_REQUIRE_EQUAL(verdict(7, 0, 0, 10), producer_verdict::append);
  // Behind the last sequence, so only the log can tell (and will not find it).
  CAF_CHECK_EQUAL(s.check(batch(7, 0, 0, 5)).verdict, producer_verdict::old_duplicate);
}

CAF_TEST(a gap in the sequence is out of order and names both sequences) {
  CAF_REQUIRE_EQUAL(verdict(7, 0, 0), producer_verdict::append);
  auto c = send(7, 0, 20);
  CAF_CHECK_EQUAL(c.verdict, producer_verdict::out_of_order);
  CAF_CHECK_NOT_EQUAL(c.reason.find("sequence 20 does not follow 9"), std::string::npos);
  // Nothing changed: the missing batch still goes.
  CAF_CHECK_EQUAL(verdict(7, 0, 10), producer_verdict::append);
  CAF_CHECK_EQUAL(verdict(7, 0, 20), producer_verdict::append);
}

CAF_TEST(an epoch bump starts the sequence afresh at 0) {
  CAF_REQUIRE_EQUAL(verdict(7, 0, 0), producer_verdict::append);
  CAF_REQUIRE_EQUAL(verdict(7, 0, 10), producer_verdict::append);
  CAF_CHECK_EQUAL(verdict(7, 1, 20), producer_verdict::out_of_order);
  CAF_CHECK_EQUAL(verdict(7, 1, 0), producer_verdict::append);
  auto* e = s.find(producer_id{7});
  CAF_CHECK_EQUAL(e->epoch, producer_epoch{1});
  CAF_CHECK_EQUAL(e->batches.size(), 1u);
  // The old epoch's batches are no duplicates any more: its retries are fenced.
  CAF_CHECK_EQUAL(s.check(batch(7, 0, 10)).verdict, producer_verdict::fenced);
}

CAF_TEST(a stale epoch is fenced) {
  CAF_REQUIRE_EQUAL(verdict(7, 3, 0), producer_verdict::append);
  auto c = send(7, 2, 10);
  CAF_CHECK_EQUAL(c.verdict, producer_verdict::fenced);
  CAF_CHECK_NOT_EQUAL(c.reason.find("epoch 2 is fenced"), std::string::npos);
}

CAF_TEST(negative epoch or sequence with a producer id is invalid) {
  CAF_CHECK_EQUAL(verdict(7, -1, 0), producer_verdict::invalid);
  CAF_CHECK_EQUAL(verdict(7, 0, -1), producer_verdict::invalid);
  CAF_CHECK_EQUAL(s.size(), 0u);
}

CAF_TEST(sequences wrap around at INT32_MAX) {
  // An unknown producer may start anywhere (KIP-360), here just below the wrap.
  CAF_REQUIRE_EQUAL(verdict(7, 0, max_seq - 4), producer_verdict::append); // up to max - 4 + 9
  auto* e = s.find(producer_id{7});
  CAF_CHECK_EQUAL(e->last_seq(), 4);
  CAF_CHECK_EQUAL(verdict(7, 0, 5), producer_verdict::append);
  // The batch that spans the wrap is still found as a duplicate.
  CAF_CHECK_EQUAL(s.check(batch(7, 0, max_seq - 4)).verdict, producer_verdict::duplicate);
}

CAF_TEST(exactly INT32_MAX is followed by 0) {
  CAF_REQUIRE_EQUAL(verdict(7, 0, max_seq, 1), producer_verdict::append);
  CAF_CHECK_EQUAL(verdict(7, 0, 1), producer_verdict::out_of_order);
  CAF_CHECK_EQUAL(verdict(7, 0, 0), producer_verdict::append);
}

CAF_TEST(an unknown producer with a non-zero sequence is taken after its state expired) {
  next_offset = 100;
  CAF_REQUIRE_EQUAL(verdict(7, 0, 0), producer_verdict::append);
  CAF_CHECK_EQUAL(s.expire(timestamp_ms{1000 + 50}, 100), 0u);
  CAF_CHECK_EQUAL(s.expire(timestamp_ms{1000 + 101}, 100), 1u);
  CAF_CHECK(s.find(producer_id{7}) == nullptr);
  // A restart with no state for it: its next batch is appended whatever its sequence, and
  // the window starts from there.
  CAF_CHECK_EQUAL(verdict(7, 0, 10), producer_verdict::append);
  CAF_CHECK_EQUAL(verdict(7, 0, 30), producer_verdict::out_of_order);
}

CAF_TEST(producers are independent) {
  CAF_REQUIRE_EQUAL(verdict(1, 0, 0), producer_verdict::append);
  CAF_REQUIRE_EQUAL(verdict(2, 5, 0), producer_verdict::append);
  CAF_CHECK_EQUAL(verdict(1, 0, 10), producer_verdict::append);
  CAF_CHECK_EQUAL(verdict(2, 4, 10), producer_verdict::fenced);
  CAF_CHECK_EQUAL(s.size(), 2u);
}

CAF_TEST(apply of an older epoch keeps the fence) {
  s.apply(batch(7, 2, 0, 10, 0));
  s.apply(batch(7, 1, 0, 10, 10)); // a replica copying a log that holds it anyway
  CAF_CHECK_EQUAL(s.find(producer_id{7})->epoch, producer_epoch{2});
  CAF_CHECK_EQUAL(s.find(producer_id{7})->batches.size(), 1u);
}

CAF_TEST(a snapshot round-trips and refuses damage) {
  for (int i = 0; i < 7; ++i)
    CAF_REQUIRE_EQUAL(verdict(7, 0, i * 10), producer_verdict::append);
  CAF_REQUIRE_EQUAL(verdict(9, 3, 0, 1), producer_verdict::append);
  auto bytes = encode_producer_snapshot(s, offset{next_offset});
  auto back = decode_producer_snapshot(bytes, offset{next_offset});
  CAF_REQUIRE(back.ok());
  CAF_CHECK(*back == s);
  CAF_CHECK(!decode_producer_snapshot(bytes, offset{next_offset + 1}).ok()); // name mismatch
  auto flipped = bytes;
  flipped[30] ^= std::byte{1};
  CAF_CHECK_EQUAL(decode_producer_snapshot(flipped, offset{next_offset}).code(), errc::corrupt_checkpoint);
  auto cut = bytes;
  cut.resize(cut.size() - 5);
  CAF_CHECK(!decode_producer_snapshot(cut, offset{next_offset}).ok());
  // A batch at or past the snapshot's offset cannot be in it.
  CAF_CHECK(!decode_producer_snapshot(encode_producer_snapshot(s, offset{5}), offset{5}).ok());
}

CAF_TEST_FIXTURE_SCOPE_END()

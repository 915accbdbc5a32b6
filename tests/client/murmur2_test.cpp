#define CAF_SUITE client.murmur2
#include <caf/test/unit_test.hpp>

#include "client/murmur2.hpp"

#include <string>

using namespace sluice;
using namespace sluice::client;

// Expected values are what Java's org.apache.kafka.common.utils.Utils.murmur2 returns; they
// appear in Kafka's UtilsTest and in client libraries that check compatibility against it.

CAF_TEST(kafka utils test vectors) {
  CAF_CHECK_EQUAL(murmur2("21"), -973932308);
  CAF_CHECK_EQUAL(murmur2("foobar"), -790332482);
  CAF_CHECK_EQUAL(murmur2("a-little-bit-long-string"), -985981536);
  CAF_CHECK_EQUAL(murmur2("a-little-bit-longer-string"), -1486304829);
  CAF_CHECK_EQUAL(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  CAF_CHECK_EQUAL(murmur2("abc"), 479470107);
}

CAF_TEST(every tail length) {
  // Lengths 1..5 and 0 cover the 0-3 byte tails and a full block.
  CAF_CHECK_EQUAL(murmur2("1"), -1993445489);
  CAF_CHECK_EQUAL(murmur2("12"), 126087238);
  CAF_CHECK_EQUAL(murmur2("123"), -267702483);
  CAF_CHECK_EQUAL(murmur2("1234"), -1614185708);
  CAF_CHECK_EQUAL(murmur2("12345"), -1188365604);
}

CAF_TEST(bytes above 0x7f are unsigned) {
  // Java masks every byte with & 0xff; a sign-extending port would differ here.
  std::string high{"\xa4\x81\xff\x80\xfe", 5};
  auto h = murmur2(high);
  CAF_CHECK_EQUAL(h, murmur2(std::string{"\xa4\x81\xff\x80\xfe", 5}));
  CAF_CHECK_NOT_EQUAL(h, murmur2(std::string{"\x24\x01\x7f\x00\x7e", 5}));
}

CAF_TEST(to positive clears only the sign bit) {
  CAF_CHECK_EQUAL(to_positive(-973932308), 1173551340);
  CAF_CHECK_EQUAL(to_positive(INT32_MIN), 0);
  CAF_CHECK_EQUAL(to_positive(-1), INT32_MAX);
  CAF_CHECK_EQUAL(to_positive(479470107), 479470107);
}

CAF_TEST(partition choice matches the java producer) {
  // Partitions over 1000 that Kafka's default partitioner picks (kafka-python checks its own
  // Murmur2Partitioner against the same numbers).
  CAF_CHECK_EQUAL(key_partition("", 1000).value, 681);
  CAF_CHECK_EQUAL(key_partition("a", 1000).value, 524);
  CAF_CHECK_EQUAL(key_partition("ab", 1000).value, 434);
  CAF_CHECK_EQUAL(key_partition("abc", 1000).value, 107);
  CAF_CHECK_EQUAL(key_partition("123456789", 1000).value, 566);
  CAF_CHECK_EQUAL(key_partition(std::string{"\x00 ", 2}, 1000).value, 742);
  // "21" -> toPositive(-973932308) = 1173551340.
  CAF_CHECK_EQUAL(key_partition("21", 3).value, 1173551340 % 3);
  CAF_CHECK_EQUAL(key_partition("21", 7).value, 1173551340 % 7);
  CAF_CHECK_EQUAL(key_partition("foobar", 1).value, 0);
}

#define CAF_SUITE filter.eval
#include <caf/test/unit_test.hpp>

#include "filter/filter_expr.hpp"

#include <initializer_list>
#include <vector>

using namespace sluice;
using namespace sluice::filter;
using store::record_header;

namespace {

bool test(std::string_view expr, std::initializer_list<record_header> hs) {
  auto f = parse_filter(expr);
  if (!f)
    CAF_FAIL("did not parse: " << f.err().message);
  std::vector<record_header> v{hs};
  return matches(*f, v);
}

} // namespace

CAF_TEST(tag test looks in the tags list) {
  CAF_CHECK(test("b", {{"tags", "a,b,c"}}));
  CAF_CHECK(test("b", {{"tags", " a , b "}}));
  CAF_CHECK(!test("b", {{"tags", "ab,bc"}}));
  CAF_CHECK(test("'high prio'", {{"tags", "high prio"}}));
}

CAF_TEST(tag boolean operators) {
  record_header ab{"tags", "a,b"};
  CAF_CHECK(test("a || x", {ab}));
  CAF_CHECK(!test("a && x", {ab}));
  CAF_CHECK(test("a && !x", {ab}));
  CAF_CHECK(!test("!(a || x)", {ab}));
  CAF_CHECK(test("x || a && b", {ab}));
  CAF_CHECK(!test("(x || a) && c", {ab}));
}

CAF_TEST(record without headers) {
  CAF_CHECK(!test("a", {}));
  CAF_CHECK(test("!a", {}));
  CAF_CHECK(!test("region = 'eu'", {}));
  CAF_CHECK(!test("region != 'eu'", {}));
  CAF_CHECK(test("region IS NULL", {}));
  CAF_CHECK(!test("region IS NOT NULL", {}));
  CAF_CHECK(!test("tags IN ('a')", {}));
  CAF_CHECK(!test("tags NOT IN ('a')", {}));
}

CAF_TEST(string comparisons) {
  record_header eu{"region", "eu"};
  CAF_CHECK(test("region = 'eu'", {eu}));
  CAF_CHECK(!test("region = 'us'", {eu}));
  CAF_CHECK(test("region <> 'us'", {eu}));
  CAF_CHECK(test("region < 'fr'", {eu}));
  CAF_CHECK(test("region >= 'eu'", {eu}));
  CAF_CHECK(test("q = 'it''s'", {{"q", "it's"}}));
}

CAF_TEST(numeric comparisons read the header as a number) {
  record_header p{"priority", "5"};
  CAF_CHECK(test("priority > 3", {p}));
  CAF_CHECK(!test("priority > 10", {p})); // as strings "5" > "10"; as numbers not
  CAF_CHECK(test("priority = 5.0", {p}));
  CAF_CHECK(test("priority >= -1.5", {p}));
  CAF_CHECK(!test("priority > 3", {{"priority", "high"}}));
  CAF_CHECK(!test("priority > 3", {{"priority", ""}}));
  CAF_CHECK(!test("priority > 3", {{"priority", "4x"}}));
}

CAF_TEST(sql example from the issue) {
  CAF_CHECK(test("region = 'eu' AND priority > 3", {{"region", "eu"}, {"priority", "4"}}));
  CAF_CHECK(!test("region = 'eu' AND priority > 3", {{"region", "eu"}, {"priority", "3"}}));
  CAF_CHECK(!test("region = 'eu' AND priority > 3", {{"region", "eu"}}));
}

CAF_TEST(in lists) {
  CAF_CHECK(test("tags IN ('x','b')", {{"tags", "a,b"}}));
  CAF_CHECK(!test("tags IN ('x','y')", {{"tags", "a,b"}}));
  CAF_CHECK(test("tags NOT IN ('x','y')", {{"tags", "a,b"}}));
  CAF_CHECK(test("region IN ('us', 'eu')", {{"region", "eu"}}));
  CAF_CHECK(!test("region IN ('us', 'eu,us')", {{"region", "eu"}}));
  CAF_CHECK(test("p IN (1, 2)", {{"p", "2"}}));
  CAF_CHECK(test("p NOT IN (1, 2)", {{"p", "3"}}));
}

CAF_TEST(tags equality is membership) {
  CAF_CHECK(test("tags = 'b'", {{"tags", "a,b"}}));
  CAF_CHECK(test("tags != 'x'", {{"tags", "a,b"}}));
  CAF_CHECK(!test("tags != 'a'", {{"tags", "a,b"}}));
}

CAF_TEST(is null) {
  CAF_CHECK(test("x IS NULL", {{"y", "1"}}));
  CAF_CHECK(test("y IS NOT NULL", {{"y", ""}}));
}

CAF_TEST(first of duplicate headers counts) {
  CAF_CHECK(test("r = 'a'", {{"r", "a"}, {"r", "b"}}));
  CAF_CHECK(!test("r = 'b'", {{"r", "a"}, {"r", "b"}}));
}

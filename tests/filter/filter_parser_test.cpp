#define CAF_SUITE filter.parser
#include <caf/test/unit_test.hpp>

#include "filter/filter_expr.hpp"

#include <string>

using namespace sluice;
using namespace sluice::filter;

namespace {

// The error line of a refused expression ("" when it parsed).
std::string refusal(std::string_view text) {
  auto f = parse_filter(text);
  return f ? std::string{} : f.err().message;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

} // namespace

CAF_TEST(tag expressions parse) {
  for (auto text : {"a", "a || b", "a && b", "!a", "(a || b) && !c", "'high prio' || x.y:z-1",
                    "a OR b AND NOT c", "not(a)"})
    CAF_CHECK_EQUAL(refusal(text), "");
}

CAF_TEST(sql forms parse) {
  for (auto text : {"region = 'eu' AND priority > 3", "tags IN ('a','b')", "x IS NULL",
                    "x IS NOT NULL", "x NOT IN (1, 2.5, -3)", "a <> 'b' or a != 'c'",
                    "p >= 1 and p <= 2 and p < 3 and p > 0", "s = 'it''s'"})
    CAF_CHECK_EQUAL(refusal(text), "");
}

CAF_TEST(keywords are case insensitive) {
  CAF_CHECK_EQUAL(refusal("a is not null AnD b in ('x') oR NoT c"), "");
}

CAF_TEST(and binds tighter than or) {
  auto f = parse_filter("a || b && c");
  CAF_REQUIRE(f);
  CAF_CHECK(f->nodes.back().k == node::kind::or_);
}

CAF_TEST(empty expression is refused) {
  CAF_CHECK_EQUAL(refusal(""), "filter: position 1: empty filter expression");
  CAF_CHECK_EQUAL(refusal("   "), "filter: position 4: empty filter expression");
}

CAF_TEST(unknown operator names its position) {
  CAF_CHECK_EQUAL(refusal("a ~ b"), "filter: position 3: unknown operator '~'");
  CAF_CHECK_EQUAL(refusal("a & b"), "filter: position 3: unknown operator '&' (did you mean '&&'?)");
  CAF_CHECK_EQUAL(refusal("a | b"), "filter: position 3: unknown operator '|' (did you mean '||'?)");
  CAF_CHECK(starts_with(refusal("x = \"eu\""), "filter: position 5: unknown operator '\"'"));
}

CAF_TEST(unknown function is refused) {
  CAF_CHECK_EQUAL(refusal("a && lower(region) = 'eu'"),
                  "filter: position 6: unknown function 'lower' (filters have no functions)");
}

CAF_TEST(overlong expression is refused) {
  std::string text(max_expression_bytes + 1, 'a');
  CAF_CHECK(starts_with(refusal(text), "filter: position 4097: expression is 4097 bytes, longer than"));
  CAF_CHECK_EQUAL(refusal(std::string(max_expression_bytes, 'a')), "");
}

CAF_TEST(deep nesting is refused) {
  std::string deep(max_nesting + 1, '(');
  deep += "a" + std::string(max_nesting + 1, ')');
  CAF_CHECK(starts_with(refusal(deep), "filter: position 33: nested deeper than 32"));
  std::string nots(200, '!');
  CAF_CHECK(starts_with(refusal(nots + "a"), "filter: position 33: nested deeper"));
}

CAF_TEST(missing operand is refused) {
  CAF_CHECK_EQUAL(refusal("a ||"), "filter: position 5: expected a tag, a header name, '(' or NOT, found end of expression");
  CAF_CHECK_EQUAL(refusal("&& a"), "filter: position 1: expected a tag, a header name, '(' or NOT, found '&&'");
}

CAF_TEST(missing value after comparison is refused) {
  CAF_CHECK_EQUAL(refusal("region ="), "filter: position 9: expected a value (a 'string' or a number) after '=', found end of expression");
  CAF_CHECK_EQUAL(refusal("p > q"), "filter: position 5: expected a value (a 'string' or a number) after '>', found 'q'");
}

CAF_TEST(unbalanced parentheses are refused) {
  CAF_CHECK_EQUAL(refusal("(a || b"), "filter: position 8: expected ')' to close the '(', found end of expression");
  CAF_CHECK_EQUAL(refusal("a)"), "filter: position 2: unexpected ')' after a complete expression");
}

CAF_TEST(unterminated string is refused) {
  CAF_CHECK_EQUAL(refusal("r = 'eu"), "filter: position 5: unterminated string (a quote inside a string is written '')");
}

CAF_TEST(malformed number is refused) {
  CAF_CHECK_EQUAL(refusal("p > 3x"), "filter: position 5: malformed number '3x'");
}

CAF_TEST(bad in list is refused) {
  CAF_CHECK_EQUAL(refusal("t IN 'a'"), "filter: position 6: expected '(' after IN, found ''a''");
  CAF_CHECK_EQUAL(refusal("t IN ('a' 'b')"), "filter: position 11: expected ',' or ')' in the IN list, found ''b''");
  CAF_CHECK_EQUAL(refusal("t IN ()"), "filter: position 7: expected a value (a 'string' or a number) after '(', found ')'");
  CAF_CHECK_EQUAL(refusal("t NOT x"), "filter: position 7: expected IN after 't NOT', found 'x'");
}

CAF_TEST(bad is null is refused) {
  CAF_CHECK_EQUAL(refusal("t IS 3"), "filter: position 6: expected NULL after IS, found '3'");
  CAF_CHECK_EQUAL(refusal("t IS NOT"), "filter: position 9: expected NULL after IS NOT, found end of expression");
}

CAF_TEST(two operands without operator are refused) {
  CAF_CHECK_EQUAL(refusal("a b"), "filter: position 3: unexpected 'b' after a complete expression");
}

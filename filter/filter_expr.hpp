#pragma once

// A consumer's filter expression, parsed once into an AST and evaluated per record against
// its headers (README "Message filtering"). Plain C++: no CAF, no I/O; the broker evaluates
// it while serving a fetch (filter/batch_filter.hpp), the client parses it to refuse a bad
// expression before sending it.
//
// Grammar (keywords AND OR NOT IN IS NULL are case-insensitive):
//
//   expr       := and_expr { ("||" | OR) and_expr }
//   and_expr   := unary { ("&&" | AND) unary }
//   unary      := ("!" | NOT) unary | primary
//   primary    := "(" expr ")"
//               | string                       tag test: the record has this tag
//               | name [ predicate ]           bare name: tag test; else a header test
//   predicate  := cmp_op literal
//               | [NOT] IN "(" literal { "," literal } ")"
//               | IS [NOT] NULL
//   cmp_op     := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//   literal    := string | number
//   name       := [A-Za-z_] [A-Za-z0-9_.:-]*      (not a keyword)
//   string     := "'" { any char but "'" | "''" } "'"
//   number     := ["-"] digit+ ["." digit+]
//
// Meaning (two-valued: a test on a missing header is false, so NOT of it is true):
//   - tags are the comma-separated list in header `tags` (spaces around items ignored);
//     `a` and `'a'` are true when the record carries tag a.
//   - `tags = 'a'` and `tags IN ('a','b')` test tag membership too (any tag equal);
//     `tags != 'a'` / `tags NOT IN (...)`: the header is present and holds none of them.
//   - `h = 'v'` (and != < <= > >=) compares header h's bytes with the string;
//     against a number, h's value is read as a decimal number, and a value that is not one
//     makes the test false.
//   - `h IN (...)`: h equals one of the literals (as `=` does each); `h IS NULL`: no header h.
//   - with duplicate header keys the first one counts.
//
// Limits, so that the broker never spends unbounded work or stack on one: at most
// max_expression_bytes of text and max_nesting levels of parentheses and NOT.

#include "store/batch.hpp"
#include "store/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::filter {

inline constexpr size_t max_expression_bytes = 4096;
inline constexpr int max_nesting = 32;

// The header that carries a record's tags.
inline constexpr std::string_view tags_header = "tags";

enum class cmp_op : uint8_t { eq, ne, lt, le, gt, ge };

struct literal {
  bool is_number = false;
  double number = 0;
  std::string text; // the string's bytes (quotes removed); for a number, as written
};

// One node of the AST. Children are indices into filter_expr::nodes, always below the
// node's own index (children are built first), so the root is the last node.
struct node {
  enum class kind : uint8_t {
    compare,  // header op values[0]; from a tag test: tags = 'x'
    in_list,  // header IN values (negated: NOT IN)
    is_null,  // header IS NULL (negated: IS NOT NULL)
    and_,     // lhs && rhs
    or_,      // lhs || rhs
    not_,     // !lhs
  };
  kind k = kind::compare;
  cmp_op op = cmp_op::eq;
  bool negated = false;
  std::string header;
  std::vector<literal> values;
  uint32_t lhs = 0;
  uint32_t rhs = 0;
};

struct filter_expr {
  std::string text;       // as given, for inspect and error messages
  std::vector<node> nodes; // root last; never empty
};

// Parses `text`; a bad expression is errc::invalid_argument with one line naming the
// 1-based character position: "filter: position 9: expected a value after '=', found end".
store::result<filter_expr> parse_filter(std::string_view text);

// True when a record with these headers passes the filter.
bool matches(const filter_expr& f, std::span<const store::record_header> headers);

} // namespace sluice::filter

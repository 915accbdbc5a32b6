#define CAF_SUITE filter.property
#include <caf/test/unit_test.hpp>

#include "filter/filter_expr.hpp"

#include <rapidcheck.h>

#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::filter;

namespace {

// Pieces the grammar is made of, so that random strings often get deep into the parser
// instead of failing at the first character.
const std::vector<std::string> pieces{
  "a", "b", "tags", "region", " ", "(", ")", "!", "&&", "||", "AND", "OR", "NOT", "IN", "IS",
  "NULL", "=", "!=", "<>", "<", "<=", ">", ">=", ",", "'eu'", "'", "''", "3", "-2.5", "1e", "&",
  "|", "~", "f(", "\"", "\x01", "\xff", "9999999999999999999999999999999999999999"};

} // namespace

CAF_TEST(parser never crashes on arbitrary bytes) {
  CAF_CHECK(rc::check("any bytes parse or are refused with a position", [](const std::string& s) {
    auto f = parse_filter(s);
    if (!f)
      RC_ASSERT(f.err().message.rfind("filter: position ", 0) == 0);
    else
      RC_ASSERT(!f->nodes.empty());
  }));
}

CAF_TEST(parser never crashes on grammar fragments and evaluates what it accepts) {
  CAF_CHECK(rc::check("token soup", [] {
    auto n = *rc::gen::inRange<size_t>(0, 60);
    std::string s;
    for (size_t i = 0; i < n; ++i)
      s += pieces[*rc::gen::inRange<size_t>(0, pieces.size())];
    auto f = parse_filter(s);
    if (!f) {
      RC_ASSERT(f.err().message.rfind("filter: position ", 0) == 0);
      RC_ASSERT(f.err().message.find('\n') == std::string::npos);
      return;
    }
    // Children come before their parent: evaluation never indexes out of the node list.
    for (size_t i = 0; i < f->nodes.size(); ++i) {
      auto& nd = f->nodes[i];
      if (nd.k == node::kind::and_ || nd.k == node::kind::or_)
        RC_ASSERT(nd.lhs < i && nd.rhs < i);
      if (nd.k == node::kind::not_)
        RC_ASSERT(nd.lhs < i);
    }
    store::record_header hs[] = {{"tags", "a,b"}, {"region", "eu"}};
    matches(*f, hs);
    matches(*f, {});
  }));
}

CAF_TEST(not of an expression inverts it) {
  CAF_CHECK(rc::check("!e == not e", [] {
    auto tag = *rc::gen::element<std::string>("a", "b", "c");
    auto other = *rc::gen::element<std::string>("a", "b", "c");
    auto op = *rc::gen::element<std::string>(" && ", " || ");
    auto text = tag + op + other;
    auto f = parse_filter(text);
    auto g = parse_filter("!(" + text + ")");
    RC_ASSERT(f && g);
    auto tags = *rc::gen::element<std::string>("", "a", "b", "a,b", "c,a");
    store::record_header hs[] = {{"tags", tags}};
    RC_ASSERT(matches(*f, hs) != matches(*g, hs));
  }));
}

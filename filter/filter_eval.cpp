// matches(): evaluating a parsed filter against one record's headers.

#include "filter/filter_expr.hpp"

#include "store/varint.hpp"

#include <charconv>
#include <optional>

namespace sluice::filter {

namespace {

std::optional<std::string_view> find(std::span<const store::record_header> hs, std::string_view key) {
  for (auto& h : hs)
    if (h.key == key)
      return h.value;
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

bool has_tag(std::string_view list, std::string_view tag) {
  while (true) {
    auto comma = list.find(',');
    if (trim(list.substr(0, comma)) == tag)
      return true;
    if (comma == std::string_view::npos)
      return false;
    list.remove_prefix(comma + 1);
  }
}

template <class T>
bool apply(cmp_op op, const T& a, const T& b) {
  switch (op) {
    case cmp_op::eq: return a == b;
    case cmp_op::ne: return a != b;
    case cmp_op::lt: return a < b;
    case cmp_op::le: return a <= b;
    case cmp_op::gt: return a > b;
    case cmp_op::ge: return a >= b;
  }
  return false;
}

// `value op lit` for a present header; a number literal needs a numeric value.
bool compare(cmp_op op, std::string_view value, const literal& lit) {
  if (!lit.is_number)
    return apply(op, value, std::string_view{lit.text});
  double v = 0;
  auto s = trim(value);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty())
    return false;
  return apply(op, v, lit.number);
}

bool eval(const filter_expr& f, uint32_t i, std::span<const store::record_header> hs) {
  const node& n = f.nodes[i];
  switch (n.k) {
    case node::kind::and_: return eval(f, n.lhs, hs) && eval(f, n.rhs, hs);
    case node::kind::or_: return eval(f, n.lhs, hs) || eval(f, n.rhs, hs);
    case node::kind::not_: return !eval(f, n.lhs, hs);
    case node::kind::is_null: return find(hs, n.header).has_value() == n.negated;
    case node::kind::compare:
    case node::kind::in_list: break;
  }
  auto v = find(hs, n.header);
  if (!v)
    return false;
  bool tags = n.header == tags_header;
  auto equal_any = [&] {
    for (auto& lit : n.values)
      if (tags && !lit.is_number ? has_tag(*v, lit.text) : compare(cmp_op::eq, *v, lit))
        return true;
    return false;
  };
  if (n.k == node::kind::in_list)
    return equal_any() != n.negated;
  // Tags compare by membership for = and !=; <, > compare the header's bytes like any other.
  if (tags && !n.values[0].is_number && (n.op == cmp_op::eq || n.op == cmp_op::ne))
    return has_tag(*v, n.values[0].text) == (n.op == cmp_op::eq);
  return compare(n.op, *v, n.values[0]);
}

} // namespace

bool matches(const filter_expr& f, std::span<const store::record_header> headers) {
  return !f.nodes.empty() && eval(f, static_cast<uint32_t>(f.nodes.size() - 1), headers);
}


} // namespace sluice::filter

// parse_filter: a tokenizer and a recursive-descent parser for the grammar in filter_expr.hpp.
// Recursion depth is bounded by max_nesting, the input by max_expression_bytes, so any byte
// string is either parsed or refused with a position, never a crash or a stack overflow.

#include "filter/filter_expr.hpp"

#include <cctype>
#include <charconv>
#include <optional>

namespace sluice::filter {

namespace {

enum class tok : uint8_t {
  end, lparen, rparen, comma, name, string, number, op, and_, or_, not_, in, is, null,
};

struct token {
  tok t = tok::end;
  size_t pos = 0;        // 0-based offset of its first character
  std::string_view raw;  // as written
  std::string text;      // string: unquoted; name: as written
  cmp_op op = cmp_op::eq;
};

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != b[i])
      return false;
  return true;
}

std::string describe(const token& t) {
  if (t.t == tok::end)
    return "end of expression";
  return "'" + std::string{t.raw} + "'";
}

class parser {
public:
  explicit parser(std::string_view in) : in_(in) {}

  store::result<filter_expr> run() {
    filter_expr f;
    f.text = std::string{in_};
    if (in_.size() > max_expression_bytes)
      return store::make_error(store::errc::invalid_argument,
                               "filter: position " + std::to_string(max_expression_bytes + 1)
                                 + ": expression is " + std::to_string(in_.size())
                                 + " bytes, longer than the limit of "
                                 + std::to_string(max_expression_bytes));
    nodes_ = &f.nodes;
    if (!advance())
      return *err_;
    if (cur_.t == tok::end)
      return fail(cur_, "empty filter expression");
    auto root = expr(0);
    if (!root)
      return *err_;
    if (cur_.t != tok::end)
      return fail(cur_, "unexpected " + describe(cur_) + " after a complete expression");
    return f;
  }

private:
  using idx = std::optional<uint32_t>;

  store::error fail(const token& at, std::string what) {
    if (!err_)
      err_ = store::make_error(store::errc::invalid_argument,
                               "filter: position " + std::to_string(at.pos + 1) + ": " + what);
    return *err_;
  }
  store::error fail_at(size_t pos, std::string what) {
    token t;
    t.pos = pos;
    return fail(t, std::move(what));
  }

  // Reads the next token into cur_; false (err_ set) on a character no token starts with.
  bool advance() {
    while (i_ < in_.size() && std::isspace(static_cast<unsigned char>(in_[i_])))
      ++i_;
    cur_ = token{};
    cur_.pos = i_;
    if (i_ >= in_.size())
      return true;
    size_t start = i_;
    char c = in_[i_];
    auto two = [&](std::string_view s) { return in_.substr(i_, 2) == s; };
    auto set = [&](tok t, size_t n) {
      cur_.t = t;
      i_ += n;
      cur_.raw = in_.substr(start, n);
      return true;
    };
    auto set_op = [&](cmp_op op, size_t n) {
      cur_.op = op;
      return set(tok::op, n);
    };
    if (c == '(')
      return set(tok::lparen, 1);
    if (c == ')')
      return set(tok::rparen, 1);
    if (c == ',')
      return set(tok::comma, 1);
    if (two("&&"))
      return set(tok::and_, 2);
    if (two("||"))
      return set(tok::or_, 2);
    if (two("!=") || two("<>"))
      return set_op(cmp_op::ne, 2);
    if (two("<="))
      return set_op(cmp_op::le, 2);
    if (two(">="))
      return set_op(cmp_op::ge, 2);
    if (c == '!')
      return set(tok::not_, 1);
    if (c == '=')
      return set_op(cmp_op::eq, 1);
    if (c == '<')
      return set_op(cmp_op::lt, 1);
    if (c == '>')
      return set_op(cmp_op::gt, 1);
    if (c == '\'') {
      std::string s;
      for (++i_; i_ < in_.size(); ++i_) {
        if (in_[i_] == '\'') {
          if (i_ + 1 < in_.size() && in_[i_ + 1] == '\'') {
            s += '\'';
            ++i_;
            continue;
          }
          ++i_;
          cur_.t = tok::string;
          cur_.raw = in_.substr(start, i_ - start);
          cur_.text = std::move(s);
          return true;
        }
        s += in_[i_];
      }
      fail_at(start, "unterminated string (a quote inside a string is written '')");
      return false;
    }
    bool neg = c == '-' && i_ + 1 < in_.size() && std::isdigit(static_cast<unsigned char>(in_[i_ + 1]));
    if (std::isdigit(static_cast<unsigned char>(c)) || neg) {
      size_t j = i_ + 1;
      while (j < in_.size() && std::isdigit(static_cast<unsigned char>(in_[j])))
        ++j;
      if (j + 1 < in_.size() && in_[j] == '.' && std::isdigit(static_cast<unsigned char>(in_[j + 1]))) {
        ++j;
        while (j < in_.size() && std::isdigit(static_cast<unsigned char>(in_[j])))
          ++j;
      }
      if (j < in_.size() && name_char(in_[j]) && in_[j] != '-') {
        fail_at(start, "malformed number '" + std::string{in_.substr(start, j - start + 1)} + "'");
        return false;
      }
      cur_.t = tok::number;
      cur_.raw = in_.substr(start, j - start);
      cur_.text = std::string{cur_.raw};
      i_ = j;
      return true;
    }
    if (name_start(c)) {
      size_t j = i_ + 1;
      while (j < in_.size() && name_char(in_[j]))
        ++j;
      cur_.raw = in_.substr(start, j - start);
      cur_.text = std::string{cur_.raw};
      i_ = j;
      cur_.t = iequals(cur_.raw, "AND")    ? tok::and_
               : iequals(cur_.raw, "OR")   ? tok::or_
               : iequals(cur_.raw, "NOT")  ? tok::not_
               : iequals(cur_.raw, "IN")   ? tok::in
               : iequals(cur_.raw, "IS")   ? tok::is
               : iequals(cur_.raw, "NULL") ? tok::null
                                           : tok::name;
      return true;
    }
    std::string what = "unknown operator '" + std::string(1, c) + "'";
    if (c == '&')
      what += " (did you mean '&&'?)";
    else if (c == '|')
      what += " (did you mean '||'?)";
    else if (c == '"')
      what = "unknown operator '\"' (strings are written in single quotes)";
    fail_at(start, what);
    return false;
  }

  uint32_t add(node n) {
    nodes_->push_back(std::move(n));
    return static_cast<uint32_t>(nodes_->size() - 1);
  }

  uint32_t binary(node::kind k, uint32_t l, uint32_t r) {
    node n;
    n.k = k;
    n.lhs = l;
    n.rhs = r;
    return add(std::move(n));
  }

  idx expr(int depth) {
    auto l = and_expr(depth);
    while (l && cur_.t == tok::or_) {
      if (!advance())
        return {};
      auto r = and_expr(depth);
      if (!r)
        return {};
      l = binary(node::kind::or_, *l, *r);
    }
    return l;
  }

  idx and_expr(int depth) {
    auto l = unary(depth);
    while (l && cur_.t == tok::and_) {
      if (!advance())
        return {};
      auto r = unary(depth);
      if (!r)
        return {};
      l = binary(node::kind::and_, *l, *r);
    }
    return l;
  }

  idx unary(int depth) {
    if (depth >= max_nesting) {
      fail(cur_, "nested deeper than " + std::to_string(max_nesting) + " levels");
      return {};
    }
    if (cur_.t == tok::not_) {
      if (!advance())
        return {};
      auto x = unary(depth + 1);
      if (!x)
        return {};
      node n;
      n.k = node::kind::not_;
      n.lhs = *x;
      return add(std::move(n));
    }
    return primary(depth);
  }

  static node tag_test(std::string tag) {
    node n;
    n.k = node::kind::compare;
    n.header = std::string{tags_header};
    n.values.push_back(literal{false, 0, std::move(tag)});
    return n;
  }

  std::optional<literal> value(const char* after) {
    if (cur_.t == tok::string) {
      literal l{false, 0, cur_.text};
      return advance() ? std::optional{std::move(l)} : std::nullopt;
    }
    if (cur_.t == tok::number) {
      literal l{true, 0, cur_.text};
      auto [p, ec] = std::from_chars(cur_.text.data(), cur_.text.data() + cur_.text.size(), l.number);
      if (ec != std::errc{}) {
        fail(cur_, "number " + describe(cur_) + " is out of range");
        return std::nullopt;
      }
      return advance() ? std::optional{std::move(l)} : std::nullopt;
    }
    fail(cur_, std::string{"expected a value (a 'string' or a number) after "} + after + ", found "
                 + describe(cur_));
    return std::nullopt;
  }

  idx primary(int depth) {
    if (cur_.t == tok::lparen) {
      if (!advance())
        return {};
      auto x = expr(depth + 1);
      if (!x)
        return {};
      if (cur_.t != tok::rparen) {
        fail(cur_, "expected ')' to close the '(', found " + describe(cur_));
        return {};
      }
      if (!advance())
        return {};
      return x;
    }
    if (cur_.t == tok::string) {
      auto n = tag_test(cur_.text);
      if (!advance())
        return {};
      return add(std::move(n));
    }
    if (cur_.t != tok::name) {
      fail(cur_, "expected a tag, a header name, '(' or NOT, found " + describe(cur_));
      return {};
    }
    token name = cur_;
    if (!advance())
      return {};
    if (cur_.t == tok::lparen) {
      fail(name, "unknown function '" + name.text + "' (filters have no functions)");
      return {};
    }
    node n;
    n.header = name.text;
    if (cur_.t == tok::op) {
      n.k = node::kind::compare;
      n.op = cur_.op;
      std::string after = describe(cur_);
      if (!advance())
        return {};
      auto v = value(after.c_str());
      if (!v)
        return {};
      n.values.push_back(std::move(*v));
      return add(std::move(n));
    }
    if (cur_.t == tok::not_ || cur_.t == tok::in) {
      if (cur_.t == tok::not_) {
        n.negated = true;
        if (!advance())
          return {};
        if (cur_.t != tok::in) {
          fail(cur_, "expected IN after '" + name.text + " NOT', found " + describe(cur_));
          return {};
        }
      }
      n.k = node::kind::in_list;
      if (!advance())
        return {};
      if (cur_.t != tok::lparen) {
        fail(cur_, "expected '(' after IN, found " + describe(cur_));
        return {};
      }
      const char* after = "'('";
      do {
        if (!advance())
          return {};
        auto v = value(after);
        if (!v)
          return {};
        n.values.push_back(std::move(*v));
        after = "','";
      } while (cur_.t == tok::comma);
      if (cur_.t != tok::rparen) {
        fail(cur_, "expected ',' or ')' in the IN list, found " + describe(cur_));
        return {};
      }
      if (!advance())
        return {};
      return add(std::move(n));
    }
    if (cur_.t == tok::is) {
      n.k = node::kind::is_null;
      if (!advance())
        return {};
      if (cur_.t == tok::not_) {
        n.negated = true;
        if (!advance())
          return {};
      }
      if (cur_.t != tok::null) {
        fail(cur_, "expected NULL after IS" + std::string{n.negated ? " NOT" : ""} + ", found "
                     + describe(cur_));
        return {};
      }
      if (!advance())
        return {};
      return add(std::move(n));
    }
    // A bare name: a tag test.
    return add(tag_test(name.text));
  }

  std::string_view in_;
  size_t i_ = 0;
  token cur_;
  std::optional<store::error> err_;
  std::vector<node>* nodes_ = nullptr;
};

} // namespace

store::result<filter_expr> parse_filter(std::string_view text) { return parser{text}.run(); }

} // namespace sluice::filter

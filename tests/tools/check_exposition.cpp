// sluice-check-exposition: reads Prometheus text from stdin and checks it with the strict
// parser of tests/tools/exposition_parser.hpp (tests/integration/metrics.sh feeds it a real
// node's /metrics). Prints each error and exits 1 if there is one; prints "N samples, F
// families" and exits 0 otherwise.

#include "tests/tools/exposition_parser.hpp"

#include <iostream>
#include <iterator>

int main() {
  std::string text{std::istreambuf_iterator<char>{std::cin}, std::istreambuf_iterator<char>{}};
  auto parsed = sluice::test::parse_exposition(text);
  for (auto& e : parsed.errors)
    std::cerr << e << '\n';
  if (!parsed.errors.empty() || parsed.samples.empty()) {
    if (parsed.samples.empty())
      std::cerr << "no samples\n";
    return 1;
  }
  std::cout << parsed.samples.size() << " samples, " << parsed.types.size() << " families\n";
  return 0;
}

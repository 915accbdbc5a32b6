#pragma once

// Asking several actors the same question and answering once all of them did: the typed
// counterpart of state_gather.hpp, for structured replies (sluice inspect's summaries). A
// child that fails or does not answer within the timeout leaves an error in its slot, so one
// stuck actor costs the timeout, never the whole answer.

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/sec.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace sluice::actors {

// sluice inspect: how long an actor waits for the ones below it. The node waits longer than
// its children wait for theirs, so a stuck partition shows as its own error line instead of
// its whole topic failing; both stay below the CLI's default per-node timeout (5 s).
inline constexpr std::chrono::milliseconds inspect_leaf_timeout{3000};
inline constexpr std::chrono::milliseconds inspect_node_timeout{4000};

// Sends `xs...` to every actor of `to` from `self` and calls `done` (in `self`'s context) with
// one answer per actor, in the order of `to`. `done` runs at once when `to` is empty.
template <class T, class Self, class Handle, class... Ts>
void fan_in(Self* self, const std::vector<Handle>& to, std::chrono::milliseconds timeout,
            std::function<void(std::vector<caf::expected<T>>)> done, const Ts&... xs) {
  if (to.empty()) {
    done({});
    return;
  }
  struct gather {
    std::vector<caf::expected<T>> answers;
    size_t outstanding;
    std::function<void(std::vector<caf::expected<T>>)> done;
  };
  // Every slot is overwritten before `done` runs; the placeholder only makes the vector.
  auto unset = caf::expected<T>{caf::make_error(caf::sec::request_timeout)};
  auto g = std::make_shared<gather>(
    gather{std::vector<caf::expected<T>>(to.size(), unset), to.size(), std::move(done)});
  for (size_t i = 0; i < to.size(); ++i) {
    auto set = [g, i](caf::expected<T> x) {
      g->answers[i] = std::move(x);
      if (--g->outstanding == 0)
        g->done(std::move(g->answers));
    };
    self->request(to[i], timeout, xs...)
      .then([set](T& x) { set(std::move(x)); }, [set](caf::error& e) { set(std::move(e)); });
  }
}

} // namespace sluice::actors

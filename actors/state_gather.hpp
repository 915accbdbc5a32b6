#pragma once

// The one way an actor answers `state` for itself and the actors below it (`sluice inspect`):
// its own line, then each child's answer indented below it (actors/state_tree.hpp), in order.

#include "actors/atoms.hpp"
#include "actors/state_tree.hpp"

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/result.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sluice::actors {

struct state_child {
  caf::actor actor;
  std::string name; // shown as "<name> did not answer: <error>" if it does not
};

// Asks every child for its state and answers with the tree; `finish` (optional) rewrites the
// whole tree before it leaves (the node filters it by actor name).
template <class Self>
caf::result<std::string> gather_states(Self* self, std::string line,
                                       std::vector<state_child> children,
                                       std::function<std::string(std::string)> finish = {}) {
  if (!finish)
    finish = [](std::string tree) { return tree; };
  if (children.empty())
    return finish(std::move(line));
  struct gather {
    std::string line;
    std::vector<std::string> texts;
    size_t outstanding;
    std::function<std::string(std::string)> finish;
    caf::typed_response_promise<std::string> rp;
  };
  auto g = std::make_shared<gather>();
  g->line = std::move(line);
  g->texts.resize(children.size());
  g->outstanding = children.size();
  g->finish = std::move(finish);
  g->rp = self->template make_response_promise<std::string>();
  for (size_t i = 0; i < children.size(); ++i) {
    auto done = [g, i](std::string text) {
      g->texts[i] = std::move(text);
      if (--g->outstanding == 0)
        g->rp.deliver(g->finish(state_tree(std::move(g->line), g->texts)));
    };
    self->request(children[i].actor, std::chrono::seconds(10), state_atom_v)
      .then([done](std::string& s) { done(std::move(s)); },
            [done, name = std::move(children[i].name)](caf::error& e) {
              done(name + " did not answer: " + to_string(e));
            });
  }
  return g->rp;
}

template <class Handle>
state_child child(const Handle& h, std::string name) {
  return {caf::actor_cast<caf::actor>(h), std::move(name)};
}

} // namespace sluice::actors

#define CAF_SUITE tools.progress
#include <caf/test/unit_test.hpp>

#include "tools/sluice/progress.hpp"

using namespace sluice::cli;

CAF_TEST(a known total draws a bar percentage counts rate and ETA) {
  progress_state s{"produce", "records", 520'000, 1'000'000, 2.0};
  CAF_CHECK_EQUAL(render_progress(s, 100),
                  "produce [###############...............]   52%  520,000/1,000,000 records  260,000/s  ETA 2s");
}

CAF_TEST(the bar shrinks to fit and disappears below ten columns) {
  progress_state s{"produce", "records", 500, 1000, 1.0};
  auto wide = render_progress(s, 200);
  CAF_CHECK_EQUAL(wide, "produce [###############...............]   50%  500/1,000 records  500/s  ETA 1s");
  auto narrow = render_progress(s, 60);
  CAF_CHECK_EQUAL(narrow, "produce [#####.....]   50%  500/1,000 records  500/s  ETA 1s");
  CAF_CHECK_EQUAL(narrow.size(), 60u);
  auto no_bar = render_progress(s, 50);
  CAF_CHECK_EQUAL(no_bar, "produce   50%  500/1,000 records  500/s  ETA 1s");
  CAF_CHECK_EQUAL(render_progress(s, 20).size(), 20u); // cut, never wider than the terminal
}

CAF_TEST(done shows the elapsed time instead of an ETA) {
  progress_state s{"consume", "records", 1000, 1000, 75.0};
  CAF_CHECK_EQUAL(render_progress(s, 80),
                  "consume [##############################]  100%  1,000/1,000 records  13/s  1m15s");
  s.done = 1500; // more than expected (a filter, a retry): still 100%, never past the bar
  CAF_CHECK_EQUAL(render_progress(s, 80).substr(0, 48), "consume [##############################]  100%  ");
}

CAF_TEST(an unknown total or no progress yet has no ETA) {
  CAF_CHECK_EQUAL(render_progress({"scan", "segments", 12, 0, 4.0}, 80), "scan  12 segments  3/s");
  CAF_CHECK_EQUAL(render_progress({"produce", "records", 0, 10, 0.0}, 50),
                  "produce [...............]    0%  0/10 records  0/s");
  CAF_CHECK_EQUAL(render_progress({"wait", "replicas", 0, 2, 7200.0}, 40), "wait    0%  0/2 replicas  0/s");
}

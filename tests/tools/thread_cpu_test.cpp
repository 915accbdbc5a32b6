#define CAF_SUITE tools.thread_cpu
#include <caf/test/unit_test.hpp>

#include "tests/store/temp_dir.hpp"
#include "tools/sluiced/recovery_bar.hpp"
#include "tools/sluiced/thread_cpu.hpp"

#include <fstream>

using namespace sluice;
using namespace sluice::tools;

CAF_TEST(a task stat line gives name and user and system seconds) {
  auto t = parse_task_stat("4242 (caf.multiplexer) S 1 4242 4242 0 -1 4194368 88 0 0 0 250 30 0 0 20 0 9 0",
                           100);
  CAF_REQUIRE(t);
  CAF_CHECK_EQUAL(t->tid, 4242);
  CAF_CHECK_EQUAL(t->name, "caf.multiplexer");
  CAF_CHECK_EQUAL(t->user_s, 2.5);
  CAF_CHECK_EQUAL(t->system_s, 0.3);
}

CAF_TEST(a name with spaces and parentheses ends at the last parenthesis) {
  auto t = parse_task_stat("7 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 100 200 0 0", 100);
  CAF_REQUIRE(t);
  CAF_CHECK_EQUAL(t->name, "a (b) c");
  CAF_CHECK_EQUAL(t->user_s, 1.0);
  CAF_CHECK_EQUAL(t->system_s, 2.0);
}

CAF_TEST(lines that are not a task stat are refused) {
  for (auto line : {"", "garbage", "x (name) S 1 1 1 0 -1 0 0 0 0 0 1 2", "1 (name) S 1 1 1",
                    "1 (name) S 1 1 1 0 -1 0 0 0 0 0 x 2", "1 name) S 1 1 1 0 -1 0 0 0 0 0 1 2"})
    CAF_CHECK(!parse_task_stat(line, 100));
  CAF_CHECK(!parse_task_stat("1 (n) S 1 1 1 0 -1 0 0 0 0 0 1 2", 0));
}

CAF_TEST(this process reads its own threads) {
  auto threads = read_thread_cpu();
  CAF_REQUIRE(!threads.empty());
  CAF_CHECK(threads.front().user_s >= 0);
}

CAF_TEST(partition directories are counted under DATA topics) {
  test::temp_dir dir;
  CAF_CHECK_EQUAL(count_partition_dirs(dir / "missing"), 0u);
  std::filesystem::create_directories(dir / "topics" / "orders-0");
  std::filesystem::create_directories(dir / "topics" / "orders-1");
  std::filesystem::create_directories(dir / "topics" / "__consumer_offsets-3");
  std::filesystem::create_directories(dir / "topics" / "nodash");
  std::ofstream{dir / "topics" / "file-0"} << "x";
  CAF_CHECK_EQUAL(count_partition_dirs(dir / "topics"), 3u);
}

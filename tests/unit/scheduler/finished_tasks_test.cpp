// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/finished_tasks.hpp"

#include <gtest/gtest.h>

namespace ipp::scheduler {
namespace {

TEST(FinishedTasksTest, RemembersOutcomeAndDestination) {
  FinishedTasks tasks;
  tasks.add("ok", true, "engine-a");
  tasks.add("bad", false, "engine-b");
  tasks.add("never-ran", false, "");
  EXPECT_TRUE(tasks.succeeded("ok"));
  EXPECT_FALSE(tasks.failed("ok"));
  EXPECT_TRUE(tasks.failed("bad"));
  EXPECT_TRUE(tasks.failed("never-ran"));
  EXPECT_FALSE(tasks.contains("unknown"));
  EXPECT_EQ(tasks.destination("ok"), "engine-a");
  EXPECT_EQ(tasks.destination("never-ran"), "");
  EXPECT_TRUE(tasks.on_engine("engine-a").succeeded("ok"));
  EXPECT_FALSE(tasks.on_engine("engine-b").succeeded("ok"));
  EXPECT_TRUE(tasks.on_engine("engine-b").failed("bad"));
}

TEST(FinishedTasksTest, AMillionTasksTakeAFewBytesEach) {
  FinishedTasks tasks;
  for (int i = 0; i < 1'000'000; ++i) {
    tasks.add("3f2a9c1e-5b7d4e6f8a9b0c1d_12345_" + std::to_string(i), i % 7 != 0, i % 2 ? "e1" : "e2");
  }
  EXPECT_EQ(tasks.size(), 1'000'000u);
  EXPECT_LE(tasks.table_bytes(), 1'000'000u * 32);  // Python: ~500 bytes per task
  for (int i = 0; i < 1'000'000; i += 997) {
    const std::string id = "3f2a9c1e-5b7d4e6f8a9b0c1d_12345_" + std::to_string(i);
    EXPECT_EQ(tasks.succeeded(id), i % 7 != 0) << id;
    EXPECT_EQ(tasks.destination(id), i % 2 ? "e1" : "e2") << id;
  }
  EXPECT_FALSE(tasks.contains("3f2a9c1e-5b7d4e6f8a9b0c1d_12345_1000000"));
}

TEST(FinishedTasksTest, DependenciesReadIt) {
  FinishedTasks tasks;
  tasks.add("a", true, "e1");
  tasks.add("b", false, "e2");
  Dependency dep;
  dep.ids = {"a", "b"};
  EXPECT_FALSE(dep.check(tasks));
  EXPECT_TRUE(dep.unreachable(tasks));
  dep.failure = true;
  EXPECT_TRUE(dep.check(tasks));
  EXPECT_FALSE(dep.check(tasks.on_engine("e1")));
}

}  // namespace
}  // namespace ipp::scheduler

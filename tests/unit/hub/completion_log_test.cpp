// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/completion_log.hpp"

#include <gtest/gtest.h>

namespace ipp::hub {
namespace {

TEST(CompletionLogTest, RemembersTheMostRecentIdsAndCountsEveryOne) {
  CompletionLog log(3);
  log.add("a", 0);
  log.add("b", 1);
  log.add("c", std::nullopt);  // e.g. failed by engine death
  log.add("d", 0);
  EXPECT_FALSE(log.contains("a"));  // forgotten: the oldest
  EXPECT_TRUE(log.contains("b"));
  EXPECT_TRUE(log.contains("c"));
  EXPECT_TRUE(log.contains("d"));
  EXPECT_EQ(log.count(0), 2u);
  EXPECT_EQ(log.count(1), 1u);
  EXPECT_EQ(log.count(7), 0u);
  EXPECT_EQ(log.recent(0), std::vector<std::string>{"d"});
  EXPECT_EQ(log.size(), 3u);
}

TEST(CompletionLogTest, ManyIdsStayWithinCapacity) {
  CompletionLog log(100);
  for (int i = 0; i < 10000; ++i) log.add("id" + std::to_string(i), i % 4);
  EXPECT_EQ(log.size(), 100u);
  EXPECT_TRUE(log.contains("id9999"));
  EXPECT_FALSE(log.contains("id9899"));
  EXPECT_EQ(log.count(3), 2500u);
  EXPECT_EQ(log.recent(3).size(), 25u);
}

}  // namespace
}  // namespace ipp::hub

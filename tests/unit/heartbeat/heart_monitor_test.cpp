// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/heartbeat/heart_monitor.hpp"

#include <gtest/gtest.h>

namespace ipp::heartbeat {
namespace {

TEST(HeartMonitorTest, UnknownHeartThatAnswersIsNew) {
  HeartMonitor monitor(3);
  auto first = monitor.beat(1.0);
  EXPECT_EQ(first.ping, "1.0");
  EXPECT_TRUE(monitor.on_pong("engine-a", first.ping));
  auto second = monitor.beat(2.0);
  ASSERT_EQ(second.new_hearts.size(), 1u);
  EXPECT_EQ(second.new_hearts[0], "engine-a");
  EXPECT_TRUE(monitor.is_known("engine-a"));
}

TEST(HeartMonitorTest, PongForPreviousPingStillCounts) {
  HeartMonitor monitor(0);
  auto first = monitor.beat(1.0);
  monitor.on_pong("e", first.ping);
  monitor.beat(2.0);  // e is now known
  // e answers the ping before the current one: late but alive.
  EXPECT_TRUE(monitor.on_pong("e", "1.0"));
  auto third = monitor.beat(3.0);
  EXPECT_TRUE(third.stopped_hearts.empty());
}

TEST(HeartMonitorTest, StalePayloadIsRejected) {
  HeartMonitor monitor(3);
  monitor.beat(1.0);
  monitor.beat(2.0);
  monitor.beat(3.0);
  // "1.0" is two pings old: neither the current nor the previous one.
  EXPECT_FALSE(monitor.on_pong("e", "1.0"));
  EXPECT_FALSE(monitor.on_pong("e", "garbage"));
  EXPECT_FALSE(monitor.on_pong("e", ""));
}

TEST(HeartMonitorTest, StopsAfterMoreThanMaxConsecutiveMisses) {
  HeartMonitor monitor(2);
  auto b = monitor.beat(1.0);
  monitor.on_pong("e", b.ping);
  monitor.beat(2.0);                                  // registered
  EXPECT_TRUE(monitor.beat(3.0).stopped_hearts.empty());  // miss 1
  EXPECT_TRUE(monitor.beat(4.0).stopped_hearts.empty());  // miss 2
  auto fourth = monitor.beat(5.0);                    // miss 3 > 2
  ASSERT_EQ(fourth.stopped_hearts.size(), 1u);
  EXPECT_EQ(fourth.stopped_hearts[0], "e");
  EXPECT_FALSE(monitor.is_known("e"));
}

TEST(HeartMonitorTest, AnswerResetsProbation) {
  HeartMonitor monitor(1);
  auto b = monitor.beat(1.0);
  monitor.on_pong("e", b.ping);
  monitor.beat(2.0);
  auto miss = monitor.beat(3.0);  // miss 1 (on probation)
  EXPECT_TRUE(miss.stopped_hearts.empty());
  monitor.on_pong("e", miss.ping);
  EXPECT_TRUE(monitor.beat(4.0).stopped_hearts.empty());
  EXPECT_TRUE(monitor.beat(5.0).stopped_hearts.empty());  // miss 1 again, not 2
}

TEST(HeartMonitorTest, ForgottenHeartIsNotReportedStopped) {
  HeartMonitor monitor(0);
  auto b = monitor.beat(1.0);
  monitor.on_pong("e", b.ping);
  monitor.beat(2.0);
  monitor.forget("e");
  EXPECT_TRUE(monitor.beat(3.0).stopped_hearts.empty());
}

TEST(HeartMonitorTest, LearnedHeartIsNotNewAndIsReportedStoppedIfSilent) {
  HeartMonitor monitor(1);
  monitor.learn("back");  // a restored engine that came back
  monitor.learn("gone");  // one that did not
  auto b = monitor.beat(1.0);
  EXPECT_TRUE(b.stopped_hearts.empty());  // a first miss is probation
  monitor.on_pong("back", b.ping);
  b = monitor.beat(2.0);
  EXPECT_TRUE(b.new_hearts.empty());
  EXPECT_EQ(b.stopped_hearts, std::vector<std::string>{"gone"});
}

TEST(HeartMonitorTest, FormatsLikePythonStrOfFloat) {
  EXPECT_EQ(HeartMonitor::format_lifetime(3.0), "3.0");
  EXPECT_EQ(HeartMonitor::format_lifetime(1.002355921000003), "1.002355921000003");
}

TEST(HeartMonitorTest, LearnedHeartIsNotNewAtTheNextBeat) {
  HeartMonitor monitor(3);
  const auto first = monitor.beat(0.5);
  ASSERT_TRUE(monitor.on_pong("h", first.ping));
  monitor.learn("h");
  EXPECT_TRUE(monitor.is_known("h"));
  const auto second = monitor.beat(1.5);
  EXPECT_TRUE(second.new_hearts.empty());
  EXPECT_TRUE(second.stopped_hearts.empty());
}

}  // namespace
}  // namespace ipp::heartbeat

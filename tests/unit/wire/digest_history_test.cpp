// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/digest_history.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ipp::wire {
namespace {

TEST(DigestHistoryTest, RemembersAddedSignatures) {
  DigestHistory history;
  EXPECT_FALSE(history.contains("abc"));
  history.add("abc");
  EXPECT_TRUE(history.contains("abc"));
  EXPECT_FALSE(history.contains("abd"));
  EXPECT_EQ(history.size(), 1u);
}

TEST(DigestHistoryTest, DefaultMaxSizeIsPythons) {
  EXPECT_EQ(DigestHistory().max_size(), 65536u);
}

TEST(DigestHistoryTest, IgnoresEmptySignature) {
  DigestHistory history;
  history.add("");
  EXPECT_EQ(history.size(), 0u);
  EXPECT_FALSE(history.contains(""));
}

TEST(DigestHistoryTest, CullsTenPercentWhenFull) {
  DigestHistory history(100);
  for (int i = 0; i < 100; ++i) history.add("sig" + std::to_string(i));
  EXPECT_EQ(history.size(), 100u);
  history.add("one-too-many");
  // current 101: cull max(101 // 10, 101 - 100) = 10.
  EXPECT_EQ(history.size(), 91u);
}

TEST(DigestHistoryTest, CullsAtLeastTheExcessForSmallHistories) {
  DigestHistory history(5);
  for (int i = 0; i < 6; ++i) history.add("sig" + std::to_string(i));
  EXPECT_EQ(history.size(), 5u);
}

TEST(DigestHistoryTest, CullIsRandom) {
  // Over 20 culls of one entry out of 11, more than one distinct entry goes
  // (all the same by chance: 11 * 11^-20).
  std::set<std::string> culled;
  for (int round = 0; round < 20; ++round) {
    DigestHistory history(10);
    for (int i = 0; i < 11; ++i) history.add("sig" + std::to_string(i));
    for (int i = 0; i < 11; ++i) {
      if (!history.contains("sig" + std::to_string(i))) culled.insert("sig" + std::to_string(i));
    }
  }
  EXPECT_GT(culled.size(), 1u);
}

TEST(DigestHistoryTest, RepeatedCullsKeepEveryRemainingEntryFindable) {
  // Culls sample from a separate list of the entries: after many of them,
  // exactly size() of the added signatures are still found, and the size
  // never exceeds the maximum.
  DigestHistory history(50);
  for (int i = 0; i < 5000; ++i) {
    history.add("sig" + std::to_string(i));
    ASSERT_LE(history.size(), 50u);
  }
  std::size_t found = 0;
  for (int i = 0; i < 5000; ++i) found += history.contains("sig" + std::to_string(i)) ? 1 : 0;
  EXPECT_EQ(found, history.size());
  EXPECT_GE(found, 45u);
}

TEST(DigestHistoryTest, ZeroMaxSizeDisablesHistory) {
  DigestHistory history(0);
  history.add("abc");
  EXPECT_FALSE(history.contains("abc"));
}

TEST(DigestHistoryTest, DuplicateAddDoesNotGrow) {
  DigestHistory history;
  history.add("abc");
  history.add("abc");
  EXPECT_EQ(history.size(), 1u);
}

}  // namespace
}  // namespace ipp::wire

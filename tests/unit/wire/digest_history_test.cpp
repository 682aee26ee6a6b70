// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/digest_history.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
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

TEST(DigestHistoryTest, WhenFullTheOldestMakesRoom) {
  DigestHistory history(100);
  for (int i = 0; i < 100; ++i) history.add("sig" + std::to_string(i));
  EXPECT_EQ(history.size(), 100u);
  history.add("one-too-many");
  EXPECT_EQ(history.size(), 100u);
  EXPECT_FALSE(history.contains("sig0"));
  for (int i = 1; i < 100; ++i) EXPECT_TRUE(history.contains("sig" + std::to_string(i))) << i;
  EXPECT_TRUE(history.contains("one-too-many"));
}

TEST(DigestHistoryTest, TheNewestMaxSizeAreAlwaysKnown) {
  // Python culls a random 10%, so a just-seen signature may be forgotten;
  // here every one of the last max_size is still refused.
  DigestHistory history(50);
  for (int i = 0; i < 1000; ++i) {
    history.add("sig" + std::to_string(i));
    for (int back = 0; back < 50 && back <= i; back += 7) {
      ASSERT_TRUE(history.contains("sig" + std::to_string(i - back))) << i << " " << back;
    }
    if (i >= 50) {
      ASSERT_FALSE(history.contains("sig" + std::to_string(i - 50))) << i;
    }
  }
  EXPECT_EQ(history.size(), 50u);
}

TEST(DigestHistoryTest, HexHmacsAndOtherTextAreToldApart) {
  DigestHistory history(1000);
  const std::string a(64, 'a');
  std::string b = a;
  b[31] = 'b';  // the key is an HMAC's first 128 bits (32 hex digits)
  history.add(a);
  EXPECT_TRUE(history.contains(a));
  EXPECT_FALSE(history.contains(b));
  history.add("not hex at all, but a signature all the same");
  EXPECT_TRUE(history.contains("not hex at all, but a signature all the same"));
  EXPECT_FALSE(history.contains("not hex at all, but a signature all the samE"));
}

TEST(DigestHistoryTest, ManyRealisticSignaturesAcrossGrowthAndEviction) {
  DigestHistory history(5000);
  auto hmac_like = [](int i) {
    // Distinct pseudo-random hex strings of HMAC-SHA256 length.
    std::uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(i + 1);
    std::string s;
    for (int k = 0; k < 4; ++k) {
      x ^= x >> 31;
      x *= 0xBF58476D1CE4E5B9ull;
      char buf[17];
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
      s += buf;
    }
    return s;
  };
  for (int i = 0; i < 20000; ++i) history.add(hmac_like(i));
  for (int i = 15000; i < 20000; ++i) ASSERT_TRUE(history.contains(hmac_like(i))) << i;
  for (int i = 0; i < 15000; ++i) ASSERT_FALSE(history.contains(hmac_like(i))) << i;
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

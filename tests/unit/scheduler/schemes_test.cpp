// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/schemes.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "ipp/util/error.hpp"

namespace ipp::scheduler {
namespace {

TEST(SchemeTest, ParsesEveryName) {
  EXPECT_EQ(parse_scheme("leastload"), Scheme::LeastLoad);
  EXPECT_EQ(parse_scheme("lru"), Scheme::Lru);
  EXPECT_EQ(parse_scheme("plainrandom"), Scheme::PlainRandom);
  EXPECT_EQ(parse_scheme("twobin"), Scheme::TwoBin);
  EXPECT_EQ(parse_scheme("weighted"), Scheme::Weighted);
  for (Scheme s : {Scheme::LeastLoad, Scheme::Lru, Scheme::PlainRandom, Scheme::TwoBin,
                   Scheme::Weighted}) {
    EXPECT_EQ(parse_scheme(scheme_name(s)), s);
  }
}

TEST(SchemeTest, DefaultIsLeastLoad) {
  EXPECT_EQ(Scheme{}, Scheme::LeastLoad);
}

TEST(SchemeTest, UnknownNameListsValidNames) {
  for (const char* bad : {"bogus", "pure", "none", "", "LRU"}) {
    try {
      parse_scheme(bad);
      FAIL() << "accepted " << bad;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("'") + bad + "'"), std::string::npos) << what;
      for (const char* name : {"leastload", "lru", "plainrandom", "twobin", "weighted"}) {
        EXPECT_NE(what.find(name), std::string::npos) << what;
      }
    }
  }
}

TEST(SchemeTest, LeastLoadPicksFirstMinimum) {
  const std::array<Load, 5> loads = {3, 1, 2, 1, 0};
  EXPECT_EQ(leastload(loads), 4u);
  const std::array<Load, 4> ties = {2, 1, 1, 1};
  EXPECT_EQ(leastload(ties), 1u);  // ties -> least recently used
  const std::array<Load, 1> one = {7};
  EXPECT_EQ(leastload(one), 0u);
}

TEST(SchemeTest, LruIgnoresLoads) {
  const std::array<Load, 3> loads = {9, 0, 0};
  EXPECT_EQ(lru(loads), 0u);
}

TEST(SchemeTest, PlainRandomCoversEveryIndex) {
  Rng rng(1);
  const std::array<Load, 4> loads = {0, 0, 0, 0};
  std::array<int, 4> hits{};
  for (int i = 0; i < 4000; ++i) {
    const std::size_t idx = plainrandom(loads, rng);
    ASSERT_LT(idx, loads.size());
    ++hits[idx];
  }
  for (int h : hits) EXPECT_GT(h, 800);
}

TEST(SchemeTest, TwoBinFavoursLeastRecentlyUsed) {
  Rng rng(2);
  const std::array<Load, 4> loads = {0, 0, 0, 0};
  std::array<int, 4> hits{};
  for (int i = 0; i < 16000; ++i) ++hits[twobin(loads, rng)];
  // P(min of two uniform draws == i) = ((n-i)^2 - (n-i-1)^2) / n^2: 7,5,3,1 /16.
  EXPECT_NEAR(hits[0], 7000, 400);
  EXPECT_NEAR(hits[1], 5000, 400);
  EXPECT_NEAR(hits[2], 3000, 400);
  EXPECT_NEAR(hits[3], 1000, 300);
}

TEST(SchemeTest, WeightedStronglyPrefersIdleEngines) {
  Rng rng(3);
  const std::array<Load, 3> loads = {2, 0, 5};
  int idle = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::size_t idx = weighted(loads, rng);
    ASSERT_LT(idx, loads.size());
    if (idx == 1) ++idle;
  }
  // Weight of load 0 is a million times that of load 1.
  EXPECT_EQ(idle, 1000);
}

TEST(SchemeTest, WeightedPicksTheLighterOfTwoDraws) {
  Rng rng(4);
  const std::array<Load, 2> loads = {1, 3};
  std::array<int, 2> hits{};
  for (int i = 0; i < 10000; ++i) ++hits[weighted(loads, rng)];
  // Weights 1 and 1/3: p(draw 0) = 0.75; 1 wins only if both draws are 1.
  EXPECT_NEAR(hits[1], 625, 150);
  EXPECT_GT(hits[0], hits[1]);
}

TEST(SchemeTest, ChooseDispatches) {
  Rng rng(5);
  const std::array<Load, 3> loads = {2, 1, 1};
  EXPECT_EQ(choose(Scheme::LeastLoad, loads, rng), 1u);
  EXPECT_EQ(choose(Scheme::Lru, loads, rng), 0u);
  for (Scheme s : {Scheme::PlainRandom, Scheme::TwoBin, Scheme::Weighted}) {
    EXPECT_LT(choose(s, loads, rng), loads.size());
  }
}

}  // namespace
}  // namespace ipp::scheduler

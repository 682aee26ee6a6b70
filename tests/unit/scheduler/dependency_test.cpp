// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/dependency.hpp"

#include <gtest/gtest.h>

namespace ipp::scheduler {
namespace {

using nlohmann::json;

Dependency dep(std::vector<std::string> ids, bool all, bool success, bool failure) {
  Dependency d;
  d.ids = std::move(ids);
  d.all = all;
  d.success = success;
  d.failure = failure;
  return d;
}

TEST(DependencyTest, ParsesPlainListWithDefaults) {
  std::string error;
  auto d = parse_dependency(json::array({"a", "b", "a"}), &error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(d->all);
  EXPECT_TRUE(d->success);
  EXPECT_FALSE(d->failure);
}

TEST(DependencyTest, ParsesNullAndEmptyAsEmpty) {
  EXPECT_TRUE(parse_dependency(json(nullptr), nullptr)->empty());
  EXPECT_TRUE(parse_dependency(json::array(), nullptr)->empty());
  EXPECT_TRUE(parse_dependency(json::object(), nullptr)->empty());
}

TEST(DependencyTest, ParsesSingleString) {
  auto d = parse_dependency(json("abc"), nullptr);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ids, std::vector<std::string>{"abc"});
}

TEST(DependencyTest, ParsesDictForm) {
  auto d = parse_dependency(
      json{{"dependencies", {"x"}}, {"all", false}, {"success", false}, {"failure", true}},
      nullptr);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ids, std::vector<std::string>{"x"});
  EXPECT_FALSE(d->all);
  EXPECT_FALSE(d->success);
  EXPECT_TRUE(d->failure);
}

TEST(DependencyTest, DictDefaults) {
  auto d = parse_dependency(json{{"dependencies", {"x"}}}, nullptr);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->all);
  EXPECT_TRUE(d->success);
  EXPECT_FALSE(d->failure);
}

TEST(DependencyTest, RejectsBadShapes) {
  std::string error;
  EXPECT_FALSE(parse_dependency(json(5), &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(parse_dependency(json::array({"a", 1}), &error));
  EXPECT_FALSE(parse_dependency(json{{"dependencies", 3}}, &error));
  EXPECT_FALSE(parse_dependency(json{{"dependencies", {{"a", "b"}}}}, &error));
}

TEST(DependencyTest, RejectsNeitherSuccessNorFailure) {
  std::string error;
  EXPECT_FALSE(parse_dependency(
      json{{"dependencies", {"x"}}, {"success", false}, {"failure", false}}, &error));
  EXPECT_EQ(error, "Must depend on at least one of successes or failures!");
}

TEST(DependencyTest, EmptyIsMetAndNeverUnreachable) {
  const IdSet none;
  Dependency d;
  EXPECT_TRUE(d.check(none, none));
  EXPECT_FALSE(d.unreachable(none, none));
}

// check(): the counting set is completed (if success) plus failed (if
// failure); all -> every id counts, any -> one does. Cases mirror
// Python's Dependency.check on ids {a, b}.
TEST(DependencyTest, CheckTruthTable) {
  const IdSet completed_a = {"a"};
  const IdSet completed_ab = {"a", "b"};
  const IdSet failed_b = {"b"};
  const IdSet none;
  struct Case {
    bool all, success, failure;
    const IdSet& completed;
    const IdSet& failed;
    bool expected;
  };
  const Case cases[] = {
      {true, true, false, completed_ab, none, true},
      {true, true, false, completed_a, none, false},
      {true, true, false, completed_a, failed_b, false},
      {true, true, true, completed_a, failed_b, true},
      {true, false, true, none, failed_b, false},
      {true, false, true, completed_a, failed_b, false},
      {false, true, false, completed_a, none, true},
      {false, true, false, none, failed_b, false},
      {false, false, true, none, failed_b, true},
      {false, false, true, completed_ab, none, false},
      {false, true, true, none, none, false},
  };
  for (const Case& c : cases) {
    const Dependency d = dep({"a", "b"}, c.all, c.success, c.failure);
    EXPECT_EQ(d.check(c.completed, c.failed), c.expected)
        << "all=" << c.all << " success=" << c.success << " failure=" << c.failure;
  }
}

// unreachable(): the bad set is completed (if not success) plus failed (if
// not failure); all -> any id bad, any -> every id bad.
TEST(DependencyTest, UnreachableTruthTable) {
  const IdSet completed_a = {"a"};
  const IdSet completed_ab = {"a", "b"};
  const IdSet failed_a = {"a"};
  const IdSet failed_ab = {"a", "b"};
  const IdSet none;
  struct Case {
    bool all, success, failure;
    const IdSet& completed;
    const IdSet& failed;
    bool expected;
  };
  const Case cases[] = {
      // Defaults: one failure makes it impossible.
      {true, true, false, none, failed_a, true},
      {true, true, false, completed_ab, none, false},
      {true, true, false, none, none, false},
      // Failures count: nothing is ever bad.
      {true, true, true, none, failed_ab, false},
      // Only failures count: a success is bad.
      {true, false, true, completed_a, none, true},
      // any: unreachable only when every id is bad.
      {false, true, false, none, failed_a, false},
      {false, true, false, none, failed_ab, true},
      {false, false, true, completed_ab, none, true},
      {false, false, true, completed_a, failed_ab, false},
  };
  for (const Case& c : cases) {
    const Dependency d = dep({"a", "b"}, c.all, c.success, c.failure);
    EXPECT_EQ(d.unreachable(c.completed, c.failed), c.expected)
        << "all=" << c.all << " success=" << c.success << " failure=" << c.failure;
  }
}

TEST(DependencyTest, AgreesWithPythonOnEveryFlagCombination) {
  // Exhaustive over flags and the outcome of each of two ids (pending,
  // completed, failed), against a direct transcription of dependency.py.
  const std::vector<std::string> ids = {"a", "b"};
  for (int flags = 0; flags < 8; ++flags) {
    const bool all = flags & 1, success = flags & 2, failure = flags & 4;
    if (!success && !failure) continue;
    const Dependency d = dep(ids, all, success, failure);
    for (int outcome = 0; outcome < 9; ++outcome) {
      IdSet completed, failed;
      const int oa = outcome % 3, ob = outcome / 3;
      if (oa == 1) completed.insert("a");
      if (oa == 2) failed.insert("a");
      if (ob == 1) completed.insert("b");
      if (ob == 2) failed.insert("b");
      IdSet against, bad;
      if (success) against.insert(completed.begin(), completed.end());
      if (failure) against.insert(failed.begin(), failed.end());
      if (!success) bad.insert(completed.begin(), completed.end());
      if (!failure) bad.insert(failed.begin(), failed.end());
      const int counted = static_cast<int>(against.count("a") + against.count("b"));
      const int nbad = static_cast<int>(bad.count("a") + bad.count("b"));
      const bool check = all ? counted == 2 : counted > 0;
      const bool unreachable = all ? nbad > 0 : nbad == 2;
      EXPECT_EQ(d.check(completed, failed), check) << flags << "/" << outcome;
      EXPECT_EQ(d.unreachable(completed, failed), unreachable) << flags << "/" << outcome;
    }
  }
}

}  // namespace
}  // namespace ipp::scheduler

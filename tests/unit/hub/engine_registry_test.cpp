// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/engine_registry.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "ipp/hub/hub_error.hpp"
#include "ipp/util/error.hpp"

namespace ipp::hub {
namespace {

using Clock = EngineRegistry::Clock;
const Clock::time_point kT0{std::chrono::hours(1)};
const Clock::time_point kDeadline = kT0 + std::chrono::seconds(30);

TEST(EngineRegistryTest, CounterIdsStartAtZero) {
  EngineRegistry registry;
  EXPECT_EQ(registry.begin_registration("u0", std::nullopt, kDeadline).id, 0);
  EXPECT_EQ(registry.begin_registration("u1", std::nullopt, kDeadline).id, 1);
}

TEST(EngineRegistryTest, PendingIsNotRegistered) {
  EngineRegistry registry;
  registry.begin_registration("u0", std::nullopt, kDeadline);
  EXPECT_EQ(registry.find(0), nullptr);
  EXPECT_NE(registry.find_pending("u0"), nullptr);
  ASSERT_TRUE(registry.finish_registration("u0"));
  EXPECT_EQ(registry.find(0)->uuid, "u0");
  EXPECT_EQ(registry.find_uuid("u0")->id, 0);
  EXPECT_EQ(registry.pending_count(), 0u);
}

TEST(EngineRegistryTest, FinishUnknownIsNullopt) {
  EngineRegistry registry;
  EXPECT_FALSE(registry.finish_registration("nobody"));
}

TEST(EngineRegistryTest, RequestedIdIsGrantedAndMovesCounter) {
  EngineRegistry registry;
  EXPECT_EQ(registry.begin_registration("u5", 5, kDeadline).id, 5);
  EXPECT_EQ(registry.begin_registration("u", std::nullopt, kDeadline).id, 6);
}

TEST(EngineRegistryTest, RequestedLowIdKeepsCounter) {
  EngineRegistry registry;
  registry.begin_registration("a", std::nullopt, kDeadline);
  registry.begin_registration("b", std::nullopt, kDeadline);
  registry.begin_registration("c", std::nullopt, kDeadline);
  registry.finish_registration("a");
  registry.unregister(0);
  EXPECT_EQ(registry.begin_registration("d", 0, kDeadline).id, 0);  // free again: granted
  EXPECT_EQ(registry.next_id(), 3);
}

TEST(EngineRegistryTest, RequestedIdInUseGetsCounterId) {
  EngineRegistry registry;
  registry.begin_registration("a", 0, kDeadline);
  registry.finish_registration("a");
  EXPECT_EQ(registry.begin_registration("b", 0, kDeadline).id, 1);
}

TEST(EngineRegistryTest, RequestedIdPendingGetsCounterId) {
  EngineRegistry registry;
  registry.begin_registration("a", 3, kDeadline);
  EXPECT_EQ(registry.begin_registration("b", 3, kDeadline).id, 4);
}

TEST(EngineRegistryTest, CounterIdsAreNeverReused) {
  EngineRegistry registry;
  registry.begin_registration("a", std::nullopt, kDeadline);
  registry.finish_registration("a");
  registry.unregister(0);
  EXPECT_EQ(registry.begin_registration("b", std::nullopt, kDeadline).id, 1);
}

TEST(EngineRegistryTest, DuplicateUuidIsKeyError) {
  EngineRegistry registry;
  registry.begin_registration("u", std::nullopt, kDeadline);
  try {
    registry.begin_registration("u", std::nullopt, kDeadline);
    FAIL();
  } catch (const HubError& e) {
    EXPECT_EQ(e.ename(), "KeyError");
    EXPECT_EQ(e.evalue(), "\"uuid 'u' in use\"");
  }
  registry.finish_registration("u");
  EXPECT_THROW(registry.begin_registration("u", std::nullopt, kDeadline), HubError);
  EXPECT_EQ(registry.next_id(), 1);  // errors consume no id
}

TEST(EngineRegistryTest, PurgeDropsExpiredPending) {
  EngineRegistry registry;
  registry.begin_registration("old", std::nullopt, kT0 + std::chrono::seconds(1));
  registry.begin_registration("new", std::nullopt, kT0 + std::chrono::seconds(5));
  EXPECT_EQ(registry.next_deadline(), kT0 + std::chrono::seconds(1));
  const auto purged = registry.purge_stalled(kT0 + std::chrono::seconds(1));
  ASSERT_EQ(purged.size(), 1u);
  EXPECT_EQ(purged[0].uuid, "old");
  EXPECT_FALSE(registry.finish_registration("old"));
  EXPECT_TRUE(registry.finish_registration("new"));
}

TEST(EngineRegistryTest, CancelPendingById) {
  EngineRegistry registry;
  registry.begin_registration("u", std::nullopt, kDeadline);
  EXPECT_EQ(registry.cancel_pending(0), (Engine{0, "u"}));
  EXPECT_FALSE(registry.cancel_pending(0));
  EXPECT_EQ(registry.pending_count(), 0u);
}

TEST(EngineRegistryTest, UnregisterUnknownIsNullopt) {
  EngineRegistry registry;
  EXPECT_FALSE(registry.unregister(3));
}

TEST(EngineRegistryTest, StateJsonHasStringIds) {
  EngineRegistry registry;
  registry.begin_registration("u0", std::nullopt, kDeadline);
  registry.begin_registration("u1", std::nullopt, kDeadline);
  registry.finish_registration("u1");
  EXPECT_EQ(registry.state().to_json(),
            nlohmann::json::parse(R"({"engines": {"1": "u1"}, "next_id": 2})"));
}

TEST(EngineRegistryTest, RestoreRegistersAndContinuesCounter) {
  EngineRegistry registry;
  EngineState state;
  state.engines = {{0, "a"}, {4, "b"}};
  state.next_id = 7;
  registry.restore(state);
  EXPECT_EQ(registry.find(4)->uuid, "b");
  EXPECT_EQ(registry.begin_registration("c", std::nullopt, kDeadline).id, 7);
}

TEST(EngineRegistryTest, RestoreCounterCoversRestoredIds) {
  EngineRegistry registry;
  registry.restore(EngineState{{{9, "a"}}, 2});
  EXPECT_EQ(registry.next_id(), 10);
}

class EngineRegistryStateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ipp-engine-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(EngineRegistryStateFileTest, WriteThenReadRoundTrips) {
  const auto path = dir_ / "engines.json";
  write_engine_state(path, EngineState{{{0, "a"}, {3, "b"}}, 4});
  const auto state = read_engine_state(path);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->engines, (std::map<int, std::string>{{0, "a"}, {3, "b"}}));
  EXPECT_EQ(state->next_id, 4);
  // Nothing but the file itself is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(EngineRegistryStateFileTest, ReadsPythonWrittenFile) {
  const auto path = dir_ / "engines.json";
  std::ofstream(path) << R"({"engines": {"0": "2442a8f1-117b47fd27ffb25fa65018fd"}, "next_id": 1})";
  const auto state = read_engine_state(path);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->engines.at(0), "2442a8f1-117b47fd27ffb25fa65018fd");
}

TEST_F(EngineRegistryStateFileTest, MissingFileIsNullopt) { EXPECT_FALSE(read_engine_state(dir_ / "none.json")); }

TEST_F(EngineRegistryStateFileTest, MalformedFileThrowsNamingIt) {
  const auto path = dir_ / "bad.json";
  std::ofstream(path) << R"({"engines": {"x": "a"}, "next_id": 1})";
  try {
    read_engine_state(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
  }
}

TEST_F(EngineRegistryStateFileTest, WriteToMissingDirectoryThrows) {
  EXPECT_THROW(write_engine_state(dir_ / "no" / "such" / "engines.json", EngineState{}), Error);
}

}  // namespace
}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/pending_writes.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace ipp::hub {
namespace {

using namespace std::chrono_literals;
using Kind = PendingWrites::Kind;

TaskRecord record(const std::string& id, const std::string& engine = "") {
  TaskRecord r(id);
  if (!engine.empty()) r.engine_uuid = engine;
  return r;
}

TEST(PendingWritesTest, InsertThenUpdatesIsOneInsertOfTheFinalRecord) {
  PendingWrites pending;
  pending.insert(record("a"));
  pending.update(record("a", "e1"), {Field::EngineUuid});
  TaskRecord out("a");
  out.stdout_text = "x";
  pending.update(std::move(out), {Field::Stdout});
  const auto change = pending.find("a");
  ASSERT_TRUE(change);
  EXPECT_EQ(change->kind, Kind::Insert);
  EXPECT_EQ(change->record->engine_uuid, "e1");
  EXPECT_EQ(change->record->stdout_text, "x");
  EXPECT_EQ(pending.size(), 1u);
}

TEST(PendingWritesTest, UpdatesOfAWrittenRowMergeTheirFields) {
  PendingWrites pending;
  pending.update(record("a", "e1"), {Field::EngineUuid});
  TaskRecord out("a");
  out.stdout_text = "x";
  pending.update(std::move(out), {Field::Stdout});
  const auto change = pending.find("a");
  EXPECT_EQ(change->kind, Kind::Update);
  EXPECT_TRUE(change->fields.test(Field::EngineUuid));
  EXPECT_TRUE(change->fields.test(Field::Stdout));
  EXPECT_FALSE(change->fields.test(Field::Header));
  EXPECT_EQ(change->record->engine_uuid, "e1");
}

TEST(PendingWritesTest, EraseWinsAndAReinsertReplaces) {
  PendingWrites pending;
  pending.insert(record("a"));
  pending.erase("a");
  EXPECT_EQ(pending.find("a")->kind, Kind::Erase);
  pending.insert(record("a", "e2"));
  EXPECT_EQ(pending.find("a")->kind, Kind::Insert);
}

TEST(PendingWritesTest, ASnapshotIsNeverModifiedAndChangedEntriesSurviveTheCommit) {
  PendingWrites pending;
  pending.insert(record("a"));
  pending.insert(record("b"));
  const auto batch = pending.snapshot();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].msg_id, "a");  // oldest first
  pending.update(record("a", "e1"), {Field::EngineUuid});  // while "being written"
  EXPECT_FALSE(batch[0].record->engine_uuid);               // copy-on-write
  pending.committed(batch);
  EXPECT_FALSE(pending.find("b"));
  const auto a = pending.find("a");
  ASSERT_TRUE(a);  // changed since the snapshot: the next batch writes it
  EXPECT_EQ(a->record->engine_uuid, "e1");
}

TEST(PendingWritesTest, UnwritableChangesStayReadableButAreSkipped) {
  PendingWrites pending;
  pending.insert(record("big"));
  pending.insert(record("ok"));
  auto batch = pending.snapshot();
  pending.mark_unwritable(batch[0]);
  EXPECT_EQ(pending.unwritable(), 1u);
  batch = pending.snapshot();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].msg_id, "ok");
  pending.committed(batch);
  EXPECT_TRUE(pending.find("big"));
  pending.update(record("big", "e"), {Field::EngineUuid});  // a new version is retried
  EXPECT_EQ(pending.unwritable(), 0u);
  EXPECT_EQ(pending.snapshot().size(), 1u);
}

TEST(PendingWritesTest, WriterWaitsForTheBatchDelayAndFlushWakesIt) {
  PendingWrites pending;
  std::thread writer([&] {
    while (pending.wait_for_batch(10s, 1000)) pending.committed(pending.snapshot());
  });
  pending.insert(record("a"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(pending.flush(5s));  // far less than the 10 s delay
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(pending.size(), 0u);
  pending.stop();
  writer.join();
}

TEST(PendingWritesTest, WriterWakesAtTheBatchSize) {
  PendingWrites pending;
  std::thread writer([&] {
    while (pending.wait_for_batch(10s, 3)) pending.committed(pending.snapshot());
  });
  for (int i = 0; i < 3; ++i) pending.insert(record("r" + std::to_string(i)));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (pending.size() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(pending.size(), 0u);
  pending.stop();
  writer.join();
}

}  // namespace
}  // namespace ipp::hub

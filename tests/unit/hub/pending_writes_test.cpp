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
  const auto changes = pending.find("a");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, Kind::Insert);
  EXPECT_EQ(changes[0].record->engine_uuid, "e1");
  EXPECT_EQ(changes[0].record->stdout_text, "x");
  EXPECT_EQ(pending.size(), 1u);
}

TEST(PendingWritesTest, UpdatesOfAWrittenRowMergeTheirFields) {
  PendingWrites pending;
  pending.update(record("a", "e1"), {Field::EngineUuid});
  TaskRecord out("a");
  out.stdout_text = "x";
  pending.update(std::move(out), {Field::Stdout});
  const auto change = pending.find("a").at(0);
  EXPECT_EQ(change.kind, Kind::Update);
  EXPECT_TRUE(change.fields.test(Field::EngineUuid));
  EXPECT_TRUE(change.fields.test(Field::Stdout));
  EXPECT_FALSE(change.fields.test(Field::Header));
  EXPECT_EQ(change.record->engine_uuid, "e1");
}

TEST(PendingWritesTest, EraseWinsAndAReinsertReplaces) {
  PendingWrites pending;
  pending.insert(record("a"));
  pending.erase("a");
  EXPECT_EQ(pending.find("a").at(0).kind, Kind::Erase);
  pending.insert(record("a", "e2"));
  EXPECT_EQ(pending.find("a").at(0).kind, Kind::Insert);
}

TEST(PendingWritesTest, ChangesDuringAWriteFormANewGenerationReadAfterTheBatch) {
  PendingWrites pending;
  pending.insert(record("a"));
  pending.insert(record("b"));
  const auto batch = pending.take_batch();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].msg_id, "a");  // oldest first
  pending.update(record("a", "e1"), {Field::EngineUuid});  // while "being written"
  EXPECT_FALSE(batch[0].record->engine_uuid);               // never changed under the writer
  auto changes = pending.find("a");
  ASSERT_EQ(changes.size(), 2u);  // the insert in flight, then the update
  EXPECT_EQ(changes[0].kind, Kind::Insert);
  EXPECT_EQ(changes[1].kind, Kind::Update);
  pending.done();
  EXPECT_TRUE(pending.find("b").empty());
  changes = pending.find("a");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, Kind::Update);
}

TEST(PendingWritesTest, AFailedBatchIsMergedBackUnderNewerChanges) {
  PendingWrites pending;
  pending.insert(record("a"));
  pending.insert(record("b"));
  const auto batch = pending.take_batch();
  pending.update(record("a", "e1"), {Field::EngineUuid});
  pending.erase("b");
  pending.failed();
  auto a = pending.find("a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Kind::Insert);  // still to be inserted, with the update
  EXPECT_EQ(a[0].record->engine_uuid, "e1");
  EXPECT_FALSE(batch[0].record->engine_uuid);  // a copy was changed, not the batch
  EXPECT_EQ(pending.find("b").at(0).kind, Kind::Erase);
  EXPECT_EQ(pending.take_batch().size(), 2u);
}

TEST(PendingWritesTest, UnwritableChangesStayReadableButAreSkipped) {
  PendingWrites pending;
  pending.insert(record("big"));
  pending.insert(record("ok"));
  pending.take_batch();
  pending.done({}, {"big"});
  EXPECT_EQ(pending.unwritable(), 1u);
  EXPECT_EQ(pending.find("big").size(), 1u);
  EXPECT_TRUE(pending.find("ok").empty());
  EXPECT_TRUE(pending.take_batch().empty());
  pending.done();
  pending.update(record("big", "e"), {Field::EngineUuid});  // a new version is retried
  EXPECT_EQ(pending.unwritable(), 0u);
  EXPECT_EQ(pending.take_batch().size(), 1u);
}

TEST(PendingWritesTest, WriterWaitsForTheBatchDelayAndFlushWakesIt) {
  PendingWrites pending;
  std::thread writer([&] {
    while (pending.wait_for_batch(10s, 1000)) {
      pending.take_batch();
      pending.done();
    }
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
    while (pending.wait_for_batch(10s, 3)) {
      pending.take_batch();
      pending.done();
    }
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

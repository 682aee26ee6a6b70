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

// A writer thread that takes every batch and "commits" it at once.
std::thread start_writer(PendingWrites& pending, std::chrono::milliseconds delay, std::size_t wake) {
  return std::thread([&pending, delay, wake] {
    while (pending.wait_for_batch(delay, wake)) {
      pending.take_batch();
      pending.done();
    }
  });
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
  std::thread writer = start_writer(pending, 10s, 1000);
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
  std::thread writer = start_writer(pending, 10s, 3);
  for (int i = 0; i < 3; ++i) pending.insert(record("r" + std::to_string(i)));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (pending.size() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(pending.size(), 0u);
  pending.stop();
  writer.join();
}

// A request whose buffers reach the hold size: 200 bytes here.
TaskRecord big_request(const std::string& id) {
  TaskRecord r(id);
  r.buffers.emplace_back(std::string(200, 'x').data(), std::size_t{200});
  return r;
}

TaskRecord result(const std::string& id) {
  TaskRecord r(id);
  r.completed = util::TimePoint{} + std::chrono::seconds(1);
  r.result_buffers.emplace_back(std::string(300, 'y').data(), std::size_t{300});
  return r;
}

const FieldMask kResult{Field::Completed, Field::ResultBuffers};

TEST(PendingWritesTest, ABigRequestWaitsForItsResultAndIsWrittenOnceWithIt) {
  PendingWrites pending;
  pending.set_hold(100, 10s);
  pending.insert(big_request("big"));
  pending.insert(record("small"));
  EXPECT_EQ(pending.held(), 1u);
  auto batch = pending.take_batch();
  ASSERT_EQ(batch.size(), 1u);  // the small one only
  EXPECT_EQ(batch[0].msg_id, "small");
  pending.done();
  EXPECT_EQ(pending.find("big").size(), 1u);  // readable meanwhile
  pending.update(record("big", "e1"), {Field::EngineUuid});  // not its result: still held
  EXPECT_TRUE(pending.take_batch().empty());
  pending.done();
  pending.update(result("big"), kResult);
  EXPECT_EQ(pending.held(), 0u);
  batch = pending.take_batch();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].kind, Kind::Insert);  // one write of the whole row
  EXPECT_EQ(batch[0].record->buffers.size(), 1u);
  EXPECT_EQ(batch[0].record->result_buffers.size(), 1u);
  EXPECT_EQ(batch[0].record->engine_uuid, "e1");
}

TEST(PendingWritesTest, OnlyUncompletedRequestsWithBigBuffersAreHeld) {
  PendingWrites pending;
  pending.set_hold(100, 10s);
  TaskRecord done_already = big_request("done");
  done_already.completed = util::TimePoint{};
  pending.insert(std::move(done_already));
  TaskRecord small("small");
  small.buffers.emplace_back(std::string(99, 'x').data(), std::size_t{99});
  pending.insert(std::move(small));
  EXPECT_EQ(pending.held(), 0u);
  EXPECT_EQ(pending.take_batch().size(), 2u);
}

TEST(PendingWritesTest, AHeldRequestIsWrittenAfterTheLongestHold) {
  PendingWrites pending;
  pending.set_hold(100, 200ms);
  std::thread writer = start_writer(pending, 1ms, 1000);
  // Let the writer go to sleep with nothing to do: the hold must wake it.
  std::this_thread::sleep_for(50ms);
  const auto start = std::chrono::steady_clock::now();
  pending.insert(big_request("big"));
  while (pending.size() != 0 && std::chrono::steady_clock::now() < start + 5s) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(pending.size(), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  pending.stop();
  writer.join();
}

TEST(PendingWritesTest, FlushAndStopWriteHeldRequests) {
  PendingWrites pending;
  pending.set_hold(100, 1h);
  std::thread writer = start_writer(pending, 1h, 1000);
  pending.insert(big_request("a"));
  EXPECT_TRUE(pending.flush(5s));
  EXPECT_EQ(pending.size(), 0u);
  pending.insert(big_request("b"));
  pending.stop();
  writer.join();  // returns: stop writes what is held
  EXPECT_EQ(pending.size(), 0u);
}

TEST(PendingWritesTest, ErasingAHeldRequestReleasesIt) {
  PendingWrites pending;
  pending.set_hold(100, 1h);
  pending.insert(big_request("a"));
  pending.erase("a");
  EXPECT_EQ(pending.held(), 0u);
  const auto batch = pending.take_batch();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].kind, Kind::Erase);
}

}  // namespace
}  // namespace ipp::hub

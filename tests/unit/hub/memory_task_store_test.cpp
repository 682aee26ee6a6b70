// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/memory_task_store.hpp"

#include <gtest/gtest.h>

#include "ipp/hub/hub_error.hpp"
#include "unit/hub/hub_test_util.hpp"

namespace ipp::hub {
namespace {

using nlohmann::json;

util::TimePoint at(int seconds) { return util::TimePoint{} + std::chrono::seconds(1'800'000'000 + seconds); }

TaskRecord dated(std::string id, int seconds, std::size_t buffer_size = 0) {
  TaskRecord r(std::move(id));
  r.submitted = at(seconds);
  if (buffer_size > 0) r.buffers.emplace_back(std::string(buffer_size, 'x'));
  return r;
}

// A record whose task has finished: the only kind culling may drop.
TaskRecord finished(std::string id, int seconds, std::size_t buffer_size = 0) {
  TaskRecord r = dated(std::move(id), seconds, buffer_size);
  r.completed = at(seconds + 1);
  return r;
}

using testing::error_of;

TEST(MemoryTaskStoreTest, AddThenGetReturnsCopy) {
  MemoryTaskStore store;
  store.add_record(dated("a", 1, 10));
  const auto record = store.get_record("a");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->submitted, at(1));
  EXPECT_EQ(record->buffers.size(), 1u);
  EXPECT_EQ(store.buffer_bytes(), 10u);
}

TEST(MemoryTaskStoreTest, StoredSmallFramesDoNotPinTheirReceiveBuffers) {
  // A record would otherwise keep a whole libzmq receive buffer (~18 KiB)
  // alive for each 100-byte argument or result it holds.
  MemoryTaskStore store;
  bool request_freed = false;
  bool result_freed = false;
  zmq::message_t request_buffer = testing::tracked_frame(std::string(100, 'a'), &request_freed);
  zmq::message_t result_buffer = testing::tracked_frame(std::string(200, 'r'), &result_freed);
  TaskRecord record = dated("a", 1);
  record.buffers.push_back(share_frame(request_buffer));
  store.add_record(std::move(record));
  TaskRecord result("a");
  result.result_buffers.push_back(share_frame(result_buffer));
  store.update_record("a", std::move(result), {Field::ResultBuffers});
  request_buffer = zmq::message_t();  // the relay is done with the messages
  result_buffer = zmq::message_t();
  EXPECT_TRUE(request_freed);
  EXPECT_TRUE(result_freed);
  const auto stored = store.get_record("a");
  EXPECT_EQ(stored->buffers.at(0).to_string(), std::string(100, 'a'));
  EXPECT_EQ(stored->result_buffers.at(0).to_string(), std::string(200, 'r'));
  EXPECT_EQ(store.buffer_bytes(), 300u);
}

TEST(MemoryTaskStoreTest, GetMissingIsNullopt) {
  MemoryTaskStore store;
  EXPECT_FALSE(store.get_record("nope"));
}

TEST(MemoryTaskStoreTest, AddingExistingIdIsKeyError) {
  MemoryTaskStore store;
  store.add_record(dated("a", 1));
  const HubError e = error_of([&] { store.add_record(dated("a", 2)); });
  EXPECT_EQ(e.ename(), "KeyError");
  EXPECT_EQ(e.evalue(), "\"Already have msg_id 'a'\"");
}

TEST(MemoryTaskStoreTest, UpdateWritesOnlyMaskedFields) {
  MemoryTaskStore store;
  TaskRecord r = dated("a", 1);
  r.engine_uuid = "e1";
  store.add_record(std::move(r));
  TaskRecord values("a");
  values.stdout_text = "out";
  store.update_record("a", std::move(values), {Field::Stdout});
  const auto got = store.get_record("a");
  EXPECT_EQ(got->stdout_text, "out");
  EXPECT_EQ(got->engine_uuid, "e1");
  EXPECT_EQ(got->submitted, at(1));
}

TEST(MemoryTaskStoreTest, UpdateMissingIsKeyError) {
  MemoryTaskStore store;
  EXPECT_EQ(error_of([&] { store.update_record("x", TaskRecord("x"), {Field::Stdout}); }).ename(),
            "KeyError");
}

TEST(MemoryTaskStoreTest, UpdateTracksBufferBytes) {
  MemoryTaskStore store;
  store.add_record(dated("a", 1, 10));
  TaskRecord values("a");
  values.result_buffers.emplace_back(std::string(5, 'r'));
  store.update_record("a", std::move(values), {Field::ResultBuffers});
  EXPECT_EQ(store.buffer_bytes(), 15u);
}

TEST(MemoryTaskStoreTest, RecordLimitCullsOldestFraction) {
  MemoryTaskStore store({.record_limit = 20, .size_limit = 1 << 30, .cull_fraction = 0.1});
  for (int i = 20; i >= 0; --i) store.add_record(finished("m" + std::to_string(i), i));
  // 21 records > 20: the 2 oldest by submitted (m0, m1) go.
  EXPECT_EQ(store.size(), 19u);
  EXPECT_FALSE(store.get_record("m0"));
  EXPECT_FALSE(store.get_record("m1"));
  EXPECT_TRUE(store.get_record("m2"));
}

TEST(MemoryTaskStoreTest, SmallRecordLimitStillCulls) {
  MemoryTaskStore store({.record_limit = 3, .size_limit = 1 << 30, .cull_fraction = 0.1});
  for (int i = 0; i < 5; ++i) store.add_record(finished("m" + std::to_string(i), i));
  EXPECT_EQ(store.size(), 3u);
}

TEST(MemoryTaskStoreTest, SizeLimitCullsOldestUntilBelowFraction) {
  MemoryTaskStore store({.record_limit = 1024, .size_limit = 100, .cull_fraction = 0.5});
  for (int i = 0; i < 5; ++i) store.add_record(finished("m" + std::to_string(i), i, 20));
  EXPECT_EQ(store.size(), 5u);
  store.add_record(finished("m5", 5, 20));  // 120 > 100: cull to <= 50
  EXPECT_EQ(store.buffer_bytes(), 40u);
  EXPECT_TRUE(store.get_record("m4"));
  EXPECT_TRUE(store.get_record("m5"));
  EXPECT_FALSE(store.get_record("m3"));
}

TEST(MemoryTaskStoreTest, UndatedRecordsAreCulledFirst) {
  MemoryTaskStore store({.record_limit = 2, .size_limit = 1 << 30, .cull_fraction = 0.5});
  store.add_record(finished("a", 1));
  store.add_record(TaskRecord("partial"));
  store.add_record(finished("b", 2));
  EXPECT_FALSE(store.get_record("partial"));
  EXPECT_TRUE(store.get_record("a"));
}

TEST(MemoryTaskStoreTest, UpdatingCulledRecordSaysCulled) {
  MemoryTaskStore store({.record_limit = 1, .size_limit = 1 << 30, .cull_fraction = 1.0});
  store.add_record(finished("a", 1));
  store.add_record(finished("b", 2));
  ASSERT_TRUE(store.was_culled("a"));
  const HubError e = error_of([&] { store.update_record("a", TaskRecord("a"), {Field::Stdout}); });
  EXPECT_EQ(e.ename(), "KeyError");
  EXPECT_EQ(e.evalue(), "\"Record 'a' has been culled for size\"");
}

TEST(MemoryTaskStoreTest, TryUpdateReturnsTheErrorUpdateThrows) {
  MemoryTaskStore store({.record_limit = 1, .size_limit = 1 << 30, .cull_fraction = 1.0});
  store.add_record(finished("a", 1));
  store.add_record(finished("b", 2));
  const auto culled = store.try_update_record("a", TaskRecord("a"), {Field::Stdout});
  ASSERT_TRUE(culled);
  EXPECT_EQ(culled->evalue(), "\"Record 'a' has been culled for size\"");
  const auto unknown = store.try_update_record("zz", TaskRecord("zz"), {Field::Stdout});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->evalue(), "\"No such msg_id 'zz'\"");
  TaskRecord values("b");
  values.stdout_text = "out";
  EXPECT_FALSE(store.try_update_record("b", std::move(values), {Field::Stdout}));
  EXPECT_EQ(store.get_record("b")->stdout_text, "out");
}

TEST(MemoryTaskStoreTest, ReaddingCulledIdForgetsCulling) {
  MemoryTaskStore store({.record_limit = 1, .size_limit = 1 << 30, .cull_fraction = 1.0});
  store.add_record(finished("a", 1));
  store.add_record(finished("b", 2));
  store.add_record(finished("a", 3));
  EXPECT_FALSE(store.was_culled("a"));
  EXPECT_TRUE(store.get_record("a"));
}

TEST(MemoryTaskStoreTest, FindReturnsInsertionOrderWithKeys) {
  MemoryTaskStore store;
  store.add_record(dated("z", 3));
  store.add_record(dated("a", 1, 4));
  const auto found = store.find_records(Query(), {Field::Submitted});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].msg_id, "z");
  EXPECT_EQ(found[1].msg_id, "a");
  EXPECT_EQ(found[1].submitted, at(1));
  EXPECT_TRUE(found[1].buffers.empty());  // not requested
}

TEST(MemoryTaskStoreTest, FindByMsgIdsIgnoresUnknownAndDuplicates) {
  MemoryTaskStore store;
  store.add_record(dated("a", 1));
  store.add_record(dated("b", 2));
  const auto found = store.find_records(Query::msg_ids({"b", "x", "b"}));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].msg_id, "b");
}

TEST(MemoryTaskStoreTest, DropMatchingRemovesOnlyMatches) {
  MemoryTaskStore store;
  TaskRecord done = dated("done", 1, 3);
  done.completed = at(2);
  store.add_record(std::move(done));
  store.add_record(dated("pending", 1));
  store.drop_matching_records(Query::parse(json::parse(R"({"completed": {"$ne": null}})")));
  EXPECT_FALSE(store.get_record("done"));
  EXPECT_TRUE(store.get_record("pending"));
  EXPECT_EQ(store.buffer_bytes(), 0u);
}

TEST(MemoryTaskStoreTest, DropRecordMissingIsKeyError) {
  MemoryTaskStore store;
  EXPECT_EQ(error_of([&] { store.drop_record("x"); }).ename(), "KeyError");
}

TEST(MemoryTaskStoreTest, HistoryIsBySubmittedWithoutUndated) {
  MemoryTaskStore store;
  store.add_record(dated("late", 5));
  store.add_record(TaskRecord("partial"));
  store.add_record(dated("early", 1));
  EXPECT_EQ(store.get_history(), (std::vector<std::string>{"early", "late"}));
}

// The sequences of ipyparallel's tests/test_db.py TestDictBackend.
TEST(MemoryTaskStoreTest, CullCountMatchesDictDb) {
  MemoryTaskStore store({.record_limit = 20, .size_limit = 1 << 30, .cull_fraction = 0.2});
  int n = 0;
  auto load = [&](int count) {
    for (int i = 0; i < count; ++i, ++n) store.add_record(finished("m" + std::to_string(n), n));
  };
  load(20);
  EXPECT_EQ(store.get_history().size(), 20u);
  load(1);
  EXPECT_EQ(store.get_history().size(), 17u);  // 0.2 * 20 = 4 culled
  load(3);
  EXPECT_EQ(store.get_history().size(), 20u);
  load(1);
  EXPECT_EQ(store.get_history().size(), 17u);
}

TEST(MemoryTaskStoreTest, CullSizeMatchesDictDb) {
  MemoryTaskStore store({.record_limit = 1024, .size_limit = 1000, .cull_fraction = 0.2});
  for (int i = 0; i < 100; ++i) store.add_record(finished("m" + std::to_string(i), i, 10));
  store.add_record(finished("zero", 100));
  EXPECT_EQ(store.get_history().size(), 101u);
  store.add_record(finished("one", 101, 1));
  EXPECT_EQ(store.get_history().size(), 81u);
}

TEST(MemoryTaskStoreTest, CullSizeAfterUpdateMatchesDictDb) {
  MemoryTaskStore store({.record_limit = 1024, .size_limit = 1000, .cull_fraction = 0.2});
  for (int i = 0; i < 100; ++i) store.add_record(finished("m" + std::to_string(i), i, 10));
  TaskRecord values("m99");
  values.result_buffers.emplace_back(std::string(10, 'r'));
  store.update_record("m99", std::move(values), {Field::Buffers, Field::ResultBuffers});
  EXPECT_EQ(store.get_history().size(), 100u);
  TaskRecord bigger("m99");
  bigger.result_buffers.emplace_back(std::string(11, 'r'));
  store.update_record("m99", std::move(bigger), {Field::Buffers, Field::ResultBuffers});
  EXPECT_EQ(store.get_history().size(), 79u);
}

TEST(MemoryTaskStoreTest, RecordsOfTasksInFlightAreNeverCulled) {
  MemoryTaskStore store({.record_limit = 4, .size_limit = 1 << 30, .cull_fraction = 0.5});
  for (int i = 0; i < 10; ++i) store.add_record(dated("p" + std::to_string(i), i));
  EXPECT_EQ(store.size(), 10u);
  // Their results can still be recorded, as in-flight tasks finish.
  TaskRecord result("p0");
  result.completed = at(100);
  store.update_record("p0", std::move(result), {Field::Completed});
  EXPECT_TRUE(store.get_record("p0"));
}

TEST(MemoryTaskStoreTest, FinishedRecordsAreCulledInBatchesWhileInFlightOnesExceedTheLimit) {
  // limit 10, fraction 0.2: culling waits for 2 finished records, then
  // drops finished ones only, oldest first.
  MemoryTaskStore store({.record_limit = 10, .size_limit = 1 << 30, .cull_fraction = 0.2});
  for (int i = 0; i < 20; ++i) store.add_record(dated("p" + std::to_string(i), i));
  auto finish = [&](const std::string& id) {
    TaskRecord result(id);
    result.completed = at(100);
    store.update_record(id, std::move(result), {Field::Completed});
  };
  finish("p5");
  EXPECT_EQ(store.size(), 20u);  // one finished: not a batch yet
  finish("p3");
  EXPECT_EQ(store.size(), 18u);
  EXPECT_FALSE(store.get_record("p3"));
  EXPECT_FALSE(store.get_record("p5"));
  EXPECT_TRUE(store.was_culled("p3"));
  EXPECT_TRUE(store.get_record("p0"));
}

TEST(MemoryTaskStoreTest, FinishedRecordsGoBeforeOlderInFlightOnes) {
  MemoryTaskStore store({.record_limit = 3, .size_limit = 1 << 30, .cull_fraction = 0.4});
  store.add_record(dated("running", 1));
  store.add_record(finished("done1", 2));
  store.add_record(finished("done2", 3));
  store.add_record(finished("done3", 4));  // 4 > 3: cull 1, the oldest finished
  EXPECT_TRUE(store.get_record("running"));
  EXPECT_FALSE(store.get_record("done1"));
  EXPECT_TRUE(store.get_record("done2"));
}

}  // namespace
}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/task_record.hpp"

#include <gtest/gtest.h>

#include "unit/hub/hub_test_util.hpp"
#include "ipp/hub/hub_error.hpp"

namespace ipp::hub {
namespace {

using testing::frame;

TaskRecord sample() {
  TaskRecord record("m1");
  record.header = {{"msg_id", "m1"}, {"date", "2026-11-21T08:01:09.995894Z"}};
  record.buffers.push_back(frame("arg"));
  record.result_buffers.push_back(frame("result"));
  record.submitted = util::parse_iso8601("2026-11-21T08:01:09.995894Z");
  record.engine_uuid = "e1";
  record.stdout_text = "hello\n";
  return record;
}

TEST(TaskRecordTest, SmallFramesGetTheirOwnBytesAndBigOnesStayShared) {
  bool small_freed = false;
  bool big_freed = false;
  const std::string big(kOwnedFrameBytes + 1, 'b');
  zmq::message_t small_buffer = testing::tracked_frame(std::string(100, 's'), &small_freed);
  zmq::message_t big_buffer = testing::tracked_frame(big, &big_freed);
  TaskRecord record("m1");
  record.buffers.push_back(share_frame(small_buffer));  // as the hub gets them from a relay
  record.result_buffers.push_back(share_frame(big_buffer));
  const void* big_data = big_buffer.data();
  record.own_small_frames();
  small_buffer = zmq::message_t();
  big_buffer = zmq::message_t();
  EXPECT_TRUE(small_freed);   // the record no longer pins the receive buffer
  EXPECT_FALSE(big_freed);    // zero-copy: the record holds the very bytes
  EXPECT_EQ(record.buffers[0].to_string(), std::string(100, 's'));
  EXPECT_EQ(record.result_buffers[0].data(), big_data);
  record.result_buffers.clear();
  EXPECT_TRUE(big_freed);
}

TEST(TaskRecordTest, FullJsonHasEveryColumnButBuffers) {
  const auto json = to_json(sample());
  EXPECT_EQ(json.size(), kFieldCount - 3);  // no buffers, result_buffers, unset display_data
  EXPECT_FALSE(json.contains("buffers"));
  EXPECT_FALSE(json.contains("result_buffers"));
  EXPECT_FALSE(json.contains("display_data"));
  EXPECT_TRUE(json["completed"].is_null());
  EXPECT_EQ(json["stdout"], "hello\n");
  EXPECT_EQ(json["stderr"], "");
  EXPECT_TRUE(json["label"].is_null());
}

TEST(TaskRecordTest, DatesAreIsoZStrings) {
  EXPECT_EQ(to_json(sample())["submitted"], "2026-11-21T08:01:09.995894Z");
}

TEST(TaskRecordTest, KeysSelectFieldsPlusMsgId) {
  const auto json = to_json(sample(), parse_keys(nlohmann::json::parse(R"(["engine_uuid", "buffers"])")));
  EXPECT_EQ(json, nlohmann::json({{"msg_id", "m1"}, {"engine_uuid", "e1"}}));
}

TEST(TaskRecordTest, DisplayDataIncludedOnceSet) {
  TaskRecord record = sample();
  record.display_data = {{"data", {{"text/plain", "x"}}}};
  EXPECT_EQ(to_json(record)["display_data"]["data"]["text/plain"], "x");
}

TEST(TaskRecordTest, NullOrEmptyKeysSelectEverything) {
  EXPECT_TRUE(parse_keys(nullptr).is_all());
  EXPECT_TRUE(parse_keys(nlohmann::json::array()).is_all());
}

TEST(TaskRecordTest, UnknownKeyIsKeyError) {
  try {
    parse_keys(nlohmann::json::parse(R"(["msg_id", "bogus"])"));
    FAIL();
  } catch (const HubError& e) {
    EXPECT_EQ(e.ename(), "KeyError");
    EXPECT_EQ(e.evalue(), "\"Bad record key(s): ['bogus']\"");
  }
}

TEST(TaskRecordTest, NonListKeysIsTypeError) {
  EXPECT_THROW(parse_keys("msg_id"), HubError);
}

TEST(TaskRecordTest, CloneSharesLargeBufferData) {
  TaskRecord record("m");
  record.buffers.emplace_back(std::string(1 << 20, 'x'));
  const TaskRecord copy = record.clone();
  ASSERT_EQ(copy.buffers.size(), 1u);
  EXPECT_EQ(copy.buffers[0].data(), record.buffers[0].data());
}

TEST(TaskRecordTest, AssignCopiesOnlyMaskedFields) {
  TaskRecord target("m");
  target.assign(sample(), {Field::EngineUuid, Field::Stdout});
  EXPECT_EQ(target.engine_uuid, "e1");
  EXPECT_EQ(target.stdout_text, "hello\n");
  EXPECT_TRUE(target.header.is_null());
  EXPECT_EQ(target.msg_id, "m");
}

TEST(TaskRecordTest, IsSetFollowsPythonTruth) {
  TaskRecord record("m");
  record.header = nlohmann::json::object();
  record.client_uuid = "";
  record.execute_result = "";
  EXPECT_FALSE(record.is_set(Field::Header));
  EXPECT_FALSE(record.is_set(Field::ExecuteResult));
  EXPECT_FALSE(record.is_set(Field::ClientUuid));
  EXPECT_FALSE(record.is_set(Field::Stdout));
  EXPECT_FALSE(record.is_set(Field::Completed));
  record.stdout_text = "x";
  record.completed = util::TimePoint{};
  EXPECT_TRUE(record.is_set(Field::Stdout));
  EXPECT_TRUE(record.is_set(Field::Completed));
}

TEST(TaskRecordTest, BufferBytesCountsBothLists) { EXPECT_EQ(sample().buffer_bytes(), 9u); }

TEST(TaskRecordTest, ResultJsonHasIoSection) {
  TaskRecord record = sample();
  record.received = util::parse_iso8601("2026-11-21T08:01:10Z");
  record.execute_input = "a = 1";
  const auto json = to_result_json(record);
  EXPECT_EQ(json["received"], "2026-11-21T08:01:10Z");
  EXPECT_EQ(json["io"]["stdout"], "hello\n");
  EXPECT_EQ(json["io"]["execute_input"], "a = 1");
  EXPECT_TRUE(json["io"]["error"].is_null());
  EXPECT_EQ(json["header"]["msg_id"], "m1");
  EXPECT_FALSE(json.contains("result_buffers"));
}

TEST(TaskRecordTest, RecordTimeIsMicroseconds) {
  const util::TimePoint t = util::TimePoint{} + std::chrono::nanoseconds(1'234'567'891);
  EXPECT_EQ(to_record_time(t), util::TimePoint{} + std::chrono::microseconds(1'234'567));
}

}  // namespace
}  // namespace ipp::hub

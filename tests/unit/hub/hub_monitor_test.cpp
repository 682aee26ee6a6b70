// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <deque>

#include "unit/hub/hub_fixture.hpp"

namespace ipp::hub::testing {
namespace {

using nlohmann::json;

class HubMonitorTest : public HubFixture {
 protected:
  void SetUp() override {
    register_engine("u0");
    register_engine("u1");
  }
};

TEST_F(HubMonitorTest, MuxRequestIsPendingAndQueued) {
  wire::Message request = mux_request("u1", {{"label", "first"}});
  const std::string msg_id = request.msg_id();
  const json header = request.header;
  hub_->handle_monitor("in", std::move(request));
  EXPECT_EQ(hub_->pending().count(msg_id), 1u);
  EXPECT_EQ(hub_->queues(1)->queue, std::deque<std::string>{msg_id});
  const auto rec = record(msg_id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->queue, "mux");
  EXPECT_EQ(rec->engine_uuid, "u1");
  EXPECT_EQ(rec->client_uuid, client_.session_id());
  EXPECT_EQ(rec->header, header);
  EXPECT_EQ(rec->submitted, util::parse_iso8601(header["date"].get<std::string>()));
  EXPECT_EQ(rec->buffers.size(), 2u);
  EXPECT_EQ(rec->label, "first");
  EXPECT_FALSE(rec->completed);
}

// The monitor socket's form, as the hub loop hands it over.
wire::RawMessage raw_of(wire::Message&& msg) {
  auto raw = wire::RawMessage::split(wire::encode(std::move(msg), wire::Signer()), nullptr);
  EXPECT_TRUE(raw);
  return std::move(*raw);
}

TEST_F(HubMonitorTest, RawTaskMessagesKeepTheDictsAsReceived) {
  wire::Message request = task_request();
  const std::string msg_id = request.msg_id();
  const std::string header_text = wire::dump_dict(request.header);
  const std::string submitted = request.header["date"].get<std::string>();
  wire::Message reply = engine_reply("u1", request);
  reply.identities = {kClient, "u1"};
  hub_->handle_monitor("intask", raw_of(std::move(request)));
  hub_->handle_monitor("tracktask", raw_of(task_destination(msg_id, "u1")));
  hub_->handle_monitor("outtask", raw_of(std::move(reply)));
  const auto rec = record(msg_id);
  ASSERT_TRUE(rec);
  ASSERT_NE(rec->header.text(), nullptr);
  EXPECT_EQ(*rec->header.text(), header_text);  // stored as received: not re-serialised
  EXPECT_EQ(rec->submitted, util::parse_iso8601(submitted));
  EXPECT_EQ(rec->queue, "task");
  EXPECT_EQ(rec->engine_uuid, "u1");
  EXPECT_EQ(rec->result_metadata.get()["engine"], "u1");
  EXPECT_EQ(rec->started, util::parse_iso8601("2026-11-21T08:00:01.5Z"));
  EXPECT_EQ(rec->buffers.size(), 1u);
  EXPECT_EQ(rec->result_buffers.size(), 1u);
  EXPECT_EQ(hub_->pending().count(msg_id), 0u);
}

TEST_F(HubMonitorTest, RawMessageWithABadDictIsDropped) {
  wire::Message request = task_request();
  const std::string msg_id = request.msg_id();
  wire::Frames frames = wire::encode(std::move(request), wire::Signer());
  frames[frames.size() - 2] = zmq::message_t(std::string_view("[1, 2]"));  // content: not a dict
  auto raw = wire::RawMessage::split(std::move(frames), nullptr);
  ASSERT_TRUE(raw);
  hub_->handle_monitor("intask", std::move(*raw));
  EXPECT_FALSE(record(msg_id));
  EXPECT_EQ(hub_->pending().count(msg_id), 0u);
}

TEST_F(HubMonitorTest, RawIopubStatusIsIgnoredAndOutputRecorded) {
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  const json parent = request.header;
  hub_->handle_monitor("in", raw_of(std::move(request)));
  hub_->handle_monitor("iopub", raw_of(iopub("u0", "status", {{"execution_state", "busy"}}, parent)));
  hub_->handle_monitor("iopub", raw_of(iopub("u0", "stream", {{"name", "stdout"}, {"text", "hi\n"}}, parent)));
  const auto rec = record(msg_id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->stdout_text, "hi\n");
}

TEST_F(HubMonitorTest, MuxReplyCompletesAndRecordsResult) {
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  wire::Message reply = engine_reply("u0", request);
  hub_->handle_monitor("in", std::move(request));
  hub_->handle_monitor("out", std::move(reply));
  EXPECT_EQ(hub_->pending().count(msg_id), 0u);
  EXPECT_EQ(hub_->completions().contains(msg_id), true);
  EXPECT_TRUE(hub_->queues(0)->queue.empty());
  EXPECT_EQ(hub_->completions().recent(0), std::vector<std::string>{msg_id});
  const auto rec = record(msg_id);
  EXPECT_EQ(rec->completed, util::parse_iso8601("2026-11-21T08:00:02Z"));
  EXPECT_EQ(rec->started, util::parse_iso8601("2026-11-21T08:00:01.5Z"));
  EXPECT_EQ(rec->received, clocks_.wall);
  EXPECT_EQ(rec->result_content.get()["status"], "ok");
  EXPECT_EQ(rec->result_metadata.get()["engine"], "u0");
  ASSERT_EQ(rec->result_buffers.size(), 1u);
  EXPECT_EQ(text(rec->result_buffers[0]), "result");
}

TEST_F(HubMonitorTest, MuxRequestToUnregisteredEngineIsIgnored) {
  wire::Message request = mux_request("stranger");
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("in", std::move(request));
  EXPECT_EQ(hub_->pending().count(msg_id), 0u);
  EXPECT_FALSE(record(msg_id));
}

TEST_F(HubMonitorTest, UnknownMuxReplyDoesNotTouchRecords) {
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("out", engine_reply("u0", request));
  EXPECT_EQ(hub_->completions().contains(msg_id), false);
  EXPECT_FALSE(record(msg_id));
}

TEST_F(HubMonitorTest, LateMuxReplyForARequestOfAPreviousRunIsRecorded) {
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  wire::Message reply = engine_reply("u0", request);
  hub_->handle_monitor("in", std::move(request));
  make_hub();  // the controller restarted; the store (a file) kept the record
  register_engine("u0");
  hub_->handle_monitor("out", std::move(reply));
  const auto rec = record(msg_id);
  ASSERT_TRUE(rec);
  EXPECT_TRUE(rec->completed);
  EXPECT_EQ(rec->result_content.get()["status"], "ok");
  const auto& status = query("result_request", {{"msg_ids", {msg_id}}, {"status_only", true}});
  EXPECT_EQ(status.content["completed"], nlohmann::json::array({msg_id}));
}

TEST_F(HubMonitorTest, CompletionsBeyondMemoryAreAnsweredFromTheStore) {
  completed_memory_ = 2;
  make_hub();
  register_engine("u0");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    wire::Message request = mux_request("u0");
    ids.push_back(request.msg_id());
    wire::Message reply = engine_reply("u0", request);
    hub_->handle_monitor("in", std::move(request));
    hub_->handle_monitor("out", std::move(reply));
  }
  EXPECT_FALSE(hub_->completions().contains(ids[0]));
  const auto& status = query("result_request", {{"msg_ids", ids}, {"status_only", true}});
  EXPECT_EQ(status.content["status"], "ok");
  EXPECT_EQ(status.content["completed"].size(), 5u);
  const auto& results = query("result_request", {{"msg_ids", {ids[0]}}});
  EXPECT_EQ(results.content[ids[0]]["result_content"]["status"], "ok");
  const auto& queues = query("queue_request", {{"targets", {0}}});
  EXPECT_EQ(queues.content["0"]["completed"], 5);
}

TEST_F(HubMonitorTest, MessageWithoutRoutingFramesIsDropped) {
  wire::Message request = mux_request("u0");
  request.identities.clear();
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("in", std::move(request));
  EXPECT_EQ(hub_->pending().count(msg_id), 0u);
}

TEST_F(HubMonitorTest, TaskIsUnassignedUntilTracked) {
  wire::Message request = task_request();
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("intask", std::move(request));
  EXPECT_EQ(hub_->pending().count(msg_id), 1u);
  EXPECT_EQ(hub_->unassigned().count(msg_id), 1u);
  const auto rec = record(msg_id);
  EXPECT_EQ(rec->queue, "task");
  EXPECT_EQ(rec->client_uuid, client_.session_id());
  EXPECT_FALSE(rec->engine_uuid);

  hub_->handle_monitor("tracktask", task_destination(msg_id, "u1"));
  EXPECT_EQ(hub_->unassigned().count(msg_id), 0u);
  EXPECT_EQ(hub_->queues(1)->tasks, std::deque<std::string>{msg_id});
  EXPECT_EQ(record(msg_id)->engine_uuid, "u1");
}

TEST_F(HubMonitorTest, TaskReplyCompletesTask) {
  wire::Message request = task_request();
  const std::string msg_id = request.msg_id();
  wire::Message reply = engine_reply("u1", request);
  hub_->handle_monitor("intask", std::move(request));
  hub_->handle_monitor("tracktask", task_destination(msg_id, "u1"));
  hub_->handle_monitor("outtask", std::move(reply));
  EXPECT_EQ(hub_->pending().count(msg_id), 0u);
  EXPECT_EQ(hub_->completions().contains(msg_id), true);
  EXPECT_TRUE(hub_->queues(1)->tasks.empty());
  EXPECT_EQ(hub_->completions().recent(1), std::vector<std::string>{msg_id});
  const auto rec = record(msg_id);
  EXPECT_EQ(rec->engine_uuid, "u1");
  EXPECT_TRUE(rec->completed);
  EXPECT_EQ(rec->result_buffers.size(), 1u);
}

TEST_F(HubMonitorTest, AbortedTaskIsNotCountedAsCompleted) {
  wire::Message request = task_request();
  const std::string msg_id = request.msg_id();
  wire::Message reply = engine_reply("u1", request, "aborted");
  hub_->handle_monitor("intask", std::move(request));
  hub_->handle_monitor("tracktask", task_destination(msg_id, "u1"));
  hub_->handle_monitor("outtask", std::move(reply));
  EXPECT_EQ(hub_->completions().contains(msg_id), true);
  EXPECT_TRUE(hub_->completions().recent(1).empty());
  EXPECT_TRUE(hub_->queues(1)->tasks.empty());
}

TEST_F(HubMonitorTest, SchedulerErrorReplyWithoutEngineCompletesTask) {
  wire::Message request = task_request();
  const std::string msg_id = request.msg_id();
  wire::Message reply = engine_reply("", request, "error");
  reply.metadata.erase("engine");
  reply.identities = {kClient};
  hub_->handle_monitor("intask", std::move(request));
  hub_->handle_monitor("outtask", std::move(reply));
  EXPECT_EQ(hub_->unassigned().count(msg_id), 0u);
  EXPECT_EQ(hub_->completions().contains(msg_id), true);
  EXPECT_EQ(record(msg_id)->engine_uuid, "");
}

TEST_F(HubMonitorTest, ReassignedTaskLeavesFirstEnginesList) {
  wire::Message request = task_request();
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("intask", std::move(request));
  hub_->handle_monitor("tracktask", task_destination(msg_id, "u0"));
  hub_->handle_monitor("tracktask", task_destination(msg_id, "u1"));
  EXPECT_TRUE(hub_->queues(0)->tasks.empty());
  EXPECT_EQ(hub_->queues(1)->tasks, std::deque<std::string>{msg_id});
}

TEST_F(HubMonitorTest, IopubBeforeRequestCreatesPartialRecordThenMerges) {
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("iopub", iopub("u0", "stream", {{"name", "stdout"}, {"text", "early\n"}}, request.header));
  const auto partial = record(msg_id);
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->stdout_text, "early\n");
  EXPECT_FALSE(partial->submitted);
  EXPECT_TRUE(partial->header.is_null());

  hub_->handle_monitor("in", std::move(request));
  const auto merged = record(msg_id);
  EXPECT_EQ(merged->stdout_text, "early\n");
  EXPECT_EQ(merged->queue, "mux");
  EXPECT_TRUE(merged->submitted);
  EXPECT_EQ(merged->buffers.size(), 2u);
}

TEST_F(HubMonitorTest, IopubBeforeTaskRequestMerges) {
  wire::Message request = task_request();
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("iopub", iopub("u0", "error", {{"ename", "ValueError"}}, request.header));
  hub_->handle_monitor("intask", std::move(request));
  const auto rec = record(msg_id);
  EXPECT_EQ(rec->error["ename"], "ValueError");
  EXPECT_EQ(rec->queue, "task");
  EXPECT_EQ(rec->buffers.size(), 1u);
}

TEST_F(HubMonitorTest, StreamsAccumulate) {
  wire::Message request = mux_request("u0");
  const json parent = request.header;
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("in", std::move(request));
  hub_->handle_monitor("iopub", iopub("u0", "stream", {{"name", "stdout"}, {"text", "a"}}, parent));
  hub_->handle_monitor("iopub", iopub("u0", "stream", {{"name", "stdout"}, {"text", "b"}}, parent));
  hub_->handle_monitor("iopub", iopub("u0", "stream", {{"name", "stderr"}, {"text", "e"}}, parent));
  const auto rec = record(msg_id);
  EXPECT_EQ(rec->stdout_text, "ab");
  EXPECT_EQ(rec->stderr_text, "e");
}

TEST_F(HubMonitorTest, IopubOutputsFillTheirFields) {
  wire::Message request = mux_request("u0");
  const json parent = request.header;
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("in", std::move(request));
  hub_->handle_monitor("iopub", iopub("u0", "execute_input", {{"code", "1+1"}, {"execution_count", 1}}, parent));
  hub_->handle_monitor("iopub", iopub("u0", "execute_result", {{"data", {{"text/plain", "2"}}}}, parent));
  hub_->handle_monitor("iopub", iopub("u0", "display_data", {{"data", {{"text/plain", "d"}}}}, parent));
  hub_->handle_monitor("iopub", iopub("u0", "error", {{"ename", "E"}}, parent));
  const auto rec = record(msg_id);
  EXPECT_EQ(rec->execute_input, "1+1");
  EXPECT_EQ(rec->execute_result["data"]["text/plain"], "2");
  EXPECT_EQ(rec->display_data["data"]["text/plain"], "d");
  EXPECT_EQ(rec->error["ename"], "E");
}

TEST_F(HubMonitorTest, StatusAndUnparentedIopubAreNotRecorded) {
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("iopub", iopub("u0", "status", {{"execution_state", "idle"}}, request.header));
  hub_->handle_monitor("iopub", iopub("u0", "stream", {{"name", "stdout"}, {"text", "x"}}, json::object()));
  EXPECT_FALSE(record(msg_id));
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(HubMonitorTest, ControlTrafficIsIgnored) {
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("incontrol", std::move(request));
  EXPECT_EQ(hub_->pending().count(msg_id), 0u);
}

TEST_F(HubMonitorTest, UnparsableRequestDateUsesHubClock) {
  wire::Message request = mux_request("u0");
  request.header["date"] = "yesterday";
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("in", std::move(request));
  EXPECT_EQ(record(msg_id)->submitted, clocks_.wall);
  EXPECT_EQ(hub_->pending().count(msg_id), 1u);
}

}  // namespace
}  // namespace ipp::hub::testing

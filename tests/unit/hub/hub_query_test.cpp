// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include "unit/hub/hub_fixture.hpp"
#include "ipp/hub/no_task_store.hpp"

namespace ipp::hub::testing {
namespace {

using nlohmann::json;

class HubQueryTest : public HubFixture {
 protected:
  void SetUp() override {
    register_engine("u0");
    register_engine("u1");
  }

  // A direct request to `engine`, answered unless `answer` is false;
  // returns its msg_id.
  std::string run_mux(const std::string& engine, bool answer = true, std::string result = "r") {
    wire::Message request = mux_request(engine);
    const std::string msg_id = request.msg_id();
    wire::Message reply = engine_reply(engine, request, "ok", std::move(result));
    hub_->handle_monitor("in", std::move(request));
    if (answer) hub_->handle_monitor("out", std::move(reply));
    return msg_id;
  }

  static std::vector<std::string> buffer_texts(const wire::Message& msg) {
    std::vector<std::string> out;
    for (const auto& b : msg.buffers) out.push_back(text(b));
    return out;
  }
};

TEST_F(HubQueryTest, UnknownTypeGetsHubError) {
  const wire::Message& reply = query("bogus_request");
  EXPECT_EQ(reply.msg_type(), "hub_error");
  EXPECT_EQ(reply.parent_header, last_request_header_);
  EXPECT_EQ(reply.identities, std::vector<std::string>{kClient});
  EXPECT_EQ(reply.content["ename"], "KeyError");
  EXPECT_EQ(reply.content["evalue"], "\"Bad Message Type: 'bogus_request'\"");
  EXPECT_EQ(reply.content["engine_info"], json::object());
}

TEST_F(HubQueryTest, BadQueryGetsHubErrorWithGivenParent) {
  hub_->handle_bad_query(kClient, {{"msg_id", "m"}}, "Invalid Signature");
  const wire::Message& reply = output_.replies.back();
  EXPECT_EQ(reply.msg_type(), "hub_error");
  EXPECT_EQ(reply.parent_header, json({{"msg_id", "m"}}));
  EXPECT_EQ(reply.content["ename"], "ValueError");
  EXPECT_EQ(reply.content["evalue"], "Invalid Signature");
}

TEST_F(HubQueryTest, BadQueryWithoutHeaderHasEmptyParent) {
  hub_->handle_bad_query(kClient, nullptr, "bad json");
  EXPECT_EQ(output_.replies.back().parent_header, json::object());
}

TEST_F(HubQueryTest, BadContentTypeGetsHubError) {
  const wire::Message& reply = query("result_request", {{"msg_ids", 5}});
  EXPECT_EQ(reply.msg_type(), "hub_error");
  EXPECT_EQ(reply.content["ename"], "TypeError");
}

TEST_F(HubQueryTest, MissingRequiredKeyGetsHubErrorKeyError) {
  const wire::Message& reply = query("resubmit_request", json::object());
  EXPECT_EQ(reply.msg_type(), "hub_error");
  EXPECT_EQ(reply.content["ename"], "KeyError");
  EXPECT_EQ(reply.content["evalue"], "'msg_ids'");
}

TEST_F(HubQueryTest, QueueReplyCountsPerEngine) {
  const std::string done = run_mux("u0");
  run_mux("u0", false);
  hub_->handle_monitor("intask", task_request());
  const wire::Message& reply = query("queue_request", {{"targets", nullptr}, {"verbose", false}});
  EXPECT_EQ(reply.msg_type(), "queue_reply");
  EXPECT_EQ(reply.content, json::parse(R"({"status": "ok",
      "0": {"queue": 1, "completed": 1, "tasks": 0},
      "1": {"queue": 0, "completed": 0, "tasks": 0},
      "unassigned": 1})"));
}

TEST_F(HubQueryTest, VerboseQueueReplyListsMsgIds) {
  const std::string done = run_mux("u1");
  const wire::Message& reply = query("queue_request", {{"targets", {1}}, {"verbose", true}});
  EXPECT_EQ(reply.content["1"]["completed"], json::array({done}));
  EXPECT_EQ(reply.content["unassigned"], json::array());
  EXPECT_FALSE(reply.content.contains("0"));
}

TEST_F(HubQueryTest, QueueRequestAcceptsUuidTargets) {
  EXPECT_TRUE(query("queue_request", {{"targets", "u1"}}).content.contains("1"));
}

TEST_F(HubQueryTest, QueueRequestForUnknownEngineIsIndexError) {
  const wire::Message& reply = query("queue_request", {{"targets", {0, 5, "zz"}}});
  EXPECT_EQ(reply.msg_type(), "hub_error");
  EXPECT_EQ(reply.content["ename"], "IndexError");
  EXPECT_EQ(reply.content["evalue"], "No Such Engine: [5, 'zz']");
}

TEST_F(HubQueryTest, QueueRequestWithEmptyTargetsIsIndexError) {
  EXPECT_EQ(query("queue_request", {{"targets", json::array()}}).content["evalue"], "No Engines Registered");
}

TEST_F(HubQueryTest, QueueRequestStillKnowsEnginesThatLeft) {
  run_mux("u0");
  hub_->stopped_heart("u0");
  EXPECT_FALSE(query("queue_request", {{"targets", nullptr}}).content.contains("0"));
  EXPECT_EQ(query("queue_request", {{"targets", {0}}}).content["0"]["completed"], 1);
}

TEST_F(HubQueryTest, LoadReplyAddsQueueAndTasks) {
  run_mux("u0", false);
  const wire::Message& reply = query("load_request", {{"targets", nullptr}});
  EXPECT_EQ(reply.msg_type(), "load_reply");
  EXPECT_EQ(reply.content, json({{"status", "ok"}, {"0", 1}, {"1", 0}}));
}

TEST_F(HubQueryTest, ResultReplySplitsPendingAndCompleted) {
  const std::string a = run_mux("u0", true, "ra");
  const std::string b = run_mux("u1", true, "rb");
  const std::string p = run_mux("u0", false);
  const wire::Message& reply = query("result_request", {{"msg_ids", {b, p, a, a}}, {"status_only", false}});
  EXPECT_EQ(reply.msg_type(), "result_reply");
  EXPECT_EQ(reply.content["status"], "ok");
  EXPECT_EQ(reply.content["pending"], json::array({p}));
  std::vector<std::string> sorted = {a, b};
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(reply.content["completed"], json(sorted));
  EXPECT_EQ(reply.content[a]["result_content"]["status"], "ok");
  EXPECT_EQ(reply.content[a]["io"]["stdout"], "");
  EXPECT_EQ(reply.content[a]["received"], util::format_iso8601(clocks_.wall));
  EXPECT_FALSE(reply.content.contains(p));
  // Result buffers in sorted msg_id order.
  const std::vector<std::string> expected =
      sorted[0] == a ? std::vector<std::string>{"ra", "rb"} : std::vector<std::string>{"rb", "ra"};
  EXPECT_EQ(buffer_texts(reply), expected);
}

TEST_F(HubQueryTest, StatusOnlyResultReplyHasNoRecords) {
  const std::string a = run_mux("u0");
  const wire::Message& reply = query("result_request", {{"msg_ids", {a}}, {"status_only", true}});
  EXPECT_EQ(reply.content, json({{"status", "ok"}, {"pending", json::array()}, {"completed", {a}}}));
  EXPECT_TRUE(reply.buffers.empty());
}

TEST_F(HubQueryTest, ResultRequestForUnknownIdIsKeyError) {
  const wire::Message& reply = query("result_request", {{"msg_ids", {"nope"}}});
  EXPECT_EQ(reply.msg_type(), "result_reply");
  EXPECT_EQ(reply.content["ename"], "KeyError");
  EXPECT_EQ(reply.content["evalue"], "'No such message: nope'");
}

TEST_F(HubQueryTest, ResultRequestReadsCompletedRecordsFromStore) {
  TaskRecord old("old-run");
  old.submitted = clocks_.wall;
  old.completed = clocks_.wall;
  old.result_buffers.push_back(frame("stored"));
  store_.add_record(std::move(old));
  TaskRecord unfinished("old-pending");
  store_.add_record(std::move(unfinished));
  const wire::Message& reply = query("result_request", {{"msg_ids", {"old-run", "old-pending"}}});
  EXPECT_EQ(reply.content["completed"], json::array({"old-run"}));
  EXPECT_EQ(reply.content["pending"], json::array({"old-pending"}));
  EXPECT_EQ(buffer_texts(reply), std::vector<std::string>{"stored"});
}

TEST_F(HubQueryTest, StatusOnlyConsultsStoreForUnknownIds) {
  TaskRecord old("old-run");
  old.completed = clocks_.wall;
  store_.add_record(std::move(old));
  const wire::Message& reply = query("result_request", {{"msg_ids", {"old-run"}}, {"status_only", true}});
  EXPECT_EQ(reply.content["completed"], json::array({"old-run"}));
}

TEST_F(HubQueryTest, HistoryIsOrderedBySubmission) {
  const std::string a = run_mux("u0");
  const std::string b = run_mux("u1");
  const wire::Message& reply = query("history_request");
  EXPECT_EQ(reply.msg_type(), "history_reply");
  EXPECT_EQ(reply.content, json({{"status", "ok"}, {"history", {a, b}}}));
}

TEST_F(HubQueryTest, DbReplyWithoutBufferKeysSendsNoBuffers) {
  const std::string a = run_mux("u0");
  const wire::Message& reply = query("db_request", {{"query", {{"msg_id", a}}}, {"keys", nullptr}});
  EXPECT_EQ(reply.msg_type(), "db_reply");
  ASSERT_EQ(reply.content["records"].size(), 1u);
  const json& rec = reply.content["records"][0];
  EXPECT_EQ(rec["msg_id"], a);
  EXPECT_FALSE(rec.contains("buffers"));
  EXPECT_FALSE(rec.contains("result_buffers"));
  EXPECT_EQ(rec["completed"], "2026-11-21T08:00:02Z");
  EXPECT_TRUE(reply.content["buffer_lens"].is_null());
  EXPECT_TRUE(reply.content["result_buffer_lens"].is_null());
  EXPECT_TRUE(reply.buffers.empty());
}

TEST_F(HubQueryTest, DbReplyAppendsNamedBuffersPerRecord) {
  const std::string a = run_mux("u0", true, "ra");
  const std::string b = run_mux("u1", true, "rb");
  const wire::Message& reply =
      query("db_request", {{"query", {{"completed", {{"$ne", nullptr}}}}},
                           {"keys", {"buffers", "result_buffers", "engine_uuid"}}});
  EXPECT_EQ(reply.content["buffer_lens"], json::array({2, 2}));
  EXPECT_EQ(reply.content["result_buffer_lens"], json::array({1, 1}));
  EXPECT_EQ(buffer_texts(reply), (std::vector<std::string>{"f", "args", "ra", "f", "args", "rb"}));
  EXPECT_EQ(reply.content["records"][0], json({{"msg_id", a}, {"engine_uuid", "u0"}}));
  EXPECT_EQ(reply.content["records"][1]["msg_id"], b);
}

TEST_F(HubQueryTest, DbRequestWithDateQuery) {
  const std::string a = run_mux("u0");
  run_mux("u0", false);
  const wire::Message& reply =
      query("db_request", {{"query", {{"completed", {{"$gte", "2026-11-21T09:00:00+01:00"}}}}}, {"keys", {"msg_id"}}});
  EXPECT_EQ(reply.content["records"], json::array({{{"msg_id", a}}}));
}

TEST_F(HubQueryTest, DbRequestWithBadQueryIsErrorReply) {
  const wire::Message& reply = query("db_request", {{"query", {{"msg_id", {{"$bogus", 1}}}}}});
  EXPECT_EQ(reply.msg_type(), "db_reply");
  EXPECT_EQ(reply.content["status"], "error");
  EXPECT_EQ(reply.content["ename"], "KeyError");
}

TEST_F(HubQueryTest, DbRequestWithBadKeyIsErrorReply) {
  EXPECT_EQ(query("db_request", {{"query", json::object()}, {"keys", {"nope"}}}).content["status"], "error");
}

TEST_F(HubQueryTest, PurgeAllDropsCompletedOnly) {
  const std::string done = run_mux("u0");
  const std::string pending = run_mux("u0", false);
  const wire::Message& reply = query("purge_request", {{"msg_ids", "all"}});
  EXPECT_EQ(reply.msg_type(), "purge_reply");
  EXPECT_EQ(reply.content, json({{"status", "ok"}}));
  EXPECT_FALSE(record(done));
  EXPECT_TRUE(record(pending));
}

TEST_F(HubQueryTest, PurgePendingIdIsIndexError) {
  const std::string pending = run_mux("u0", false);
  const wire::Message& reply = query("purge_request", {{"msg_ids", {pending}}});
  EXPECT_EQ(reply.content["ename"], "IndexError");
  EXPECT_EQ(reply.content["evalue"], "msg pending: '" + pending + "'");
  EXPECT_TRUE(record(pending));
}

TEST_F(HubQueryTest, PurgeByMsgIds) {
  const std::string a = run_mux("u0");
  const std::string b = run_mux("u0");
  EXPECT_EQ(query("purge_request", {{"msg_ids", {a}}}).content["status"], "ok");
  EXPECT_FALSE(record(a));
  EXPECT_TRUE(record(b));
}

TEST_F(HubQueryTest, PurgeByEngineDropsItsCompletedRecords) {
  const std::string a = run_mux("u0");
  const std::string b = run_mux("u1");
  const std::string pending = run_mux("u1", false);
  EXPECT_EQ(query("purge_request", {{"msg_ids", json::array()}, {"engine_ids", {1}}}).content["status"], "ok");
  EXPECT_TRUE(record(a));
  EXPECT_FALSE(record(b));
  EXPECT_TRUE(record(pending));
}

TEST_F(HubQueryTest, PurgeUnknownEngineIsIndexError) {
  const wire::Message& reply = query("purge_request", {{"msg_ids", json::array()}, {"engine_ids", {9}}});
  EXPECT_EQ(reply.content["ename"], "IndexError");
  EXPECT_EQ(reply.content["evalue"], "No such engine: 9");
}

TEST_F(HubQueryTest, ResubmitSendsFreshCopyToScheduler) {
  wire::Message request = task_request();
  const std::string old_id = request.msg_id();
  const json old_header = request.header;
  hub_->handle_monitor("intask", std::move(request));

  const wire::Message& reply = query("resubmit_request", {{"msg_ids", {old_id}}});
  EXPECT_EQ(reply.msg_type(), "resubmit_reply");
  ASSERT_EQ(reply.content["status"], "ok");
  const std::string new_id = reply.content["resubmitted"][old_id];
  EXPECT_NE(new_id, old_id);

  ASSERT_EQ(output_.resubmitted.size(), 1u);
  const wire::Message& sent = output_.resubmitted[0];
  EXPECT_EQ(sent.msg_id(), new_id);
  EXPECT_EQ(sent.msg_type(), "apply_request");
  EXPECT_EQ(sent.header["session"], old_header["session"]);
  EXPECT_NE(sent.header["date"], nullptr);
  EXPECT_EQ(sent.parent_header, sent.header);
  EXPECT_EQ(sent.metadata, json::object());
  EXPECT_TRUE(sent.identities.empty());
  ASSERT_EQ(sent.buffers.size(), 1u);
  EXPECT_EQ(text(sent.buffers[0]), "task-args");
}

TEST_F(HubQueryTest, ResubmitRecordsNewTaskAndMarksOriginal) {
  wire::Message request = task_request();
  const std::string old_id = request.msg_id();
  hub_->handle_monitor("intask", std::move(request));
  const std::string new_id = query("resubmit_request", {{"msg_ids", {old_id}}}).content["resubmitted"][old_id];
  EXPECT_EQ(hub_->pending().count(new_id), 1u);
  const auto fresh = record(new_id);
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(fresh->queue);
  EXPECT_FALSE(fresh->client_uuid);
  EXPECT_EQ(fresh->metadata, json::object());
  EXPECT_EQ(fresh->buffers.size(), 1u);
  EXPECT_EQ(record(old_id)->resubmitted, new_id);
}

TEST_F(HubQueryTest, ResubmitOfUnknownIdIsKeyError) {
  const std::string a = run_mux("u0");
  const wire::Message& reply = query("resubmit_request", {{"msg_ids", {a, "nope"}}});
  EXPECT_EQ(reply.content["ename"], "KeyError");
  EXPECT_EQ(reply.content["evalue"], "\"No such msg(s): ['nope']\"");
  EXPECT_TRUE(output_.resubmitted.empty());
}

TEST_F(HubQueryTest, ResubmitWithDuplicateIdsResubmitsOnce) {
  const std::string a = run_mux("u0");
  EXPECT_EQ(query("resubmit_request", {{"msg_ids", {a, a}}}).content["status"], "ok");
  EXPECT_EQ(output_.resubmitted.size(), 1u);
}

TEST_F(HubQueryTest, ShutdownRepliesNotifiesThenAsksToStop) {
  output_.notifications.clear();
  const wire::Message& reply = query("shutdown_request");
  EXPECT_EQ(reply.msg_type(), "shutdown_reply");
  EXPECT_EQ(reply.content, json({{"status", "ok"}}));
  ASSERT_EQ(output_.notifications.size(), 1u);
  EXPECT_EQ(output_.notifications[0].msg_type(), "shutdown_notification");
  EXPECT_EQ(output_.notifications[0].content, json({{"status", "ok"}}));
  EXPECT_EQ(output_.notifications[0].parent_header, last_request_header_);
  EXPECT_EQ(output_.shutdown_requests, 1);
}

TEST_F(HubQueryTest, DaskRequestsGetErrorContent) {
  const wire::Message& become = query("become_dask_request", {{"scheduler_args", json::object()}});
  EXPECT_EQ(become.msg_type(), "become_dask_reply");
  EXPECT_EQ(become.content["status"], "error");
  EXPECT_EQ(become.content["engine_info"], json::object());
  const wire::Message& stop = query("stop_distributed_request");
  EXPECT_EQ(stop.msg_type(), "stop_distributed_reply");
  EXPECT_EQ(stop.content["status"], "error");
}

class HubNoDbTest : public HubFixture {
 protected:
  HubNoDbTest() { make_hub(); }
  TaskStore& store() override { return no_db_; }
  NoTaskStore no_db_;
};

TEST_F(HubNoDbTest, HistoryIsNoDataError) {
  const wire::Message& reply = query("history_request");
  EXPECT_EQ(reply.msg_type(), "history_reply");
  EXPECT_EQ(reply.content["ename"], "NoData");
  EXPECT_EQ(reply.content["evalue"], "NoDB backend doesn't store any data. ");
}

TEST_F(HubNoDbTest, ResultRequestIsNoDataButStatusOnlyWorks) {
  register_engine("u0");
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("in", std::move(request));
  EXPECT_EQ(query("result_request", {{"msg_ids", {msg_id}}}).content["ename"], "NoData");
  EXPECT_EQ(query("result_request", {{"msg_ids", {msg_id}}, {"status_only", true}}).content["pending"],
            json::array({msg_id}));
}

TEST_F(HubNoDbTest, DbAndResubmitRequestsAreNoData) {
  EXPECT_EQ(query("db_request", {{"query", json::object()}}).content["ename"], "NoData");
  EXPECT_EQ(query("resubmit_request", {{"msg_ids", {"x"}}}).content["ename"], "NoData");
}

TEST_F(HubNoDbTest, PurgeSucceeds) {
  EXPECT_EQ(query("purge_request", {{"msg_ids", "all"}}).content["status"], "ok");
}

}  // namespace
}  // namespace ipp::hub::testing

// SPDX-License-Identifier: BSD-3-Clause
#include <unistd.h>

#include <gtest/gtest.h>

#include <deque>

#include <fstream>

#include "unit/hub/hub_fixture.hpp"
#include "ipp/util/error.hpp"

namespace ipp::hub::testing {
namespace {

using nlohmann::json;
using Event = FakeHubOutput::EngineEvent;

class HubRegistrationTest : public HubFixture {};

TEST_F(HubRegistrationTest, ReplyHasEmptyParentAndConnectionInfo) {
  const wire::Message& reply = query("registration_request", {{"uuid", "u0"}}, "u0");
  EXPECT_EQ(reply.msg_type(), "registration_reply");
  EXPECT_EQ(reply.identities, std::vector<std::string>{"u0"});
  EXPECT_EQ(reply.parent_header, json::object());
  EXPECT_EQ(reply.content["status"], "ok");
  EXPECT_EQ(reply.content["id"], 0);
  EXPECT_EQ(reply.content["hb_period"], 3000);
  EXPECT_EQ(reply.content["connection_info"], json({{"mux", 1234}}));
}

TEST_F(HubRegistrationTest, EngineIsPendingUntilItsHeartBeats) {
  query("registration_request", {{"uuid", "u0"}}, "u0");
  EXPECT_TRUE(output_.notifications.empty());
  EXPECT_TRUE(output_.registered.empty());
  EXPECT_EQ(query("connection_request").content["engines"], json::object());
}

TEST_F(HubRegistrationTest, FirstHeartbeatCompletesRegistration) {
  query("registration_request", {{"uuid", "u0"}}, "u0");
  hub_->new_heart("u0");
  EXPECT_EQ(output_.registered, std::vector<Event>({{0, "u0"}}));
  ASSERT_EQ(output_.notifications.size(), 1u);
  const wire::Message& note = output_.notifications[0];
  EXPECT_EQ(note.msg_type(), "registration_notification");
  EXPECT_EQ(note.content, json({{"id", 0}, {"uuid", "u0"}}));
  EXPECT_EQ(note.parent_header, json::object());
  EXPECT_TRUE(note.identities.empty());
}

TEST_F(HubRegistrationTest, UnknownHeartIsIgnored) {
  hub_->new_heart("stranger");
  EXPECT_TRUE(output_.notifications.empty());
  EXPECT_TRUE(hub_->registry().engines().empty());
}

TEST_F(HubRegistrationTest, ConnectionReplyListsEnginesByStringId) {
  register_engine("u0");
  register_engine("u1");
  const wire::Message& reply = query("connection_request");
  EXPECT_EQ(reply.msg_type(), "connection_reply");
  EXPECT_EQ(reply.parent_header, last_request_header_);
  EXPECT_EQ(reply.content, json({{"status", "ok"}, {"engines", {{"0", "u0"}, {"1", "u1"}}}}));
}

TEST_F(HubRegistrationTest, RequestedIdIsGranted) { EXPECT_EQ(register_engine("u", 7), 7); }

TEST_F(HubRegistrationTest, RequestedIdInUseGetsNextId) {
  register_engine("a", 0);
  EXPECT_EQ(register_engine("b", 0), 1);
}

TEST_F(HubRegistrationTest, InvalidRequestedIdIsIgnored) {
  EXPECT_EQ(register_engine("a", "three"), 0);
  EXPECT_EQ(register_engine("b", -4), 1);
}

TEST_F(HubRegistrationTest, DuplicateUuidGetsErrorReply) {
  register_engine("u0");
  const wire::Message& reply = query("registration_request", {{"uuid", "u0"}}, "u0");
  EXPECT_EQ(reply.msg_type(), "registration_reply");
  EXPECT_EQ(reply.parent_header, json::object());
  EXPECT_EQ(reply.content["status"], "error");
  EXPECT_EQ(reply.content["ename"], "KeyError");
  EXPECT_EQ(reply.content["evalue"], "\"uuid 'u0' in use\"");
  EXPECT_FALSE(reply.content.contains("id"));
}

TEST_F(HubRegistrationTest, PendingUuidIsInUseToo) {
  query("registration_request", {{"uuid", "u0"}}, "u0");
  EXPECT_EQ(query("registration_request", {{"uuid", "u0"}}, "u0").content["status"], "error");
}

TEST_F(HubRegistrationTest, MissingUuidGetsNoReply) {
  wire::Message request = client_.make_message("registration_request", json::object());
  hub_->handle_query("x", std::move(request));
  EXPECT_TRUE(output_.replies.empty());
}

TEST_F(HubRegistrationTest, NonStringUuidGetsErrorReply) {
  EXPECT_EQ(query("registration_request", {{"uuid", 5}}).content["ename"], "TypeError");
}

TEST_F(HubRegistrationTest, IdsAreNeverReused) {
  register_engine("a");
  hub_->stopped_heart("a");
  EXPECT_EQ(register_engine("b"), 1);
}

TEST_F(HubRegistrationTest, StalledRegistrationIsPurged) {
  query("registration_request", {{"uuid", "u0"}}, "u0");
  EXPECT_EQ(hub_->next_deadline(), clocks_.steady + std::chrono::seconds(30));
  clocks_.advance(std::chrono::seconds(29));
  hub_->tick(clocks_.steady);
  EXPECT_EQ(hub_->registry().pending_count(), 1u);
  clocks_.advance(std::chrono::seconds(1));
  hub_->tick(clocks_.steady);
  EXPECT_EQ(hub_->registry().pending_count(), 0u);
  hub_->new_heart("u0");
  EXPECT_TRUE(output_.notifications.empty());
  EXPECT_FALSE(hub_->next_deadline());
}

TEST_F(HubRegistrationTest, UnregistrationRequestNotifiesWithoutReply) {
  register_engine("u0");
  output_.notifications.clear();
  wire::Message request = client_.make_message("unregistration_request", {{"id", 0}});
  hub_->handle_query("u0", std::move(request));
  EXPECT_TRUE(output_.replies.size() == 1);  // only the registration_reply
  EXPECT_EQ(output_.unregistered, std::vector<Event>({{0, "u0"}}));
  ASSERT_EQ(output_.notifications.size(), 1u);
  EXPECT_EQ(output_.notifications[0].msg_type(), "unregistration_notification");
  EXPECT_EQ(output_.notifications[0].content, json({{"id", 0}, {"uuid", "u0"}}));
  EXPECT_TRUE(hub_->registry().engines().empty());
}

TEST_F(HubRegistrationTest, UnregistrationOfPendingIdCancelsIt) {
  query("registration_request", {{"uuid", "u0"}}, "u0");
  hub_->handle_query("u0", client_.make_message("unregistration_request", {{"id", 0}}));
  hub_->new_heart("u0");
  EXPECT_TRUE(output_.notifications.empty());
  EXPECT_EQ(hub_->registry().pending_count(), 0u);
}

TEST_F(HubRegistrationTest, UnregistrationOfUnknownIdIsIgnored) {
  hub_->handle_query("x", client_.make_message("unregistration_request", {{"id", nullptr}}));
  hub_->handle_query("x", client_.make_message("unregistration_request", {{"id", 9}}));
  EXPECT_TRUE(output_.replies.empty());
  EXPECT_TRUE(output_.notifications.empty());
}

TEST_F(HubRegistrationTest, StoppedHeartUnregisters) {
  register_engine("u0");
  hub_->stopped_heart("u0");
  EXPECT_EQ(output_.unregistered, std::vector<Event>({{0, "u0"}}));
  EXPECT_EQ(output_.notifications.back().msg_type(), "unregistration_notification");
}

TEST_F(HubRegistrationTest, StoppedHeartOfUnknownEngineIsIgnored) {
  hub_->stopped_heart("nobody");
  EXPECT_TRUE(output_.unregistered.empty());
}

TEST_F(HubRegistrationTest, IopubShutdownReplyUnregistersBySession) {
  register_engine("u0");
  hub_->handle_monitor("iopub", iopub("u0", "shutdown_reply", {{"status", "ok"}}, json::object()));
  EXPECT_EQ(output_.unregistered, std::vector<Event>({{0, "u0"}}));
}

TEST_F(HubRegistrationTest, StrandedMuxRequestsFailAfterTimeout) {
  register_engine("u0");
  wire::Message request = mux_request("u0");
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("in", std::move(request));
  hub_->stopped_heart("u0");
  EXPECT_EQ(hub_->pending().count(msg_id), 1u);

  clocks_.advance(std::chrono::seconds(29));
  hub_->tick(clocks_.steady);
  EXPECT_EQ(hub_->pending().count(msg_id), 1u);

  clocks_.advance(std::chrono::seconds(1));
  hub_->tick(clocks_.steady);
  EXPECT_EQ(hub_->pending().count(msg_id), 0u);
  EXPECT_EQ(hub_->completions().contains(msg_id), true);
  EXPECT_TRUE(hub_->queues(0)->queue.empty());
  const auto rec = record(msg_id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->result_content.get()["ename"], "EngineError");
  EXPECT_EQ(rec->result_content.get()["evalue"], "Engine 0 died while running task '" + msg_id + "'");
  EXPECT_EQ(rec->result_content.get()["engine_info"], json::object());
  EXPECT_EQ(rec->result_header.get()["engine"], "u0");
  EXPECT_EQ(rec->result_header.get()["date"], util::format_iso8601(clocks_.wall));
  EXPECT_EQ(rec->completed, clocks_.wall);
  EXPECT_EQ(rec->engine_uuid, "u0");
}

TEST_F(HubRegistrationTest, StrandedFailureSparesNewEngineWithSameId) {
  register_engine("u0", 0);
  wire::Message old_request = mux_request("u0");
  const std::string old_id = old_request.msg_id();
  hub_->handle_monitor("in", std::move(old_request));
  hub_->stopped_heart("u0");
  register_engine("v0", 0);  // requested ids may come back
  wire::Message request = mux_request("v0");
  const std::string msg_id = request.msg_id();
  hub_->handle_monitor("in", std::move(request));
  clocks_.advance(std::chrono::seconds(30));
  hub_->tick(clocks_.steady);
  EXPECT_EQ(hub_->pending().count(old_id), 0u);
  EXPECT_EQ(hub_->pending().count(msg_id), 1u);
  EXPECT_EQ(hub_->queues(0)->queue, std::deque<std::string>{msg_id});
}

class HubStateFileTest : public HubFixture {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ipp-hub-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = dir_ / "engines.json";
    make_hub(path_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  json read() {
    std::ifstream in(path_);
    return json::parse(in);
  }
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

TEST_F(HubStateFileTest, WrittenOnRegistrationAndUnregistration) {
  register_engine("u0");
  register_engine("u1");
  EXPECT_EQ(read(), json::parse(R"({"engines": {"0": "u0", "1": "u1"}, "next_id": 2})"));
  hub_->stopped_heart("u0");
  EXPECT_EQ(read(), json::parse(R"({"engines": {"1": "u1"}, "next_id": 2})"));
}

TEST_F(HubStateFileTest, RestoreRegistersEnginesSilently) {
  std::ofstream(path_) << R"({"engines": {"0": "u0", "3": "u3"}, "next_id": 5})";
  EXPECT_EQ(hub_->restore(path_), 2u);
  EXPECT_EQ(output_.registered, std::vector<Event>({{0, "u0"}, {3, "u3"}}));
  EXPECT_TRUE(output_.notifications.empty());
  EXPECT_EQ(query("connection_request").content["engines"], json({{"0", "u0"}, {"3", "u3"}}));
  EXPECT_EQ(register_engine("new"), 5);
}

TEST_F(HubStateFileTest, RestoreWithoutFileIsNoOp) {
  EXPECT_EQ(hub_->restore(dir_ / "missing.json"), 0u);
  EXPECT_TRUE(output_.registered.empty());
}

TEST_F(HubStateFileTest, RestoreOfMalformedFileThrows) {
  std::ofstream(path_) << "not json";
  EXPECT_THROW(hub_->restore(path_), Error);
}

}  // namespace
}  // namespace ipp::hub::testing

// SPDX-License-Identifier: BSD-3-Clause
// A Hub wired to a DictDB store, a recording output and fake clocks, with
// builders for the messages clients, engines and schedulers send.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "unit/hub/hub_test_util.hpp"
#include "ipp/hub/hub.hpp"
#include "ipp/hub/memory_task_store.hpp"

namespace ipp::hub::testing {

inline const std::string kClient = std::string("\x00\x6b\x8b\x45\x67", 5);  // a libzmq routing id

class HubFixture : public ::testing::Test {
 protected:
  HubFixture() { make_hub(); }

  virtual TaskStore& store() { return store_; }

  void make_hub(std::filesystem::path state_file = {}) {
    HubOptions options;
    options.hb_period_ms = 3000;
    options.registration_timeout = std::chrono::seconds(30);
    options.engine_connection_info = {{"mux", 1234}};
    options.engine_state_file = std::move(state_file);
    options.clock = [this] { return clocks_.steady; };
    options.wall_clock = [this] { return clocks_.wall; };
    options.completed_memory = completed_memory_;
    hub_ = std::make_unique<Hub>(hub_session_, store(), output_, std::move(options));
  }

  // Sends a query and returns the reply (the last one sent).
  wire::Message& query(std::string_view msg_type, nlohmann::json content = nlohmann::json::object(),
                       const std::string& identity = kClient) {
    wire::Message request = client_.make_message(msg_type, std::move(content));
    last_request_header_ = request.header;
    request.identities = {identity};
    const auto before = output_.replies.size();
    hub_->handle_query(identity, std::move(request));
    EXPECT_EQ(output_.replies.size(), before + 1) << "no reply to " << msg_type;
    return output_.replies.back();
  }

  // Full registration (request + first heartbeat); returns the id.
  int register_engine(const std::string& uuid, nlohmann::json requested_id = nullptr) {
    nlohmann::json content = {{"uuid", uuid}};
    if (!requested_id.is_null()) content["id"] = requested_id;
    const wire::Message& reply = query("registration_request", content, uuid);
    hub_->new_heart(uuid);
    return reply.content.at("id").get<int>();
  }

  // A direct request as the MUX relay reports it on "in".
  wire::Message mux_request(const std::string& engine_uuid, nlohmann::json metadata = nlohmann::json::object()) {
    wire::Message msg = client_.make_message("apply_request", nlohmann::json::object(), nlohmann::json::object(),
                                             std::move(metadata));
    msg.buffers.push_back(frame("f"));
    msg.buffers.push_back(frame("args"));
    msg.identities = {engine_uuid, kClient};
    return msg;
  }

  // A load-balanced request as the task scheduler reports it on "intask".
  wire::Message task_request() {
    wire::Message msg = client_.make_message("apply_request", nlohmann::json::object(), nlohmann::json::object(),
                                             {{"after", nlohmann::json::array()}, {"retries", 0}});
    msg.buffers.push_back(frame("task-args"));
    msg.identities = {kClient};
    return msg;
  }

  // The engine's reply to `request` (monitor topic "out": C, E).
  wire::Message engine_reply(const std::string& engine_uuid, const wire::Message& request,
                             std::string status = "ok", std::string result = "result") {
    wire::Message msg = client_.make_message(
        "apply_reply", {{"status", status}}, request.header,
        {{"engine", engine_uuid}, {"started", "2026-11-21T08:00:01.5Z"}, {"status", status}});
    msg.header["session"] = engine_uuid;
    msg.header["date"] = "2026-11-21T08:00:02Z";
    msg.buffers.push_back(frame(result));
    msg.identities = {kClient, engine_uuid};
    return msg;
  }

  wire::Message task_destination(const std::string& msg_id, const std::string& engine_uuid) {
    wire::Message msg = client_.make_message("task_destination", {{"msg_id", msg_id}, {"engine_id", engine_uuid}});
    msg.identities = {"scheduler-session"};
    return msg;
  }

  // An IOPub message from the engine with `parent` as parent header.
  wire::Message iopub(const std::string& engine_uuid, std::string_view msg_type, nlohmann::json content,
                      nlohmann::json parent) {
    wire::Message msg = client_.make_message(msg_type, std::move(content), std::move(parent));
    msg.header["session"] = engine_uuid;
    msg.identities = {"engine.0." + std::string(msg_type)};
    return msg;
  }

  std::optional<TaskRecord> record(const std::string& msg_id) { return store().get_record(msg_id); }

  FakeClocks clocks_;
  std::size_t completed_memory_ = 65536;
  static wire::SessionOptions keyed() {
    wire::SessionOptions options;
    options.key = "hub-key";
    return options;
  }

  wire::Session hub_session_{keyed()};
  wire::Session client_{keyed()};
  MemoryTaskStore store_;
  FakeHubOutput output_;
  std::unique_ptr<Hub> hub_;
  nlohmann::json last_request_header_;
};

}  // namespace ipp::hub::testing

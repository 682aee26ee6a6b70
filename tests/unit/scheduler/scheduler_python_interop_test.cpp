// SPDX-License-Identifier: BSD-3-Clause
//
// What the schedulers generate, read by the real jupyter_client Session and
// ipyparallel error helpers (Debian's python3-ipyparallel), as a client or
// an engine would: signatures verify (and are all distinct: one Session
// reads everything, so a replayed signature would be rejected), error
// contents unwrap, coalesced broadcast_targets unpack as the client does.
#include <gtest/gtest.h>

#include <filesystem>

#include "ipp/scheduler/broadcast_scheduler.hpp"
#include "ipp/scheduler/task_scheduler.hpp"
#include "unit/scheduler/scheduler_test_util.hpp"
#include "unit/wire/python_runner.hpp"

namespace ipp::scheduler {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::engine_reply;
using testing::FakeClient;
using testing::to_raw;
using testing::view;

constexpr std::string_view kA = "aaaaaaaa-aaaaaaaaaaaaaaaaaaaaaaaa";
constexpr std::string_view kB = "bbbbbbbb-bbbbbbbbbbbbbbbbbbbbbbbb";

constexpr const char* kReadAll = R"PY(
import json, sys
import ipyparallel  # switches off jupyter_client's date parsing, as clients do
from ipyparallel import error
from jupyter_client.session import Session

key, path = sys.argv[1], sys.argv[2]
session = Session(key=key.encode())
out = []
for frames_hex in json.load(open(path))["messages"]:
    frames = [bytes.fromhex(h) for h in frames_hex]
    idents, rest = session.feed_identities(frames, copy=True)
    msg = session.deserialize(rest, content=True, copy=True)
    r = {"idents": [i.decode("utf8", "replace") for i in idents],
         "msg_type": msg["header"]["msg_type"],
         "msg_id": msg["header"]["msg_id"],
         "parent_msg_id": msg["parent_header"].get("msg_id"),
         "metadata": msg["metadata"],
         "content": msg["content"],
         "nbuffers": len(msg["buffers"])}
    if msg["content"].get("status") == "error":
        r["remote"] = str(error.unwrap_exception(msg["content"]))
    md = msg["metadata"]
    if md.get("is_broadcast") and md.get("is_coalescing") and "broadcast_targets" in md:
        # Client._extract_metadata
        uuids, ids = map(list, zip(*md["broadcast_targets"]))
        r["uuids"], r["ids"] = uuids, ids
    out.append(r)
print(json.dumps(out, default=str))
)PY";

class TaskOut : public TaskSchedulerOutput {
 public:
  void send_to_engine(wire::Frames&& f) override { engine.push_back(std::move(f)); }
  void send_to_client(wire::Frames&& f) override { client.push_back(std::move(f)); }
  void send_to_monitor(wire::Frames&& f) override { monitor.push_back(std::move(f)); }
  std::vector<wire::Frames> engine, client, monitor;
};

class BroadcastOut : public BroadcastSchedulerOutput {
 public:
  void send_to_engine(std::size_t, wire::Frames&& f) override { engine.push_back(std::move(f)); }
  void send_to_client(wire::Frames&& f) override { client.push_back(std::move(f)); }
  std::vector<wire::Frames> engine, client;
};

class SchedulerPythonInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(IPP_SYSTEM_PYTHON)) GTEST_SKIP() << IPP_SYSTEM_PYTHON << " missing";
    ASSERT_TRUE(dir_.ok());
  }

  // Has Python read `messages` (frames after the topic, if any, stripped
  // by the caller) and returns one result object per message.
  json read_in_python(const std::vector<const wire::Frames*>& messages) {
    json list = json::array();
    for (const wire::Frames* frames : messages) {
      json hex = json::array();
      for (const auto& f : *frames) hex.push_back(test::to_hex(view(f)));
      list.push_back(hex);
    }
    const auto file = dir_.write("messages.json", json{{"messages", list}}.dump());
    const auto result = test::run_python(dir_, kReadAll, {std::string(testing::kKey), file.string()});
    EXPECT_EQ(result.exit_code, 0) << result.out;
    try {
      return json::parse(result.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << "\n" << result.out;
      return json::array();
    }
  }

  test::TempDir dir_;
  wire::Session session_{testing::session_options("interop0-scheduler")};
  // A readable routing id, so Python's decoded idents compare as text.
  FakeClient client_{"client-1"};
  Clock::time_point now_ = Clock::time_point{} + 1h;
};

TEST_F(SchedulerPythonInteropTest, TaskSchedulerMessagesAreValidForPython) {
  TaskOut out;
  TaskScheduler sched(TaskSchedulerOptions{}, session_, out);
  sched.add_engine(kA, now_);
  std::string impossible_id, lost_id;
  sched.on_client_request(
      to_raw(client_.request("apply_request", json{{"targets", {std::string(kB)}}}, {},
                             &impossible_id)),
      now_);
  sched.on_client_request(to_raw(client_.request("apply_request", json::object(), {}, &lost_id)),
                          now_);
  sched.remove_engine(kA, now_);
  sched.tick(now_ + 5s);
  ASSERT_EQ(out.client.size(), 2u);
  // The tracktask monitor message, without its topic frame.
  wire::Frames track;
  for (auto& f : out.monitor) {
    if (view(f[0]) == "tracktask") {
      for (std::size_t i = 1; i < f.size(); ++i) track.emplace_back(f[i].data(), f[i].size());
    }
  }
  ASSERT_FALSE(track.empty());

  const json r = read_in_python({&out.client[0], &out.client[1], &track});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0]["msg_type"], "apply_reply");
  EXPECT_EQ(r[0]["parent_msg_id"], impossible_id);
  EXPECT_EQ(r[0]["metadata"], json::object());
  EXPECT_EQ(r[0]["remote"], "ImpossibleDependency()");
  EXPECT_EQ(r[1]["idents"], (json::array({client_.routing_id(), std::string(kA)})));
  EXPECT_EQ(r[1]["parent_msg_id"], lost_id);
  EXPECT_EQ(r[1]["remote"], "EngineError(Engine b'" + std::string(kA) +
                                "' died while running task '" + lost_id + "')");
  EXPECT_EQ(r[1]["metadata"]["engine"], kA);
  EXPECT_EQ(r[2]["msg_type"], "task_destination");
  EXPECT_EQ(r[2]["content"]["msg_id"], lost_id);
}

TEST_F(SchedulerPythonInteropTest, BroadcastMessagesAreValidForPython) {
  BroadcastOut out;
  BroadcastSchedulerOptions options;
  BroadcastScheduler sched(options, session_, out);
  const json targets = json::array({json::array({kA, 0}), json::array({kB, 1})});
  std::string ok_id, dead_id;
  sched.on_client_request(to_raw(client_.request(
      "apply_request",
      json{{"targets", targets}, {"is_broadcast", true}, {"is_coalescing", true}}, {"f"},
      &ok_id)));
  sched.on_client_request(to_raw(client_.request(
      "apply_request",
      json{{"targets", targets}, {"is_broadcast", true}, {"is_coalescing", true}}, {"f"},
      &dead_id)));
  ASSERT_EQ(out.engine.size(), 4u);
  // The first broadcast: both answer. The second: B answers, A dies.
  sched.on_engine_reply(to_raw(engine_reply(out.engine[0], "ok", json::object(), {"a"})));
  sched.on_engine_reply(to_raw(engine_reply(out.engine[1], "ok", json::object(), {"b"})));
  sched.on_engine_reply(to_raw(engine_reply(out.engine[3], "ok", json::object(), {"b"})));
  sched.remove_engine(kA, now_);
  sched.tick(now_ + 5s);
  ASSERT_EQ(out.client.size(), 2u);

  const json r = read_in_python(
      {&out.engine[0], &out.engine[1], &out.engine[2], &out.engine[3], &out.client[0],
       &out.client[1]});
  ASSERT_EQ(r.size(), 6u);
  // Engines accept every rewritten copy.
  EXPECT_EQ(r[0]["idents"], (json::array({kA, "sub_scheduler_0", client_.routing_id()})));
  EXPECT_EQ(r[0]["msg_id"], ok_id + "_" + std::string(kA));
  EXPECT_EQ(r[3]["msg_id"], dead_id + "_" + std::string(kB));
  EXPECT_EQ(r[3]["metadata"]["original_msg_id"], dead_id);
  // The client can unpack both coalesced replies.
  EXPECT_EQ(r[4]["metadata"]["original_msg_id"], ok_id);
  EXPECT_EQ(r[4]["uuids"], (json::array({kA, kB})));
  EXPECT_EQ(r[4]["ids"], (json::array({0, 1})));
  EXPECT_EQ(r[4]["nbuffers"], 2);
  EXPECT_EQ(r[5]["metadata"]["original_msg_id"], dead_id);
  EXPECT_EQ(r[5]["uuids"], (json::array({kA, kB})));
  EXPECT_EQ(r[5]["content"]["status"], "error");
  EXPECT_EQ(r[5]["remote"], "EngineError(Engine b'" + std::string(kA) +
                                "' died while running task '" + dead_id + "_" +
                                std::string(kA) + "')");
}

}  // namespace
}  // namespace ipp::scheduler

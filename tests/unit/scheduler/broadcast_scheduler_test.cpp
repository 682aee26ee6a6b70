// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/broadcast_scheduler.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "ipp/util/error.hpp"
#include "unit/scheduler/scheduler_test_util.hpp"

namespace ipp::scheduler {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::buffers;
using testing::dict;
using testing::engine_reply;
using testing::FakeClient;
using testing::routing;
using testing::strings;
using testing::to_raw;
using testing::view;

constexpr std::string_view kA = "aaaaaaaa-aaaaaaaaaaaaaaaaaaaaaaaa";
constexpr std::string_view kB = "bbbbbbbb-bbbbbbbbbbbbbbbbbbbbbbbb";
constexpr std::string_view kC = "cccccccc-cccccccccccccccccccccccc";
constexpr std::string_view kD = "dddddddd-dddddddddddddddddddddddd";

json pair(std::string_view uuid, int id) { return json::array({std::string(uuid), id}); }

class RecordingOutput : public BroadcastSchedulerOutput {
 public:
  void send_to_engine(std::size_t leaf, wire::Frames&& frames) override {
    leaves.push_back(leaf);
    engine.push_back(std::move(frames));
  }
  void send_to_client(wire::Frames&& frames) override { client.push_back(std::move(frames)); }

  std::vector<std::size_t> leaves;
  std::vector<wire::Frames> engine;
  std::vector<wire::Frames> client;
};

class BroadcastSchedulerTest : public ::testing::Test {
 protected:
  void make(unsigned depth, bool answer_for_dead = true) {
    BroadcastSchedulerOptions options;
    options.depth = depth;
    options.answer_for_dead_engines = answer_for_dead;
    sched_ = std::make_unique<BroadcastScheduler>(options, session_, out_);
  }

  void SetUp() override { make(1); }

  std::string submit(json targets, bool coalescing, std::vector<std::string> bufs = {"f", "args"}) {
    std::string msg_id;
    json md = {{"targets", std::move(targets)}, {"is_broadcast", true},
               {"is_coalescing", coalescing}};
    wire::Frames frames = client_.request("apply_request", md, std::move(bufs), &msg_id);
    request_ = strings(frames);
    sched_->on_client_request(to_raw(std::move(frames)));
    return msg_id;
  }

  // The engine the i-th copy went to answers it.
  std::vector<std::string> reply(std::size_t i, std::string_view status = "ok",
                                 std::vector<std::string> bufs = {}) {
    wire::Frames frames = engine_reply(out_.engine.at(i), status, json::object(), std::move(bufs));
    std::vector<std::string> sent = strings(frames);
    sched_->on_engine_reply(to_raw(std::move(frames)));
    return sent;
  }

  // Index of the copy sent to `uuid`.
  std::size_t copy_for(std::string_view uuid) const {
    for (std::size_t i = 0; i < out_.engine.size(); ++i) {
      if (view(out_.engine[i][0]) == uuid) return i;
    }
    ADD_FAILURE() << "no copy for " << uuid;
    return 0;
  }

  wire::Session session_{testing::session_options("bcast000-scheduler")};
  RecordingOutput out_;
  FakeClient client_;
  std::unique_ptr<BroadcastScheduler> sched_;
  std::vector<std::string> request_;
  Clock::time_point now_ = Clock::time_point{} + 1h;
};

TEST_F(BroadcastSchedulerTest, NamesTheTreeSockets) {
  EXPECT_EQ(BroadcastScheduler::root_identity(), "sub_scheduler_0");
  EXPECT_EQ(sched_->leaf_count(), 2u);
  EXPECT_EQ(sched_->leaf_identity(0), "sub_scheduler_00");
  EXPECT_EQ(sched_->leaf_identity(1), "sub_scheduler_01");
  make(2);
  ASSERT_EQ(sched_->leaf_count(), 4u);
  EXPECT_EQ(sched_->leaf_identity(0), "sub_scheduler_000");
  EXPECT_EQ(sched_->leaf_identity(1), "sub_scheduler_001");
  EXPECT_EQ(sched_->leaf_identity(2), "sub_scheduler_010");
  EXPECT_EQ(sched_->leaf_identity(3), "sub_scheduler_011");
  EXPECT_EQ(sched_->leaf_of(6), 2u);
  EXPECT_EQ(sched_->leaf_of(-1), 3u);  // Python's modulo
  make(0);
  ASSERT_EQ(sched_->leaf_count(), 1u);
  EXPECT_EQ(sched_->leaf_identity(0), "sub_scheduler_0");
}

TEST_F(BroadcastSchedulerTest, RejectsAbsurdDepth) {
  BroadcastSchedulerOptions options;
  options.depth = 40;
  EXPECT_THROW(BroadcastScheduler(options, session_, out_), Error);
}

TEST_F(BroadcastSchedulerTest, DepthOneSendsOneRewrittenCopyPerEngine) {
  const std::string orig =
      submit(json::array({pair(kA, 0), pair(kB, 1), pair(kC, 2)}), false);
  ASSERT_EQ(out_.engine.size(), 3u);
  // Leaf order, then the client's order within a leaf.
  EXPECT_EQ(out_.leaves, (std::vector<std::size_t>{0, 0, 1}));
  const std::vector<std::string> uuids = {std::string(kA), std::string(kC), std::string(kB)};
  const json client_header = json::parse(request_[3]);
  for (std::size_t i = 0; i < 3; ++i) {
    const wire::Frames& f = out_.engine[i];
    EXPECT_EQ(routing(f), (std::vector<std::string>{uuids[i], "sub_scheduler_0",
                                                    client_.routing_id()}));
    EXPECT_TRUE(testing::signature_valid(f, session_.signer()));
    json header = dict(f, wire::Dict::Header);
    EXPECT_EQ(header["msg_id"], orig + "_" + uuids[i]);
    header["msg_id"] = orig;
    EXPECT_EQ(header, client_header);  // session, username, date kept
    const json md = dict(f, wire::Dict::Metadata);
    EXPECT_EQ(md["original_msg_id"], orig);
    EXPECT_EQ(md["is_broadcast"], true);
    EXPECT_EQ(md["is_coalescing"], false);
    EXPECT_EQ(md["targets"], i < 2 ? json::array({pair(kA, 0), pair(kC, 2)})
                                   : json::array({pair(kB, 1)}));
    const std::vector<std::string> frames = strings(f);
    const std::size_t d = testing::delimiter_index(f);
    EXPECT_EQ(frames[d + 3], request_[4]);  // parent unchanged
    EXPECT_EQ(frames[d + 5], request_[6]);  // content unchanged
    EXPECT_EQ(buffers(f), (std::vector<std::string>{"f", "args"}));
  }
  EXPECT_EQ(sched_->pending_count(), 1u);
}

TEST_F(BroadcastSchedulerTest, DepthTwoAddsEveryInnerNodeFrame) {
  make(2);
  submit(json::array({pair(kA, 0), pair(kB, 1), pair(kC, 2), pair(kD, 7)}), false);
  ASSERT_EQ(out_.engine.size(), 4u);
  EXPECT_EQ(out_.leaves, (std::vector<std::size_t>{0, 1, 2, 3}));
  const std::string c = client_.routing_id();
  // The engine on leaf 001 receives sub_scheduler_001 (its leaf ROUTER),
  // sub_scheduler_00, sub_scheduler_0, C.
  EXPECT_EQ(routing(out_.engine[0]),
            (std::vector<std::string>{std::string(kA), "sub_scheduler_00", "sub_scheduler_0", c}));
  EXPECT_EQ(routing(out_.engine[1]),
            (std::vector<std::string>{std::string(kB), "sub_scheduler_00", "sub_scheduler_0", c}));
  EXPECT_EQ(routing(out_.engine[2]),
            (std::vector<std::string>{std::string(kC), "sub_scheduler_01", "sub_scheduler_0", c}));
  EXPECT_EQ(routing(out_.engine[3]),
            (std::vector<std::string>{std::string(kD), "sub_scheduler_01", "sub_scheduler_0", c}));
  EXPECT_EQ(dict(out_.engine[3], wire::Dict::Metadata)["targets"], json::array({pair(kD, 7)}));
}

TEST_F(BroadcastSchedulerTest, DepthZeroRootIsTheLeaf) {
  make(0);
  const std::string orig = submit(json::array({pair(kA, 0), pair(kB, 1)}), false);
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(out_.leaves, (std::vector<std::size_t>{0, 0}));
  EXPECT_EQ(routing(out_.engine[0]),
            (std::vector<std::string>{std::string(kA), client_.routing_id()}));
  EXPECT_EQ(dict(out_.engine[1], wire::Dict::Header)["msg_id"], orig + "_" + std::string(kB));
  EXPECT_EQ(dict(out_.engine[1], wire::Dict::Metadata)["targets"],
            json::array({pair(kA, 0), pair(kB, 1)}));
}

TEST_F(BroadcastSchedulerTest, NonCoalescingRepliesGoUpUnchanged) {
  const std::string orig = submit(json::array({pair(kA, 0), pair(kB, 1)}), false);
  const std::vector<std::string> sent = reply(copy_for(kB), "ok", {"result"});
  ASSERT_EQ(out_.client.size(), 1u);
  // [B, sub_scheduler_0, C, |, reply] -> [C, |, reply], bytes unchanged.
  EXPECT_EQ(strings(out_.client[0]), std::vector<std::string>(sent.begin() + 2, sent.end()));
  EXPECT_EQ(dict(out_.client[0], wire::Dict::ParentHeader)["msg_id"], orig + "_" + std::string(kB));
  EXPECT_EQ(sched_->pending_count(), 1u);
  reply(copy_for(kA), "error");
  ASSERT_EQ(out_.client.size(), 2u);
  EXPECT_EQ(routing(out_.client[1]), std::vector<std::string>{client_.routing_id()});
  EXPECT_EQ(sched_->pending_count(), 0u);
}

TEST_F(BroadcastSchedulerTest, CoalescingWaitsForAllAndMergesInTreeOrder) {
  const std::string orig =
      submit(json::array({pair(kA, 0), pair(kB, 1), pair(kC, 2)}), true);
  reply(copy_for(kB), "ok", {"b1"});
  reply(copy_for(kC), "ok", {"c1", "c2"});
  EXPECT_EQ(out_.client.size(), 0u);
  const std::vector<std::string> last = reply(copy_for(kA), "ok", {"a1"});
  ASSERT_EQ(out_.client.size(), 1u);
  const wire::Frames& f = out_.client[0];
  EXPECT_EQ(routing(f), std::vector<std::string>{client_.routing_id()});
  EXPECT_TRUE(testing::signature_valid(f, session_.signer()));
  const std::vector<std::string> frames = strings(f);
  // Header, parent and content of the last reply, unchanged.
  const std::size_t d = testing::delimiter_index(f);
  const std::size_t ld = 3;  // [A, sub_scheduler_0, C, |, ...]
  EXPECT_EQ(frames[d + 2], last[ld + 2]);
  EXPECT_EQ(frames[d + 3], last[ld + 3]);
  EXPECT_EQ(frames[d + 5], last[ld + 5]);
  json md = json::parse(last[ld + 4]);
  md["broadcast_targets"] = json::array({pair(kA, 0), pair(kC, 2), pair(kB, 1)});
  EXPECT_EQ(dict(f, wire::Dict::Metadata), md);
  EXPECT_EQ(md["original_msg_id"], orig);
  EXPECT_EQ(buffers(f), (std::vector<std::string>{"a1", "c1", "c2", "b1"}));
  EXPECT_EQ(sched_->pending_count(), 0u);
}

TEST_F(BroadcastSchedulerTest, CoalescingAtDepthZeroReportsPairs) {
  make(0);
  submit(json::array({pair(kB, 1), pair(kA, 0)}), true);
  reply(0, "ok", {"b"});
  reply(1, "ok", {"a"});
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Metadata)["broadcast_targets"],
            json::array({pair(kB, 1), pair(kA, 0)}));
  EXPECT_EQ(buffers(out_.client[0]), (std::vector<std::string>{"b", "a"}));
}

TEST_F(BroadcastSchedulerTest, SendsOneCopyPerDistinctEngine) {
  submit(json::array({pair(kA, 0), pair(kA, 0)}), true);
  ASSERT_EQ(out_.engine.size(), 1u);
  reply(0, "ok", {"a"});
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Metadata)["broadcast_targets"],
            json::array({pair(kA, 0)}));
}

TEST_F(BroadcastSchedulerTest, DropsMalformedRequests) {
  for (const json& md : {json{{"is_coalescing", false}}, json{{"targets", "x"}},
                         json{{"targets", json::array({"just-a-uuid"})}},
                         json{{"targets", json::array({json::array({kA, "zero"})})}},
                         json{{"targets", json::array()}}}) {
    sched_->on_client_request(to_raw(client_.request("apply_request", md)));
  }
  EXPECT_EQ(out_.engine.size(), 0u);
  EXPECT_EQ(out_.client.size(), 0u);
  EXPECT_EQ(sched_->pending_count(), 0u);
}

TEST_F(BroadcastSchedulerTest, DeadEngineNonCoalescingGetsAnEngineError) {
  const std::string orig = submit(json::array({pair(kA, 0), pair(kB, 1)}), false);
  reply(copy_for(kB));
  sched_->remove_engine(kA, now_);
  ASSERT_TRUE(sched_->next_deadline());
  EXPECT_EQ(*sched_->next_deadline(), now_ + 5s);
  sched_->tick(now_ + 4999ms);
  EXPECT_EQ(out_.client.size(), 1u);
  sched_->tick(now_ + 5s);
  ASSERT_EQ(out_.client.size(), 2u);
  const wire::Frames& f = out_.client[1];
  EXPECT_EQ(routing(f), std::vector<std::string>{client_.routing_id()});
  EXPECT_TRUE(testing::signature_valid(f, session_.signer()));
  const std::string engine_msg_id = orig + "_" + std::string(kA);
  EXPECT_EQ(dict(f, wire::Dict::Header)["msg_type"], "apply_reply");
  json parent = dict(f, wire::Dict::ParentHeader);
  EXPECT_EQ(parent["msg_id"], engine_msg_id);
  parent["msg_id"] = orig;
  EXPECT_EQ(parent, json::parse(request_[3]));
  const json md = dict(f, wire::Dict::Metadata);
  EXPECT_EQ(md["status"], "error");
  EXPECT_EQ(md["engine"], kA);
  EXPECT_EQ(md["is_broadcast"], true);
  EXPECT_EQ(md["is_coalescing"], false);
  EXPECT_EQ(md["original_msg_id"], orig);
  const json content = dict(f, wire::Dict::Content);
  EXPECT_EQ(content["ename"], "EngineError");
  EXPECT_EQ(content["evalue"], "Engine b'" + std::string(kA) + "' died while running task '" +
                                   engine_msg_id + "'");
  EXPECT_EQ(content["engine_info"], json::object());
  EXPECT_EQ(sched_->pending_count(), 0u);
  EXPECT_EQ(sched_->outstanding_count(kA), 0u);
}

TEST_F(BroadcastSchedulerTest, DeadEngineCompletesACoalescedReplyWithAnError) {
  const std::string orig =
      submit(json::array({pair(kA, 0), pair(kB, 1), pair(kC, 2)}), true);
  reply(copy_for(kB), "ok", {"b1"});
  sched_->remove_engine(kA, now_);
  sched_->tick(now_ + 5s);
  EXPECT_EQ(out_.client.size(), 0u);  // C still outstanding
  reply(copy_for(kC), "ok", {"c1"});
  ASSERT_EQ(out_.client.size(), 1u);
  const wire::Frames& f = out_.client[0];
  EXPECT_TRUE(testing::signature_valid(f, session_.signer()));
  const json md = dict(f, wire::Dict::Metadata);
  EXPECT_EQ(md["status"], "error");
  EXPECT_EQ(md["is_coalescing"], true);
  EXPECT_EQ(md["original_msg_id"], orig);
  EXPECT_EQ(md["broadcast_targets"], json::array({pair(kA, 0), pair(kC, 2), pair(kB, 1)}));
  const json content = dict(f, wire::Dict::Content);
  EXPECT_EQ(content["status"], "error");
  EXPECT_EQ(content["ename"], "EngineError");
  EXPECT_EQ(buffers(f), (std::vector<std::string>{"c1", "b1"}));
  EXPECT_EQ(sched_->pending_count(), 0u);
}

TEST_F(BroadcastSchedulerTest, RealReplyBeforeTheDeadlineWins) {
  submit(json::array({pair(kA, 0)}), false);
  sched_->remove_engine(kA, now_);
  reply(0);
  sched_->tick(now_ + 10s);
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Content)["status"], "ok");
}

TEST_F(BroadcastSchedulerTest, ReRegisteredEngineIsNotAnsweredFor) {
  submit(json::array({pair(kA, 0)}), false);
  sched_->remove_engine(kA, now_);
  sched_->add_engine(kA);
  sched_->tick(now_ + 10s);
  EXPECT_EQ(out_.client.size(), 0u);
  EXPECT_EQ(sched_->outstanding_count(kA), 1u);
}

TEST_F(BroadcastSchedulerTest, TargetsAlreadyDeadAreAnsweredAtOnce) {
  sched_->remove_engine(kA, now_);
  const std::string orig = submit(json::array({pair(kA, 0), pair(kB, 1)}), false);
  ASSERT_EQ(out_.engine.size(), 1u);
  EXPECT_EQ(view(out_.engine[0][0]), kB);
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(dict(out_.client[0], wire::Dict::ParentHeader)["msg_id"], orig + "_" + std::string(kA));
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Content)["ename"], "EngineError");
  // All targets dead: the broadcast is complete at once.
  submit(json::array({pair(kA, 0)}), true);
  ASSERT_EQ(out_.client.size(), 2u);
  EXPECT_EQ(dict(out_.client[1], wire::Dict::Metadata)["broadcast_targets"],
            json::array({pair(kA, 0)}));
  EXPECT_EQ(sched_->pending_count(), 1u);  // the first, still waiting for B
}

TEST_F(BroadcastSchedulerTest, PythonBehaviourWhenNotAnsweringForDeadEngines) {
  make(1, /*answer_for_dead=*/false);
  submit(json::array({pair(kA, 0), pair(kB, 1)}), false);
  submit(json::array({pair(kA, 0), pair(kB, 1)}), true);
  sched_->remove_engine(kA, now_);
  sched_->tick(now_ + 1h);
  EXPECT_EQ(out_.client.size(), 0u);  // never answered, as Python
  EXPECT_EQ(sched_->outstanding_count(kA), 0u);
  EXPECT_EQ(sched_->outstanding_count(kB), 1u);  // the non-coalescing one
  EXPECT_EQ(sched_->pending_count(), 1u);
  submit(json::array({pair(kA, 0)}), false);
  EXPECT_EQ(out_.engine.size(), 5u);  // sent anyway, as Python
  // B's answers: the non-coalescing one goes up, the coalescing one is lost.
  reply(1);
  reply(3);
  EXPECT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(sched_->pending_count(), 1u);  // the last request, on dead A
}

TEST_F(BroadcastSchedulerTest, UnknownNonCoalescingRepliesPassThrough) {
  submit(json::array({pair(kA, 0)}), false);
  wire::Frames copy = testing::copy_frames(out_.engine[0]);
  reply(0);
  // The same engine answers again (no longer outstanding): Python passes
  // non-coalescing replies up statelessly.
  sched_->on_engine_reply(to_raw(engine_reply(copy, "ok")));
  EXPECT_EQ(out_.client.size(), 2u);
  // A coalescing one with no broadcast is dropped.
  submit(json::array({pair(kB, 1)}), true);
  wire::Frames coalescing = testing::copy_frames(out_.engine[1]);
  reply(1);
  sched_->on_engine_reply(to_raw(engine_reply(coalescing, "ok")));
  EXPECT_EQ(out_.client.size(), 3u);
}

TEST_F(BroadcastSchedulerTest, DropsRepliesWithTooFewRoutingFrames) {
  make(2);
  submit(json::array({pair(kA, 0)}), false);
  wire::Frames frames = engine_reply(out_.engine[0]);
  frames.erase(frames.begin() + 1, frames.begin() + 3);  // [A, C, |, ...]
  sched_->on_engine_reply(to_raw(std::move(frames)));
  EXPECT_EQ(out_.client.size(), 0u);
  EXPECT_EQ(sched_->pending_count(), 1u);
}

}  // namespace
}  // namespace ipp::scheduler

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/task_scheduler.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "ipp/util/iso8601.hpp"
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

class RecordingOutput : public TaskSchedulerOutput {
 public:
  void send_to_engine(wire::Frames&& frames) override { engine.push_back(std::move(frames)); }
  void send_to_client(wire::Frames&& frames) override { client.push_back(std::move(frames)); }
  void send_to_monitor(wire::Frames&& frames) override { monitor.push_back(std::move(frames)); }

  // Monitor messages with this topic.
  std::vector<const wire::Frames*> topic(std::string_view name) const {
    std::vector<const wire::Frames*> out;
    for (const auto& f : monitor) {
      if (view(f[0]) == name) out.push_back(&f);
    }
    return out;
  }

  std::vector<wire::Frames> engine;
  std::vector<wire::Frames> client;
  std::vector<wire::Frames> monitor;
};

class TaskSchedulerTest : public ::testing::Test {
 protected:
  void make(TaskSchedulerOptions options = {}) {
    if (!options.seed) options.seed = 42;
    sched_ = std::make_unique<TaskScheduler>(options, session_, out_);
  }

  void SetUp() override { make(); }

  // Submits a load-balanced apply_request; returns its msg_id.
  std::string submit(json metadata = json::object(), std::vector<std::string> bufs = {}) {
    std::string msg_id;
    wire::Frames frames = client_.request("apply_request", std::move(metadata), std::move(bufs),
                                          &msg_id);
    last_request_ = strings(frames);
    sched_->on_client_request(to_raw(std::move(frames)), now_);
    return msg_id;
  }

  // The engine answers the request it was sent as out_.engine[i].
  void reply(std::size_t i, std::string_view status = "ok", json extra = json::object(),
             bool include_status = true) {
    sched_->on_engine_reply(
        to_raw(engine_reply(out_.engine.at(i), status, std::move(extra), {}, include_status)),
        now_);
  }

  static std::string engine_of(const wire::Frames& sent) { return std::string(view(sent[0])); }
  static std::string msg_id_of(const wire::Frames& frames) {
    return dict(frames, wire::Dict::Header)["msg_id"];
  }
  static std::string parent_id_of(const wire::Frames& frames) {
    return dict(frames, wire::Dict::ParentHeader).value("msg_id", "");
  }

  // Checks out_.client[i] is a scheduler-generated error for `msg_id`.
  void expect_generated_error(std::size_t i, const std::string& msg_id, std::string_view ename) {
    const wire::Frames& f = out_.client.at(i);
    EXPECT_EQ(routing(f), std::vector<std::string>{client_.routing_id()});
    EXPECT_TRUE(testing::signature_valid(f, session_.signer()));
    const json header = dict(f, wire::Dict::Header);
    EXPECT_EQ(header["msg_type"], "apply_reply");
    EXPECT_EQ(header["session"], session_.session_id());
    EXPECT_EQ(dict(f, wire::Dict::ParentHeader)["msg_id"], msg_id);
    EXPECT_EQ(dict(f, wire::Dict::Metadata), json::object());
    const json content = dict(f, wire::Dict::Content);
    EXPECT_EQ(content["status"], "error");
    EXPECT_EQ(content["ename"], ename);
    EXPECT_EQ(content["engine_info"], json::object());
    ASSERT_TRUE(content["traceback"].is_array());
    ASSERT_EQ(content["traceback"].size(), 3u);
    EXPECT_EQ(content["traceback"][0], "Traceback (most recent call last):\n");
    const std::string last = content["traceback"][2];
    EXPECT_EQ(last.rfind("ipyparallel.error." + std::string(ename), 0), 0u) << last;
    EXPECT_EQ(last.back(), '\n');
  }

  wire::Session session_{testing::session_options("sched0000-scheduler")};
  RecordingOutput out_;
  FakeClient client_;
  std::unique_ptr<TaskScheduler> sched_;
  Clock::time_point now_ = Clock::time_point{} + 1h;
  std::vector<std::string> last_request_;
};

TEST_F(TaskSchedulerTest, ForwardsOriginalFramesToEngineAndTellsTheHub) {
  sched_->add_engine(kA, now_);
  const std::string id = submit(json{{"targets", json::array()}, {"retries", 0}}, {"buf0", "b1"});
  ASSERT_EQ(out_.engine.size(), 1u);
  std::vector<std::string> expected = {std::string(kA)};
  expected.insert(expected.end(), last_request_.begin(), last_request_.end());
  EXPECT_EQ(strings(out_.engine[0]), expected);  // same bytes, same signature

  const auto intask = out_.topic("intask");
  ASSERT_EQ(intask.size(), 1u);
  std::vector<std::string> mon = {"intask"};
  mon.insert(mon.end(), last_request_.begin(), last_request_.end());
  EXPECT_EQ(strings(*intask[0]), mon);

  const auto track = out_.topic("tracktask");
  ASSERT_EQ(track.size(), 1u);
  EXPECT_EQ(routing(*track[0]), (std::vector<std::string>{"tracktask", session_.session_id()}));
  EXPECT_TRUE(testing::signature_valid(*track[0], session_.signer()));
  EXPECT_EQ(dict(*track[0], wire::Dict::Header)["msg_type"], "task_destination");
  EXPECT_EQ(dict(*track[0], wire::Dict::Content),
            (json{{"msg_id", id}, {"engine_id", std::string(kA)}}));
  EXPECT_EQ(out_.client.size(), 0u);
}

TEST_F(TaskSchedulerTest, MonitorCopiesShareBuffersInsteadOfCopyingBytes) {
  sched_->add_engine(kA, now_);
  const std::string big(4096, 'x');
  submit(json::object(), {big});
  const auto intask = out_.topic("intask");
  ASSERT_EQ(intask.size(), 1u);
  const wire::Frames& sent = out_.engine.at(0);
  EXPECT_EQ(sent.back().data(), intask[0]->back().data());
}

TEST_F(TaskSchedulerTest, RelaysReplySwappingRoutingFrames) {
  sched_->add_engine(kA, now_);
  submit();
  wire::Frames reply_frames = engine_reply(out_.engine.at(0), "ok", json::object(), {"result"});
  const std::vector<std::string> reply = strings(reply_frames);
  sched_->on_engine_reply(to_raw(std::move(reply_frames)), now_);
  ASSERT_EQ(out_.client.size(), 1u);
  std::vector<std::string> expected = reply;
  std::swap(expected[0], expected[1]);
  EXPECT_EQ(strings(out_.client[0]), expected);
  EXPECT_EQ(routing(out_.client[0]), (std::vector<std::string>{client_.routing_id(), std::string(kA)}));
  const auto outtask = out_.topic("outtask");
  ASSERT_EQ(outtask.size(), 1u);
  std::vector<std::string> mon = {"outtask"};
  mon.insert(mon.end(), expected.begin(), expected.end());
  EXPECT_EQ(strings(*outtask[0]), mon);
  EXPECT_EQ(sched_->job_count(), 0u);
  EXPECT_EQ(sched_->load(kA), 0u);
}

TEST_F(TaskSchedulerTest, NewEngineGoesToTheFrontAndUsedEngineToTheBack) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  sched_->add_engine(kC, now_);
  EXPECT_EQ(std::vector<std::string>(sched_->engines().begin(), sched_->engines().end()),
            (std::vector<std::string>{std::string(kC), std::string(kB), std::string(kA)}));
  submit();
  EXPECT_EQ(engine_of(out_.engine.at(0)), kC);  // leastload, tie -> LRU front
  EXPECT_EQ(std::vector<std::string>(sched_->engines().begin(), sched_->engines().end()),
            (std::vector<std::string>{std::string(kB), std::string(kA), std::string(kC)}));
  EXPECT_EQ(std::vector<Load>(sched_->loads().begin(), sched_->loads().end()),
            (std::vector<Load>{0, 0, 1}));
  submit();
  EXPECT_EQ(engine_of(out_.engine.at(1)), kB);
}

TEST_F(TaskSchedulerTest, LruSchemeIgnoresLoad) {
  TaskSchedulerOptions options;
  options.scheme = Scheme::Lru;
  options.hwm = 0;
  make(options);
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  submit();  // B (front)
  submit();  // A
  submit();  // B again: front of the LRU order, although loaded
  EXPECT_EQ(engine_of(out_.engine.at(0)), kB);
  EXPECT_EQ(engine_of(out_.engine.at(1)), kA);
  EXPECT_EQ(engine_of(out_.engine.at(2)), kB);
}

TEST_F(TaskSchedulerTest, RandomSchemesOnlyPickCandidates) {
  for (Scheme scheme : {Scheme::PlainRandom, Scheme::TwoBin, Scheme::Weighted}) {
    TaskSchedulerOptions options;
    options.scheme = scheme;
    options.hwm = 0;
    make(options);
    out_.engine.clear();
    sched_->add_engine(kA, now_);
    sched_->add_engine(kB, now_);
    for (int i = 0; i < 20; ++i) submit(json{{"targets", {std::string(kA)}}});
    for (const auto& sent : out_.engine) EXPECT_EQ(engine_of(sent), kA);
    EXPECT_EQ(out_.engine.size(), 20u);
  }
}

TEST_F(TaskSchedulerTest, HwmOneQueuesUntilAReply) {
  sched_->add_engine(kA, now_);
  const std::string first = submit();
  const std::string second = submit();
  EXPECT_EQ(out_.engine.size(), 1u);
  EXPECT_EQ(sched_->queue_size(), 1u);
  reply(0);
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(msg_id_of(out_.engine[1]), second);
  EXPECT_EQ(sched_->queue_size(), 0u);
}

TEST_F(TaskSchedulerTest, HwmZeroIsUnlimited) {
  TaskSchedulerOptions options;
  options.hwm = 0;
  make(options);
  sched_->add_engine(kA, now_);
  for (int i = 0; i < 5; ++i) submit();
  EXPECT_EQ(out_.engine.size(), 5u);
  EXPECT_EQ(sched_->load(kA), 5u);
  EXPECT_EQ(sched_->queue_size(), 0u);
}

TEST_F(TaskSchedulerTest, HwmTwoAllowsTwoPerEngine) {
  TaskSchedulerOptions options;
  options.hwm = 2;
  make(options);
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  for (int i = 0; i < 5; ++i) submit();
  EXPECT_EQ(out_.engine.size(), 4u);
  EXPECT_EQ(sched_->load(kA), 2u);
  EXPECT_EQ(sched_->load(kB), 2u);
  EXPECT_EQ(sched_->queue_size(), 1u);
  reply(0);
  EXPECT_EQ(out_.engine.size(), 5u);
}

TEST_F(TaskSchedulerTest, WaitsForAnEngineThenRunsWhenOneRegisters) {
  const std::string id = submit();
  EXPECT_EQ(out_.engine.size(), 0u);
  EXPECT_EQ(sched_->queue_size(), 1u);
  EXPECT_EQ(out_.topic("intask").size(), 1u);
  sched_->add_engine(kA, now_);
  ASSERT_EQ(out_.engine.size(), 1u);
  EXPECT_EQ(msg_id_of(out_.engine[0]), id);
}

TEST_F(TaskSchedulerTest, WaitingTasksRunInSubmissionOrder) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  const json on_a = {{"targets", {std::string(kA)}}};
  const json on_b = {{"targets", {std::string(kB)}}};
  submit(on_a);
  submit(on_b);
  const std::string w1 = submit(on_a);
  const std::string w2 = submit(on_a);
  const std::string w3 = submit(on_b);
  const std::string w4 = submit(on_a);
  EXPECT_EQ(sched_->queue_size(), 4u);
  // B frees up: the scan passes over w1, w2 (A busy) and runs w3. Python's
  // queue.extendleft puts w1, w2 back reversed, so it would run w2 next.
  reply(1);
  ASSERT_EQ(out_.engine.size(), 3u);
  EXPECT_EQ(msg_id_of(out_.engine[2]), w3);
  reply(0);
  ASSERT_EQ(out_.engine.size(), 4u);
  EXPECT_EQ(msg_id_of(out_.engine[3]), w1);
  reply(3);
  ASSERT_EQ(out_.engine.size(), 5u);
  EXPECT_EQ(msg_id_of(out_.engine[4]), w2);
  reply(4);
  ASSERT_EQ(out_.engine.size(), 6u);
  EXPECT_EQ(msg_id_of(out_.engine[5]), w4);
}

TEST_F(TaskSchedulerTest, DependentRunsOnceWithUnlimitedHwm) {
  // Python 7.1 with hwm=0 leaves a dependent that ran in its deque; the
  // next whole-queue scan (an engine registering) sends it a second time
  // and then raises KeyError (checked against the real TaskScheduler).
  TaskSchedulerOptions options;
  options.hwm = 0;
  make(options);
  sched_->add_engine(kA, now_);
  const std::string t1 = submit();
  const std::string t2 = submit(json{{"after", {t1}}});
  reply(0);
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(msg_id_of(out_.engine[1]), t2);
  sched_->add_engine(kB, now_);
  EXPECT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(sched_->queue_size(), 0u);
}

TEST_F(TaskSchedulerTest, TargetsRestrictTheEngine) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  submit(json{{"targets", {std::string(kA)}}});
  ASSERT_EQ(out_.engine.size(), 1u);
  EXPECT_EQ(engine_of(out_.engine[0]), kA);
  // A is busy: a second task for A waits although B is idle.
  submit(json{{"targets", {std::string(kA)}}});
  EXPECT_EQ(out_.engine.size(), 1u);
  EXPECT_EQ(sched_->queue_size(), 1u);
  reply(0);
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(engine_of(out_.engine[1]), kA);
}

TEST_F(TaskSchedulerTest, UnregisteredTargetsAreImpossible) {
  sched_->add_engine(kA, now_);
  const std::string id = submit(json{{"targets", {std::string(kC)}}});
  EXPECT_EQ(out_.engine.size(), 0u);
  ASSERT_EQ(out_.client.size(), 1u);
  expect_generated_error(0, id, "ImpossibleDependency");
  const json content = dict(out_.client[0], wire::Dict::Content);
  EXPECT_EQ(content["evalue"], "");
  EXPECT_EQ(content["traceback"][2], "ipyparallel.error.ImpossibleDependency\n");
  // The parent is the complete request header.
  EXPECT_EQ(dict(out_.client[0], wire::Dict::ParentHeader),
            json::parse(last_request_[3]));
  const auto outtask = out_.topic("outtask");
  ASSERT_EQ(outtask.size(), 1u);
  std::vector<std::string> mon = {"outtask"};
  const auto sent = strings(out_.client[0]);
  mon.insert(mon.end(), sent.begin(), sent.end());
  EXPECT_EQ(strings(*outtask[0]), mon);
  EXPECT_EQ(sched_->job_count(), 0u);
}

TEST_F(TaskSchedulerTest, GeneratedErrorsAreApplyRepliesEvenForExecute) {
  sched_->add_engine(kA, now_);
  std::string id;
  wire::Frames frames = client_.request(
      "execute_request", json{{"targets", {std::string(kC)}}}, {}, &id,
      json{{"code", "1"}, {"silent", true}, {"user_expressions", json::object()}});
  sched_->on_client_request(to_raw(std::move(frames)), now_);
  ASSERT_EQ(out_.client.size(), 1u);
  expect_generated_error(0, id, "ImpossibleDependency");
}

TEST_F(TaskSchedulerTest, AfterWaitsForTheDependency) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  const std::string t1 = submit();
  const std::string t2 = submit(json{{"after", {t1}}});
  EXPECT_EQ(out_.engine.size(), 1u);  // B is idle, but t2 must wait
  EXPECT_EQ(sched_->queue_size(), 1u);
  reply(0);
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(msg_id_of(out_.engine[1]), t2);
}

TEST_F(TaskSchedulerTest, AfterAlreadyCompletedRunsAtOnce) {
  sched_->add_engine(kA, now_);
  const std::string t1 = submit();
  reply(0);
  const std::string t2 = submit(json{{"after", {t1}}});
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(msg_id_of(out_.engine[1]), t2);
}

TEST_F(TaskSchedulerTest, AfterDictFormWithFailureCounts) {
  sched_->add_engine(kA, now_);
  const std::string t1 = submit();
  reply(0, "error");
  const std::string t2 = submit(
      json{{"after", {{"dependencies", {t1}}, {"all", true}, {"success", true}, {"failure", true}}}});
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(msg_id_of(out_.engine[1]), t2);
}

TEST_F(TaskSchedulerTest, FollowRunsWhereTheDependencyRan) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  const std::string t1 = submit();
  const std::string where = engine_of(out_.engine[0]);
  reply(0);
  // The other engine is now least recently used, but t2 must follow t1.
  const std::string t2 = submit(json{{"follow", {t1}}});
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(engine_of(out_.engine[1]), where);
}

TEST_F(TaskSchedulerTest, FollowWaitsForABusyEngine) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  const std::string t1 = submit();
  const std::string where = engine_of(out_.engine[0]);
  reply(0);
  const std::string t2 = submit(json{{"follow", {t1}}});
  const std::string t3 = submit(json{{"follow", {t1}}});
  EXPECT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(sched_->queue_size(), 1u);
  reply(1);
  ASSERT_EQ(out_.engine.size(), 3u);
  EXPECT_EQ(engine_of(out_.engine[2]), where);
  EXPECT_EQ(msg_id_of(out_.engine[2]), t3);
}

TEST_F(TaskSchedulerTest, FollowingTasksThatRanOnTwoEnginesIsImpossible) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  const std::string t1 = submit();
  const std::string t2 = submit();
  ASSERT_NE(engine_of(out_.engine[0]), engine_of(out_.engine[1]));
  reply(0);
  reply(1);
  const std::string t3 = submit(json{{"follow", {t1, t2}}});
  ASSERT_EQ(out_.client.size(), 3u);
  expect_generated_error(2, t3, "ImpossibleDependency");
}

TEST_F(TaskSchedulerTest, FollowingATaskOfADeadEngineIsImpossible) {
  // Deviation: Python waits forever.
  sched_->add_engine(kA, now_);
  const std::string t1 = submit();
  reply(0);
  sched_->remove_engine(kA, now_);
  sched_->add_engine(kB, now_);
  const std::string t2 = submit(json{{"follow", {t1}}});
  ASSERT_EQ(out_.client.size(), 2u);
  expect_generated_error(1, t2, "ImpossibleDependency");
}

TEST_F(TaskSchedulerTest, DependingOnOwnIdIsInvalid) {
  sched_->add_engine(kA, now_);
  wire::Message msg = client_.session().make_message("apply_request");
  const std::string id = msg.msg_id();
  msg.metadata["after"] = {id};
  sched_->on_client_request(to_raw(client_.encode(std::move(msg))), now_);
  ASSERT_EQ(out_.client.size(), 1u);
  expect_generated_error(0, id, "InvalidDependency");
  EXPECT_EQ(out_.engine.size(), 0u);
}

TEST_F(TaskSchedulerTest, DependingOnUnknownIdIsInvalid) {
  sched_->add_engine(kA, now_);
  const std::string t1 = submit(json{{"follow", {"never-seen"}}});
  ASSERT_EQ(out_.client.size(), 1u);
  expect_generated_error(0, t1, "InvalidDependency");
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Content)["evalue"], "");
}

TEST_F(TaskSchedulerTest, MalformedDependencyIsInvalidNotLost) {
  sched_->add_engine(kA, now_);
  const std::string t1 = submit(json{{"after", 5}});
  const std::string t2 = submit(json{{"follow", {1, 2}}});
  const std::string t3 = submit(json{{"targets", "not-a-list"}});
  ASSERT_EQ(out_.client.size(), 3u);
  expect_generated_error(0, t1, "InvalidDependency");
  expect_generated_error(1, t2, "InvalidDependency");
  expect_generated_error(2, t3, "InvalidDependency");
  EXPECT_NE(dict(out_.client[0], wire::Dict::Content)["evalue"], "");
  EXPECT_EQ(out_.engine.size(), 0u);
}

TEST_F(TaskSchedulerTest, DependencyOnAFailedTaskIsImpossible) {
  sched_->add_engine(kA, now_);
  const std::string t1 = submit();
  reply(0, "error");
  ASSERT_EQ(out_.client.size(), 1u);  // the engine's error, relayed
  const std::string t2 = submit(json{{"after", {t1}}});
  ASSERT_EQ(out_.client.size(), 2u);
  expect_generated_error(1, t2, "ImpossibleDependency");
}

TEST_F(TaskSchedulerTest, WaitingDependentsFailInChainWhenADependencyFails) {
  sched_->add_engine(kA, now_);
  const std::string t1 = submit();
  const std::string t2 = submit(json{{"after", {t1}}});
  const std::string t3 = submit(json{{"after", {t2}}});
  const std::string t4 = submit(json{{"follow", {t3}}});
  EXPECT_EQ(sched_->queue_size(), 3u);
  reply(0, "error");
  ASSERT_EQ(out_.client.size(), 4u);
  expect_generated_error(1, t2, "ImpossibleDependency");
  expect_generated_error(2, t3, "ImpossibleDependency");
  expect_generated_error(3, t4, "ImpossibleDependency");
  EXPECT_EQ(sched_->job_count(), 0u);
  EXPECT_EQ(sched_->queue_size(), 0u);
}

TEST_F(TaskSchedulerTest, LongDependencyChainDoesNotRecurse) {
  sched_->add_engine(kA, now_);
  std::string prev = submit();
  for (int i = 0; i < 10000; ++i) prev = submit(json{{"after", {prev}}});
  reply(0, "error");
  EXPECT_EQ(out_.client.size(), 10001u);
  EXPECT_EQ(sched_->job_count(), 0u);
}

TEST_F(TaskSchedulerTest, RetriesResubmitToAnotherEngine) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  const std::string id = submit(json{{"retries", 1}});
  const std::string first = engine_of(out_.engine[0]);
  reply(0, "error");
  EXPECT_EQ(out_.client.size(), 0u);  // not relayed
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_NE(engine_of(out_.engine[1]), first);
  // Resent unchanged: same frames after the engine frame.
  const std::vector<std::string> resent = strings(out_.engine[1]);
  EXPECT_EQ(std::vector<std::string>(resent.begin() + 1, resent.end()), last_request_);
  EXPECT_EQ(out_.topic("tracktask").size(), 2u);
  reply(1, "ok");
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(parent_id_of(out_.client[0]), id);
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Content)["status"], "ok");
}

TEST_F(TaskSchedulerTest, ExhaustedRetriesRelayTheError) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  submit(json{{"retries", 1}});
  reply(0, "error");
  reply(1, "error");
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Content)["ename"], "ZeroDivisionError");
  EXPECT_EQ(sched_->job_count(), 0u);
}

TEST_F(TaskSchedulerTest, RetryWithNoOtherEngineWaitsForANewOne) {
  sched_->add_engine(kA, now_);
  submit(json{{"retries", 2}});
  reply(0, "error");
  EXPECT_EQ(out_.engine.size(), 1u);
  EXPECT_EQ(sched_->queue_size(), 1u);
  sched_->add_engine(kB, now_);
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(engine_of(out_.engine[1]), kB);
}

TEST_F(TaskSchedulerTest, UnmetDependencyBlacklistsAndTriesElsewhere) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  submit();
  const std::string first = engine_of(out_.engine[0]);
  reply(0, "error", json{{"dependencies_met", false}});
  EXPECT_EQ(out_.client.size(), 0u);
  EXPECT_EQ(out_.topic("outtask").size(), 0u);
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_NE(engine_of(out_.engine[1]), first);
  // Refused everywhere: waits.
  reply(1, "error", json{{"dependencies_met", false}});
  EXPECT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(sched_->queue_size(), 1u);
  EXPECT_EQ(sched_->load(kA), 0u);
  EXPECT_EQ(sched_->load(kB), 0u);
}

TEST_F(TaskSchedulerTest, UnmetDependencyOnEveryTargetIsImpossible) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  const std::string id = submit(json{{"targets", {std::string(kA)}}});
  reply(0, "error", json{{"dependencies_met", false}});
  ASSERT_EQ(out_.client.size(), 1u);
  expect_generated_error(0, id, "ImpossibleDependency");
}

TEST_F(TaskSchedulerTest, TimeoutFailsAWaitingTask) {
  const std::string id = submit(json{{"timeout", 2.0}});
  ASSERT_TRUE(sched_->next_deadline());
  EXPECT_EQ(*sched_->next_deadline(), now_ + 2s);
  sched_->tick(now_ + 1999ms);
  EXPECT_EQ(out_.client.size(), 0u);
  sched_->tick(now_ + 2s);
  ASSERT_EQ(out_.client.size(), 1u);
  expect_generated_error(0, id, "TaskTimeout");
  EXPECT_EQ(sched_->queue_size(), 0u);
  EXPECT_EQ(out_.topic("outtask").size(), 1u);
}

TEST_F(TaskSchedulerTest, TimeoutNeverFiresForASentTask) {
  const std::string id = submit(json{{"timeout", 1}});
  sched_->add_engine(kA, now_ + 500ms);
  ASSERT_EQ(out_.engine.size(), 1u);
  sched_->tick(now_ + 10s);
  EXPECT_EQ(out_.client.size(), 0u);
  reply(0);
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Content)["status"], "ok");
}

TEST_F(TaskSchedulerTest, TimeoutRestartsWhenRequeued) {
  sched_->add_engine(kA, now_);
  const std::string id = submit(json{{"timeout", 2}, {"retries", 1}});
  // Refused at t+1.5 s: re-queued with a fresh 2 s timer.
  now_ += 1500ms;
  reply(0, "error", json{{"dependencies_met", false}});
  EXPECT_EQ(sched_->queue_size(), 1u);
  sched_->tick(now_ + 1s);  // the first timer (t0+2 s) is void
  EXPECT_EQ(out_.client.size(), 0u);
  sched_->tick(now_ + 2s);
  ASSERT_EQ(out_.client.size(), 1u);
  expect_generated_error(0, id, "TaskTimeout");
}

TEST_F(TaskSchedulerTest, EngineDeathFailsPendingTasksAfterFiveSeconds) {
  sched_->add_engine(kA, now_);
  const std::string id = submit();
  sched_->remove_engine(kA, now_);
  EXPECT_TRUE(sched_->engines().empty());
  EXPECT_EQ(sched_->pending_count(kA), 1u);
  sched_->tick(now_ + 4999ms);
  EXPECT_EQ(out_.client.size(), 0u);
  sched_->tick(now_ + 5s);
  ASSERT_EQ(out_.client.size(), 1u);
  const wire::Frames& f = out_.client[0];
  EXPECT_EQ(routing(f), (std::vector<std::string>{client_.routing_id(), std::string(kA)}));
  EXPECT_TRUE(testing::signature_valid(f, session_.signer()));
  EXPECT_EQ(dict(f, wire::Dict::Header)["msg_type"], "apply_reply");
  EXPECT_EQ(dict(f, wire::Dict::ParentHeader), json::parse(last_request_[3]));
  const json md = dict(f, wire::Dict::Metadata);
  EXPECT_EQ(md["status"], "error");
  EXPECT_EQ(md["engine"], kA);
  EXPECT_TRUE(util::parse_iso8601(md["date"].get<std::string>()));
  const json content = dict(f, wire::Dict::Content);
  const std::string evalue =
      "Engine b'" + std::string(kA) + "' died while running task '" + id + "'";
  EXPECT_EQ(content["ename"], "EngineError");
  EXPECT_EQ(content["evalue"], evalue);
  EXPECT_EQ(content["traceback"][2], "ipyparallel.error.EngineError: " + evalue + "\n");
  EXPECT_EQ(content["engine_info"], json::object());
  const auto outtask = out_.topic("outtask");
  ASSERT_EQ(outtask.size(), 1u);
  EXPECT_EQ(routing(*outtask[0]),
            (std::vector<std::string>{"outtask", client_.routing_id(), std::string(kA)}));
  EXPECT_EQ(sched_->job_count(), 0u);
  EXPECT_EQ(sched_->pending_count(kA), 0u);
  // Counted as failed: a dependent is impossible.
  sched_->add_engine(kB, now_ + 5s);
  const std::string t2 = submit(json{{"after", {id}}});
  ASSERT_EQ(out_.client.size(), 2u);
  expect_generated_error(1, t2, "ImpossibleDependency");
}

TEST_F(TaskSchedulerTest, RealReplyBeforeTheDeadlineWins) {
  sched_->add_engine(kA, now_);
  submit();
  sched_->remove_engine(kA, now_);
  now_ += 1s;
  reply(0, "ok");
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(dict(out_.client[0], wire::Dict::Content)["status"], "ok");
  sched_->tick(now_ + 10s);
  EXPECT_EQ(out_.client.size(), 1u);
  // A late reply after the EngineError is dropped.
  sched_->add_engine(kB, now_);
  submit();
  sched_->remove_engine(kB, now_);
  sched_->tick(now_ + 5s);
  ASSERT_EQ(out_.client.size(), 2u);
  reply(1, "ok");
  EXPECT_EQ(out_.client.size(), 2u);
}

TEST_F(TaskSchedulerTest, EngineDeathWithRetriesResubmits) {
  sched_->add_engine(kA, now_);
  const std::string id = submit(json{{"retries", 1}});
  sched_->remove_engine(kA, now_);
  sched_->add_engine(kB, now_);
  EXPECT_EQ(out_.engine.size(), 1u);
  sched_->tick(now_ + 5s);
  EXPECT_EQ(out_.client.size(), 0u);
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(engine_of(out_.engine[1]), kB);
  EXPECT_EQ(msg_id_of(out_.engine[1]), id);
}

TEST_F(TaskSchedulerTest, RemovingAnEngineFailsTasksTargetedOnlyAtIt) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  submit(json{{"targets", {std::string(kA)}}});
  const std::string t2 = submit(json{{"targets", {std::string(kA)}}});
  EXPECT_EQ(sched_->queue_size(), 1u);
  sched_->remove_engine(kA, now_);
  ASSERT_EQ(out_.client.size(), 1u);
  expect_generated_error(0, t2, "ImpossibleDependency");
}

TEST_F(TaskSchedulerTest, ReplyWithoutMetadataStatusIsNotLost) {
  sched_->add_engine(kA, now_);
  const std::string t1 = submit();
  reply(0, "ok", json::object(), /*include_status=*/false);
  ASSERT_EQ(out_.client.size(), 1u);
  // Counted as success from content.status: a dependent can run.
  const std::string t2 = submit(json{{"after", {t1}}});
  ASSERT_EQ(out_.engine.size(), 2u);
  EXPECT_EQ(msg_id_of(out_.engine[1]), t2);
}

TEST_F(TaskSchedulerTest, DropsMalformedAndDuplicateRequests) {
  sched_->add_engine(kA, now_);
  // No client routing frame.
  wire::Frames frames = client_.request("apply_request", json::object());
  frames.erase(frames.begin());
  sched_->on_client_request(to_raw(std::move(frames)), now_);
  // Metadata that is not an object.
  wire::Message msg = client_.session().make_message("apply_request");
  msg.metadata = json::array();
  sched_->on_client_request(to_raw(client_.encode(std::move(msg))), now_);
  EXPECT_EQ(out_.monitor.size(), 0u);
  EXPECT_EQ(out_.engine.size(), 0u);
  // The same request twice while the first is still held.
  wire::Frames once = client_.request("apply_request", json::object());
  wire::Frames twice = testing::copy_frames(once);
  sched_->on_client_request(to_raw(std::move(once)), now_);
  sched_->on_client_request(to_raw(std::move(twice)), now_);
  EXPECT_EQ(out_.engine.size(), 1u);
  EXPECT_EQ(out_.topic("intask").size(), 1u);
  EXPECT_EQ(sched_->job_count(), 1u);
}

TEST_F(TaskSchedulerTest, IgnoresRepliesForUnknownTasks) {
  sched_->add_engine(kA, now_);
  sched_->add_engine(kB, now_);
  submit();
  const std::string busy = engine_of(out_.engine[0]);
  // The reply claims to come from the other engine.
  wire::Frames forged = testing::copy_frames(out_.engine[0]);
  const std::string other(busy == kA ? kB : kA);
  forged[0] = zmq::message_t(other.data(), other.size());
  sched_->on_engine_reply(to_raw(engine_reply(forged)), now_);
  EXPECT_EQ(out_.client.size(), 0u);
  EXPECT_EQ(sched_->load(busy), 1u);
  EXPECT_EQ(sched_->job_count(), 1u);
}

TEST_F(TaskSchedulerTest, RelaysAReplyForATaskSentBeforeARestart) {
  sched_->add_engine(kA, now_);
  const std::string msg_id = submit();
  wire::Frames sent = testing::copy_frames(out_.engine.at(0));
  // The controller restarts (--restore): a new scheduler, the same engine.
  out_ = RecordingOutput{};
  make();
  sched_->add_engine(kA, now_);
  sched_->on_engine_reply(to_raw(engine_reply(sent)), now_);
  ASSERT_EQ(out_.client.size(), 1u);
  EXPECT_EQ(view(out_.client[0][0]), last_request_.at(0));  // to the client that asked
  ASSERT_EQ(out_.topic("outtask").size(), 1u);                   // and recorded by the hub
  EXPECT_EQ(sched_->load(kA), 0u);
  // A second copy of that reply is not relayed again.
  sched_->on_engine_reply(to_raw(engine_reply(sent)), now_);
  EXPECT_EQ(out_.client.size(), 1u);
}

TEST_F(TaskSchedulerTest, ALateReplyFromAnUnregisteredEngineIsDropped) {
  sched_->add_engine(kA, now_);
  submit();
  wire::Frames sent = testing::copy_frames(out_.engine.at(0));
  out_ = RecordingOutput{};
  make();  // restarted, and engine A never came back
  sched_->on_engine_reply(to_raw(engine_reply(sent)), now_);
  EXPECT_EQ(out_.client.size(), 0u);
  EXPECT_EQ(out_.monitor.size(), 0u);
}

}  // namespace
}  // namespace ipp::scheduler

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/iopub_channel.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <iterator>

#include <zmq_addon.hpp>

#include "ipp/engine/shared_session.hpp"
#include "ipp/wire/codec.hpp"

namespace ipp::engine {
namespace {

wire::SessionOptions options() {
  wire::SessionOptions o;
  o.key = "k";
  o.session_id = "e-1";
  return o;
}

struct IopubFixture {
  zmq::context_t ctx;
  zmq::socket_t sub{ctx, zmq::socket_type::sub};
  SharedSession session{options()};
  IopubFixture() {
    sub.set(zmq::sockopt::subscribe, "");
    sub.bind("inproc://iopub");
  }
  // PUB drops what it sends before the subscription reaches it: publish
  // probes until one arrives.
  void wait_subscribed(IopubChannel& iopub) {
    for (int i = 0; i < 200; ++i) {
      iopub.publish(session.encode_iopub("probe", "status", {{"execution_state", "probe"}},
                                         nlohmann::json::object()));
      if (next(20)) break;
    }
    while (next(50)) {
    }
  }

  std::optional<wire::Message> next(int timeout_ms = 2000) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
    if (!(item.revents & ZMQ_POLLIN)) return std::nullopt;
    wire::Frames frames;
    zmq::recv_multipart(sub, std::back_inserter(frames));
    return wire::decode(std::move(frames), session.signer(), nullptr, nullptr);
  }
};

TEST(IopubChannelTest, PublishesInOrderWithTopic) {
  IopubFixture f;
  IopubChannel iopub(f.ctx, "inproc://iopub", "e-1", spdlog::default_logger());
  iopub.start();
  f.wait_subscribed(iopub);
  for (int i = 0; i < 50; ++i) {
    iopub.publish(f.session.encode_iopub("engine.0.status", "status",
                                         {{"execution_state", std::to_string(i)}},
                                         nlohmann::json::object()));
  }
  EXPECT_TRUE(iopub.wait_sent(std::chrono::seconds(5)));
  for (int i = 0; i < 50; ++i) {
    auto msg = f.next();
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->identities, std::vector<std::string>{"engine.0.status"});
    EXPECT_EQ(msg->content["execution_state"], std::to_string(i));
    EXPECT_EQ(msg->metadata["engine"], "e-1");
  }
  iopub.stop();
}

TEST(IopubChannelTest, EngineKeyCanBeLeftOut) {
  IopubFixture f;
  IopubChannel iopub(f.ctx, "inproc://iopub", "e-1", spdlog::default_logger());
  iopub.start();
  f.wait_subscribed(iopub);
  iopub.publish(f.session.encode_iopub("engine.0.shutdown", "shutdown_reply",
                                       {{"status", "ok"}}, nlohmann::json::object(), false));
  auto msg = f.next();
  ASSERT_TRUE(msg);
  EXPECT_TRUE(msg->metadata.empty());
  iopub.stop();
}

TEST(IopubChannelTest, FlushTimerRunsOnTheIopubThread) {
  IopubFixture f;
  IopubChannel iopub(f.ctx, "inproc://iopub", "e-1", spdlog::default_logger());
  std::atomic<bool> due{false};
  std::atomic<int> ran{0};
  auto deadline = IopubChannel::Clock::now() + std::chrono::milliseconds(50);
  iopub.set_flush_timer(
      [&]() -> std::optional<IopubChannel::Clock::time_point> {
        if (ran.load() > 0) return std::nullopt;
        return deadline;
      },
      [&] {
        ++ran;
        due = true;
      });
  iopub.start();
  iopub.wake();
  for (int i = 0; i < 100 && !due; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(ran.load(), 1);
  iopub.stop();
}

}  // namespace
}  // namespace ipp::engine

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/heart.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <iterator>
#include <thread>

#include <zmq_addon.hpp>

namespace ipp::engine {
namespace {

// The controller's side of the heartbeat: PUB pings, ROUTER pongs.
struct HeartFixture {
  zmq::context_t ctx;
  zmq::socket_t ping{ctx, zmq::socket_type::pub};
  zmq::socket_t pong{ctx, zmq::socket_type::router};
  HeartFixture() {
    ping.bind("inproc://hb-ping");
    pong.bind("inproc://hb-pong");
  }

  // Publishes `payload` until an echo arrives (a SUB misses messages sent
  // before its subscription lands). Returns the echoed frames.
  std::vector<std::string> ping_until_echo(const std::string& payload) {
    for (int i = 0; i < 200; ++i) {
      ping.send(zmq::buffer(payload));
      zmq::pollitem_t item{pong.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(20));
      if (item.revents & ZMQ_POLLIN) {
        std::vector<zmq::message_t> frames;
        zmq::recv_multipart(pong, std::back_inserter(frames));
        std::vector<std::string> out;
        for (auto& f : frames) out.push_back(f.to_string());
        return out;
      }
    }
    return {};
  }
};

TEST(HeartTest, EchoesPingUnchangedWithIdentity) {
  HeartFixture f;
  Heart heart(f.ctx, "inproc://hb-ping", "inproc://hb-pong", "engine-uuid",
              spdlog::default_logger());
  auto before = heart.last_ping();
  heart.start();
  auto frames = f.ping_until_echo("1.002355921000003");
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], "engine-uuid");
  EXPECT_EQ(frames[1], "1.002355921000003");
  EXPECT_GE(heart.pings(), 1u);
  EXPECT_GE(heart.last_ping(), before);
  heart.stop();
}

TEST(HeartTest, KeepsBeatingWhileAnotherThreadIsBusy) {
  HeartFixture f;
  Heart heart(f.ctx, "inproc://hb-ping", "inproc://hb-pong", "e", spdlog::default_logger());
  heart.start();
  std::atomic<bool> busy{true};
  std::thread hog([&] {
    while (busy) {
    }
  });
  for (int i = 0; i < 5; ++i) {
    auto frames = f.ping_until_echo(std::to_string(i) + ".5");
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[1].substr(0, 1), std::to_string(i));
  }
  busy = false;
  hog.join();
  heart.stop();
}

TEST(HeartTest, StopIsIdempotent) {
  HeartFixture f;
  Heart heart(f.ctx, "inproc://hb-ping", "inproc://hb-pong", "e", spdlog::default_logger());
  heart.start();
  heart.stop();
  heart.stop();
}

}  // namespace
}  // namespace ipp::engine

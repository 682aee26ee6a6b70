// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/monitor_feed.hpp"

#include <gtest/gtest.h>

namespace ipp::scheduler {
namespace {

struct FeedPair {
  zmq::context_t ctx;
  zmq::socket_t pull{ctx, zmq::socket_type::pull};
  zmq::socket_t push{ctx, zmq::socket_type::push};
  FeedPair() {
    pull.bind("inproc://feed-test");
    push.connect("inproc://feed-test");
  }
  // Every copy carried by the messages queued on `pull`.
  std::vector<wire::Frames> receive_all(int* messages) {
    std::vector<wire::Frames> out;
    *messages = 0;
    zmq::message_t message;
    while (pull.recv(message, zmq::recv_flags::dontwait)) {
      ++*messages;
      for (auto& copy : MonitorFeed::take(message)) out.push_back(std::move(copy));
    }
    return out;
  }
};

wire::Frames frames_of(std::initializer_list<std::string_view> parts) {
  wire::Frames frames;
  for (auto part : parts) frames.emplace_back(part.data(), part.size());
  return frames;
}

TEST(MonitorFeedTest, NothingIsSentUntilFlushThenOneMessageCarriesEveryCopyInOrder) {
  FeedPair pair;
  MonitorFeed feed(pair.push);
  wire::Frames request = frames_of({"client", "<IDS|MSG>", "sig", "{}", "{}", "{}", "{}"});
  feed.post("intask", request);
  feed.post(frames_of({"tracktask", "session"}));
  EXPECT_EQ(feed.pending(), 2u);
  int messages = 0;
  EXPECT_TRUE(pair.receive_all(&messages).empty());
  EXPECT_EQ(messages, 0);

  feed.flush();
  EXPECT_EQ(feed.pending(), 0u);
  auto copies = pair.receive_all(&messages);
  EXPECT_EQ(messages, 1);
  ASSERT_EQ(copies.size(), 2u);
  ASSERT_EQ(copies[0].size(), 8u);
  EXPECT_EQ(copies[0][0].to_string(), "intask");
  EXPECT_EQ(copies[0][1].to_string(), "client");
  EXPECT_EQ(copies[0][7].to_string(), "{}");
  EXPECT_EQ(copies[1][0].to_string(), "tracktask");
  // The posted frames themselves are untouched (copies share their data).
  EXPECT_EQ(request[0].to_string(), "client");
}

TEST(MonitorFeedTest, FlushesByItselfAtTheBatchLimit) {
  FeedPair pair;
  MonitorFeed feed(pair.push);
  for (std::size_t i = 0; i < MonitorFeed::kMaxPending + 1; ++i) {
    feed.post(frames_of({"in", std::to_string(i)}));
  }
  int messages = 0;
  auto copies = pair.receive_all(&messages);
  EXPECT_EQ(messages, 1);
  EXPECT_EQ(copies.size(), MonitorFeed::kMaxPending);
  EXPECT_EQ(feed.pending(), 1u);
  feed.flush();
  copies = pair.receive_all(&messages);
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0][1].to_string(), std::to_string(MonitorFeed::kMaxPending));
}

TEST(MonitorFeedTest, AnEmptyFlushSendsNothing) {
  FeedPair pair;
  MonitorFeed feed(pair.push);
  feed.flush();
  int messages = 0;
  pair.receive_all(&messages);
  EXPECT_EQ(messages, 0);
}

TEST(MonitorFeedTest, AMessageThatIsNotABatchCarriesNothing) {
  zmq::message_t other(std::string_view("heartmonitor"));
  EXPECT_TRUE(MonitorFeed::take(other).empty());
}

TEST(MonitorFeedTest, ABatchNeverReceivedIsFreedWithItsSocket) {
  // Run under ASan/valgrind this shows no leak: the message's free
  // function owns the batch.
  auto pair = std::make_unique<FeedPair>();
  MonitorFeed feed(pair->push);
  feed.post(frames_of({"in", "x"}));
  feed.flush();
  pair.reset();
  SUCCEED();
}

}  // namespace
}  // namespace ipp::scheduler

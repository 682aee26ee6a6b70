// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/output_capture.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace ipp::engine {
namespace {

struct Collected {
  std::mutex mutex;
  std::vector<std::pair<StreamName, std::string>> messages;
  OutputCapture::Publish publisher() {
    return [this](StreamName s, std::string text) {
      std::lock_guard lock(mutex);
      messages.emplace_back(s, std::move(text));
    };
  }
};

TEST(OutputCaptureTest, BuffersUntilFlush) {
  Collected c;
  OutputCapture out(c.publisher());
  out.write(StreamName::Stdout, "a");
  out.write(StreamName::Stdout, "b\n");
  EXPECT_TRUE(c.messages.empty());
  out.flush(StreamName::Stdout);
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].first, StreamName::Stdout);
  EXPECT_EQ(c.messages[0].second, "ab\n");
  out.flush(StreamName::Stdout);  // nothing left: no empty message
  EXPECT_EQ(c.messages.size(), 1u);
}

TEST(OutputCaptureTest, StreamsAreSeparate) {
  Collected c;
  OutputCapture out(c.publisher());
  out.write(StreamName::Stderr, "err");
  out.write(StreamName::Stdout, "out");
  out.flush_all();
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[0], std::make_pair(StreamName::Stdout, std::string("out")));
  EXPECT_EQ(c.messages[1], std::make_pair(StreamName::Stderr, std::string("err")));
}

TEST(OutputCaptureTest, DueAfterIntervalFromFirstWrite) {
  Collected c;
  int pending = 0;
  OutputCapture out(c.publisher(), std::chrono::milliseconds(200), [&] { ++pending; });
  EXPECT_FALSE(out.next_due());
  auto before = OutputCapture::Clock::now();
  out.write(StreamName::Stdout, "x");
  out.write(StreamName::Stdout, "y");
  EXPECT_EQ(pending, 1);  // only the first write into an empty buffer
  auto due = out.next_due();
  ASSERT_TRUE(due);
  EXPECT_GE(*due, before + std::chrono::milliseconds(200));
  out.flush_due(before);  // too early
  EXPECT_TRUE(c.messages.empty());
  out.flush_due(*due);
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].second, "xy");
  EXPECT_FALSE(out.next_due());
}

TEST(OutputCaptureTest, NoDescriptorsBeforeCapture) {
  Collected c;
  OutputCapture out(c.publisher());
  EXPECT_EQ(out.original_fd(StreamName::Stdout), -1);
  EXPECT_TRUE(out.in_owner_process());
  EXPECT_EQ(stream_name(StreamName::Stderr), "stderr");
}

}  // namespace
}  // namespace ipp::engine

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/buffered_log_sink.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <spdlog/logger.h>

#include "ipp/util/error.hpp"

namespace ipp::util {
namespace {

class BufferedLogSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("ipp_buffered_log_" + std::to_string(::getpid()) + ".log");
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::string contents() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::shared_ptr<spdlog::logger> logger(std::chrono::milliseconds interval) {
    sink_ = std::make_shared<BufferedLogSink>(path_, interval);
    sink_->set_pattern("%v");
    return std::make_shared<spdlog::logger>("test", sink_);
  }

  std::filesystem::path path_;
  std::shared_ptr<BufferedLogSink> sink_;
};

TEST_F(BufferedLogSinkTest, InfoWaitsForTheInterval) {
  auto log = logger(std::chrono::milliseconds(200));
  log->info("one");
  log->info("two");
  EXPECT_EQ(contents(), "");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (contents().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(contents(), "one\ntwo\n");
}

TEST_F(BufferedLogSinkTest, WarningGoesOutAtOnceWithWhatCameBefore) {
  auto log = logger(std::chrono::seconds(60));
  log->info("before");
  log->warn("careful");
  EXPECT_EQ(contents(), "before\ncareful\n");
}

TEST_F(BufferedLogSinkTest, FlushAndDestructionWriteEverything) {
  auto log = logger(std::chrono::seconds(60));
  log->info("a");
  log->flush();
  EXPECT_EQ(contents(), "a\n");
  log->info("b");
  log.reset();
  sink_.reset();
  EXPECT_EQ(contents(), "a\nb\n");
}

TEST_F(BufferedLogSinkTest, UnwritableFileIsAStartupError) {
  EXPECT_THROW(BufferedLogSink(std::filesystem::path("/nonexistent-dir/x.log"), std::chrono::milliseconds(100)),
               Error);
}

}  // namespace
}  // namespace ipp::util

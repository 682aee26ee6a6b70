// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/rate_limited_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace ipp::util {
namespace {

using namespace std::chrono_literals;

class RateLimitedLogTest : public ::testing::Test {
 protected:
  RateLimitedLogTest()
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_st>(out_)),
        logger_(std::make_shared<spdlog::logger>("rate_limited_log_test", sink_)) {
    logger_->set_pattern("%v");
  }

  int lines() const {
    const std::string text = out_.str();
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  // Admits and, like RateLimitedLog::log, writes when admitted.
  void emit(RateLimitedLog& log, std::string_view key, RateLimitedLog::Clock::time_point now) {
    if (log.admit(spdlog::level::warn, key, now)) logger_->warn("line for {}", key);
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_st> sink_;
  std::shared_ptr<spdlog::logger> logger_;
  const RateLimitedLog::Clock::time_point t0_ = RateLimitedLog::Clock::now();
};

TEST_F(RateLimitedLogTest, AdmitsUpToLimitPerInterval) {
  RateLimitedLog log(logger_, 3, 1s);
  for (int i = 0; i < 10; ++i) emit(log, "bad", t0_);
  EXPECT_EQ(lines(), 3);
}

TEST_F(RateLimitedLogTest, WritesSuppressedCountWhenIntervalEnds) {
  RateLimitedLog log(logger_, 3, 1s);
  for (int i = 0; i < 10; ++i) emit(log, "bad", t0_);
  emit(log, "bad", t0_ + 1s);
  EXPECT_EQ(lines(), 5);
  EXPECT_NE(out_.str().find("bad: suppressed 7 similar messages"), std::string::npos);
}

TEST_F(RateLimitedLogTest, KeysAreIndependent) {
  RateLimitedLog log(logger_, 1, 1s);
  emit(log, "a", t0_);
  emit(log, "a", t0_);
  emit(log, "b", t0_);
  EXPECT_EQ(lines(), 2);
}

TEST_F(RateLimitedLogTest, FlushWritesPendingSummaryOnlyAfterInterval) {
  RateLimitedLog log(logger_, 1, 1s);
  emit(log, "a", t0_);
  emit(log, "a", t0_);
  log.flush(t0_ + 500ms);
  EXPECT_EQ(lines(), 1);
  log.flush(t0_ + 1s);
  EXPECT_EQ(lines(), 2);
  log.flush(t0_ + 2s);
  EXPECT_EQ(lines(), 2);
}

TEST_F(RateLimitedLogTest, NoSummaryWhenNothingSuppressed) {
  RateLimitedLog log(logger_, 5, 1s);
  emit(log, "a", t0_);
  emit(log, "a", t0_ + 2s);
  EXPECT_EQ(lines(), 2);
}

TEST_F(RateLimitedLogTest, LogFormatsThroughLogger) {
  RateLimitedLog log(logger_, 1, 1h);
  log.warn("k", "value {}", 42);
  log.warn("k", "value {}", 43);
  EXPECT_EQ(out_.str(), "value 42\n");
}

}  // namespace
}  // namespace ipp::util

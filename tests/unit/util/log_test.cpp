// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/log.hpp"

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "ipp/util/error.hpp"
#include "unit/config/temp_dir.hpp"

namespace ipp::util {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using spdlog::level::level_enum;

const char* const kStamp = R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})";

// Formats one record with our formatter through an ostream sink.
std::string format_line(level_enum level, const std::string& name, const std::string& text) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(make_python_formatter());
  spdlog::logger logger(name, sink);
  logger.set_level(spdlog::level::trace);
  logger.log(level, text);
  std::string line = out.str();
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

// Restores the default logger a test replaced.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = spdlog::default_logger(); }
  void TearDown() override { spdlog::set_default_logger(saved_); }
  std::shared_ptr<spdlog::logger> saved_;
  ipp::testing::TempDir tmp_;
};

TEST(LogLevelTest, AcceptsPythonValues) {
  EXPECT_EQ(parse_log_level("0"), level_enum::trace);
  EXPECT_EQ(parse_log_level("10"), level_enum::debug);
  EXPECT_EQ(parse_log_level("20"), level_enum::info);
  EXPECT_EQ(parse_log_level("30"), level_enum::warn);
  EXPECT_EQ(parse_log_level("40"), level_enum::err);
  EXPECT_EQ(parse_log_level("50"), level_enum::critical);
  EXPECT_EQ(parse_log_level("DEBUG"), level_enum::debug);
  EXPECT_EQ(parse_log_level("INFO"), level_enum::info);
  EXPECT_EQ(parse_log_level("WARN"), level_enum::warn);
  EXPECT_EQ(parse_log_level("ERROR"), level_enum::err);
  EXPECT_EQ(parse_log_level("CRITICAL"), level_enum::critical);
}

TEST(LogLevelTest, AcceptsSupersetOfPython) {
  EXPECT_EQ(parse_log_level("warning"), level_enum::warn);
  EXPECT_EQ(parse_log_level("Debug"), level_enum::debug);
  EXPECT_EQ(parse_log_level("15"), level_enum::info);
  EXPECT_EQ(parse_log_level("1"), level_enum::debug);
  EXPECT_EQ(parse_log_level("45"), level_enum::critical);
}

TEST(LogLevelTest, RejectsOtherValuesNamingThem) {
  for (const char* bad : {"verbose", "60", "-1", "", "20x", "fatal"}) {
    try {
      parse_log_level(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ipp::Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("'log_level'")) << bad;
      EXPECT_THAT(e.what(), HasSubstr(bad)) << bad;
    }
  }
}

TEST(LogFormatTest, InfoHasNoLevelMarker) {
  std::string line = format_line(level_enum::info, "IPController", "hello world");
  EXPECT_TRUE(std::regex_match(line, std::regex(std::string("^") + kStamp +
                                                R"( \[IPController\] hello world$)")))
      << line;
}

TEST(LogFormatTest, DebugHasNoLevelMarker) {
  std::string line = format_line(level_enum::debug, "IPEngine", "x");
  EXPECT_TRUE(std::regex_match(line, std::regex(std::string("^") + kStamp + R"( \[IPEngine\] x$)")))
      << line;
}

TEST(LogFormatTest, WarningAndAboveCarryPythonLevelName) {
  EXPECT_THAT(format_line(level_enum::warn, "IPController", "m"),
              ::testing::EndsWith("[IPController] WARNING | m"));
  EXPECT_THAT(format_line(level_enum::err, "IPController", "m"),
              ::testing::EndsWith("[IPController] ERROR | m"));
  EXPECT_THAT(format_line(level_enum::critical, "IPClusterStart", "m"),
              ::testing::EndsWith("[IPClusterStart] CRITICAL | m"));
}

// Everything after the timestamp is what Python's LevelFormatter prints.
TEST(LogFormatTest, MatchesPythonLevelFormatter) {
  std::string cmd = std::string(IPP_SYSTEM_PYTHON) + " -c '"
      "import logging, sys\n"
      "from traitlets.config.application import LevelFormatter\n"
      "h = logging.StreamHandler(sys.stdout)\n"
      "h.setFormatter(LevelFormatter(\"%(asctime)s.%(msecs).03d [%(name)s]%(highlevel)s %(message)s\","
      " datefmt=\"%Y-%m-%d %H:%M:%S\"))\n"
      "log = logging.getLogger(\"IPController\"); log.addHandler(h); log.setLevel(10)\n"
      "log.debug(\"d\"); log.info(\"i\"); log.warning(\"w\"); log.error(\"e\"); log.critical(\"c\")\n"
      "' 2>/dev/null";
  std::string py;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) py.append(buf, n);
    ::pclose(f);
  }
  if (py.empty()) GTEST_SKIP() << "traitlets not importable by " << IPP_SYSTEM_PYTHON;

  std::string ours;
  for (auto [level, text] : {std::pair{level_enum::debug, "d"}, {level_enum::info, "i"},
                             {level_enum::warn, "w"}, {level_enum::err, "e"},
                             {level_enum::critical, "c"}}) {
    ours += format_line(level, "IPController", text) + "\n";
  }
  std::regex stamp(std::string("(^|\n)") + kStamp);
  EXPECT_EQ(std::regex_replace(ours, stamp, "$1T"), std::regex_replace(py, stamp, "$1T"));
}

TEST_F(LogTest, LogsToFileTruncatingIt) {
  fs::path file = tmp_ / "ipcontroller--42.log";
  std::ofstream(file) << "stale line\n";
  setup_logging({std::string(kControllerLoggerName), level_enum::info, file});
  spdlog::debug("hidden");
  spdlog::info("shown");
  spdlog::warn("careful");
  // flush_on(trace): the file is complete without an explicit flush.
  std::ifstream in(file);
  std::string l1, l2, l3;
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_FALSE(std::getline(in, l3));
  EXPECT_THAT(l1, ::testing::EndsWith("[IPController] shown"));
  EXPECT_THAT(l2, ::testing::EndsWith("[IPController] WARNING | careful"));
}

TEST_F(LogTest, UnopenableFileNamesPath) {
  std::ofstream(tmp_ / "a-file") << "x";
  fs::path file = tmp_ / "a-file" / "x.log";
  try {
    setup_logging({"IPEngine", level_enum::info, file});
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(file.string()));
  }
}

TEST_F(LogTest, ChildLoggerSharesSinksWithNewName) {
  fs::path file = tmp_ / "e.log";
  setup_logging({"IPEngine", level_enum::debug, file});
  auto child = child_logger("IPEngine.3");
  EXPECT_EQ(child->name(), "IPEngine.3");
  EXPECT_EQ(child->level(), level_enum::debug);
  child->info("registered");
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_THAT(line, ::testing::EndsWith("[IPEngine.3] registered"));
}

}  // namespace
}  // namespace ipp::util

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/subprocess.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"
#include "unit/config/temp_dir.hpp"

namespace ipp::util {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(SubprocessTest, SpawnWritesOutputToTheFileAndReportsTheExit) {
  testing::TempDir dir;
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "echo out; echo err >&2; echo $IPP_X; exit 3"};
  o.output_file = dir.path() / "out.log";
  o.environment = {{"IPP_X", "from-env"}};
  pid_t pid = spawn_process(o);
  while (process_alive(pid)) ::usleep(1000);
  ASSERT_TRUE(child_status(pid));
  EXPECT_EQ(child_status(pid)->code, 3);
  EXPECT_EQ(child_status(pid)->describe(), "exited with status 3");
  EXPECT_EQ(tail_file(o.output_file, 10), "out\nerr\nfrom-env\n");
  EXPECT_EQ(tail_file(o.output_file, 1), "from-env\n");
}

TEST(SubprocessTest, MissingProgramIsAClearError) {
  SpawnOptions o;
  o.argv = {"/nonexistent/ipengine"};
  try {
    spawn_process(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/ipengine"));
    EXPECT_THAT(e.what(), HasSubstr("no such file"));
  }
  o.argv = {"ipp-no-such-command"};
  EXPECT_THROW(spawn_process(o), Error);
}

TEST(SubprocessTest, StopEscalatesToSigkillAndKillsTheGroup) {
  testing::TempDir dir;
  SpawnOptions o;
  // Ignores SIGTERM and leaves a child in its process group.
  o.argv = {"/bin/sh", "-c", "trap '' TERM; sleep 30 & echo $! > " + (dir.path() / "child").string() + "; wait"};
  pid_t pid = spawn_process(o);
  std::string child_text;
  for (int i = 0; i < 200 && child_text.empty(); ++i) {
    ::usleep(10000);
    std::ifstream(dir.path() / "child") >> child_text;
  }
  ASSERT_FALSE(child_text.empty());
  pid_t child = std::stoi(child_text);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(stop_process(pid, milliseconds(300), milliseconds(5000)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(300));
  EXPECT_FALSE(process_alive(pid));
  for (int i = 0; i < 100 && process_alive(child); ++i) ::usleep(10000);
  EXPECT_FALSE(process_alive(child));
  EXPECT_EQ(child_status(pid)->signal, SIGKILL);
}

TEST(SubprocessTest, ShellQuoteMatchesPythonShlex) {
  EXPECT_EQ(shell_quote("abc/d-e_f.g"), "abc/d-e_f.g");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\"'\"'s'");
}

}  // namespace
}  // namespace ipp::util

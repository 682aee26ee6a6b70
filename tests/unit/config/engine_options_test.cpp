// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/engine_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"
#include "unit/config/config_test_util.hpp"

namespace ipp::config {
namespace {

using ::testing::HasSubstr;
using testing::TempProfile;

class EngineOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"IPP_CLUSTER_ID", "IPP_SESSION_KEY"}) env_.unset(name);
  }
  EngineOptions build(const std::string& py, const std::vector<std::string>& args = {}) {
    profile_.write("ipengine_config.py", py);
    return build_engine_options(profile_.load(Program::Engine, args));
  }
  ipp::testing::ScopedEnv env_;
  TempProfile profile_;
};

TEST_F(EngineOptionsTest, Defaults) {
  auto o = build("");
  EXPECT_EQ(o.url_file, profile_.dir() / "security" / "ipcontroller-engine.json");
  EXPECT_FALSE(o.url_file_given);
  EXPECT_DOUBLE_EQ(o.timeout, 5.0);
  EXPECT_DOUBLE_EQ(o.wait_for_url_file, 10.0);
  EXPECT_EQ(o.max_heartbeat_misses, 50);
  EXPECT_FALSE(o.id.has_value());
  EXPECT_FALSE(o.use_mpi);
  EXPECT_TRUE(o.enable_nanny);
  EXPECT_EQ(o.init_mpi, kDefaultMpiInit);
  EXPECT_TRUE(o.exec_lines.empty());
}

TEST_F(EngineOptionsTest, ClusterIdNamesTheConnectionFile) {
  EXPECT_EQ(build("", {"--cluster-id=abc"}).url_file.filename(), "ipcontroller-abc-engine.json");
}

TEST_F(EngineOptionsTest, OldSpellingsMapToIPEngine) {
  auto o = build("c.IPEngineApp.startup_script = u'/path/to/my/startup.py'\n"
                 "c.IPEngineApp.startup_command = 'import numpy, scipy, mpi4py'\n"
                 "c.IPEngineApp.work_dir = u'/path/to/scratch/'\n"
                 "c.EngineFactory.timeout = 12\nc.EngineFactory.max_heartbeat_misses = 0\n");
  EXPECT_EQ(o.startup_script, "/path/to/my/startup.py");
  EXPECT_EQ(o.startup_command, "import numpy, scipy, mpi4py");
  EXPECT_EQ(o.common.work_dir, "/path/to/scratch/");
  EXPECT_DOUBLE_EQ(o.timeout, 12.0);
  EXPECT_EQ(o.max_heartbeat_misses, 0);
  EXPECT_EQ(o.exec_files, (std::vector<std::string>{"/path/to/my/startup.py"}));
  EXPECT_EQ(o.exec_lines, (std::vector<std::string>{"import numpy, scipy, mpi4py"}));
}

TEST_F(EngineOptionsTest, MpiUseMeansUseMpiAndRunsInitFirst) {
  auto o = build("c.MPI.use = 'mpi4py'\n", {"-c", "x = 1"});
  EXPECT_TRUE(o.use_mpi);
  ASSERT_EQ(o.exec_lines.size(), 2u);
  EXPECT_EQ(o.exec_lines[0], kDefaultMpiInit);
  EXPECT_EQ(o.exec_lines[1], "x = 1");
  EXPECT_TRUE(build("", {"--mpi"}).use_mpi);
}

TEST_F(EngineOptionsTest, KernelExecLinesWithLazyAppend) {
  auto o = build("c.IPKernelApp.exec_lines.append('import numpy as np')\n"
                 "c.InteractiveShellApp.exec_lines = ['ignored: IPKernelApp wins']\n"
                 "c.InteractiveShellApp.exec_files = ['/s.py']\n"
                 "c.InteractiveShell.colors = 'Linux'\n",
                 {"--c=print(1)"});
  EXPECT_EQ(o.exec_lines, (std::vector<std::string>{"import numpy as np", "print(1)"}));
  EXPECT_EQ(o.exec_files, (std::vector<std::string>{"/s.py"}));
  EXPECT_EQ(o.shell_config["InteractiveShell"]["colors"], "Linux");
}

TEST_F(EngineOptionsTest, CommandLineValues) {
  auto o = build("", {"--file=/tmp/x.json", "--timeout=2.5", "--location=10.0.0.2", "--ssh=gw", "--sshkey=~/k",
                      "--IPEngine.id=3"});
  EXPECT_EQ(o.url_file, "/tmp/x.json");
  EXPECT_TRUE(o.url_file_given);
  EXPECT_DOUBLE_EQ(o.timeout, 2.5);
  EXPECT_EQ(o.location, "10.0.0.2");
  EXPECT_EQ(o.sshserver, "gw");
  EXPECT_NE(o.sshkey.rfind("~", 0), 0u);  // ~ expanded as traitlets Unicode.from_string does
  EXPECT_EQ(o.id, 3);
}

TEST_F(EngineOptionsTest, BadTimeoutIsAnError) {
  try {
    build("", {"--timeout=abc"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("The 'timeout' trait of IPEngine expected a float, not 'abc'"));
  }
}

}  // namespace
}  // namespace ipp::config

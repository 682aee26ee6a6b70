// SPDX-License-Identifier: BSD-3-Clause
// BatchJob against the fake batch systems in tests/fixtures/fake_batch: real
// submit/delete/signal commands in real processes, only the batch server is
// a stand-in.
#include "ipp/cluster/batch_job.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "ipp/util/error.hpp"
#include "unit/config/config_test_util.hpp"

namespace ipp::cluster {
namespace {

using config::LauncherConfig;
using config::Program;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

const fs::path kFakes = fs::path(IPP_SOURCE_DIR) / "tests/fixtures/fake_batch";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class BatchJobTest : public ::testing::Test {
 protected:
  // The engine launcher `name` with the fake commands of `system` and `py`.
  LauncherConfig launcher(const std::string& name, const std::string& system, const std::string& py) {
    const fs::path bin = kFakes / ("bin-" + system);
    std::string commands;
    if (system == "pbs" || system == "sge") {
      commands = "c.BatchSystemLauncher.submit_command = ['" + (bin / "qsub").string() + "']\n" +
                 "c.BatchSystemLauncher.delete_command = ['" + (bin / "qdel").string() + "']\n" +
                 "c.PBSLauncher.signal_command = ['" + (kFakes / "bin-pbs/qsig").string() + "', '-s']\n";
    } else if (system == "lsf") {
      commands = "c.LSFLauncher.submit_command = ['" + (bin / "bsub").string() + "']\n" +
                 "c.LSFLauncher.delete_command = ['" + (bin / "bkill").string() + "']\n" +
                 "c.LSFLauncher.signal_command = ['" + (bin / "bkill").string() + "', '-s']\n";
    } else {
      commands = "c.HTCondorLauncher.submit_command = ['" + (bin / "condor_submit").string() + "']\n" +
                 "c.HTCondorLauncher.delete_command = ['" + (bin / "condor_rm").string() + "']\n";
    }
    profile_.write("ipcluster_config.py", commands + py);
    return config::build_cluster_options(profile_.load(Program::Cluster, {"start", "--engines=" + name}))
        .engine_launcher;
  }
  BatchJob job(LauncherConfig l, std::map<std::string, std::string> env = {}) {
    BatchJobContext c;
    c.profile_dir = profile_.dir().string();
    c.cluster_id = "c1";
    c.work_dir = work_dir();
    c.program = {"/bin/sh"};
    c.program_args = {"-c", "echo started; exec sleep 60"};
    c.environment = {{"FAKE_BATCH_DIR", state().string()}};
    c.environment.insert(env.begin(), env.end());
    c.python = IPP_SYSTEM_PYTHON;
    c.command_timeout = std::chrono::seconds(20);
    return BatchJob(std::move(l), std::move(c));
  }
  fs::path work_dir() const { return profile_.root() / "work"; }
  fs::path state() const { return profile_.root() / "fake-batch"; }
  fs::path job_dir(const std::string& id) const { return state() / "jobs" / id; }
  bool no_job_submitted() const { return !fs::exists(state() / "jobs") || fs::is_empty(state() / "jobs"); }

  // Waits until all `n` array elements of job `id` have ended; their exit statuses.
  std::vector<std::string> wait_for_end(const std::string& id, int n) {
    std::vector<std::string> statuses;
    for (int tries = 0; tries < 200; ++tries) {
      statuses.clear();
      for (int i = 1; i <= n; ++i) {
        fs::path f = job_dir(id) / ("exit." + std::to_string(i));
        if (fs::exists(f)) statuses.push_back(slurp(f));
      }
      if (static_cast<int>(statuses.size()) == n) return statuses;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "job " << id << " did not end";
    return statuses;
  }
  // The message submit() (or `action`) fails with; "(no error)" if it succeeds.
  template <typename Action>
  static std::string error_of(Action action) {
    try {
      action();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  // Waits until the `n` elements of job `id` have started (their output
  // says so): signals sent before would find no process. `output`: the
  // file the job's -o option names, else each element's own.
  void wait_for_start(const std::string& id, int n, const fs::path& output = {}) {
    auto count = [](const std::string& text) {
      int c = 0;
      for (size_t at = text.find("started"); at != std::string::npos; at = text.find("started", at + 1)) ++c;
      return c;
    };
    for (int tries = 0; tries < 200; ++tries) {
      int started = output.empty() ? 0 : count(slurp(output));
      for (int i = 1; output.empty() && i <= n; ++i)
        started += count(slurp(job_dir(id) / ("out." + std::to_string(i))));
      if (started >= n) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "job " << id << " did not start";
  }
  bool running(const std::string& id) {
    return fs::exists(job_dir(id)) && !fs::exists(job_dir(id) / "exit.1");
  }

  void SetUp() override { fs::create_directories(work_dir()); }

  config::testing::TempProfile profile_;
};

TEST_F(BatchJobTest, PbsSubmitWritesScriptParsesIdAndDeleteStopsEveryElement) {
  BatchJob j = job(launcher("pbs", "pbs", "c.PBSLauncher.queue = 'short'\n"));
  j.submit(3);
  EXPECT_EQ(j.job_id(), "100");  // from "100[].<host>"
  const fs::path file = work_dir() / "pbs_engines";
  EXPECT_EQ(j.batch_file(), file);
  const std::string expected =
      "#!/bin/sh\n#PBS -t 1-3\n#PBS -q short\n#PBS -V\n#PBS -N ipengine\n/bin/sh -c 'echo started; exec "
      "sleep 60'\n";
  EXPECT_EQ(slurp(file), expected);
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_all);  // 0700
  EXPECT_EQ(slurp(job_dir("100") / "script"), expected);                             // what qsub got
  json recorded = json::parse(slurp(job_dir("100") / "job.json"));
  EXPECT_EQ(recorded["n"], 3);
  EXPECT_EQ(recorded["queue"], "short");
  EXPECT_EQ(recorded["script_path"], file.string());
  EXPECT_TRUE(running("100"));

  wait_for_start("100", 3);
  j.stop();
  EXPECT_EQ(wait_for_end("100", 3), (std::vector<std::string>{"-15", "-15", "-15"}));
}

TEST_F(BatchJobTest, ExistingBatchFileIsReplacedAndMadePrivate) {
  const fs::path file = work_dir() / "pbs_engines";
  { std::ofstream(file) << "old contents that are much longer than the new script ...........\n"; }
  fs::permissions(
      file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  BatchJob j = job(launcher("pbs", "pbs", "c.PBSEngineSetLauncher.batch_template = '#!/bin/sh\\ntrue\\n'"));
  j.submit(1);
  EXPECT_EQ(slurp(file), "#!/bin/sh\ntrue\n");
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_all);
  wait_for_end(j.job_id(), 1);
}

TEST_F(BatchJobTest, SignalReachesTheJob) {
  BatchJob j = job(launcher("pbs", "pbs", ""));
  j.submit(2);
  wait_for_start(j.job_id(), 2);
  j.signal(15);
  EXPECT_EQ(wait_for_end(j.job_id(), 2), (std::vector<std::string>{"-15", "-15"}));
}

TEST_F(BatchJobTest, SgeJobArrayId) {
  BatchJob j = job(launcher("sge", "sge", ""));
  j.submit(2);  // "Your job-array 100.1-2:1 ("ipengine") has been submitted"
  EXPECT_EQ(j.job_id(), "100");
  EXPECT_THAT(slurp(job_dir("100") / "script"), HasSubstr("#$ -t 1-2\n"));
  j.stop();
  wait_for_end("100", 2);
}

TEST_F(BatchJobTest, LsfSubmitsThroughStdin) {
  BatchJob j = job(launcher("lsf", "lsf", "c.LSFLauncher.queue = 'normal'\n"));
  j.submit(2);  // "Job <100> is submitted to queue <normal>."
  EXPECT_EQ(j.job_id(), "100");
  json recorded = json::parse(slurp(job_dir("100") / "job.json"));
  EXPECT_TRUE(recorded["script_path"].is_null());  // came on stdin, as `bsub < file`
  EXPECT_EQ(recorded["argv"], json::array({"bsub"}));
  EXPECT_EQ(recorded["n"], 2);
  EXPECT_EQ(slurp(job_dir("100") / "script"), slurp(work_dir() / "lsf_engines"));
  wait_for_start("100", 2, work_dir() / "ipengine.o.%100");  // #BSUB -oo ipengine.o.%%J
  j.signal(15);
  EXPECT_EQ(wait_for_end("100", 2), (std::vector<std::string>{"-15", "-15"}));
}

TEST_F(BatchJobTest, HtcondorIdFromGroupOneAndNoSignalCommand) {
  // A description that runs our test program (the default one runs `ipengine`).
  LauncherConfig l = launcher("htcondor", "htcondor",
                              "c.HTCondorEngineSetLauncher.batch_template = "
                              "'executable = {program}\\narguments = \"{program_args}\"\\nqueue {n}\\n'\n");
  BatchJob j = job(l);
  j.submit(2);  // "2 job(s) submitted to cluster 100."
  EXPECT_EQ(j.job_id(), "100");
  wait_for_start("100", 2);
  EXPECT_THAT(error_of([&] { j.signal(2); }),
              HasSubstr("HTCondorEngineSetLauncher.signal_command is not set"));
  EXPECT_THAT(j.stop(), HasSubstr("All jobs in cluster 100 have been marked for removal"));
  EXPECT_EQ(wait_for_end("100", 2), (std::vector<std::string>{"-15", "-15"}));
}

TEST_F(BatchJobTest, AnotherProcessStopsTheJobFromItsState) {
  BatchJob first = job(launcher("pbs", "pbs", "c.PBSLauncher.namespace = {'x': 1}\n"));
  first.submit(2);
  json state = first.to_dict();
  EXPECT_EQ(state["job_id"], "100");
  EXPECT_EQ(state["n"], 2);
  EXPECT_EQ(state["batch_file_name"], "pbs_engines");
  EXPECT_EQ(state["queue"], "");
  EXPECT_EQ(state["namespace"], json({{"x", 1}}));
  EXPECT_EQ(state["batch_template"],
            "#!/bin/sh\n#PBS -t 1-{n}\n#PBS -V\n#PBS -N ipengine\n{program_and_args}\n");

  BatchJob second = job(launcher("pbs", "pbs", ""));
  second.restore(state);
  EXPECT_EQ(second.job_id(), "100");
  EXPECT_EQ(second.n(), 2);
  second.stop();
  wait_for_end("100", 2);
}

TEST_F(BatchJobTest, FailingSubmitCommand) {
  BatchJob j = job(launcher("pbs", "pbs", ""),
                   {{"FAKE_BATCH_SUBMIT_FAIL", "qsub: Unknown queue MSG=requested queue not found"}});
  EXPECT_THAT(error_of([&] { j.submit(2); }),
              AllOf(HasSubstr("PBSEngineSetLauncher.submit_command"), HasSubstr("qsub"),
                    HasSubstr("failed with exit status 1"), HasSubstr("requested queue not found")));
  EXPECT_TRUE(j.job_id().empty());
  EXPECT_TRUE(no_job_submitted());
}

TEST_F(BatchJobTest, SubmitCommandThatCannotRun) {
  BatchJob j = job(launcher("pbs", "pbs", "c.PBSLauncher.submit_command = ['/nonexistent/qsub']\n"));
  EXPECT_THAT(error_of([&] { j.submit(1); }),
              AllOf(HasSubstr("cannot run the PBSEngineSetLauncher.submit_command"),
                    HasSubstr("/nonexistent/qsub"), HasSubstr("No such file")));
}

TEST_F(BatchJobTest, NoJobIdInOutput) {
  BatchJob j = job(launcher(
      "pbs", "pbs", "c.PBSLauncher.submit_command = ['/bin/sh', '-c', 'echo queued, somewhere', 'sh']\n"));
  EXPECT_THAT(error_of([&] { j.submit(1); }),
              AllOf(HasSubstr("no job id in the output of `/bin/sh -c"),
                    HasSubstr("PBSEngineSetLauncher.job_id_regexp"), HasSubstr("queued, somewhere")));
  EXPECT_TRUE(j.job_id().empty());
}

TEST_F(BatchJobTest, JobIdRegexpIsPythonRe) {
  // A named group is Python syntax, and Python's $ also matches before the
  // output's final newline.
  BatchJob j = job(launcher(
      "pbs", "pbs",
      "c.PBSLauncher.submit_command = ['/bin/sh', '-c', 'echo warning 7: ok; echo job 4242.srv', 'sh']\n"
      "c.PBSLauncher.job_id_regexp = r'job (?P<id>\\d+)\\.srv$'\n"
      "c.PBSLauncher.job_id_regexp_group = 1\n"));
  j.submit(1);
  EXPECT_EQ(j.job_id(), "4242");
}

TEST_F(BatchJobTest, BadJobIdRegexpRefusedBeforeSubmitting) {
  BatchJob j = job(launcher("pbs", "pbs", "c.PBSLauncher.job_id_regexp = r'(\\d+'\n"));
  EXPECT_THAT(error_of([&] { j.submit(1); }),
              AllOf(HasSubstr("PBSEngineSetLauncher.job_id_regexp"), HasSubstr("error")));
  EXPECT_TRUE(no_job_submitted());
  BatchJob g = job(launcher("pbs", "pbs", "c.PBSLauncher.job_id_regexp_group = 2\n"));
  EXPECT_THROW(g.submit(1), Error);
  EXPECT_TRUE(no_job_submitted());
}

TEST_F(BatchJobTest, MissingTemplateVariableSubmitsNothing) {
  BatchJob j =
      job(launcher("pbs", "pbs", "c.PBSEngineSetLauncher.batch_template = '#PBS -l walltime={walltime}\\n'"));
  EXPECT_THAT(error_of([&] { j.submit(1); }), AllOf(HasSubstr("PBSEngineSetLauncher.batch_template, line 1"),
                                                    HasSubstr("name 'walltime' is not defined")));
  EXPECT_TRUE(no_job_submitted());
  EXPECT_FALSE(fs::exists(work_dir() / "pbs_engines"));
}

TEST_F(BatchJobTest, GenericBatchLauncherNeedsItsCommands) {
  profile_.write("ipcluster_config.py", "");
  LauncherConfig l =
      config::build_cluster_options(profile_.load(Program::Cluster, {"start", "--engines=batch"}))
          .engine_launcher;
  BatchJob j = job(l);
  EXPECT_THAT(error_of([&] { j.submit(1); }), HasSubstr("BatchEngineSetLauncher.submit_command is not set"));
}

TEST_F(BatchJobTest, FailingDeleteCommandReportsItsOutput) {
  BatchJob j = job(launcher("pbs", "pbs", ""));
  j.restore({{"job_id", "999"}, {"n", 1}});
  EXPECT_THAT(error_of([&] { j.stop(); }),
              AllOf(HasSubstr("PBSEngineSetLauncher.delete_command"), HasSubstr("qdel: Unknown Job Id 999")));
}

}  // namespace
}  // namespace ipp::cluster

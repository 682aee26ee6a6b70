// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ipp/cluster/batch_script.hpp"
#include "ipp/config/cluster_options.hpp"

namespace ipp::cluster {

// What a batch job needs from the cluster besides the launcher's traits.
struct BatchJobContext {
  std::string profile_dir;
  std::string cluster_id;
  // ipcluster's working directory: the batch file goes here, as in Python.
  std::filesystem::path work_dir = ".";
  std::vector<std::string> program;       // controller_cmd / engine_cmd
  std::vector<std::string> program_args;  // cluster args + controller_args / engine_args
  std::string output_file;                // {output_file}; the trait wins when set
  // Added to the submit command's environment (IPP_PROFILE_DIR,
  // IPP_CLUSTER_ID, the launcher's `environment`): qsub -V and sbatch pass
  // them on to the job, as newest ipyparallel does.
  std::map<std::string, std::string> environment;
  std::string python;  // renders templates and matches job ids; "" = the config loader's
  // qsub/qdel/... are killed after this long (a hung batch server).
  std::chrono::milliseconds command_timeout{60000};
  std::shared_ptr<spdlog::logger> log;  // null: the default logger
};

// One job of a batch system: what BatchSystemLauncher (ipyparallel 7.1
// cluster/launcher.py) does with submit_command, delete_command and
// signal_command. Not thread-safe.
class BatchJob {
 public:
  BatchJob(config::LauncherConfig launcher, BatchJobContext context);

  // write_batch_script(n) then submit: renders the template (see
  // batch_script.hpp), writes it to <work_dir>/<batch_file_name> with mode
  // 0700, runs submit_command + [batch file] (LSF: submit_command with the
  // file as stdin, i.e. `bsub < file`), and takes the job id from its
  // standard output with job_id_regexp / job_id_regexp_group (Python `re`).
  // Everything that can be checked is checked before anything is submitted
  // (template variables, the regexp, a submit command being set). Throws
  // ipp::Error naming the setting or the command and its output: nothing was
  // submitted, except when the command succeeded but printed no job id (the
  // message says so).
  void submit(int n);

  // delete_command + [job_id]; returns its output. Throws ipp::Error with
  // the command's output when it fails. No-op without a job id.
  std::string stop();

  // signal_command + [str(sig), job_id]. Throws ipp::Error when the
  // launcher has no signal command (HTCondor) or the command fails.
  void signal(int sig);

  const std::string& job_id() const { return job_id_; }
  int n() const { return n_; }
  std::filesystem::path batch_file() const { return context_.work_dir / launcher_.batch_file_name; }
  // The script as written by the last submit().
  const std::string& script() const { return script_; }

  // The batch launcher fields of ipcluster's cluster file (connection-files.md
  // section 7): job_id, batch_template, batch_file_name, queue, n,
  // namespace, output_file. The caller adds profile_dir, cluster_id, state.
  nlohmann::json to_dict() const;
  // Takes those fields back (ipcluster stop in another process); the
  // commands stay the ones configured now, as in Python's from_dict.
  void restore(const nlohmann::json& state);

 private:
  std::string run_command(const std::vector<std::string>& argv, const std::string& setting,
                          const std::string& stdin_path = "/dev/null") const;

  spdlog::logger& log() const { return *context_.log; }

  config::LauncherConfig launcher_;
  BatchJobContext context_;
  std::string job_id_;
  int n_ = 1;
  std::string batch_template_;  // the template used (7.1 stores it in to_dict)
  std::string script_;
};

}  // namespace ipp::cluster

// SPDX-License-Identifier: BSD-3-Clause
// The batch system launchers (PBS, SGE, Slurm, LSF, HTCondor and the
// generic `batch`): a controller or an engine set is one batch job
// (ipyparallel 7.1 BatchControllerLauncher / BatchEngineSetLauncher).
// Starting renders and submits the script (batch_job.hpp), stopping runs
// the delete command; the cluster file keeps job_id, batch_template,
// batch_file_name, queue, n, namespace (and newest's output_file), so
// `ipcluster stop` in another process deletes the job.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ipp/cluster/batch_job.hpp"
#include "ipp/cluster/launcher.hpp"

namespace ipp::cluster {

// What is common to the controller and engine-set batch launchers.
// Subclasses say what the job runs (program and arguments) and how many.
template <class Base>
class BatchSystemLauncher : public Base {
 public:
  using Base::Base;

  // Never throws; a failing delete command is logged with its output.
  void stop() override;
  // Never throws; no signal command (HTCondor) or a failing one is logged.
  void signal(int sig) override;
  // Batch jobs are not polled (as Python's BatchSystemLauncher.poll): a job
  // is running until it is stopped. The controller's answers and the
  // engines' registrations are what ipcluster watches.
  bool poll() override { return this->running(); }
  // Submitted jobs run wherever the batch system puts them.
  bool remote() const override { return true; }

  nlohmann::json to_dict() const override;
  // Takes back the job; throws ipp::Error when the state has no job id.
  void from_dict(const nlohmann::json& state) override;

  const BatchJob* job() const { return job_ ? &*job_ : nullptr; }

 protected:
  // What the job runs, besides the cluster arguments (--profile-dir,
  // --cluster-id) that go first.
  virtual const char* process_name() const = 0;               // "ipcontroller" / "ipengine"
  virtual std::vector<std::string> program() const = 0;       // controller_cmd / engine_cmd
  virtual std::vector<std::string> program_args() const = 0;  // controller_args / engine_args

  // Submits a job of `n` processes; state becomes Running. Throws
  // ipp::Error (see BatchJob::submit) with nothing left submitted.
  void submit(int n);

 private:
  BatchJob make_job() const;

  std::optional<BatchJob> job_;
};

class BatchControllerLauncher : public BatchSystemLauncher<ControllerLauncher> {
 public:
  using BatchSystemLauncher::BatchSystemLauncher;
  void start() override;  // a job of one process

 protected:
  const char* process_name() const override { return "ipcontroller"; }
  std::vector<std::string> program() const override { return controller_command(context_); }
  std::vector<std::string> program_args() const override { return context_.config.controller_args; }
};

class BatchEngineSetLauncher : public BatchSystemLauncher<EngineSetLauncher> {
 public:
  using BatchSystemLauncher::BatchSystemLauncher;
  // n engines: Cluster.n, else the CPU count (as Python's start_engines),
  // one per job array element or srun task.
  void start() override;
  // {"job <id>", n}, for progress messages.
  std::vector<std::pair<std::string, int>> hosts() const override;

 protected:
  const char* process_name() const override { return "ipengine"; }
  std::vector<std::string> program() const override { return engine_command(context_); }
  std::vector<std::string> program_args() const override { return context_.config.engine_args; }
};

}  // namespace ipp::cluster

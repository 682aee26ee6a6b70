// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/batch_launcher.hpp"

#include <thread>

#include "ipp/cluster/local_process.hpp"

namespace ipp::cluster {

using nlohmann::json;

template <class Base>
BatchJob BatchSystemLauncher<Base>::make_job() const {
  const LaunchContext& c = this->context_;
  BatchJobContext job;
  job.profile_dir = c.profile_dir.string();
  job.cluster_id = c.cluster_id;
  job.work_dir = c.work_dir.empty() ? std::filesystem::path(".") : c.work_dir;
  job.program = program();
  job.program_args = cluster_args(c);
  for (const auto& a : program_args()) job.program_args.push_back(a);
  // newest's default output_file: <profile>/log/<identifier>.log
  job.output_file = (c.profile_dir / "log" / (default_identifier(c, process_name()) + ".log")).string();
  job.environment = launch_environment(c);
  job.log = c.log;
  return BatchJob(c.config, std::move(job));
}

template <class Base>
void BatchSystemLauncher<Base>::submit(int n) {
  if (this->state() != LauncherState::Before) throw Error(this->class_name() + " was already started");
  BatchJob job = make_job();
  job.submit(n);
  job_.emplace(std::move(job));
  this->set_state(LauncherState::Running);
}

template <class Base>
void BatchSystemLauncher<Base>::stop() {
  if (!this->running() || !job_) return;
  try {
    std::string output = job_->stop();
    this->log().info("Stopped job {} ({})", job_->job_id(), output.empty() ? "no output" : output);
  } catch (const std::exception& e) {
    this->log().error("Problem stopping job {}: {}", job_->job_id(), e.what());
  }
  this->set_state(LauncherState::After);
}

template <class Base>
void BatchSystemLauncher<Base>::signal(int sig) {
  if (!this->running() || !job_) return;
  try {
    job_->signal(sig);
  } catch (const std::exception& e) {
    this->log().error("Problem sending signal {} to job {}: {}", sig, job_->job_id(), e.what());
  }
}

template <class Base>
json BatchSystemLauncher<Base>::to_dict() const {
  json d = Base::to_dict();
  if (job_) d.update(job_->to_dict());
  return d;
}

template <class Base>
void BatchSystemLauncher<Base>::from_dict(const json& state) {
  Base::from_dict(state);
  BatchJob job = make_job();
  job.restore(state);
  if (job.job_id().empty()) throw NotRunning(this->class_name() + ": no job id saved");
  job_.emplace(std::move(job));
  // As Python: a restored batch launcher is running until it is stopped.
  this->set_state(LauncherState::Running);
}

template class BatchSystemLauncher<ControllerLauncher>;
template class BatchSystemLauncher<EngineSetLauncher>;

void BatchControllerLauncher::start() { submit(1); }

void BatchEngineSetLauncher::start() {
  const int n =
      context_.n ? *context_.n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  context_.n = n;
  submit(n);
}

std::vector<std::pair<std::string, int>> BatchEngineSetLauncher::hosts() const {
  return {{"job " + (job() ? job()->job_id() : std::string("?")), n()}};
}

}  // namespace ipp::cluster

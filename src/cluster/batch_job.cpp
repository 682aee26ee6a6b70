// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/batch_job.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cluster/python_helper.hpp"
#include "ipp/util/captured_process.hpp"
#include "ipp/util/error.hpp"

namespace ipp::cluster {

using config::LauncherKind;
using nlohmann::json;

namespace {

// A list trait left at BatchSystemLauncher's default [''] means "not set".
bool is_set(const std::vector<std::string>& command) { return !command.empty() && !command[0].empty(); }

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Writes `text` to `path` with mode 0700 (owner rwx: some systems execute
// the file itself), as write_batch_script's open + chmod(S_IRWXU).
void write_script(const std::filesystem::path& path, const std::string& text, const std::string& setting) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
  auto fail = [&](const char* call) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    throw Error("cannot write the batch script " + path.string() + " (" + setting + "): " + call + ": " +
                std::strerror(err));
  };
  if (fd < 0) fail("open");
  if (::fchmod(fd, 0700) != 0) fail("fchmod");  // an existing file keeps its mode otherwise
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    fd = -1;
    fail("close");
  }
}

std::string join_words(const std::vector<std::string>& argv) { return shlex_join(argv); }

}  // namespace

BatchJob::BatchJob(config::LauncherConfig launcher, BatchJobContext context)
    : launcher_(std::move(launcher)), context_(std::move(context)) {
  if (!context_.log) context_.log = spdlog::default_logger();
}

std::string BatchJob::run_command(const std::vector<std::string>& argv, const std::string& setting,
                                  const std::string& stdin_path) const {
  util::CapturedProcessOptions run;
  run.result_fd = 1;
  run.stdin_path = stdin_path;
  // As Python's launchers, which run them from ipcluster's work_dir: the
  // batch system records it as the job's submission directory
  // ($PBS_O_WORKDIR), where relative output paths go.
  run.cwd = context_.work_dir.string();
  run.environment = context_.environment;
  run.timeout = context_.command_timeout;
  run.what = "the " + setting;
  const std::string shown = join_words(argv) + (stdin_path == "/dev/null" ? "" : " < " + stdin_path);
  log().debug("Running {}: {}", setting, shown);
  util::ProcessResult r;
  try {
    r = util::run_captured(argv, run);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (" + setting + " = " + json(argv).dump() + ")");
  }
  std::string output = trimmed(r.result);
  if (!trimmed(r.output).empty()) output += (output.empty() ? "" : "\n") + trimmed(r.output);
  if (r.timed_out) {
    throw Error("`" + shown + "` (" + setting + ") did not finish within " +
                std::to_string(context_.command_timeout.count() / 1000) + " s and was killed" +
                (output.empty() ? "" : ": " + output));
  }
  if (r.exit_code != 0) {
    std::string how = r.signal != 0 ? "was killed by signal " + std::to_string(r.signal)
                                    : "failed with exit status " + std::to_string(r.exit_code);
    throw Error("`" + shown + "` (" + setting + ") " + how + (output.empty() ? "" : ": " + output));
  }
  log().debug("{} output: {}", setting, output);
  return r.result;
}

void BatchJob::submit(int n) {
  const std::string& cls = launcher_.launcher.class_name;
  if (!is_set(launcher_.submit_command)) {
    throw Error(cls + ".submit_command is not set: nothing can submit the batch script");
  }
  if (launcher_.job_id_regexp.empty()) {
    throw Error(cls +
                ".job_id_regexp is not set: the job id could not be found in the submit command's output");
  }
  if (!is_set(launcher_.delete_command)) {
    throw Error(cls + ".delete_command is not set: the job could never be stopped");
  }
  n_ = n;
  BatchTemplate tmpl = choose_batch_template(launcher_);
  BatchScriptInput input;
  input.n = n;
  input.profile_dir = context_.profile_dir;
  input.cluster_id = context_.cluster_id;
  input.program = context_.program;
  input.program_args = context_.program_args;
  input.output_file = launcher_.output_file.empty() ? context_.output_file : launcher_.output_file;
  input.environment = json::object();
  for (const auto& [name, value] : context_.environment) input.environment[name] = value;

  // One interpreter checks the job id pattern and renders the script.
  const json variables = batch_variables(launcher_, input);
  const json requests = json::array({
      {{"op", "compile"}, {"pattern", launcher_.job_id_regexp}, {"group", launcher_.job_id_regexp_group}},
      {{"op", "format"}, {"template", tmpl.text}, {"variables", variables}},
  });
  const json replies =
      detail::run_python_helper(requests, tmpl.source, context_.python, context_.command_timeout);
  if (auto err = replies[0].find("error"); err != replies[0].end()) {
    throw Error(cls + ".job_id_regexp " + json(launcher_.job_id_regexp).dump() + " / job_id_regexp_group " +
                std::to_string(launcher_.job_id_regexp_group) + ": " + err->value("type", std::string()) +
                ": " + err->value("message", std::string()));
  }
  if (auto err = replies[1].find("error"); err != replies[1].end()) {
    throw Error(
        explain_batch_template_error(launcher_, detail::describe_format_error(*err, variables, tmpl.source)));
  }
  script_ = replies[1].value("text", std::string());
  batch_template_ = tmpl.text;

  const std::filesystem::path file = batch_file();
  log().debug("Writing batch script: {}\n{}", file.string(), script_);
  write_script(file, script_, cls + ".batch_file_name");

  std::vector<std::string> argv = launcher_.submit_command;
  std::string stdin_path = "/dev/null";
  if (launcher_.launcher.kind == LauncherKind::LSF) {
    // bsub reads #BSUB directives only from a script on its stdin. 7.1 runs
    // `bsub<"file"` through a shell; the file as stdin is the same without
    // the quoting hazards.
    stdin_path = file.string();
  } else {
    argv.push_back(file.string());
  }
  const std::string output = run_command(argv, cls + ".submit_command", stdin_path);

  const json found =
      detail::run_python_helper(json::array({{{"op", "search"},
                                              {"pattern", launcher_.job_id_regexp},
                                              {"group", launcher_.job_id_regexp_group},
                                              {"text", output}}}),
                                cls + ".job_id_regexp", context_.python, context_.command_timeout)[0];
  const json& match = found.contains("match") ? found["match"] : json();
  if (!match.is_string() || match.get<std::string>().empty()) {
    throw Error("no job id in the output of `" + join_words(argv) + "` (" + cls + ".job_id_regexp " +
                json(launcher_.job_id_regexp).dump() + ", group " +
                std::to_string(launcher_.job_id_regexp_group) +
                "): " + (trimmed(output).empty() ? "(no output)" : json(trimmed(output)).dump()) +
                "; if it queued a job, delete it with " + join_words(launcher_.delete_command));
  }
  job_id_ = match.get<std::string>();
  log().info("Job submitted with job id: '{}'", job_id_);
}

std::string BatchJob::stop() {
  if (job_id_.empty()) return "";
  std::vector<std::string> argv = launcher_.delete_command;
  argv.push_back(job_id_);
  return run_command(argv, launcher_.launcher.class_name + ".delete_command");
}

void BatchJob::signal(int sig) {
  const std::string& cls = launcher_.launcher.class_name;
  if (!is_set(launcher_.signal_command)) {
    throw Error(cls + " cannot signal its job: " + cls + ".signal_command is not set");
  }
  if (job_id_.empty()) throw Error(cls + ": no job to signal");
  std::vector<std::string> argv = launcher_.signal_command;
  argv.push_back(std::to_string(sig));
  argv.push_back(job_id_);
  run_command(argv, cls + ".signal_command");
}

json BatchJob::to_dict() const {
  return {
      {"job_id", job_id_},
      {"batch_template", batch_template_.empty() ? launcher_.batch_template : batch_template_},
      {"batch_file_name", launcher_.batch_file_name},
      {"queue", launcher_.queue},
      {"n", n_},
      {"namespace", launcher_.namespace_},
      {"output_file", launcher_.output_file.empty() ? context_.output_file : launcher_.output_file},
  };
}

void BatchJob::restore(const json& state) {
  auto text = [&](const char* key, std::string& into) {
    if (auto it = state.find(key); it != state.end() && it->is_string()) into = it->get<std::string>();
  };
  text("job_id", job_id_);
  text("batch_template", batch_template_);
  text("batch_file_name", launcher_.batch_file_name);
  text("queue", launcher_.queue);
  if (auto it = state.find("n"); it != state.end() && it->is_number_integer()) n_ = it->get<int>();
  if (auto it = state.find("namespace"); it != state.end() && it->is_object()) launcher_.namespace_ = *it;
  text("output_file", context_.output_file);
}

}  // namespace ipp::cluster

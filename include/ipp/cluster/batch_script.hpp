// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ipp/cluster/eval_formatter.hpp"
#include "ipp/config/cluster_options.hpp"

namespace ipp::cluster {

// What a batch launcher class fixes beyond its configurable traits: the
// class attributes of ipyparallel 7.1's PBS/SGE/Slurm/LSF/HTCondor
// launchers (cluster/launcher.py). The regexps are Python's, and behave the
// same in ECMAScript for these patterns.
struct BatchDialect {
  std::string default_template;  // 7.1 spelling (LSF lines indented, as in 7.1)
  std::string queue_regexp;      // "" = the system has no queue line (HTCondor)
  std::string queue_template;
  std::string job_array_regexp;
  std::string job_array_template;
  bool job_array_at_end = false;  // HTCondor: "queue {n}" goes last
  bool slurm_options = false;     // account / qos / timelimit lines and variables
};

// The dialect of a PBS, SGE, Slurm, LSF or HTCondor controller or engine-set
// launcher. The generic `batch` launcher (BatchSystemLauncher) has an empty
// default template and inserts nothing. Throws ipp::Error for other kinds.
const BatchDialect& batch_dialect(config::LauncherKind kind, config::LauncherRole role);

// Python's shlex.join (shlex.quote each word, joined with spaces).
std::string shlex_join(const std::vector<std::string>& words);

// The template a launcher renders, as BatchSystemLauncher.write_batch_script
// chooses it: `batch_template` if set, else the contents of
// `batch_template_file`, else the default template with option lines
// inserted. Only the default template gets the inserted lines: the queue
// line when `queue` is set, Slurm's account/qos/time lines when set, each
// after the first line unless the template already has one; then the job
// array line (also for controllers, with n = 1). `n` is not substituted
// here: the inserted lines are template text ("#PBS -t 1-{n}").
struct BatchTemplate {
  std::string text;
  std::string source;  // the setting, for messages: "PBSEngineSetLauncher.batch_template_file '/x'"
  bool is_default = false;
};
// Throws ipp::Error naming batch_template_file when it cannot be read.
BatchTemplate choose_batch_template(const config::LauncherConfig& launcher);

// Everything a batch script is rendered from besides the launcher's traits.
struct BatchScriptInput {
  int n = 1;  // engines (1 for controllers)
  std::string profile_dir;
  std::string cluster_id;
  std::vector<std::string> program;                       // controller_cmd / engine_cmd
  std::vector<std::string> program_args;                  // cluster args + controller_args / engine_args
  std::string output_file;                                // newest's {output_file}
  nlohmann::json environment = nlohmann::json::object();  // newest's {environment_json}
};

// The template variables (7.1's `context` plus newest's output_file and
// environment_json), then the launcher's `namespace` on top: n, queue,
// profile_dir, cluster_id, program, program_args, program_and_args;
// Slurm's account, qos, timelimit, options only when set (as in Python,
// where they enter the context when assigned).
nlohmann::json batch_variables(const config::LauncherConfig& launcher, const BatchScriptInput& input);

// The rendered script. Throws ipp::Error naming the template's setting
// (see eval_format) for a missing variable or a bad field.
std::string render_batch_script(const config::LauncherConfig& launcher, const BatchTemplate& tmpl,
                                const BatchScriptInput& input, const EvalFormatterOptions& formatter = {});

// `message` (a template error) plus what fixes it when the template uses a
// Slurm option that is not set ("set c.SlurmEngineSetLauncher.account").
std::string explain_batch_template_error(const config::LauncherConfig& launcher, std::string message);

}  // namespace ipp::cluster

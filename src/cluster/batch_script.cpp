// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/batch_script.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "ipp/util/error.hpp"
#include "ipp/util/subprocess.hpp"

namespace ipp::cluster {

using config::LauncherConfig;
using config::LauncherKind;
using config::LauncherRole;
using nlohmann::json;

namespace {

// ipyparallel 7.1 cluster/launcher.py, class attributes verbatim.
BatchDialect pbs(const char* name) {
  BatchDialect d;
  d.default_template = std::string("#!/bin/sh\n#PBS -V\n#PBS -N ") + name + "\n{program_and_args}\n";
  d.queue_regexp = R"(#PBS\W+-q\W+\$?\w+)";
  d.queue_template = "#PBS -q {queue}";
  d.job_array_regexp = R"(#PBS\W+-t\W+[\w\d\-\$]+)";
  d.job_array_template = "#PBS -t 1-{n}";
  return d;
}

BatchDialect sge(const char* name) {
  BatchDialect d;
  d.default_template = std::string("#$ -V\n#$ -S /bin/sh\n#$ -N ") + name + "\n{program_and_args}\n";
  d.queue_regexp = R"(#\$\W+-q\W+\$?\w+)";
  d.queue_template = "#$ -q {queue}";
  d.job_array_regexp = R"(#\$\W+\-t)";
  d.job_array_template = "#$ -t 1-{n}";
  return d;
}

BatchDialect slurm(bool controller) {
  BatchDialect d;
  d.default_template =
      controller ? "#!/bin/sh\n#SBATCH --job-name=ipy-controller-{cluster_id}\n#SBATCH --ntasks=1\n"
                   "{program_and_args}\n"
                 : "#!/bin/sh\n#SBATCH --job-name=ipy-engine-{cluster_id}\nsrun {program_and_args}\n";
  d.queue_regexp = R"(#SBATCH\W+(?:--partition|-p)\W+\$?\w+)";
  d.queue_template = "#SBATCH --partition={queue}";
  d.job_array_regexp = R"(#SBATCH\W+(?:--ntasks|-n)[\w\d\-\$]+)";
  d.job_array_template = "#SBATCH --ntasks={n}";
  d.slurm_options = true;
  return d;
}

BatchDialect lsf(bool controller) {
  BatchDialect d;
  // 7.1 writes these as indented triple-quoted strings; the indentation is
  // part of the script it submits.
  d.default_template = controller ? "#!/bin/sh\n    #BSUB -J ipcontroller\n    #BSUB -oo ipcontroller.o.%%J\n"
                                    "    #BSUB -eo ipcontroller.e.%%J\n    {program_and_args}\n    "
                                  : "#!/bin/sh\n    #BSUB -oo ipengine.o.%%J\n    #BSUB -eo ipengine.e.%%J\n"
                                    "    {program_and_args}\n    ";
  d.queue_regexp = R"(#BSUB[ \t]+-q[ \t]+\w+)";
  d.queue_template = "#BSUB -q {queue}";
  // Never matches "#BSUB -J ipengine[1-4]" (7.1's pattern wants no space
  // after -J), so the line is always added; kept for identical scripts.
  d.job_array_regexp = R"(#BSUB[ \t]-J+\w+\[\d+-\d+\])";
  d.job_array_template = "#BSUB -J ipengine[1-{n}]";
  return d;
}

BatchDialect htcondor(bool controller) {
  BatchDialect d;
  // Deliberate deviation: 7.1's controller template has `arguments =
  // {program_args}` without the double quotes, i.e. HTCondor's old argument
  // syntax, where shell quoting is not understood (`--cluster-id ''` passes
  // the two quote characters as the cluster id). Both templates use the
  // quoted new syntax, as 7.1's engine template does.
  d.default_template = std::string("\nuniverse        = vanilla\nexecutable      = ") +
                       (controller ? "ipcontroller" : "ipengine") +
                       "\n# by default we expect a shared file system\ntransfer_executable = False\n"
                       "arguments       = \"{program_args}\"\n";
  d.job_array_regexp = R"(queue\W+\$)";
  d.job_array_template = "queue {n}";
  d.job_array_at_end = true;
  return d;
}

// Python: firstline, rest = text.split('\n', 1); '\n'.join([firstline, line, rest])
void insert_after_first_line(std::string& text, const std::string& line) {
  size_t nl = text.find('\n');
  if (nl == std::string::npos) {
    // Python raises ValueError here; only a user's default-less template can
    // get here, and it never does (options go into default templates only).
    text += "\n" + line;
    return;
  }
  text.insert(nl + 1, line + "\n");
}

bool has(const std::string& text, const std::string& pattern) {
  return std::regex_search(text, std::regex(pattern));
}

bool is_unset(const json& v) { return v.is_null() || (v.is_string() && v.get<std::string>().empty()); }

// Python truthiness of a traitlets Any value (timelimit = 0 adds no line).
bool truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0.0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();  // json::empty() is false for ""
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

const json& trait(const LauncherConfig& l, const char* name) {
  static const json kNull;
  auto it = l.traits.find(name);
  return it == l.traits.end() ? kNull : *it;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

const BatchDialect& batch_dialect(LauncherKind kind, LauncherRole role) {
  static const BatchDialect kPbsController = pbs("ipcontroller"), kPbsEngines = pbs("ipengine");
  static const BatchDialect kSgeController = sge("ipcontroller"), kSgeEngines = sge("ipengine");
  static const BatchDialect kSlurmController = slurm(true), kSlurmEngines = slurm(false);
  static const BatchDialect kLsfController = lsf(true), kLsfEngines = lsf(false);
  static const BatchDialect kCondorController = htcondor(true), kCondorEngines = htcondor(false);
  static const BatchDialect kGeneric;
  const bool controller = role == LauncherRole::Controller;
  switch (kind) {
    case LauncherKind::PBS:
      return controller ? kPbsController : kPbsEngines;
    case LauncherKind::SGE:
      return controller ? kSgeController : kSgeEngines;
    case LauncherKind::Slurm:
      return controller ? kSlurmController : kSlurmEngines;
    case LauncherKind::LSF:
      return controller ? kLsfController : kLsfEngines;
    case LauncherKind::HTCondor:
      return controller ? kCondorController : kCondorEngines;
    case LauncherKind::Batch:
      return kGeneric;
    default:
      break;
  }
  throw Error("not a batch system launcher: " + std::string(config::launcher_kind_name(kind)));
}

std::string shlex_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + util::shell_quote(w);
  return out;
}

BatchTemplate choose_batch_template(const LauncherConfig& l) {
  const std::string& cls = l.launcher.class_name;
  if (!l.batch_template.empty()) return {l.batch_template, cls + ".batch_template", false};
  if (!l.batch_template_file.empty()) {
    const std::filesystem::path path(l.batch_template_file);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      throw Error(
          cls + ".batch_template_file: cannot read '" + l.batch_template_file + "'" +
          (path.is_relative() ? " (relative to " + std::filesystem::current_path(ec).string() + ")" : "") +
          ": " + (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
    }
    std::string text = read_file(path);
    // As 7.1: an empty file means "no template", i.e. the default.
    if (!text.empty()) return {text, cls + ".batch_template_file '" + l.batch_template_file + "'", false};
  }

  const BatchDialect& d = batch_dialect(l.launcher.kind, l.launcher.role);
  BatchTemplate t{d.default_template, "the default " + cls + " template", true};
  if (!d.queue_regexp.empty() && !l.queue.empty() && !has(t.text, d.queue_regexp)) {
    insert_after_first_line(t.text, d.queue_template);
  }
  if (d.slurm_options) {
    struct Option {
      const char* name;
      const char* regexp;
      const char* line;
    };
    static const Option kOptions[] = {
        {"account", R"(#SBATCH\W+(?:--account|-A)\W+\$?\w+)", "#SBATCH --account={account}"},
        {"qos", R"(#SBATCH\W+--qos\W+\$?\w+)", "#SBATCH --qos={qos}"},
        {"timelimit", R"(#SBATCH\W+(?:--time|-t)\W+\$?\w+)", "#SBATCH --time={timelimit}"},
    };
    for (const Option& o : kOptions) {
      if (truthy(trait(l, o.name)) && !has(t.text, o.regexp)) insert_after_first_line(t.text, o.line);
    }
  }
  if (!d.job_array_regexp.empty() && !has(t.text, d.job_array_regexp)) {
    if (d.job_array_at_end) {
      t.text += "\n" + d.job_array_template;
    } else {
      insert_after_first_line(t.text, d.job_array_template);
    }
  }
  return t;
}

json batch_variables(const LauncherConfig& l, const BatchScriptInput& in) {
  json v = json::object();
  v["n"] = in.n;
  v["queue"] = l.queue;
  v["profile_dir"] = in.profile_dir;
  v["cluster_id"] = in.cluster_id;
  v["program"] = shlex_join(in.program);
  v["program_args"] = shlex_join(in.program_args);
  std::vector<std::string> both = in.program;
  both.insert(both.end(), in.program_args.begin(), in.program_args.end());
  v["program_and_args"] = shlex_join(both);
  if (l.launcher.kind == LauncherKind::Slurm) {
    for (const char* name : {"account", "qos", "timelimit", "options"}) {
      if (!is_unset(trait(l, name))) v[name] = trait(l, name);
    }
  }
  v["output_file"] = in.output_file;
  v["environment_json"] = in.environment.dump();
  if (l.namespace_.is_object()) {
    for (const auto& [name, value] : l.namespace_.items()) v[name] = value;
  }
  return v;
}

std::string explain_batch_template_error(const LauncherConfig& l, std::string message) {
  if (l.launcher.kind != LauncherKind::Slurm) return message;
  for (const char* name : {"account", "qos", "timelimit", "options"}) {
    if (message.find(std::string("name '") + name + "' is not defined") != std::string::npos) {
      return message + " (set c." + l.launcher.class_name + "." + name + " to use {" + name + "})";
    }
  }
  return message;
}

std::string render_batch_script(const LauncherConfig& l, const BatchTemplate& tmpl,
                                const BatchScriptInput& in, const EvalFormatterOptions& formatter) {
  try {
    return eval_format(tmpl.text, batch_variables(l, in), tmpl.source, formatter);
  } catch (const Error& e) {
    throw Error(explain_batch_template_error(l, e.what()));
  }
}

}  // namespace ipp::cluster

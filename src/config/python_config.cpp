// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/python_config.hpp"

#include <unistd.h>

#include <cstdlib>

#include "config/python_evaluator_script.hpp"
#include "ipp/util/captured_process.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {

using nlohmann::json;

std::string default_config_python() {
  if (const char* env = std::getenv("IPP_CONFIG_PYTHON"); env != nullptr && *env != '\0') {
    return env;
  }
  // Debian's python3 has traitlets/IPython installed as system packages; a
  // python3 earlier on PATH (a venv) may not, and config files sometimes
  // import from them.
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

namespace {

std::string tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

ConfigValue value_from(const json& entry, const std::string& fallback_file) {
  ConfigValue v;
  if (auto it = entry.find("lazy"); it != entry.end()) {
    v.lazy = true;
    v.value = *it;
  } else {
    v.value = entry.value("value", json());
  }
  if (auto keys = entry.find("keys"); keys != entry.end() && keys->is_array()) {
    v.key_order = keys->get<std::vector<std::string>>();
  }
  v.source = entry.value("file", std::string());
  if (v.source.empty()) v.source = fallback_file;
  v.line = entry.value("line", 0);
  return v;
}

}  // namespace

Config load_python_config(const std::filesystem::path& file, const PythonConfigOptions& options,
                          std::vector<Diagnostic>* warnings) {
  const std::string path = file.string();
  const std::string python = options.python.empty() ? default_config_python() : options.python;
  // We deliberately do not pass -I: the Python apps honour PYTHONPATH and the
  // user's site-packages, and a config file may import from them. The
  // evaluator itself only needs the standard library.
  std::vector<std::string> argv = {python, "-c", detail::kPythonEvaluatorScript, "3", path,
                                   options.ipython_dir.string()};
  util::CapturedProcessOptions run;
  run.timeout = options.timeout;
  run.what = "the config evaluator";
  util::ProcessResult r;
  try {
    r = util::run_captured(argv, run);
  } catch (const Error& e) {
    const std::string why = e.what();
    if (why.rfind("cannot run", 0) != 0) throw;
    throw Error(why + " (set IPP_CONFIG_PYTHON to a Python 3 interpreter)");
  }

  if (r.timed_out) {
    throw Error(path + ": evaluating the config file did not finish within " +
                std::to_string(options.timeout.count() / 1000.0).substr(0, 4) +
                " s and was stopped (does it wait for input, a lock or the network?)");
  }
  json doc;
  if (!r.result.empty()) {
    try {
      doc = json::parse(r.result);
    } catch (const json::exception& e) {
      throw Error(path + ": unreadable result from the config evaluator (" + e.what() + ")");
    }
  }
  if (doc.is_null()) {
    std::string why = r.signal != 0 ? "was killed by signal " + std::to_string(r.signal)
                                    : "exited with status " + std::to_string(r.exit_code);
    throw Error(path + ": the config evaluator (" + python + ") " + why +
                " without a result" + (r.output.empty() ? "" : ":\n" + tail(r.output, 2000)));
  }
  if (auto err = doc.find("error"); err != doc.end()) {
    std::string where = err->value("file", std::string());
    if (where.empty()) where = path;
    if (int line = err->value("line", 0); line > 0) where += ":" + std::to_string(line);
    throw Error(where + ": " + err->value("type", std::string("Error")) + ": " +
                err->value("message", std::string()));
  }

  Config config;
  const json sections = doc.value("sections", json::object());
  for (const auto& [section, traits] : sections.items()) {
    for (const auto& [trait, entry] : traits.items()) {
      config.set(section, trait, value_from(entry, path));
    }
  }
  if (warnings != nullptr) {
    const json notes = doc.value("warnings", json::array());
    for (const auto& w : notes) {
      std::string source = w.value("file", std::string());
      const auto kind = w.value("kind", std::string()) == "unknown" ? Diagnostic::Kind::Unknown
                                                                     : Diagnostic::Kind::Note;
      warnings->push_back({kind, source.empty() ? path : source,
                           w.value("line", 0), w.value("message", std::string())});
    }
    if (!r.output.empty()) {
      warnings->push_back({Diagnostic::Kind::Note, path, 0,
                           "output while loading:\n" + tail(r.output, 4000)});
    }
  }
  return config;
}

}  // namespace ipp::config

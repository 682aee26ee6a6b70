// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "ipp/config/config.hpp"

namespace ipp::config {

// How *_config.py files are evaluated. ipcontroller does not link libpython:
// each file runs in a short-lived system Python subprocess with the same
// namespace traitlets gives it (c, get_config(), load_subconfig(), __file__),
// so loops, string formatting, `import os`, `import socket` ... all work.
// One deliberate extra: `os` is predefined, because the IPython docs'
// snippets use os.environ without importing it.
struct PythonConfigOptions {
  // Interpreter to run. Empty: $IPP_CONFIG_PYTHON, else /usr/bin/python3 if
  // it exists, else `python3` from PATH.
  std::string python;
  // The evaluator is killed after this long (a config file waiting on the
  // network, or looping) and loading fails with a clear error.
  std::chrono::milliseconds timeout{30000};
  // IPython directory, for load_subconfig(name, profile="other").
  std::filesystem::path ipython_dir;
};

// The interpreter PythonConfigOptions{} resolves to (see `python` above).
std::string default_config_python();

// Evaluates one Python config file.
//
// Every assigned trait records the file and line of the assignment (for a
// value built over several lines, the line of the assignment statement that
// completes it). Values the evaluator cannot represent as JSON are passed as
// {"__repr__": ...} with a Diagnostic appended to `warnings`, as is anything
// the file printed.
//
// Throws ipp::Error naming file and line for any exception the file raises:
// "<path>:<line>: NameError: name 'x' is not defined", SyntaxError, ImportError,
// exit() ..., and for a missing interpreter, a timeout or a crashed
// evaluator. The subprocess gets /dev/null as stdin (a config file calling
// input() fails instead of hanging) and the caller's environment.
Config load_python_config(const std::filesystem::path& file, const PythonConfigOptions& options,
                          std::vector<Diagnostic>* warnings);

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace ipp::cluster {

struct EvalFormatterOptions {
  // Interpreter that renders. Empty: the config loader's (IPP_CONFIG_PYTHON,
  // else /usr/bin/python3, else python3 from PATH).
  std::string python;
  std::chrono::milliseconds timeout{30000};
};

// Renders `text` exactly as IPython's
//   EvalFormatter().format(text, **variables)
// does for ipyparallel's batch launchers: str.format syntax in which every
// field is a Python expression evaluated with `variables` as globals
// ({n//4}, {queue.upper()}, {program_args.replace(' ', ',')}, {n:03d},
// {program_and_args[0:5]}, {s[slice(2,4)]}; {{ and }} are literal braces).
// `variables` is a JSON object; its values become the Python values JSON
// maps to (int, float, str, list, dict, bool, None).
//
// Why a Python child and not a C++ evaluator: the fields are arbitrary
// Python expressions (method calls, slices, arithmetic with Python's int and
// float semantics and str() of the result, format specs, conversions), so
// only Python renders every template users already have byte for byte. The
// renderer runs the same string.Formatter subclass as IPython (stdlib only,
// IPython need not be installed); ipcluster already needs that interpreter
// for *_config.py files, and a template is rendered once per job submission
// (~30 ms), never on a hot path.
//
// Throws ipp::Error starting with `what` (the setting the template came
// from, e.g. "PBSEngineSetLauncher.batch_template_file '/x/pbs.tpl'") for
// an unknown name ("line 5: field {wall}: NameError: name 'wall' is not
// defined; template variables: cluster_id, n, ..."), any other exception a
// field raises, malformed braces, and a missing or failing interpreter.
std::string eval_format(const std::string& text, const nlohmann::json& variables, const std::string& what,
                        const EvalFormatterOptions& options = {});

}  // namespace ipp::cluster

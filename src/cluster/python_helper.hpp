// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace ipp::cluster::detail {

// The Python semantics batch launchers need, done by Python itself in a
// short-lived child (see eval_formatter.hpp for why): a JSON list of
// requests in (several per child, to pay the interpreter start once), the
// list of replies out. Requests:
//   {"op": "format", "template": str, "variables": {...}}
//       -> {"text": str}   (IPython's EvalFormatter)
//   {"op": "search", "pattern": str, "group": int, "text": str}
//       -> {"match": str or null}   (re.search(pattern, text).group(group))
//   {"op": "compile", "pattern": str, "group": int} -> {}   (a pattern and
//       group that "search" can use; checked before a job is submitted)
// Failures come back as {"error": {"type", "message", "field", "line"}}
// (field/line only for "format").
//
// `python` empty: the config loader's interpreter. Throws ipp::Error
// starting with `what` if the interpreter cannot run, times out or dies;
// Python errors are returned, not thrown.
nlohmann::json run_python_helper(const nlohmann::json& requests, const std::string& what,
                                 const std::string& python, std::chrono::milliseconds timeout);

// The message for a "format" error reply: "<what>, line 5: field {wall}:
// NameError: name 'wall' is not defined; template variables: a, b".
std::string describe_format_error(const nlohmann::json& error, const nlohmann::json& variables,
                                  const std::string& what);

}  // namespace ipp::cluster::detail

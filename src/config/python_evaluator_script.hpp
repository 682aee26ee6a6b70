// SPDX-License-Identifier: BSD-3-Clause
#pragma once

namespace ipp::config::detail {

// The Python program that evaluates one *_config.py file (passed to
// `python3 -c`). Arguments: <result fd> <config file> <ipython dir>.
// It writes exactly one JSON document to the result fd:
//   {"sections": {"Class": {"trait": {"value"|"lazy": ..., "file": f, "line": n}}},
//    "warnings": [{"file": f, "line": n, "message": m}]}
// or {"error": {"type": t, "message": m, "file": f, "line": n, "traceback": tb}}.
extern const char* const kPythonEvaluatorScript;

}  // namespace ipp::config::detail

// SPDX-License-Identifier: BSD-3-Clause
//
// Error contents and texts the schedulers generate, formatted as the
// Python controller formats them (ipyparallel.error.wrap_exception, %r).
// Area-private: only the schedulers and their tests use it.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ipp/wire/python_values.hpp"

namespace ipp::scheduler {

// wrap_exception() of `ipyparallel.error.<ename>(evalue)` raised in
// `function`, as messages.md section 6:
//   {"status": "error",
//    "traceback": ["Traceback (most recent call last):\n",
//                  "  File \"<ipcontroller>\", line 0, in <function>\n",
//                  "ipyparallel.error.<ename>[: <evalue>]\n"],
//    "ename": ename, "evalue": evalue, "engine_info": {}}
// The middle frame names our scheduler function where Python names its own
// source file and line.
nlohmann::json wrap_exception(std::string_view ename, std::string_view evalue,
                              std::string_view function);

// Python's repr() of str and bytes, as in "Engine b'<uuid>' died while
// running task '<msg_id>'".
inline std::string py_repr_str(std::string_view text) { return wire::py_repr(text); }
using wire::py_repr_bytes;

using wire::py_truthy;  // bool() of metadata flags

// "Engine b'<uuid>' died while running task '<msg_id>'", as
// TaskScheduler.handle_stranded_tasks.
std::string engine_died_text(std::string_view uuid, std::string_view msg_id);

}  // namespace ipp::scheduler

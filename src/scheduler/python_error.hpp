// SPDX-License-Identifier: BSD-3-Clause
//
// Error contents and texts the schedulers generate, formatted as the
// Python controller formats them (ipyparallel.error.wrap_exception, %r).
// Area-private: only the schedulers and their tests use it.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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

// Python's repr() of a str ('abc') and of bytes (b'abc'): single quotes
// unless the text contains ' and no ", backslash and control characters
// escaped. Used for the EngineError text "Engine b'<uuid>' died while
// running task '<msg_id>'". Non-ASCII bytes are escaped as \xNN in the
// bytes form and kept in the str form (Python keeps printable non-ASCII).
std::string py_repr_str(std::string_view text);
std::string py_repr_bytes(std::string_view bytes);

// Python's bool(value) for a JSON value (null, false, 0, "", [], {} are
// false), for metadata flags read with `if md.get(...)`.
bool py_truthy(const nlohmann::json& value);

// "Engine b'<uuid>' died while running task '<msg_id>'", as
// TaskScheduler.handle_stranded_tasks.
std::string engine_died_text(std::string_view uuid, std::string_view msg_id);

}  // namespace ipp::scheduler

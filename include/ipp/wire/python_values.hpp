// SPDX-License-Identifier: BSD-3-Clause
//
// How Python spells values that end up in message text, for error
// contents that must read exactly as the Python controller's
// ("Engine b'<uuid>' died while running task '<msg_id>'",
// KeyError evalues, "No Such Engine: [5, 'x']"), and Python's truth test
// for metadata flags read with `if md.get(...)`.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ipp::wire {

// repr() of a str: single quotes unless the text contains ' and no ",
// backslash escapes for the quote, \\, \n, \r, \t and other control
// characters (\xNN); other characters, non-ASCII included, kept.
std::string py_repr(std::string_view text);
inline std::string py_repr(const std::string& text) { return py_repr(std::string_view(text)); }
inline std::string py_repr(const char* text) { return py_repr(std::string_view(text)); }

// repr() of bytes: b'...', non-ASCII bytes escaped as \xNN too.
std::string py_repr_bytes(std::string_view bytes);

// repr() of a JSON value as json.loads gives it: null -> None, true ->
// True, strings as py_repr, lists "[a, b]", dicts "{'k': v}".
std::string py_repr(const nlohmann::json& value);

// bool(value): null, false, 0, "", [] and {} are false.
bool py_truthy(const nlohmann::json& value);

}  // namespace ipp::wire

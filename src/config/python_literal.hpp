// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ipp::config::detail {

// Parses the subset of Python literal syntax that ast.literal_eval accepts
// and that appears on command lines: strings ('..', "..", with the common
// backslash escapes; b'..' as a string), integers, floats, True/False/None,
// lists, tuples (as arrays), sets (as arrays) and dicts with string or
// number keys. nullopt if `text` is not such a literal.
std::optional<nlohmann::json> parse_python_literal(std::string_view text);

}  // namespace ipp::config::detail

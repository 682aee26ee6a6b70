// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <string_view>

namespace ipp::util {

// Levenshtein distance, for "did you mean ...?" hints on mistyped options
// and config names.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace ipp::util

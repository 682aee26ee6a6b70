// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <string_view>

#include "ipp/config/config.hpp"

namespace ipp::config {

// Loads a <app>_config.json file: {"Class": {"trait": value}}, as traitlets'
// JSONFileConfigLoader (an optional top-level "version": 1 is accepted and
// removed; nested objects under a class whose key starts with an uppercase
// letter are nested sections, stored as "Class.Sub").
//
// nlohmann::json does not report positions, so each value's line is that of
// the first `"trait"` key after its `"Class"` key in the text: exact for the
// files people write, approximate for contrived ones.
//
// Throws ipp::Error "<path>:<line>: invalid JSON: ..." on a syntax error and
// "<path>: ..." when the file is unreadable or not an object of objects.
Config load_json_config(const std::filesystem::path& file);

// The same, from text already in memory; `source` names it in errors.
Config parse_json_config(std::string_view text, const std::string& source);

}  // namespace ipp::config

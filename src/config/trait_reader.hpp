// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/config/config.hpp"

namespace ipp::config::detail {

// Reads typed trait values the way a traitlets Configurable of class `cls`
// sees them: the sections of its MRO are merged base first (so
// c.SSHLauncher.user applies to SSHEngineSetLauncher unless that class sets
// it, and lazy .append()s on a subclass apply to the base's value), the
// result converted to the trait's type (command-line strings parsed, file
// values validated), and unset traits get the catalogue default.
// `config` must outlive the reader. Conversion errors throw ipp::Error
// naming file and line.
class TraitReader {
 public:
  explicit TraitReader(const Config& config) : config_(config) {}

  // The converted value if any section of the MRO sets the trait.
  std::optional<nlohmann::json> configured(std::string_view cls, std::string_view trait) const;
  bool is_set(std::string_view cls, std::string_view trait) const;
  // Configured value, else the catalogue default (null when computed at run time).
  nlohmann::json get(std::string_view cls, std::string_view trait) const;
  // The most derived value that decided the trait, or nullptr.
  const ConfigValue* source(std::string_view cls, std::string_view trait) const;

  bool get_bool(std::string_view cls, std::string_view trait) const;
  long long get_int(std::string_view cls, std::string_view trait) const;
  std::optional<long long> get_optional_int(std::string_view cls, std::string_view trait) const;
  double get_float(std::string_view cls, std::string_view trait) const;
  std::string get_str(std::string_view cls, std::string_view trait) const;
  std::vector<std::string> get_strings(std::string_view cls, std::string_view trait) const;

 private:
  const Config& config_;
};

// "path:line: " for the value that decided cls.trait, "" if defaulted.
std::string where_prefix(const TraitReader& reader, std::string_view cls, std::string_view trait);

// Converts JSON items to strings for command-line style lists (numbers are
// written as Python would print them).
std::vector<std::string> to_strings(const nlohmann::json& list);

}  // namespace ipp::config::detail

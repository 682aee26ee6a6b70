// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/config/config.hpp"

namespace ipp::config {

// The three programs whose configuration we read.
enum class Program { Controller, Engine, Cluster };

// "ipcontroller", "ipengine", "ipcluster".
std::string_view program_name(Program program);

enum class TraitType {
  Bool,   // traitlets Bool: true/false (0/1 accepted)
  Int,    // Integer
  Float,  // Float (integers accepted)
  Str,    // Unicode, Bytes, DottedObjectName, CRegExp
  Enum,   // Enum / CaselessStrEnum: one of `enum_values`
  List,   // List / Set
  Tuple,  // fixed-length Tuple (the deprecated IPController.hb/mux/...)
  Ports,  // ipyparallel PortList: list of ports or "10101-10120,10125"
  Dict,
  Any,    // Type, Instance, Union, Any: kept as written
};

struct TraitInfo {
  std::string name;
  std::string declared_by;  // class that declares it (its default applies)
  TraitType type = TraitType::Any;
  nlohmann::json default_value;  // null when computed at run time (hostname, cwd, sys.executable)
  bool allow_none = false;
  std::vector<nlohmann::json> enum_values;
  std::string item_type;                // List/Ports/Dict item type name ("int", "str", ...) or ""
  std::vector<std::string> tuple_items; // Tuple element type names
  bool newest_only = false;             // added after ipyparallel 7.1
};

struct ClassInfo {
  std::string name;
  std::vector<std::string> mro;  // configurable classes, most derived first (Python __mro__)
  std::string program;           // "controller", "engine", "cluster" or "common"
  std::map<std::string, TraitInfo, std::less<>> traits;  // declared by this class itself
};

// Every configurable class of ipcontroller, ipengine and ipcluster with its
// traits, generated from ipyparallel (tools/generate_trait_catalog.py), plus
// old class names and the classes of other IPython/Jupyter programs (which
// share ipython_config.py and must never be warned about). Immutable;
// thread-safe.
class TraitCatalog {
 public:
  static const TraitCatalog& instance();

  const ClassInfo* find_class(std::string_view name) const;
  // The nearest declaration of `trait` along `cls`'s MRO; nullptr if none.
  const TraitInfo* find_trait(std::string_view cls, std::string_view trait) const;
  // Every trait `cls` accepts, own and inherited, sorted.
  std::vector<std::string> trait_names(std::string_view cls) const;
  // MRO of a known class; {name} for anything else.
  std::vector<std::string> mro(std::string_view cls) const;

  // Pre-7 class names mapped by deprecations.cpp (HubFactory -> IPController, ...).
  std::optional<std::string> deprecated_target(std::string_view cls) const;
  bool is_foreign(std::string_view cls) const;

  enum class Owner { Common, Controller, Engine, Cluster, Foreign, Unknown };
  // Which program a section configures (deprecated names: their target's).
  Owner owner(std::string_view cls) const;

 private:
  TraitCatalog();
  std::map<std::string, ClassInfo, std::less<>> classes_;
  std::map<std::string, std::string, std::less<>> deprecated_;
  std::vector<std::string> foreign_;  // sorted
};

// Converts a configured value to the trait's type. Command-line and
// environment strings are parsed as traitlets' from_string does (bool:
// true/false/1/0, numbers, `~` expansion for strings, "key=value" dict
// items, "1-3,7" port ranges, the deprecated "['a', 'b']" literal form);
// values from files are validated. A lazy value is applied to `base` (the
// trait default when null). `cls` names the class in messages.
// Throws ipp::Error "<file>:<line>: The 'timeout' trait of IPEngine expected
// a float, not the str 'abc'".
nlohmann::json convert_trait_value(const TraitInfo& trait, std::string_view cls,
                                   const ConfigValue& value,
                                   const nlohmann::json& base = nullptr);

// Warnings for configured traits `program` will not use, each naming file
// and line: unknown classes and traits ("unknown configuration 'Foo.bar'
// (ignored)", with a "did you mean" when a trait name is close), and classes
// of another of the three programs (except in the shared ipython_config.*).
// Classes of IPython/Jupyter (InteractiveShell, IPKernelApp, ...) are
// accepted silently.
std::vector<Diagnostic> check_config(const Config& config, Program program);

}  // namespace ipp::config

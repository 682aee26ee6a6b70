// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipp::config {

// One configured trait value and where it came from.
//
// Values from config files are already typed JSON (the Python evaluator
// converts tuples/sets to arrays, classes and functions to
// {"__pyobject__": "module.qualname"}, other objects to {"__repr__": "..."}).
// Values from the command line and the environment are strings (or arrays of
// strings for repeated list options) that the trait's type converts later, as
// traitlets' DeferredConfigString does; `from_command_line` marks them.
struct ConfigValue {
  nlohmann::json value;
  // traitlets LazyConfigValue: the file *read* an unset trait and modified it
  // (c.X.y.append(v), .extend, .prepend, .insert, .update, .add) instead of
  // assigning it. `value` then holds the recorded operations:
  //   {"extend": [...], "prepend": [...], "inserts": [[index, v], ...],
  //    "update": {...}, "add": [...]}
  // and the result is those operations applied to the trait's default (or to
  // an earlier plain value when configs merge); see apply_lazy().
  bool lazy = false;
  std::string source;  // config file path, "<command line>" or "<environment $NAME>"
  int line = 0;        // 1-based line in `source`; 0 when unknown
  bool from_command_line = false;
  // For object values: the keys in the order the file wrote them
  // (nlohmann::json sorts object keys; Python dicts keep insertion order,
  // which matters for SSHEngineSetLauncher.engines). Empty if unknown.
  std::vector<std::string> key_order;
  // The spelling the user wrote when a deprecation moved the value, e.g.
  // "HubFactory.ip" for a value now stored as IPController.ip. Empty otherwise.
  std::string spelled_as;

  // "path:line", "path" when the line is unknown, or the source name.
  std::string where() const;
};

// A warning about configuration, always naming file and line when known.
struct Diagnostic {
  enum class Kind {
    Unknown,       // unknown class or trait: ignored
    OtherProgram,  // configures another of ipcontroller/ipengine/ipcluster: ignored here
    Deprecated,    // old spelling, mapped to its current meaning
    Unsupported,   // recognised, but this program does not act on it
    Note,          // anything else worth telling (e.g. output printed by a config file)
  };
  Kind kind = Kind::Note;
  std::string source;
  int line = 0;
  std::string message;

  // "source:line: message" (or "source: message" without a line).
  std::string to_string() const;
};

// Configuration as traitlets' Config: sections ("IPController") -> traits
// ("ip") -> value. Nested sections (c.A.B.x) are stored with the dotted name
// "A.B". Plain value type; not thread-safe.
class Config {
 public:
  using Section = std::map<std::string, ConfigValue, std::less<>>;
  using Sections = std::map<std::string, Section, std::less<>>;

  // nullptr when the trait is not set.
  const ConfigValue* find(std::string_view section, std::string_view trait) const;
  bool contains(std::string_view section, std::string_view trait) const {
    return find(section, trait) != nullptr;
  }
  bool has_section(std::string_view section) const;

  // Replaces any earlier value.
  void set(std::string_view section, std::string_view trait, ConfigValue value);
  // Returns true if something was removed; drops the section when it empties.
  bool erase(std::string_view section, std::string_view trait);
  void erase_section(std::string_view section);

  // traitlets Config.merge: `later` wins trait by trait. A lazy value in
  // `later` is applied to an earlier plain value (reified) or combined with
  // an earlier lazy value, exactly as LazyConfigValue.merge_into.
  void merge(const Config& later);

  const Sections& sections() const { return sections_; }
  bool empty() const { return sections_.empty(); }

  // {"Section": {"trait": value}} (lazy values as {"__lazy__": ops}); for
  // --show-config and tests.
  nlohmann::json to_json() const;

 private:
  Sections sections_;
};

// LazyConfigValue.get_value(initial): applies recorded operations to
// `initial` (array: inserts, then prepend, then extend; object: update;
// arrays used as sets: add/update append items not yet present). An
// `initial` of null is treated as an empty container of the kind the
// operations need.
nlohmann::json apply_lazy(const nlohmann::json& ops, const nlohmann::json& initial);

// LazyConfigValue.merge_into for two lazy values: `later` ops on top of
// `earlier` ops.
nlohmann::json combine_lazy(const nlohmann::json& earlier, const nlohmann::json& later);

}  // namespace ipp::config

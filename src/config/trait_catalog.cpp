// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/edit_distance.hpp"
#include "ipp/config/trait_catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "config/python_literal.hpp"
#include "config/trait_catalog_data.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {

using nlohmann::json;

std::string_view program_name(Program program) {
  switch (program) {
    case Program::Controller: return "ipcontroller";
    case Program::Engine: return "ipengine";
    case Program::Cluster: return "ipcluster";
  }
  return "?";
}

namespace {

TraitType type_from(const std::string& s) {
  if (s == "bool") return TraitType::Bool;
  if (s == "int") return TraitType::Int;
  if (s == "float") return TraitType::Float;
  if (s == "str") return TraitType::Str;
  if (s == "enum") return TraitType::Enum;
  if (s == "list") return TraitType::List;
  if (s == "tuple") return TraitType::Tuple;
  if (s == "ports") return TraitType::Ports;
  if (s == "dict") return TraitType::Dict;
  return TraitType::Any;
}

}  // namespace

TraitCatalog::TraitCatalog() {
  std::string text;
  for (const char* const* chunk = detail::kTraitCatalogJson; *chunk != nullptr; ++chunk) {
    text += *chunk;
  }
  json data = json::parse(text);
  for (const auto& [name, c] : data["classes"].items()) {
    ClassInfo info;
    info.name = name;
    info.mro = c["mro"].get<std::vector<std::string>>();
    info.program = c.value("app", std::string("common"));
    for (const auto& [tname, t] : c["traits"].items()) {
      TraitInfo ti;
      ti.name = tname;
      ti.declared_by = name;
      ti.type = type_from(t.value("type", std::string("any")));
      ti.default_value = t.value("default", json());
      ti.allow_none = t.value("none", false);
      ti.newest_only = t.value("newest", false);
      if (auto v = t.find("values"); v != t.end()) ti.enum_values = v->get<std::vector<json>>();
      ti.item_type = t.value("item", std::string());
      if (auto v = t.find("items"); v != t.end()) ti.tuple_items = v->get<std::vector<std::string>>();
      info.traits.emplace(tname, std::move(ti));
    }
    classes_.emplace(name, std::move(info));
  }
  for (const auto& [old_name, target] : data["deprecated"].items()) {
    deprecated_.emplace(old_name, target.get<std::string>());
  }
  foreign_ = data["foreign"].get<std::vector<std::string>>();
  std::sort(foreign_.begin(), foreign_.end());
}

const TraitCatalog& TraitCatalog::instance() {
  static const TraitCatalog catalog;
  return catalog;
}

const ClassInfo* TraitCatalog::find_class(std::string_view name) const {
  auto it = classes_.find(name);
  return it == classes_.end() ? nullptr : &it->second;
}

const TraitInfo* TraitCatalog::find_trait(std::string_view cls, std::string_view trait) const {
  std::string target(cls);
  if (auto d = deprecated_target(cls)) target = *d;
  const ClassInfo* info = find_class(target);
  if (info == nullptr) return nullptr;
  for (const auto& name : info->mro) {
    const ClassInfo* c = find_class(name);
    if (c == nullptr) continue;
    if (auto t = c->traits.find(trait); t != c->traits.end()) return &t->second;
  }
  return nullptr;
}

std::vector<std::string> TraitCatalog::trait_names(std::string_view cls) const {
  std::set<std::string> names;
  for (const auto& name : mro(cls)) {
    if (const ClassInfo* c = find_class(name)) {
      for (const auto& [t, _] : c->traits) names.insert(t);
    }
  }
  return {names.begin(), names.end()};
}

std::vector<std::string> TraitCatalog::mro(std::string_view cls) const {
  std::string target(cls);
  if (auto d = deprecated_target(cls)) target = *d;
  if (const ClassInfo* c = find_class(target)) return c->mro;
  return {std::string(cls)};
}

std::optional<std::string> TraitCatalog::deprecated_target(std::string_view cls) const {
  auto it = deprecated_.find(cls);
  if (it == deprecated_.end()) return std::nullopt;
  return it->second;
}

bool TraitCatalog::is_foreign(std::string_view cls) const {
  return std::binary_search(foreign_.begin(), foreign_.end(), cls);
}

TraitCatalog::Owner TraitCatalog::owner(std::string_view cls) const {
  std::string target(cls);
  if (auto d = deprecated_target(cls)) target = *d;
  if (const ClassInfo* c = find_class(target)) {
    if (c->program == "controller") return Owner::Controller;
    if (c->program == "engine") return Owner::Engine;
    if (c->program == "cluster") return Owner::Cluster;
    return Owner::Common;
  }
  if (is_foreign(cls)) return Owner::Foreign;
  return Owner::Unknown;
}

// ---------------------------------------------------------------------------
// Conversion and validation

namespace {

std::string python_type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "NoneType";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int";
    case json::value_t::number_float: return "float";
    case json::value_t::string: return "str";
    case json::value_t::array: return "list";
    case json::value_t::object:
      if (v.contains("__pyobject__")) return "object " + v["__pyobject__"].get<std::string>();
      if (v.contains("__repr__")) return "object";
      return "dict";
    default: return "value";
  }
}

std::string python_repr(const json& v) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    std::string out = "'";
    for (char c : s) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  }
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return "None";
  if (v.is_object() && v.contains("__repr__")) return v["__repr__"].get<std::string>();
  if (v.is_object() && v.contains("__pyobject__")) return v["__pyobject__"].get<std::string>();
  return v.dump();
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<long long> parse_int(std::string_view text) {
  std::string s;
  for (char c : trim(text)) {
    if (c != '_') s += c;
  }
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0') return std::nullopt;
  return v;
}

std::optional<double> parse_float(std::string_view text) {
  std::string s = trim(text);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return v;
}

// os.path.expanduser for a leading "~" or "~/" (traitlets Unicode.from_string).
std::string expand_user(const std::string& s) {
  if (s.empty() || s[0] != '~' || (s.size() > 1 && s[1] != '/')) return s;
  const char* home = std::getenv("HOME");
  if (home == nullptr) return s;
  return std::string(home) + s.substr(1);
}

// Carries what messages need to know about the value being converted.
struct Ctx {
  const TraitInfo& trait;
  std::string_view cls;
  const ConfigValue& value;

  std::string name() const {
    return value.spelled_as.empty() ? std::string(cls) : value.spelled_as.substr(0, value.spelled_as.find('.'));
  }
  [[noreturn]] void fail(const std::string& what) const {
    std::string where = value.where();
    throw Error((where.empty() ? "" : where + ": ") + "The '" + trait.name + "' trait of " + name() +
                " " + what);
  }
  [[noreturn]] void expected(const std::string& kind, const json& got) const {
    fail("expected " + kind + ", not the " + python_type_name(got) + " " + python_repr(got));
  }
};

json convert_scalar_string(const Ctx& ctx, const std::string& type, const std::string& s);

// One item of a List/Dict/Tuple given on the command line.
json item_from_string(const Ctx& ctx, const std::string& type, const std::string& s) {
  if (type.empty() || type == "any") return s;
  return convert_scalar_string(ctx, type, s);
}

json convert_scalar_string(const Ctx& ctx, const std::string& type, const std::string& s) {
  if (type == "bool") {
    std::string l = lower(trim(s));
    if (l == "true" || l == "1") return true;
    if (l == "false" || l == "0") return false;
    ctx.fail("expected a boolean (true, false, 1 or 0), not '" + s + "'");
  }
  if (type == "int") {
    if (auto v = parse_int(s)) return *v;
    ctx.fail("expected an int, not '" + s + "'");
  }
  if (type == "float") {
    if (auto v = parse_float(s)) return *v;
    ctx.fail("expected a float, not '" + s + "'");
  }
  if (type == "str") {
    std::string out = expand_user(s);
    if (out.size() >= 2 && (out[0] == '"' || out[0] == '\'') && out.back() == out[0]) {
      out = out.substr(1, out.size() - 2);  // deprecated extra quotes, as traitlets strips them
    }
    return out;
  }
  return s;
}

bool is_int(const json& v) { return v.is_number_integer() || v.is_number_unsigned(); }

// Validates (and normalises) one item against a simple type name.
json check_item(const Ctx& ctx, const std::string& type, const json& v, const std::string& container) {
  if (type.empty() || type == "any") return v;
  if (type == "str" && v.is_string()) return v;
  if (type == "int" && is_int(v)) return v;
  if (type == "int" && v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (type == "float" && v.is_number()) return v.get<double>();
  if (type == "bool" && v.is_boolean()) return v;
  ctx.fail("expected " + container + " of " + type + ", but an element is the " +
           python_type_name(v) + " " + python_repr(v));
}

json parse_ports(const Ctx& ctx, const std::string& text) {
  // PortList.parse_port_range: "10101-10105,10108"
  json out = json::array();
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string part = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    size_t dash = part.find('-');
    auto first = parse_int(part.substr(0, dash));
    if (!first) ctx.fail("expected a port or port range like 10101-10120, not '" + text + "'");
    if (dash == std::string::npos) {
      out.push_back(*first);
    } else {
      auto last = parse_int(part.substr(dash + 1));
      if (!last) ctx.fail("expected a port or port range like 10101-10120, not '" + text + "'");
      for (long long p = *first; p <= *last; ++p) out.push_back(p);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

json check_ports(const Ctx& ctx, const json& v) {
  json ports = v;
  if (v.is_string()) ports = parse_ports(ctx, v.get<std::string>());
  if (!ports.is_array()) ctx.expected("a list of ports", v);
  for (const auto& p : ports) {
    if (!is_int(p) || p.get<long long>() < 1 || p.get<long long>() > 65536) {
      ctx.fail("expected ports in the range 1-65536, not " + python_repr(p));
    }
  }
  return ports;
}

// Values from the command line: a string, or an array of strings for list
// options given several times.
json from_command_line(const Ctx& ctx, const json& raw) {
  const TraitInfo& t = ctx.trait;
  std::vector<std::string> items;
  if (raw.is_array()) {
    for (const auto& r : raw) items.push_back(r.is_string() ? r.get<std::string>() : r.dump());
  } else {
    items.push_back(raw.is_string() ? raw.get<std::string>() : raw.dump());
  }
  const bool single = items.size() == 1;
  if (single && t.allow_none && items[0] == "None") return nullptr;

  switch (t.type) {
    case TraitType::Bool:
    case TraitType::Int:
    case TraitType::Float:
    case TraitType::Str:
    case TraitType::Enum:
    case TraitType::Any: {
      if (!single) {
        ctx.fail("only accepts one value, got " + std::to_string(items.size()) + ": " + raw.dump());
      }
      const std::string& s = items[0];
      if (t.type == TraitType::Bool) return convert_scalar_string(ctx, "bool", s);
      if (t.type == TraitType::Int) return convert_scalar_string(ctx, "int", s);
      if (t.type == TraitType::Float) return convert_scalar_string(ctx, "float", s);
      if (t.type == TraitType::Str) return convert_scalar_string(ctx, "str", s);
      if (t.type == TraitType::Enum) {
        // Enum values may be ints (Application.log_level).
        if (auto i = parse_int(s)) {
          for (const auto& e : t.enum_values) {
            if (is_int(e) && e.get<long long>() == *i) return *i;
          }
        }
        return s;
      }
      return s;
    }
    case TraitType::Ports: {
      json out = json::array();
      for (const auto& s : items) {
        for (const auto& p : parse_ports(ctx, s)) out.push_back(p);
      }
      return out;
    }
    case TraitType::List:
    case TraitType::Tuple: {
      if (single) {
        const std::string& s = items[0];
        // deprecated --Class.trait="['a', 'b']"
        if (s.size() >= 2 && ((s.front() == '[' && s.back() == ']') ||
                              (s.front() == '(' && s.back() == ')') ||
                              (s.front() == '{' && s.back() == '}'))) {
          if (auto lit = detail::parse_python_literal(s); lit && lit->is_array()) return *lit;
        }
      }
      json out = json::array();
      for (size_t i = 0; i < items.size(); ++i) {
        std::string type = t.type == TraitType::Tuple
                               ? (i < t.tuple_items.size() ? t.tuple_items[i] : std::string())
                               : t.item_type;
        out.push_back(item_from_string(ctx, type, items[i]));
      }
      return out;
    }
    case TraitType::Dict: {
      if (single && items[0].size() >= 2 && items[0].front() == '{' && items[0].back() == '}') {
        if (auto lit = detail::parse_python_literal(items[0]); lit && lit->is_object()) return *lit;
        ctx.fail("could not parse the dict " + items[0]);
      }
      json out = json::object();
      for (const auto& s : items) {
        size_t eq = s.find('=');
        if (eq == std::string::npos) ctx.fail("expects key=value items, not '" + s + "'");
        out[s.substr(0, eq)] = item_from_string(ctx, t.item_type, s.substr(eq + 1));
      }
      return out;
    }
  }
  return raw;
}

// Values from config files: already typed; check them as traitlets validate().
json validate(const Ctx& ctx, const json& v) {
  const TraitInfo& t = ctx.trait;
  if (v.is_null()) {
    if (t.allow_none || t.type == TraitType::Any) return v;
    ctx.expected(t.type == TraitType::Str ? "a unicode string" : "a value (None is not allowed)", v);
  }
  switch (t.type) {
    case TraitType::Bool:
      if (v.is_boolean()) return v;
      if (is_int(v) && (v.get<long long>() == 0 || v.get<long long>() == 1)) return v.get<long long>() == 1;
      ctx.expected("a boolean", v);
    case TraitType::Int:
      if (is_int(v)) return v;
      if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
      ctx.expected("an int", v);
    case TraitType::Float:
      if (v.is_number()) return v.get<double>();
      ctx.expected("a float", v);
    case TraitType::Str:
      if (v.is_string()) return v;
      ctx.expected("a unicode string", v);
    case TraitType::Enum: {
      for (const auto& e : t.enum_values) {
        if (e == v) return v;
      }
      // CaselessStrEnum (IPClusterList.output_format); being lenient for
      // the case-sensitive ones costs nothing.
      if (v.is_string()) {
        for (const auto& e : t.enum_values) {
          if (e.is_string() && lower(e.get<std::string>()) == lower(v.get<std::string>())) return e;
        }
      }
      std::string allowed;
      for (const auto& e : t.enum_values) allowed += (allowed.empty() ? "" : ", ") + python_repr(e);
      ctx.fail("expected any of [" + allowed + "], not the " + python_type_name(v) + " " + python_repr(v));
    }
    case TraitType::List: {
      if (!v.is_array()) ctx.expected("a list", v);
      json out = json::array();
      for (const auto& item : v) out.push_back(check_item(ctx, t.item_type, item, "a list"));
      return out;
    }
    case TraitType::Tuple: {
      if (!v.is_array()) ctx.expected("a tuple", v);
      if (!t.tuple_items.empty() && v.size() != t.tuple_items.size()) {
        ctx.fail("requires " + std::to_string(t.tuple_items.size()) + " elements, but a value of " +
                 python_repr(v) + " was specified");
      }
      json out = json::array();
      for (size_t i = 0; i < v.size(); ++i) {
        out.push_back(check_item(ctx, i < t.tuple_items.size() ? t.tuple_items[i] : "", v[i], "a tuple"));
      }
      return out;
    }
    case TraitType::Ports:
      return check_ports(ctx, v);
    case TraitType::Dict: {
      if (!v.is_object() || v.contains("__pyobject__") || v.contains("__repr__")) ctx.expected("a dict", v);
      if (t.item_type.empty()) return v;
      json out = json::object();
      for (const auto& [k, item] : v.items()) out[k] = check_item(ctx, t.item_type, item, "a dict");
      return out;
    }
    case TraitType::Any:
      return v;
  }
  return v;
}

}  // namespace

json convert_trait_value(const TraitInfo& trait, std::string_view cls, const ConfigValue& value,
                         const json& base) {
  Ctx ctx{trait, cls, value};
  if (value.lazy) {
    json initial = base.is_null() ? trait.default_value : base;
    ConfigValue plain = value;
    plain.lazy = false;
    plain.value = apply_lazy(value.value, initial);
    return validate(ctx, plain.value);
  }
  if (value.from_command_line) {
    json v = from_command_line(ctx, value.value);
    return trait.type == TraitType::Any ? v : validate(ctx, v);
  }
  return validate(ctx, value.value);
}

// ---------------------------------------------------------------------------
// Unknown / misplaced configuration

namespace {

using util::edit_distance;

std::string closest(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

bool from_shared_file(const ConfigValue& v) {
  std::string base = std::filesystem::path(v.source).filename().string();
  return base.rfind("ipython_config.", 0) == 0;
}

std::string_view owner_program(TraitCatalog::Owner o) {
  switch (o) {
    case TraitCatalog::Owner::Controller: return "ipcontroller";
    case TraitCatalog::Owner::Engine: return "ipengine";
    case TraitCatalog::Owner::Cluster: return "ipcluster";
    default: return "";
  }
}

}  // namespace

std::vector<Diagnostic> check_config(const Config& config, Program program) {
  const TraitCatalog& cat = TraitCatalog::instance();
  const TraitCatalog::Owner mine = program == Program::Controller ? TraitCatalog::Owner::Controller
                                   : program == Program::Engine   ? TraitCatalog::Owner::Engine
                                                                  : TraitCatalog::Owner::Cluster;
  std::vector<Diagnostic> out;
  for (const auto& [section, traits] : config.sections()) {
    for (const auto& [trait, value] : traits) {
      const std::string spelled =
          value.spelled_as.empty() ? section + "." + trait : value.spelled_as;
      auto warn = [&](Diagnostic::Kind kind, std::string message) {
        out.push_back({kind, value.source, value.line, std::move(message)});
      };
      if (section.find('.') != std::string::npos) {
        std::string last = section.substr(section.rfind('.') + 1);
        if (cat.is_foreign(last) || cat.is_foreign(section.substr(0, section.find('.')))) continue;
        warn(Diagnostic::Kind::Unknown, "parent-specific configuration '" + spelled +
                                            "' is not supported (ignored); set c." + last + "." +
                                            trait + " instead");
        continue;
      }
      auto owner = cat.owner(section);
      if (owner == TraitCatalog::Owner::Foreign) continue;
      if (owner == TraitCatalog::Owner::Unknown) {
        warn(Diagnostic::Kind::Unknown, "unknown configuration '" + spelled + "' (ignored)");
        continue;
      }
      if (owner != TraitCatalog::Owner::Common && owner != mine) {
        if (from_shared_file(value)) continue;
        std::string other(owner_program(owner));
        warn(Diagnostic::Kind::OtherProgram,
             "'" + spelled + "' configures " + other + ", not " + std::string(program_name(program)) +
                 " (ignored here; it belongs in " + other + "_config.py)");
        continue;
      }
      if (cat.find_trait(section, trait) == nullptr) {
        std::string msg = "unknown configuration '" + spelled + "' (ignored)";
        std::string near = closest(trait, cat.trait_names(section));
        if (!near.empty()) msg += "; did you mean '" + section + "." + near + "'?";
        warn(Diagnostic::Kind::Unknown, std::move(msg));
      }
    }
  }
  return out;
}

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/config.hpp"

#include <algorithm>

namespace ipp::config {

using nlohmann::json;

std::string ConfigValue::where() const {
  if (line > 0) return source + ":" + std::to_string(line);
  return source;
}

std::string Diagnostic::to_string() const {
  if (source.empty()) return message;
  if (line > 0) return source + ":" + std::to_string(line) + ": " + message;
  return source + ": " + message;
}

const ConfigValue* Config::find(std::string_view section, std::string_view trait) const {
  auto s = sections_.find(section);
  if (s == sections_.end()) return nullptr;
  auto t = s->second.find(trait);
  return t == s->second.end() ? nullptr : &t->second;
}

bool Config::has_section(std::string_view section) const {
  return sections_.find(section) != sections_.end();
}

void Config::set(std::string_view section, std::string_view trait, ConfigValue value) {
  auto s = sections_.find(section);
  if (s == sections_.end()) s = sections_.emplace(std::string(section), Section{}).first;
  auto t = s->second.find(trait);
  if (t == s->second.end()) {
    s->second.emplace(std::string(trait), std::move(value));
  } else {
    t->second = std::move(value);
  }
}

bool Config::erase(std::string_view section, std::string_view trait) {
  auto s = sections_.find(section);
  if (s == sections_.end()) return false;
  auto t = s->second.find(trait);
  if (t == s->second.end()) return false;
  s->second.erase(t);
  if (s->second.empty()) sections_.erase(s);
  return true;
}

void Config::erase_section(std::string_view section) {
  auto s = sections_.find(section);
  if (s != sections_.end()) sections_.erase(s);
}

void Config::merge(const Config& later) {
  for (const auto& [name, section] : later.sections_) {
    for (const auto& [trait, value] : section) {
      const ConfigValue* earlier = find(name, trait);
      if (earlier == nullptr || !value.lazy) {
        set(name, trait, value);
        continue;
      }
      ConfigValue merged = value;
      if (earlier->lazy) {
        merged.value = combine_lazy(earlier->value, value.value);
      } else {
        // A lazy value merged onto a container reifies it now, as
        // LazyConfigValue.merge_into does. A command-line list is still a
        // list of strings; the ops apply to it all the same.
        merged.lazy = false;
        merged.value = apply_lazy(value.value, earlier->value);
        merged.from_command_line = earlier->from_command_line;
      }
      set(name, trait, std::move(merged));
    }
  }
}

json Config::to_json() const {
  json out = json::object();
  for (const auto& [name, section] : sections_) {
    json& s = out[name] = json::object();
    for (const auto& [trait, value] : section) {
      s[trait] = value.lazy ? json{{"__lazy__", value.value}} : value.value;
    }
  }
  return out;
}

namespace {

// Python list.insert(index, obj): negative indices count from the end and
// out-of-range indices clamp.
void python_insert(json& list, long long index, const json& obj) {
  const auto size = static_cast<long long>(list.size());
  if (index < 0) index = std::max(0LL, index + size);
  index = std::min(index, size);
  list.insert(list.begin() + index, obj);
}

bool array_contains(const json& a, const json& v) {
  return std::find(a.begin(), a.end(), v) != a.end();
}

}  // namespace

json apply_lazy(const json& ops, const json& initial) {
  json value = initial;
  const bool wants_dict = ops.contains("update") && ops["update"].is_object();
  if (value.is_null()) value = wants_dict ? json::object() : json::array();
  if (value.is_array()) {
    if (auto it = ops.find("inserts"); it != ops.end()) {
      for (const auto& pair : *it) {
        if (pair.is_array() && pair.size() == 2 && pair[0].is_number_integer()) {
          python_insert(value, pair[0].get<long long>(), pair[1]);
        }
      }
    }
    if (auto it = ops.find("prepend"); it != ops.end() && it->is_array()) {
      value.insert(value.begin(), it->begin(), it->end());
    }
    if (auto it = ops.find("extend"); it != ops.end() && it->is_array()) {
      for (const auto& v : *it) value.push_back(v);
    }
    for (const char* key : {"add", "update"}) {
      if (auto it = ops.find(key); it != ops.end() && it->is_array()) {
        for (const auto& v : *it) {
          if (!array_contains(value, v)) value.push_back(v);
        }
      }
    }
  } else if (value.is_object()) {
    if (auto it = ops.find("update"); it != ops.end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) value[k] = v;
    }
  }
  return value;
}

json combine_lazy(const json& earlier, const json& later) {
  json out = json::object();
  auto list = [](const json& ops, const char* key) {
    auto it = ops.find(key);
    return it != ops.end() && it->is_array() ? *it : json::array();
  };
  // merge_into: extend = earlier + later; prepend = later + earlier;
  // inserts = earlier + later; update = earlier updated by later.
  json extend = list(earlier, "extend");
  for (const auto& v : list(later, "extend")) extend.push_back(v);
  json prepend = list(later, "prepend");
  for (const auto& v : list(earlier, "prepend")) prepend.push_back(v);
  json inserts = list(earlier, "inserts");
  for (const auto& v : list(later, "inserts")) inserts.push_back(v);
  json add = list(earlier, "add");
  for (const auto& v : list(later, "add")) {
    if (!array_contains(add, v)) add.push_back(v);
  }
  if (!extend.empty()) out["extend"] = extend;
  if (!prepend.empty()) out["prepend"] = prepend;
  if (!inserts.empty()) out["inserts"] = inserts;
  if (!add.empty()) out["add"] = add;
  json update = json::object();
  for (const json* ops : {&earlier, &later}) {
    if (auto it = ops->find("update"); it != ops->end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) update[k] = v;
    }
  }
  if (!update.empty()) out["update"] = update;
  return out;
}

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "config/trait_reader.hpp"

#include <stdexcept>

#include "ipp/config/trait_catalog.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config::detail {

using nlohmann::json;

namespace {

const TraitInfo& trait_info(std::string_view cls, std::string_view trait) {
  const TraitInfo* t = TraitCatalog::instance().find_trait(cls, trait);
  if (t == nullptr) {
    throw std::logic_error("trait catalogue has no " + std::string(cls) + "." + std::string(trait));
  }
  return *t;
}

}  // namespace

std::optional<json> TraitReader::configured(std::string_view cls, std::string_view trait) const {
  const TraitInfo& info = trait_info(cls, trait);
  const auto mro = TraitCatalog::instance().mro(cls);
  std::optional<json> typed;
  for (auto it = mro.rbegin(); it != mro.rend(); ++it) {
    if (const ConfigValue* v = config_.find(*it, trait)) {
      typed = convert_trait_value(info, *it, *v, typed ? *typed : info.default_value);
    }
  }
  return typed;
}

bool TraitReader::is_set(std::string_view cls, std::string_view trait) const {
  return source(cls, trait) != nullptr;
}

const ConfigValue* TraitReader::source(std::string_view cls, std::string_view trait) const {
  for (const auto& c : TraitCatalog::instance().mro(cls)) {
    if (const ConfigValue* v = config_.find(c, trait)) return v;
  }
  return nullptr;
}

json TraitReader::get(std::string_view cls, std::string_view trait) const {
  if (auto v = configured(cls, trait)) return *v;
  return trait_info(cls, trait).default_value;
}

bool TraitReader::get_bool(std::string_view cls, std::string_view trait) const {
  json v = get(cls, trait);
  return v.is_boolean() ? v.get<bool>() : false;
}

long long TraitReader::get_int(std::string_view cls, std::string_view trait) const {
  json v = get(cls, trait);
  if (v.is_number()) return v.get<long long>();
  return 0;
}

std::optional<long long> TraitReader::get_optional_int(std::string_view cls, std::string_view trait) const {
  json v = get(cls, trait);
  if (v.is_number()) return v.get<long long>();
  return std::nullopt;
}

double TraitReader::get_float(std::string_view cls, std::string_view trait) const {
  json v = get(cls, trait);
  return v.is_number() ? v.get<double>() : 0.0;
}

std::string TraitReader::get_str(std::string_view cls, std::string_view trait) const {
  json v = get(cls, trait);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::vector<std::string> TraitReader::get_strings(std::string_view cls, std::string_view trait) const {
  return to_strings(get(cls, trait));
}

std::string where_prefix(const TraitReader& reader, std::string_view cls, std::string_view trait) {
  const ConfigValue* v = reader.source(cls, trait);
  if (v == nullptr || v->where().empty()) return "";
  return v->where() + ": ";
}

std::vector<std::string> to_strings(const json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& v : list) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else if (v.is_boolean()) {
      out.push_back(v.get<bool>() ? "True" : "False");
    } else {
      out.push_back(v.dump());
    }
  }
  return out;
}

}  // namespace ipp::config::detail

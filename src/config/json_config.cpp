// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/json_config.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

#include "ipp/util/error.hpp"

namespace ipp::config {

using nlohmann::json;

namespace {

int line_at(std::string_view text, size_t offset) {
  int line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
  }
  return line;
}

// Offset of the first occurrence of "key" (with quotes) at or after `from`.
size_t find_key(std::string_view text, std::string_view key, size_t from) {
  if (from == std::string_view::npos) return from;
  std::string quoted = json(std::string(key)).dump();
  return text.find(quoted, from);
}

bool is_section_key(const std::string& key) {
  return !key.empty() && key[0] != '_' && std::toupper(static_cast<unsigned char>(key[0])) == key[0];
}

void add_section(Config& config, std::string_view text, const std::string& source,
                 const std::string& name, const json& traits, const nlohmann::ordered_json& ordered,
                 size_t section_offset) {
  if (!traits.is_object()) {
    throw Error(source + ":" + std::to_string(line_at(text, section_offset)) +
                ": the value of \"" + name + "\" must be an object of traits, not " +
                traits.type_name());
  }
  for (const auto& [trait, value] : traits.items()) {
    size_t at = find_key(text, trait, section_offset);
    const nlohmann::ordered_json& ordered_value = ordered.at(trait);
    if (is_section_key(trait) && value.is_object()) {
      add_section(config, text, source, name + "." + trait, value, ordered_value, at);
      continue;
    }
    ConfigValue v;
    v.value = value;
    if (ordered_value.is_object()) {
      for (const auto& [k, _] : ordered_value.items()) v.key_order.push_back(k);
    }
    v.source = source;
    v.line = at == std::string_view::npos ? 0 : line_at(text, at);
    config.set(name, trait, std::move(v));
  }
}

}  // namespace

Config parse_json_config(std::string_view text, const std::string& source) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(source + ":" + std::to_string(line_at(text, e.byte > 0 ? e.byte - 1 : 0)) +
                ": invalid JSON: " + e.what());
  }
  if (!doc.is_object()) {
    throw Error(source + ": a JSON config file must contain an object, not " +
                std::string(doc.type_name()));
  }
  if (auto v = doc.find("version"); v != doc.end()) {
    if (*v != 1) {
      throw Error(source + ": unknown JSON config version " + v->dump() + " (expected 1)");
    }
    doc.erase(v);
  }
  // Parsed once more keeping key order (see ConfigValue::key_order).
  nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(text);
  Config config;
  for (const auto& [name, traits] : doc.items()) {
    add_section(config, text, source, name, traits, ordered.at(name), find_key(text, name, 0));
  }
  return config;
}

Config load_json_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_json_config(text.str(), file.string());
}

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/hub_error.hpp"

#include <cstdio>

namespace ipp::hub {

HubError::HubError(std::string ename, std::string evalue)
    : std::runtime_error(ename + ": " + evalue), ename_(std::move(ename)), evalue_(std::move(evalue)) {}

HubError key_error(std::string_view message) { return HubError("KeyError", py_repr(message)); }

std::string py_repr(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(quote);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == quote || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back(quote);
  return out;
}

std::string py_repr(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "None";
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "True" : "False";
    case nlohmann::json::value_t::string:
      return py_repr(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out += ", ";
        out += py_repr(value[i]);
      }
      return out + "]";
    }
    case nlohmann::json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ", ";
        first = false;
        out += py_repr(std::string_view(key)) + ": " + py_repr(item);
      }
      return out + "}";
    }
    default:
      return value.dump();
  }
}

nlohmann::json error_content(std::string_view ename, std::string_view evalue) {
  std::string line(ename);
  line += ": ";
  line += evalue;
  line += "\n";
  return nlohmann::json{{"status", "error"},
                        {"ename", ename},
                        {"evalue", evalue},
                        {"traceback", nlohmann::json::array({line})},
                        {"engine_info", nlohmann::json::object()}};
}

nlohmann::json error_content(const HubError& error) { return error_content(error.ename(), error.evalue()); }

}  // namespace ipp::hub

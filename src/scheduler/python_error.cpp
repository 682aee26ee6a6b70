// SPDX-License-Identifier: BSD-3-Clause
#include "python_error.hpp"

namespace ipp::scheduler {

namespace {

std::string repr(std::string_view text, bool bytes) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 3);
  if (bytes) out.push_back('b');
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
    } else if (u < 0x20 || u == 0x7f || (bytes && u >= 0x80)) {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back(quote);
  return out;
}

}  // namespace

nlohmann::json wrap_exception(std::string_view ename, std::string_view evalue,
                              std::string_view function) {
  std::string last = "ipyparallel.error.";
  last += ename;
  if (!evalue.empty()) {
    last += ": ";
    last += evalue;
  }
  last += '\n';
  std::string frame = "  File \"<ipcontroller>\", line 0, in ";
  frame += function;
  frame += '\n';
  return nlohmann::json{
      {"status", "error"},
      {"traceback", nlohmann::json::array({"Traceback (most recent call last):\n", frame, last})},
      {"ename", ename},
      {"evalue", evalue},
      {"engine_info", nlohmann::json::object()},
  };
}

bool py_truthy(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return false;
    case nlohmann::json::value_t::boolean:
      return value.get<bool>();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return value.get<double>() != 0.0;
    case nlohmann::json::value_t::string:
      return !value.get_ref<const std::string&>().empty();
    case nlohmann::json::value_t::array:
    case nlohmann::json::value_t::object:
      return !value.empty();
    case nlohmann::json::value_t::binary:
      return true;
  }
  return true;
}

std::string py_repr_str(std::string_view text) { return repr(text, false); }
std::string py_repr_bytes(std::string_view bytes) { return repr(bytes, true); }

std::string engine_died_text(std::string_view uuid, std::string_view msg_id) {
  return "Engine " + py_repr_bytes(uuid) + " died while running task " + py_repr_str(msg_id);
}

}  // namespace ipp::scheduler

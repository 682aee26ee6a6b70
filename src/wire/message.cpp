// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/message.hpp"

namespace ipp::wire {

namespace {

std::string string_field(const nlohmann::json& dict, const char* key) {
  if (!dict.is_object()) return {};
  const auto it = dict.find(key);
  if (it == dict.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

std::string Message::msg_type() const { return string_field(header, "msg_type"); }
std::string Message::msg_id() const { return string_field(header, "msg_id"); }
std::string Message::parent_msg_id() const { return string_field(parent_header, "msg_id"); }

}  // namespace ipp::wire

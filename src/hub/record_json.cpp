// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/record_json.hpp"

#include <limits>

#include "ipp/wire/json_reader.hpp"
#include "ipp/wire/python_values.hpp"

namespace ipp::hub {

namespace {

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

RecordJson RecordJson::from_text(std::string text) {
  RecordJson field;
  field.text_ = std::move(text);
  field.has_text_ = true;
  field.parsed_ = false;
  return field;
}

const nlohmann::json& RecordJson::get() const {
  if (!parsed_) {
    // Validated by whoever made the text; the depth was bounded then.
    auto value = wire::read_json(text_, nullptr, std::numeric_limits<std::size_t>::max());
    value_ = value ? std::move(*value) : nlohmann::json();
    parsed_ = true;
  }
  return value_;
}

nlohmann::json& RecordJson::mutable_value() {
  get();
  has_text_ = false;
  text_.clear();
  return value_;
}

bool RecordJson::is_null() const {
  if (!parsed_) return trimmed(text_) == "null";
  return value_.is_null();
}

bool RecordJson::truthy() const {
  if (!parsed_) {
    const std::string_view t = trimmed(text_);
    // A dict or list is false only when empty: no need to build it.
    if (t.starts_with('{') || t.starts_with('[')) return !trimmed(t.substr(1, t.size() - 2)).empty();
  }
  return wire::py_truthy(get());
}

}  // namespace ipp::hub

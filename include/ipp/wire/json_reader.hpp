// SPDX-License-Identifier: BSD-3-Clause
//
// JSON reading for the message path. nlohmann::json::parse reads one
// character at a time through an input adapter and was most of the
// controller's time per message (docs/performance.md); this reader accepts
// exactly the same language (RFC 8259, UTF-8 validated as RFC 3629, no
// comments, no NaN/Infinity, numbers that overflow a double rejected) and
// builds the same values (non-negative integers as number_unsigned,
// negative ones as number_integer, integers too large for 64 bits and
// every number with a fraction or exponent as number_float; a repeated key
// keeps its last value). It also bounds nesting, so hostile input never
// exhausts the stack.
//
// JsonObjectView goes further for code that needs a few top-level fields
// of a dict (the schedulers read msg_id, msg_type, targets, ...): it
// validates the whole text without building anything and gives each
// top-level value as raw text, parsed only when asked for.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipp::wire {

// Parses `text` (one JSON value with optional surrounding whitespace),
// nested at most `max_depth` arrays/objects deep. Returns nullopt with the
// reason in *error (if non-null): "syntax error at byte N: ..." or "JSON
// nested deeper than N". Never throws except std::bad_alloc.
std::optional<nlohmann::json> read_json(std::string_view text, std::string* error,
                                        std::size_t max_depth);

// Same checks as read_json without building the value.
bool validate_json(std::string_view text, std::string* error, std::size_t max_depth);

// The top-level members of a JSON object. The text is validated in full
// when the view is made; views into it stay valid while the text does.
class JsonObjectView {
 public:
  // nullopt with the reason in *error (if non-null) when `text` is not
  // valid JSON, is nested deeper than `max_depth`, or is not an object
  // ("expected a JSON object, got <type>").
  static std::optional<JsonObjectView> parse(std::string_view text, std::string* error,
                                             std::size_t max_depth);

  // Raw text of the member `key` (the last one if repeated), or nullopt.
  std::optional<std::string_view> raw(std::string_view key) const;
  // The member as a JSON value; nullopt when absent.
  std::optional<nlohmann::json> get(std::string_view key) const;
  // The member when it is a JSON string, escapes decoded; nullopt when
  // absent or not a string.
  std::optional<std::string> string(std::string_view key) const;
  bool contains(std::string_view key) const { return raw(key).has_value(); }
  std::size_t size() const { return members_.size(); }

 private:
  struct Member {
    std::string_view key;  // between the quotes, still escaped
    bool key_escaped;
    std::string_view value;
  };
  std::vector<Member> members_;
};

// The string a raw JSON string value (with its quotes) stands for, or
// nullopt when `raw` is not a JSON string. `raw` must come from validated
// text.
std::optional<std::string> decode_json_string(std::string_view raw);

}  // namespace ipp::wire

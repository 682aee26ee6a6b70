// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace ipp::hub {

// A JSON-valued field of a task record (header, metadata, content and
// their result_ counterparts). The hub writes one record per task and
// reads few of them back (queries), so a dict that arrived on the wire is
// kept as its JSON text and parsed the first time something reads it:
// building and later freeing a JSON value per dict was most of the hub's
// time per task (docs/performance.md). The SQLite store writes the text
// as it is.
//
// Thread-safety: as a const object, except that get() fills a cache. A
// field holding text keeps that text unchanged until it is assigned, so
// text() may be read from another thread while the owning thread calls
// get() (the SQLite writer reads shared records that way).
class RecordJson {
 public:
  RecordJson() = default;  // null
  // Anything nlohmann::json is constructed from (a json, a number, a
  // string, a braced initializer list).
  template <typename T>
    requires(!std::is_same_v<std::remove_cvref_t<T>, RecordJson> &&
             std::is_constructible_v<nlohmann::json, T>)
  RecordJson(T&& value) : value_(std::forward<T>(value)) {}  // NOLINT: implicit, as json
  RecordJson(nlohmann::json::initializer_list_t init) : value_(init) {}

  // `text` must be valid JSON (the caller validated it, e.g. a dict frame
  // read through wire::JsonObjectView).
  static RecordJson from_text(std::string text);

  // The value; parses the text on first use.
  const nlohmann::json& get() const;
  // The value, to modify; the text is dropped.
  nlohmann::json& mutable_value();

  // The JSON text when the field holds text (and not a value set since).
  const std::string* text() const { return has_text_ ? &text_ : nullptr; }

  bool is_null() const;
  // Python's truth value (None, {}, [], "", 0, false are false), without
  // parsing a dict's text.
  bool truthy() const;

  friend bool operator==(const RecordJson& a, const RecordJson& b) { return a.get() == b.get(); }
  friend bool operator==(const RecordJson& a, const nlohmann::json& b) { return a.get() == b; }

 private:
  mutable nlohmann::json value_;  // the value, once parsed (or given)
  mutable bool parsed_ = true;
  bool has_text_ = false;
  std::string text_;
};

}  // namespace ipp::hub

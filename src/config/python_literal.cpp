// SPDX-License-Identifier: BSD-3-Clause
#include "config/python_literal.hpp"

#include <cctype>
#include <cstdlib>
#include <string>

namespace ipp::config::detail {
namespace {

using nlohmann::json;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::optional<json> parse_all() {
    auto v = value();
    skip_ws();
    if (!v || pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skip_ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  std::optional<json> value() {
    skip_ws();
    if (pos_ >= s_.size()) return std::nullopt;
    char c = s_[pos_];
    if (c == '[') return sequence('[', ']');
    if (c == '(') return sequence('(', ')');
    if (c == '{') return mapping();
    if (c == '\'' || c == '"') return string();
    if ((c == 'b' || c == 'u' || c == 'r') && pos_ + 1 < s_.size() &&
        (s_[pos_ + 1] == '\'' || s_[pos_ + 1] == '"')) {
      raw_ = c == 'r';
      ++pos_;
      auto v = string();
      raw_ = false;
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      return number();
    }
    for (auto [word, v] : {std::pair<std::string_view, json>{"True", true},
                           {"False", false},
                           {"None", nullptr}}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return v;
      }
    }
    return std::nullopt;
  }

  std::optional<json> sequence(char open, char close) {
    ++pos_;
    json out = json::array();
    while (!peek(close)) {
      auto v = value();
      if (!v) return std::nullopt;
      out.push_back(*v);
      if (!eat(',')) break;
    }
    if (!eat(close)) return std::nullopt;
    return out;
  }

  std::optional<json> mapping() {
    ++pos_;
    json out = json::object();
    json set = json::array();
    bool is_set = false;
    while (!peek('}')) {
      auto k = value();
      if (!k) return std::nullopt;
      if (!eat(':')) {
        is_set = true;
        set.push_back(*k);
        if (!eat(',')) break;
        continue;
      }
      auto v = value();
      if (!v) return std::nullopt;
      std::string key;
      if (k->is_string()) {
        key = k->get<std::string>();
      } else if (k->is_number() || k->is_boolean() || k->is_null()) {
        key = k->dump();
      } else {
        return std::nullopt;
      }
      out[key] = *v;
      if (!eat(',')) break;
    }
    if (!eat('}')) return std::nullopt;
    if (is_set) return out.empty() ? std::optional<json>(set) : std::nullopt;
    return out;
  }

  std::optional<json> string() {
    char quote = s_[pos_++];
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      char c = s_[pos_++];
      if (c == '\\' && !raw_ && pos_ < s_.size()) {
        char e = s_[pos_++];
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '0': out += '\0'; break;
          case '\\': out += '\\'; break;
          case '\'': out += '\''; break;
          case '"': out += '"'; break;
          default: out += '\\'; out += e; break;
        }
      } else {
        out += c;
      }
    }
    if (pos_ >= s_.size()) return std::nullopt;
    ++pos_;
    return json(out);
  }

  std::optional<json> number() {
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '.' || s_[pos_] == '-' || s_[pos_] == '+' ||
                                s_[pos_] == '_')) {
      // stop a sign that is not part of an exponent
      if ((s_[pos_] == '-' || s_[pos_] == '+') && pos_ > start &&
          s_[pos_ - 1] != 'e' && s_[pos_ - 1] != 'E') {
        break;
      }
      ++pos_;
    }
    std::string text;
    for (char c : s_.substr(start, pos_ - start)) {
      if (c != '_') text += c;
    }
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    bool is_float = text.find_first_of(".eE") != std::string::npos;
    if (!is_float) {
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (end != nullptr && *end == '\0') return json(v);
      return std::nullopt;
    }
    double d = std::strtod(text.c_str(), &end);
    if (end != nullptr && *end == '\0') return json(d);
    return std::nullopt;
  }

  std::string_view s_;
  size_t pos_ = 0;
  bool raw_ = false;
};

}  // namespace

std::optional<nlohmann::json> parse_python_literal(std::string_view text) {
  return Parser(text).parse_all();
}

}  // namespace ipp::config::detail

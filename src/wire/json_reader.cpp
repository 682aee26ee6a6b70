// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/json_reader.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ipp::wire {

namespace {

using json = nlohmann::json;

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at p (p + 4 <= end checked by the caller), or -1.
int hex4(const char* p) {
  int v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p[i]);
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the escapes of a validated string body (between the quotes).
void unescape(std::string_view body, std::string& out) {
  out.reserve(out.size() + body.size());
  const char* p = body.data();
  const char* end = p + body.size();
  while (p < end) {
    const char* backslash = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p)));
    if (backslash == nullptr) {
      out.append(p, end);
      return;
    }
    out.append(p, backslash);
    p = backslash + 1;
    switch (*p++) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      default: {  // 'u', validated by the reader
        std::uint32_t cp = static_cast<std::uint32_t>(hex4(p));
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          const auto low = static_cast<std::uint32_t>(hex4(p + 2));
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
      }
    }
  }
}

// One pass over the text. With Build, values are built into nlohmann::json;
// without, the text is only checked.
template <bool Build>
class Reader {
 public:
  Reader(std::string_view text, std::size_t max_depth)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth) {}

  // The whole text as one value.
  bool document(json* out) {
    skip_ws();
    if (!value(out)) return false;
    skip_ws();
    if (p_ != end_) return fail("unexpected content after the value");
    return true;
  }

  // The top-level object, members recorded as raw spans.
  template <typename OnMember>
  bool members(OnMember&& on_member) {
    skip_ws();
    if (p_ == end_ || *p_ != '{') return false;
    ++p_;
    depth_ = 1;
    skip_ws();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
    } else {
      while (true) {
        skip_ws();
        std::string_view key;
        bool escaped = false;
        if (!string_body(&key, &escaped)) return false;
        skip_ws();
        if (p_ == end_ || *p_ != ':') return fail("expected ':' after an object key");
        ++p_;
        skip_ws();
        const char* start = p_;
        if (!value(nullptr)) return false;
        on_member(key, escaped, std::string_view(start, static_cast<std::size_t>(p_ - start)));
        bool done = false;
        if (!separator('}', &done)) return false;
        if (done) break;
      }
    }
    skip_ws();
    if (p_ != end_) return fail("unexpected content after the value");
    return true;
  }

  const std::string& error() const { return error_; }
  bool too_deep() const { return too_deep_; }

 private:
  bool fail(const char* what) {
    if (error_.empty()) {
      error_ = "syntax error at byte " + std::to_string(p_ - begin_) + ": " + what;
    }
    return false;
  }

  void skip_ws() {
    while (p_ < end_ && is_ws(*p_)) ++p_;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) {
      return fail("invalid literal");
    }
    p_ += word.size();
    return true;
  }

  bool value(json* out) {
    if (p_ == end_) return fail("unexpected end of input");
    switch (*p_) {
      case '{': return object(out);
      case '[': return array(out);
      case '"': {
        std::string_view body;
        bool escaped = false;
        if (!string_body(&body, &escaped)) return false;
        if constexpr (Build) {
          if (escaped) {
            std::string s;
            unescape(body, s);
            *out = std::move(s);
          } else {
            *out = std::string(body);
          }
        }
        return true;
      }
      case 't':
        if (!literal("true")) return false;
        if constexpr (Build) *out = true;
        return true;
      case 'f':
        if (!literal("false")) return false;
        if constexpr (Build) *out = false;
        return true;
      case 'n':
        if (!literal("null")) return false;
        if constexpr (Build) *out = nullptr;
        return true;
      default:
        if (*p_ == '-' || is_digit(*p_)) return number(out);
        return fail("unexpected character");
    }
  }

  // After an item of an object or array: true with *done false at ',',
  // true with *done at `close`, false (error) otherwise.
  bool separator(char close, bool* done) {
    skip_ws();
    if (p_ < end_ && *p_ == ',') {
      ++p_;
      *done = false;
      return true;
    }
    if (p_ < end_ && *p_ == close) {
      ++p_;
      *done = true;
      return true;
    }
    return fail(close == '}' ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
  }

  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      error_ = "JSON nested deeper than " + std::to_string(max_depth_);
      return false;
    }
    return true;
  }

  bool object(json* out) {
    if (!enter()) return false;
    ++p_;
    json::object_t* members = nullptr;
    if constexpr (Build) {
      *out = json::object();
      members = out->get_ptr<json::object_t*>();
    }
    skip_ws();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      --depth_;
      return true;
    }
    while (true) {
      skip_ws();
      std::string_view key;
      bool escaped = false;
      if (p_ == end_ || *p_ != '"') return fail("expected a string as object key");
      if (!string_body(&key, &escaped)) return false;
      skip_ws();
      if (p_ == end_ || *p_ != ':') return fail("expected ':' after an object key");
      ++p_;
      skip_ws();
      if constexpr (Build) {
        json item;
        if (!value(&item)) return false;
        std::string name;
        if (escaped) {
          unescape(key, name);
        } else {
          name.assign(key);
        }
        // A repeated key keeps the last value, as nlohmann and Python.
        members->insert_or_assign(std::move(name), std::move(item));
      } else {
        if (!value(nullptr)) return false;
      }
      bool done = false;
      if (!separator('}', &done)) return false;
      if (done) {
        --depth_;
        return true;
      }
    }
  }

  bool array(json* out) {
    if (!enter()) return false;
    ++p_;
    json::array_t* items = nullptr;
    if constexpr (Build) {
      *out = json::array();
      items = out->get_ptr<json::array_t*>();
    }
    skip_ws();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      --depth_;
      return true;
    }
    while (true) {
      skip_ws();
      if constexpr (Build) {
        items->emplace_back();
        if (!value(&items->back())) return false;
      } else {
        if (!value(nullptr)) return false;
      }
      bool done = false;
      if (!separator(']', &done)) return false;
      if (done) {
        --depth_;
        return true;
      }
    }
  }

  // p_ at the opening quote. Checks escapes and UTF-8 (RFC 3629: no
  // overlong forms, no surrogates, nothing above U+10FFFF) and leaves p_
  // after the closing quote; *body is the text between the quotes.
  bool string_body(std::string_view* body, bool* escaped) {
    if (p_ == end_ || *p_ != '"') return fail("expected a string");
    const char* start = ++p_;
    *escaped = false;
    while (true) {
      skip_plain_ascii();
      if (p_ == end_) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *body = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20) return fail("control character in a string must be escaped");
      if (c == '\\') {
        *escaped = true;
        if (!escape()) return false;
        continue;
      }
      if (!utf8_sequence()) return false;
    }
  }

  // Advances p_ over printable ASCII other than '"' and '\\': the common
  // case, 16 bytes per step where SSE2 is available.
  void skip_plain_ascii() {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      // Signed compare: bytes >= 0x80 are negative, so "< 0x20" also
      // catches every non-ASCII byte; both need the careful path.
      const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                           _mm_cmplt_epi8(v, space));
      const int mask = _mm_movemask_epi8(special);
      if (mask != 0) {
        p_ += __builtin_ctz(static_cast<unsigned>(mask));
        return;
      }
      p_ += 16;
    }
#endif
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return;
      ++p_;
    }
  }

  bool escape() {
    ++p_;  // the backslash
    if (p_ == end_) return fail("unterminated string");
    switch (*p_) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        ++p_;
        return true;
      case 'u': {
        ++p_;
        if (end_ - p_ < 4) return fail("\\u must be followed by 4 hex digits");
        const int cp = hex4(p_);
        if (cp < 0) return fail("\\u must be followed by 4 hex digits");
        p_ += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') {
            return fail("high surrogate must be followed by a low surrogate");
          }
          const int low = hex4(p_ + 2);
          if (low < 0xDC00 || low > 0xDFFF) {
            return fail("high surrogate must be followed by a low surrogate");
          }
          p_ += 6;
        }
        return true;
      }
      default:
        return fail("invalid escape");
    }
  }

  bool utf8_sequence() {
    const auto b = [&](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
    const auto in = [](unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; };
    const unsigned char c = b(0);
    std::ptrdiff_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (in(c, 0xC2, 0xDF)) {
      n = 2;
    } else if (c == 0xE0) {
      n = 3, lo = 0xA0;
    } else if (in(c, 0xE1, 0xEC) || in(c, 0xEE, 0xEF)) {
      n = 3;
    } else if (c == 0xED) {
      n = 3, hi = 0x9F;
    } else if (c == 0xF0) {
      n = 4, lo = 0x90;
    } else if (in(c, 0xF1, 0xF3)) {
      n = 4;
    } else if (c == 0xF4) {
      n = 4, hi = 0x8F;
    } else {
      return fail("invalid UTF-8 byte");
    }
    if (end_ - p_ < n) return fail("truncated UTF-8 sequence");
    if (!in(b(1), lo, hi)) return fail("invalid UTF-8 sequence");
    for (std::ptrdiff_t i = 2; i < n; ++i) {
      if (!in(b(i), 0x80, 0xBF)) return fail("invalid UTF-8 sequence");
    }
    p_ += n;
    return true;
  }

  bool number(json* out) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_) return fail("invalid number");
    if (*p_ == '0') {
      ++p_;
    } else if (is_digit(*p_)) {
      while (p_ < end_ && is_digit(*p_)) ++p_;
    } else {
      return fail("invalid number");
    }
    bool is_float = false;
    if (p_ < end_ && *p_ == '.') {
      is_float = true;
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return fail("invalid number: digits expected after '.'");
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_float = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) return fail("invalid number: digits expected in the exponent");
      while (p_ < end_ && is_digit(*p_)) ++p_;
    }
    if (!is_float) {
      if (negative) {
        std::int64_t v = 0;
        const auto r = std::from_chars(start, p_, v);
        if (r.ec == std::errc() && r.ptr == p_) {
          if constexpr (Build) *out = v;
          return true;
        }
      } else {
        std::uint64_t v = 0;
        const auto r = std::from_chars(start, p_, v);
        if (r.ec == std::errc() && r.ptr == p_) {
          if constexpr (Build) *out = v;
          return true;
        }
      }
      // Too large for 64 bits: a double, as nlohmann.
    }
    // strtod, as nlohmann: underflow gives 0 or a denormal, overflow is
    // rejected.
    const std::string token(start, p_);
    const double d = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(d)) return fail("number overflow");
    if constexpr (Build) *out = d;
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
  bool too_deep_ = false;
  std::string error_;
};

void set_error(std::string* error, const std::string& reason) {
  if (error != nullptr) *error = reason;
}

}  // namespace

std::optional<nlohmann::json> read_json(std::string_view text, std::string* error,
                                        std::size_t max_depth) {
  Reader<true> reader(text, max_depth);
  json value;
  if (!reader.document(&value)) {
    set_error(error, reader.error());
    return std::nullopt;
  }
  return value;
}

bool validate_json(std::string_view text, std::string* error, std::size_t max_depth) {
  Reader<false> reader(text, max_depth);
  if (!reader.document(nullptr)) {
    set_error(error, reader.error());
    return false;
  }
  return true;
}

std::optional<JsonObjectView> JsonObjectView::parse(std::string_view text, std::string* error,
                                                    std::size_t max_depth) {
  JsonObjectView view;
  Reader<false> reader(text, max_depth);
  const bool ok = reader.members([&](std::string_view key, bool escaped, std::string_view value) {
    view.members_.push_back(Member{key, escaped, value});
  });
  if (ok) return view;
  if (!reader.error().empty()) {
    set_error(error, reader.error());
    return std::nullopt;
  }
  // Not an object: say what it is, as parse_dict does.
  auto value = read_json(text, error, max_depth);
  if (value) set_error(error, std::string("expected a JSON object, got ") + value->type_name());
  return std::nullopt;
}

std::optional<std::string_view> JsonObjectView::raw(std::string_view key) const {
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (!it->key_escaped) {
      if (it->key == key) return it->value;
    } else {
      std::string name;
      unescape(it->key, name);
      if (name == key) return it->value;
    }
  }
  return std::nullopt;
}

std::optional<nlohmann::json> JsonObjectView::get(std::string_view key) const {
  const auto text = raw(key);
  if (!text) return std::nullopt;
  // Validated already; the depth was bounded for the whole text.
  return read_json(*text, nullptr, static_cast<std::size_t>(-1));
}

std::optional<std::string> JsonObjectView::string(std::string_view key) const {
  const auto text = raw(key);
  if (!text) return std::nullopt;
  return decode_json_string(*text);
}

std::optional<std::string> decode_json_string(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::nullopt;
  const std::string_view body = raw.substr(1, raw.size() - 2);
  std::string out;
  if (body.find('\\') == std::string_view::npos) {
    out.assign(body);
  } else {
    unescape(body, out);
  }
  return out;
}

}  // namespace ipp::wire

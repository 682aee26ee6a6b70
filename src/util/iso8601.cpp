// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/iso8601.hpp"

#include <ctime>

namespace ipp::util {

namespace {

using std::chrono::microseconds;

// Writes `value` as exactly `width` decimal digits, zero-padded.
char* put_digits(char* out, long long value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads `count` ASCII digits at text[pos]; false if any is not a digit.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int* value) {
  if (pos + count > text.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!is_digit(text[i])) return false;
    v = v * 10 + (text[i] - '0');
  }
  *value = v;
  return true;
}

}  // namespace

std::string format_iso8601(TimePoint t) {
  // floor, not duration_cast: before 1970 the fraction must stay positive.
  const auto us = std::chrono::floor<microseconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(us);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss<microseconds> hms{us - day};

  char buf[32];
  char* p = buf;
  p = put_digits(p, static_cast<int>(ymd.year()), 4);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  p = put_digits(p, hms.hours().count(), 2);
  *p++ = ':';
  p = put_digits(p, hms.minutes().count(), 2);
  *p++ = ':';
  p = put_digits(p, hms.seconds().count(), 2);
  if (const auto frac = hms.subseconds().count(); frac != 0) {
    *p++ = '.';
    p = put_digits(p, frac, 6);
  }
  *p++ = 'Z';
  return std::string(buf, p);
}

std::string iso8601_now() { return format_iso8601(std::chrono::system_clock::now()); }

std::optional<TimePoint> parse_iso8601(std::string_view text) {
  // Fixed part: YYYY-MM-DDTHH:MM:SS (19 chars).
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':' || !read_digits(text, 0, 4, &year) ||
      !read_digits(text, 5, 2, &month) || !read_digits(text, 8, 2, &day) ||
      !read_digits(text, 11, 2, &hour) || !read_digits(text, 14, 2, &minute) ||
      !read_digits(text, 17, 2, &second)) {
    return std::nullopt;
  }
  std::size_t pos = 19;

  long long micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      if (++digits > 6) return std::nullopt;
      micros = micros * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }

  bool has_zone = false;
  int offset_minutes = 0;
  if (pos < text.size()) {
    has_zone = true;
    const char sign = text[pos++];
    if (sign == 'Z') {
      if (pos != text.size()) return std::nullopt;
    } else if (sign == '+' || sign == '-') {
      int off_h = 0, off_m = 0;
      if (!read_digits(text, pos, 2, &off_h)) return std::nullopt;
      pos += 2;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!read_digits(text, pos, 2, &off_m)) return std::nullopt;
      pos += 2;
      if (pos != text.size() || off_h > 23 || off_m > 59) return std::nullopt;
      offset_minutes = (sign == '-' ? -1 : 1) * (off_h * 60 + off_m);
    } else {
      return std::nullopt;
    }
  }

  // Python's datetime bounds: year 1..9999, no leap seconds, no hour 24.
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (year < 1 || !ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;

  std::chrono::sys_time<microseconds> instant;
  if (has_zone) {
    instant = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
              std::chrono::minutes{minute - offset_minutes} + std::chrono::seconds{second} +
              microseconds{micros};
  } else {
    // Local time, as Python's _ensure_tzinfo(dt.replace(tzinfo=tzlocal())).
    // mktime is thread-safe in glibc (unlike localtime/gmtime).
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    const std::time_t seconds_since_epoch = std::mktime(&tm);
    instant = std::chrono::sys_time<microseconds>{std::chrono::seconds{seconds_since_epoch}} +
              microseconds{micros};
  }

  // system_clock counts nanoseconds in 64 bits (years ~1678..2262).
  const auto lo = std::chrono::ceil<microseconds>(TimePoint::min());
  const auto hi = std::chrono::floor<microseconds>(TimePoint::max());
  if (instant < lo || instant > hi) return std::nullopt;
  return std::chrono::time_point_cast<TimePoint::duration>(instant);
}

}  // namespace ipp::util

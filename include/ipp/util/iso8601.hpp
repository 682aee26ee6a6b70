// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ipp::util {

using TimePoint = std::chrono::system_clock::time_point;

// Formats `t` (truncated to microseconds) as Python's
// `datetime.isoformat()` of an aware UTC datetime with "+00:00" replaced by
// "Z", which is what jupyter_client's json_default sends:
// "2026-11-21T08:01:09.995894Z", or "2026-11-21T08:01:09Z" when the
// microseconds are 0 (isoformat omits a zero fraction). Thread-safe.
std::string format_iso8601(TimePoint t);

// format_iso8601(system_clock::now()): the `date` of a new message header.
std::string iso8601_now();

// Parses the strings jupyter_client.jsonutil.parse_date accepts:
//   ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$
// A fraction of fewer than 6 digits is a decimal fraction (".5" = 500000us,
// as dateutil). Without a zone the time is local time (Python adds tzlocal()
// with a DeprecationWarning). Returns nullopt for anything that does not
// match or names an impossible date/time (month 13, Feb 30, hour 24,
// second 60, offset hour > 23), for a trailing newline (Python's `$` lets
// one through; nothing sends it), and for instants outside the range of
// system_clock::time_point. Hand-written, no regex, no allocation;
// thread-safe (uses std::chrono calendar types, and mktime only for the
// local-time case).
std::optional<TimePoint> parse_iso8601(std::string_view text);

}  // namespace ipp::util

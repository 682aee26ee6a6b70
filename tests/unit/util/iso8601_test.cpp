// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/iso8601.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace ipp::util {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi, int s, long long us = 0) {
  return TimePoint{sys_days{year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s} +
                   microseconds{us}};
}

TEST(Iso8601Test, FormatsMicrosecondsAndZ) {
  EXPECT_EQ(format_iso8601(utc(2026, 11, 21, 8, 1, 9, 995894)), "2026-11-21T08:01:09.995894Z");
}

TEST(Iso8601Test, FormatOmitsZeroFraction) {
  EXPECT_EQ(format_iso8601(utc(2026, 1, 2, 3, 4, 5)), "2026-01-02T03:04:05Z");
}

TEST(Iso8601Test, FormatZeroPadsMicroseconds) {
  EXPECT_EQ(format_iso8601(utc(2026, 1, 2, 3, 4, 5, 7)), "2026-01-02T03:04:05.000007Z");
}

TEST(Iso8601Test, FormatTruncatesNanoseconds) {
  EXPECT_EQ(format_iso8601(utc(2026, 1, 2, 3, 4, 5, 7) + 999ns), "2026-01-02T03:04:05.000007Z");
}

TEST(Iso8601Test, FormatBeforeEpochKeepsPositiveFraction) {
  EXPECT_EQ(format_iso8601(TimePoint{} - 500ms), "1969-12-31T23:59:59.500000Z");
}

TEST(Iso8601Test, NowParsesBack) {
  const std::string now = iso8601_now();
  ASSERT_EQ(now.back(), 'Z');
  const auto parsed = parse_iso8601(now);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_LT(abs(duration_cast<milliseconds>(system_clock::now() - *parsed).count()), 5000);
}

TEST(Iso8601Test, RoundTripsThroughParse) {
  for (const TimePoint t : {utc(2026, 11, 21, 8, 1, 9, 995894), utc(2000, 2, 29, 23, 59, 59),
                            utc(1970, 1, 1, 0, 0, 0, 1), utc(1800, 6, 15, 12, 0, 0, 100)}) {
    const auto parsed = parse_iso8601(format_iso8601(t));
    ASSERT_TRUE(parsed.has_value()) << format_iso8601(t);
    EXPECT_EQ(*parsed, t) << format_iso8601(t);
  }
}

TEST(Iso8601Test, ParsesZ) {
  EXPECT_EQ(parse_iso8601("2026-11-21T08:01:09.995894Z"), utc(2026, 11, 21, 8, 1, 9, 995894));
}

TEST(Iso8601Test, ParsesWithoutFraction) {
  EXPECT_EQ(parse_iso8601("2026-11-21T08:01:09Z"), utc(2026, 11, 21, 8, 1, 9));
}

TEST(Iso8601Test, ShortFractionIsDecimal) {
  EXPECT_EQ(parse_iso8601("2026-11-21T08:01:09.5Z"), utc(2026, 11, 21, 8, 1, 9, 500000));
  EXPECT_EQ(parse_iso8601("2026-11-21T08:01:09.012Z"), utc(2026, 11, 21, 8, 1, 9, 12000));
}

TEST(Iso8601Test, ParsesPositiveOffsetWithColon) {
  EXPECT_EQ(parse_iso8601("2026-11-21T13:31:09+05:30"), utc(2026, 11, 21, 8, 1, 9));
}

TEST(Iso8601Test, ParsesOffsetWithoutColon) {
  EXPECT_EQ(parse_iso8601("2026-11-21T13:31:09.25+0530"), utc(2026, 11, 21, 8, 1, 9, 250000));
}

TEST(Iso8601Test, ParsesNegativeOffsetAcrossMidnight) {
  EXPECT_EQ(parse_iso8601("2026-11-20T23:01:09-09:00"), utc(2026, 11, 21, 8, 1, 9));
}

TEST(Iso8601Test, ParsesZeroOffset) {
  EXPECT_EQ(parse_iso8601("2026-11-21T08:01:09+00:00"), utc(2026, 11, 21, 8, 1, 9));
  EXPECT_EQ(parse_iso8601("2026-11-21T08:01:09-00:00"), utc(2026, 11, 21, 8, 1, 9));
}

TEST(Iso8601Test, NoZoneIsLocalTime) {
  const auto local = parse_iso8601("2026-07-01T12:00:00.5");
  ASSERT_TRUE(local.has_value());
  const std::time_t secs = system_clock::to_time_t(*local);
  std::tm tm{};
  ASSERT_NE(localtime_r(&secs, &tm), nullptr);
  EXPECT_EQ(tm.tm_hour, 12);
  EXPECT_EQ(tm.tm_min, 0);
  EXPECT_EQ(*local - *parse_iso8601("2026-07-01T12:00:00.5Z"), -seconds{tm.tm_gmtoff});
}

TEST(Iso8601Test, AcceptsLeapDay) {
  EXPECT_TRUE(parse_iso8601("2024-02-29T00:00:00Z").has_value());
}

TEST(Iso8601Test, RejectsGarbage) {
  for (const char* bad : {"", "now", "2026-11-21", "2026-11-21T08:01", "2026-11-21 08:01:09Z",
                          "2026-11-21t08:01:09Z", "2026/11/21T08:01:09Z", "26-11-21T08:01:09Z",
                          "2026-1-21T08:01:09Z", "2026-11-21T08:01:09z", "2026-11-21T08:01:09ZZ",
                          "2026-11-21T08:01:09Z ", " 2026-11-21T08:01:09Z",
                          "2026-11-21T08:01:09.Z", "2026-11-21T08:01:09.1234567Z",
                          "2026-11-21T08:01:09+5:30", "2026-11-21T08:01:09+05", "2026-11-21T08:01:09+05:3",
                          "2026-11-21T08:01:09+05:300", "2026-11-21T08:01:09UTC",
                          "2026-1a-21T08:01:09Z", "2026-11-21T08:01:09Z\n",
                          "2026-11-21T08:01:09,5Z"}) {
    EXPECT_FALSE(parse_iso8601(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(Iso8601Test, RejectsImpossibleFields) {
  for (const char* bad : {"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z",
                          "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z", "0000-01-01T00:00:00Z",
                          "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+00:60"}) {
    EXPECT_FALSE(parse_iso8601(bad).has_value()) << bad;
  }
}

TEST(Iso8601Test, RejectsInstantsOutsideClockRange) {
  EXPECT_FALSE(parse_iso8601("9999-12-31T23:59:59Z").has_value());
  EXPECT_FALSE(parse_iso8601("0001-01-01T00:00:00Z").has_value());
}

}  // namespace
}  // namespace ipp::util

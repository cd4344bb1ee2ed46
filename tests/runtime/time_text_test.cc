// The one time grammar (runtime/core/time_text.h): every unit spelling,
// compound forms, what a bare number means per rule set, Flink's stricter
// form for module.yaml, points in time in each form (local ones under fixed
// offsets, so no daylight saving time gets in), and the text written back.
#include "runtime/core/time_text.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace statefun {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr DurationRules kExtended{.bare_number_unit = TimeUnit::kMilliseconds};

milliseconds duration(std::string_view text, const DurationRules& rules = kExtended) {
  auto parsed = parse_duration(text, rules);
  INFO(text);
  INFO((parsed ? std::string() : parsed.error().message));
  REQUIRE(parsed.has_value());
  return *parsed;
}

std::string duration_error(std::string_view text, const DurationRules& rules = kExtended) {
  auto parsed = parse_duration(text, rules);
  INFO(text);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  CHECK(parsed.error().message.find('\n') == std::string::npos);
  return parsed.error().message;
}

// ms since the epoch of a UTC wall-clock time.
int64_t utc(int year, unsigned month, unsigned day, int hour, int minute, int second = 0,
            int millis = 0) {
  using namespace std::chrono;
  const sys_days date{std::chrono::year{year} / month / day};
  return duration_cast<milliseconds>((date + std::chrono::hours{hour} +
                                      std::chrono::minutes{minute} + std::chrono::seconds{second} +
                                      milliseconds{millis})
                                         .time_since_epoch())
      .count();
}

// ms since the epoch of a local wall-clock time, in whatever zone is set.
int64_t local_ms(int year, int month, int day, int hour, int minute, int second) {
  std::tm when{};
  when.tm_year = year - 1900;
  when.tm_mon = month - 1;
  when.tm_mday = day;
  when.tm_hour = hour;
  when.tm_min = minute;
  when.tm_sec = second;
  when.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&when)) * 1000;
}

// Sets TZ for one test and puts the old value back.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) m_old = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (m_old) {
      ::setenv("TZ", m_old->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> m_old;
};

// POSIX TZ strings count west as positive: this is UTC+05:30, all year.
constexpr const char* kIndia = "<+0530>-5:30";
// UTC-03:00, all year.
constexpr const char* kMinusThree = "<-03>3";

constexpr int64_t kNow = 1764021492350;  // 2025-11-24T21:58:12.350Z

}  // namespace

// ---------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------

TEST_CASE("every unit spelling of Flink, with or without a space, in any case", "[runtime]") {
  struct Case {
    const char* unit;
    milliseconds one_thousand;
  };
  const Case cases[] = {
      {"d", hours(24'000)},
      {"day", hours(24'000)},
      {"days", hours(24'000)},
      {"h", hours(1000)},
      {"hour", hours(1000)},
      {"hours", hours(1000)},
      {"min", minutes(1000)},
      {"m", minutes(1000)},
      {"minute", minutes(1000)},
      {"minutes", minutes(1000)},
      {"s", seconds(1000)},
      {"sec", seconds(1000)},
      {"secs", seconds(1000)},
      {"second", seconds(1000)},
      {"seconds", seconds(1000)},
      {"ms", milliseconds(1000)},
      {"milli", milliseconds(1000)},
      {"millis", milliseconds(1000)},
      {"millisecond", milliseconds(1000)},
      {"milliseconds", milliseconds(1000)},
      {"\u00b5s", milliseconds(1)},
      {"micro", milliseconds(1)},
      {"micros", milliseconds(1)},
      {"microsecond", milliseconds(1)},
      {"microseconds", milliseconds(1)},
      {"ns", milliseconds(1)},  // rounded up
      {"nano", milliseconds(1)},
      {"nanos", milliseconds(1)},
      {"nanosecond", milliseconds(1)},
      {"nanoseconds", milliseconds(1)},
  };
  for (const Case& c : cases) {
    for (const DurationRules& rules : {kExtended, kFlinkDurations, kUnitRequired}) {
      CHECK(duration(std::string("1000") + c.unit, rules) == c.one_thousand);
      CHECK(duration(std::string("1000 ") + c.unit, rules) == c.one_thousand);
    }
  }
  // Beyond Flink: "us" and the Greek mu spell microseconds too.
  CHECK(duration("3000us") == milliseconds(3));
  CHECK(duration("3000 \u03bcs") == milliseconds(3));
  CHECK(duration("  3  HOURS ") == hours(3));
  CHECK(duration("5M") == minutes(5));
  CHECK(duration("5 minutes") == minutes(5));
  CHECK(duration("2min", kSecondsByDefault) == minutes(2));
  CHECK(duration("1d", kSecondsByDefault) == hours(24));
}

TEST_CASE("compound durations and fractions", "[runtime]") {
  CHECK(duration("1m30s") == seconds(90));
  CHECK(duration("1h 30min") == minutes(90));
  CHECK(duration("1 min 30 s") == seconds(90));
  CHECK(duration("2d3h") == hours(51));
  CHECK(duration("1h30m15s500ms") == milliseconds(5'415'500));
  CHECK(duration("1.5s") == milliseconds(1500));
  CHECK(duration("1.5h") == minutes(90));
  CHECK(duration("0.25 s") == milliseconds(250));
  CHECK(duration("2.5ms") == milliseconds(3));  // rounded up
  CHECK(duration("1 nanosecond") == milliseconds(1));
  CHECK(duration("1s 1ns") == milliseconds(1001));
  CHECK(duration("0.1d") == minutes(144));
}

// Moved from the command line's own parser, which took "5 minutes" for an
// error; the one grammar reads it (and "2min", "1d") the same everywhere.
TEST_CASE("durations read as a person writes them on the command line", "[runtime]") {
  const auto cli = [](std::string_view text) { return parse_duration(text, kSecondsByDefault); };
  CHECK(cli("500ms") == milliseconds(500));
  CHECK(cli("30s") == milliseconds(30000));
  CHECK(cli("2m") == milliseconds(120000));
  CHECK(cli("1h") == milliseconds(3600000));
  CHECK(cli("1m30s") == milliseconds(90000));
  CHECK(cli("1.5s") == milliseconds(1500));
  CHECK(cli("7") == milliseconds(7000));
  CHECK_FALSE(cli(""));
  CHECK_FALSE(cli("soon"));
  CHECK(cli("5 minutes") == minutes(5));
  CHECK_FALSE(cli("-1s"));
}

TEST_CASE("a bare number means what the place reading it says", "[runtime]") {
  CHECK(duration("500", kFlinkDurations) == milliseconds(500));
  CHECK(duration("7", kSecondsByDefault) == seconds(7));
  CHECK(duration("1.5", kSecondsByDefault) == milliseconds(1500));
  CHECK(duration("0", kUnitRequired) == milliseconds(0));
  CHECK(duration_error("10", kUnitRequired) == R"("10" has no unit; write e.g. "10m" or "10s")");
  CHECK(duration_error("30", DurationRules{}) == R"("30" has no unit; write e.g. "30s" or "30ms")");
}

TEST_CASE("a duration that does not parse is one line naming it and what was expected",
          "[runtime]") {
  CHECK(duration_error("") ==
        R"(invalid duration "": it is empty; expected a number and a unit, e.g. "10s")");
  CHECK(duration_error("soon") ==
        R"(invalid duration "soon": expected a number first, e.g. "10s")");
  CHECK(duration_error("-1s") == R"(invalid duration "-1s": a duration cannot be negative)");
  CHECK_THAT(duration_error("10 parsecs"),
             StartsWith(R"(invalid duration "10 parsecs": unknown unit "parsecs"; expected d, h)"));
  CHECK_THAT(duration_error("30s1m"), Contains("the units go from the largest to the smallest"));
  CHECK_THAT(duration_error("1m1m"), Contains("each once"));
  CHECK(
      duration_error("1h30") ==
      R"(invalid duration "1h30": 30 has no unit; in a compound duration every number needs one)");
  CHECK_THAT(duration_error("1m 30s!"), Contains(R"(unexpected "!" after "30")"));
  CHECK_THAT(duration_error("99999999999999999999"),
             Contains("the number 99999999999999999999 is too large"));
  CHECK_THAT(duration_error("9999999999999999 days"), Contains("the duration is too large"));
  CHECK_THAT(duration_error(".5s"), Contains("expected a number first"));
}

TEST_CASE("Flink's form refuses what a real cluster would, and says what to write", "[runtime]") {
  CHECK(duration_error("1m30s", kFlinkDurations) ==
        R"(invalid duration "1m30s": Flink reads one whole number and one unit, so a real )"
        R"(cluster would reject a compound duration; write "90s")");
  CHECK(duration_error("1.5 min", kFlinkDurations) ==
        R"(invalid duration "1.5 min": Flink reads one whole number and one unit, so a real )"
        R"(cluster would reject a fraction; write "90s")");
  CHECK_THAT(duration_error("2.5ms", kFlinkDurations), Contains("write \"2500\u00b5s\""));
  CHECK_THAT(duration_error("1h 30min", kFlinkDurations), Contains("write \"90m\""));
  CHECK(duration_error("5us", kFlinkDurations) ==
        "invalid duration \"5us\": Flink does not know the unit \"us\", so a real cluster would "
        "reject it; write \"5\u00b5s\" or \"5 micros\"");
  CHECK_THAT(duration_error("5 \u03bcs", kFlinkDurations),
             Contains("Flink does not know the unit"));
  CHECK_THAT(duration_error("10 parsecs", kFlinkDurations),
             Contains("expected d, h, min (or m), s, ms, \u00b5s or ns"));
}

TEST_CASE("durations print in their shortest exact unit, which every rule set reads back",
          "[runtime]") {
  CHECK(duration_text(milliseconds(0)) == "0");
  CHECK(duration_text(hours(7 * 24)) == "7d");
  CHECK(duration_text(milliseconds(600000)) == "10m");
  CHECK(duration_text(milliseconds(90000)) == "90s");
  CHECK(duration_text(milliseconds(250)) == "250ms");
  for (const milliseconds value : {milliseconds(0), milliseconds(250), milliseconds(90000),
                                   milliseconds(5'400'000), milliseconds(hours(48))}) {
    for (const DurationRules& rules :
         {kExtended, kFlinkDurations, kUnitRequired, kSecondsByDefault}) {
      CHECK(duration(duration_text(value), rules) == value);
    }
  }
}

// ---------------------------------------------------------------------------
// Points in time
// ---------------------------------------------------------------------------

TEST_CASE("points in time are RFC 3339, local times or durations back from now", "[runtime]") {
  CHECK(parse_time_point("2025-11-24T21:58:12Z", kNow) == 1764021492000);
  CHECK(parse_time_point("2025-11-24T21:58:12.350Z", kNow) == kNow);
  CHECK(parse_time_point("2025-11-24t22:58:12.35+01:00", kNow) == kNow);
  CHECK(parse_time_point("2025-11-24T20:28:12-0130", kNow) == 1764021492000);
  CHECK(parse_time_point("2025-11-24 21:58:12", kNow) == local_ms(2025, 11, 24, 21, 58, 12));
  CHECK(parse_time_point("2025-11-24T21:58", kNow) == local_ms(2025, 11, 24, 21, 58, 0));
  CHECK(parse_time_point("2025-11-24", kNow) == local_ms(2025, 11, 24, 0, 0, 0));
  CHECK(parse_time_point("5m", kNow) == kNow - 300000);
  CHECK(parse_time_point("5m ago", kNow) == kNow - 300000);
  CHECK(parse_time_point(" 2h ", kNow) == kNow - 7200000);
  CHECK(parse_time_point("1d", kNow) == kNow - 86400000);
  CHECK(parse_time_point("now", kNow) == kNow);
  // "21:58" is today, local time.
  auto today = parse_time_point("21:58", kNow);
  REQUIRE(today);
  const std::time_t seconds = *today / 1000;
  std::tm local{};
  localtime_r(&seconds, &local);
  CHECK(local.tm_hour == 21);
  CHECK(local.tm_min == 58);
}

TEST_CASE("RFC 3339 with Z or any fixed offset is the same instant everywhere", "[runtime]") {
  const int64_t instant = utc(2026, 12, 6, 9, 0);
  for (const char* zone : {kIndia, kMinusThree, "UTC0"}) {
    ScopedTimeZone tz(zone);
    CHECK(parse_time_point("2026-12-06T09:00:00Z", kNow) == instant);
    CHECK(parse_time_point("2026-12-06T09:00:00z", kNow) == instant);
    CHECK(parse_time_point("2026-12-06 09:00:00Z", kNow) == instant);
    CHECK(parse_time_point("2026-12-06T14:30:00+05:30", kNow) == instant);
    CHECK(parse_time_point("2026-12-06T14:30:00+0530", kNow) == instant);
    CHECK(parse_time_point("2026-12-06T06:00:00-03:00", kNow) == instant);
    CHECK(parse_time_point("2026-12-06T09:00:00.250Z", kNow) == instant + 250);
    CHECK(parse_time_point("2026-12-06T09:00:00,5Z", kNow) == instant + 500);
    CHECK(parse_time_point("2026-12-06T09:00:00.123456789Z", kNow) == instant + 123);
    CHECK(parse_time_point("2026-12-05T23:00:00-10:00", kNow) == instant);
  }
}

TEST_CASE("local times follow the zone's fixed offset", "[runtime]") {
  {
    ScopedTimeZone tz(kIndia);
    CHECK(parse_time_point("2026-12-06 14:30", kNow) == utc(2026, 12, 6, 9, 0));
    CHECK(parse_time_point("2026-12-06T14:30", kNow) == utc(2026, 12, 6, 9, 0));
    CHECK(parse_time_point("2026-12-06 14:30:05", kNow) == utc(2026, 12, 6, 9, 0, 5));
    CHECK(parse_time_point("2026-12-06", kNow) == utc(2026, 12, 5, 18, 30));
    // 20:00 UTC is already the 7th in India: "today" is the local day.
    const int64_t evening = utc(2026, 12, 6, 20, 0);
    CHECK(parse_time_point("14:30", evening) == utc(2026, 12, 7, 9, 0));
    CHECK(parse_time_point("9:05:30", evening) == utc(2026, 12, 7, 3, 35, 30));
    CHECK(local_date_time_text(utc(2026, 12, 6, 9, 0, 5)) == "2026-12-06 14:30:05");
  }
  {
    ScopedTimeZone tz(kMinusThree);
    CHECK(parse_time_point("2026-12-06 14:30", kNow) == utc(2026, 12, 6, 17, 30));
    CHECK(parse_time_point("00:15", utc(2026, 12, 6, 2, 0)) == utc(2026, 12, 5, 3, 15));
    CHECK(local_date_time_text(utc(2026, 12, 6, 2, 0)) == "2026-12-05 23:00:00");
  }
}

TEST_CASE("durations back from now take every duration form", "[runtime]") {
  CHECK(parse_time_point("1m30s", kNow) == kNow - 90000);
  CHECK(parse_time_point("1h 30min ago", kNow) == kNow - 5400000);
  CHECK(parse_time_point("5 minutes ago", kNow) == kNow - 300000);
  CHECK(parse_time_point("1.5s", kNow) == kNow - 1500);
  CHECK(parse_time_point("2min", kNow) == kNow - 120000);
  // A bare number: ambiguous unless the place says what unit it is.
  CHECK_THAT(parse_time_point("12", kNow).error().message, Contains("ambiguous"));
  CHECK(parse_time_point("7", kNow, kSecondsByDefault) == kNow - 7000);
  CHECK(parse_time_point("7 ago", kNow, kSecondsByDefault) == kNow - 7000);
}

TEST_CASE("a point in time that does not parse is one line naming it", "[runtime]") {
  for (const char* bad :
       {"", "12", "yesterday", "2025-13-01T00:00:00Z", "25:00", "2025-11-24T21:58:12+1", "21:58Z",
        "5 parsecs", "2026-02-30", "2026-12-06X14:30", "2026-12-06T14:30Zulu", "ago", "-5m"}) {
    INFO(bad);
    auto r = parse_time_point(bad, kNow);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().message.find('\n') == std::string::npos);
    CHECK_THAT(r.error().message, StartsWith("invalid time \"" + std::string(bad) + "\": "));
  }
  CHECK_THAT(parse_time_point("12", kNow).error().message, Catch::Matchers::Contains("ambiguous"));
  CHECK_THAT(parse_time_point("yesterday", kNow).error().message,
             Contains("expected RFC 3339 (2026-12-06T14:30:00Z), a local date and time"));
  CHECK_THAT(parse_time_point("5 parsecs", kNow).error().message,
             Contains("unknown unit \"parsecs\""));
  CHECK_THAT(parse_time_point("2026-02-30", kNow).error().message,
             Contains("there is no day 30 in month 02 of 2026"));
  CHECK_THAT(parse_time_point("25:00", kNow).error().message, Contains("there is no time 25:00"));
  CHECK_THAT(parse_time_point("21:58Z", kNow).error().message,
             Contains("a UTC offset needs a date"));
}

TEST_CASE("instants print as RFC 3339 in UTC with milliseconds", "[runtime]") {
  CHECK(utc_time_text(kNow) == "2025-11-24T21:58:12.350Z");
  CHECK(utc_time_text(0) == "1970-01-01T00:00:00.000Z");
  CHECK(parse_time_point(utc_time_text(kNow), 0) == kNow);
}

}  // namespace statefun

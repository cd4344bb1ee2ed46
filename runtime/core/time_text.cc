#include "runtime/core/time_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <limits>
#include <vector>

namespace statefun {
namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

int64_t nanos_per(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kNanoseconds:
      return 1;
    case TimeUnit::kMicroseconds:
      return 1'000;
    case TimeUnit::kMilliseconds:
      return kNanosPerMilli;
    case TimeUnit::kSeconds:
      return 1'000 * kNanosPerMilli;
    case TimeUnit::kMinutes:
      return 60'000 * kNanosPerMilli;
    case TimeUnit::kHours:
      return 3'600'000 * kNanosPerMilli;
    case TimeUnit::kDays:
      return 86'400'000 * kNanosPerMilli;
  }
  return 1;
}

// The short spelling, for suggestions ("10m", "500ms").
std::string_view symbol(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kNanoseconds:
      return "ns";
    case TimeUnit::kMicroseconds:
      return "\u00b5s";
    case TimeUnit::kMilliseconds:
      return "ms";
    case TimeUnit::kSeconds:
      return "s";
    case TimeUnit::kMinutes:
      return "m";
    case TimeUnit::kHours:
      return "h";
    case TimeUnit::kDays:
      return "d";
  }
  return "";
}

struct UnitLabel {
  std::string_view text;  // lower case
  TimeUnit unit;
  bool flink;  // one of the spellings Flink's TimeUtils knows (plus "m")
};

// Flink's spellings (each long form also with a plural "s"), "m" for minutes,
// and two spellings of microseconds that Flink does not know: "us" (ASCII)
// and "μs" with the Greek mu rather than the micro sign.
constexpr std::array kLabels = {
    UnitLabel{"d", TimeUnit::kDays, true},
    UnitLabel{"day", TimeUnit::kDays, true},
    UnitLabel{"days", TimeUnit::kDays, true},
    UnitLabel{"h", TimeUnit::kHours, true},
    UnitLabel{"hour", TimeUnit::kHours, true},
    UnitLabel{"hours", TimeUnit::kHours, true},
    UnitLabel{"min", TimeUnit::kMinutes, true},
    UnitLabel{"m", TimeUnit::kMinutes, true},
    UnitLabel{"minute", TimeUnit::kMinutes, true},
    UnitLabel{"minutes", TimeUnit::kMinutes, true},
    UnitLabel{"s", TimeUnit::kSeconds, true},
    UnitLabel{"sec", TimeUnit::kSeconds, true},
    UnitLabel{"secs", TimeUnit::kSeconds, true},
    UnitLabel{"second", TimeUnit::kSeconds, true},
    UnitLabel{"seconds", TimeUnit::kSeconds, true},
    UnitLabel{"ms", TimeUnit::kMilliseconds, true},
    UnitLabel{"milli", TimeUnit::kMilliseconds, true},
    UnitLabel{"millis", TimeUnit::kMilliseconds, true},
    UnitLabel{"millisecond", TimeUnit::kMilliseconds, true},
    UnitLabel{"milliseconds", TimeUnit::kMilliseconds, true},
    UnitLabel{"\u00b5s", TimeUnit::kMicroseconds, true},
    UnitLabel{"\u03bcs", TimeUnit::kMicroseconds, false},
    UnitLabel{"us", TimeUnit::kMicroseconds, false},
    UnitLabel{"micro", TimeUnit::kMicroseconds, true},
    UnitLabel{"micros", TimeUnit::kMicroseconds, true},
    UnitLabel{"microsecond", TimeUnit::kMicroseconds, true},
    UnitLabel{"microseconds", TimeUnit::kMicroseconds, true},
    UnitLabel{"ns", TimeUnit::kNanoseconds, true},
    UnitLabel{"nano", TimeUnit::kNanoseconds, true},
    UnitLabel{"nanos", TimeUnit::kNanoseconds, true},
    UnitLabel{"nanosecond", TimeUnit::kNanoseconds, true},
    UnitLabel{"nanoseconds", TimeUnit::kNanoseconds, true},
};

const UnitLabel* find_label(std::string_view lower) {
  const auto found = std::ranges::find(kLabels, lower, &UnitLabel::text);
  return found == kLabels.end() ? nullptr : &*found;
}

// Java's String.trim, as Flink applies it: every character up to ' ' is space.
bool is_space(char c) { return static_cast<unsigned char>(c) <= ' '; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string quoted(std::string_view text) { return fmt::format("\"{}\"", text); }

// One "number unit" part of a duration.
struct Term {
  std::string_view number;  // as written, for messages
  int64_t whole = 0;
  int64_t fraction = 0;  // the first `fraction_digits` digits after the point
  int fraction_digits = 0;
  bool has_point = false;
  std::string label;  // lower case; empty when none was written
};

// An exact sum: whole milliseconds plus the nanoseconds below them.
struct Total {
  int64_t millis = 0;
  int64_t nanos = 0;  // 0 .. kNanosPerMilli - 1

  bool add(int64_t more_millis, int64_t more_nanos) {
    more_millis += more_nanos / kNanosPerMilli;
    nanos += more_nanos % kNanosPerMilli;
    if (nanos >= kNanosPerMilli) {
      nanos -= kNanosPerMilli;
      ++more_millis;
    }
    if (millis > kMaxInt64 - more_millis) return false;
    millis += more_millis;
    return true;
  }
  // A non-zero duration must not round down to zero.
  std::optional<int64_t> rounded_up() const {
    if (nanos == 0) return millis;
    if (millis == kMaxInt64) return std::nullopt;
    return millis + 1;
  }
  // The single-unit form to suggest instead ("90s", "1500µs"), if exact.
  std::optional<std::string> single_unit_text() const {
    if (nanos == 0) return duration_text(std::chrono::milliseconds(millis));
    if (millis > (kMaxInt64 - nanos) / kNanosPerMilli) return std::nullopt;
    const int64_t all = millis * kNanosPerMilli + nanos;
    if (all % 1000 == 0) return fmt::format("{}\u00b5s", all / 1000);
    return fmt::format("{}ns", all);
  }
};

// `count` of `unit` plus `fraction / 10^digits` of it; false on overflow.
bool add_term(Total& total, int64_t count, int64_t fraction, int digits, TimeUnit unit) {
  const int64_t per = nanos_per(unit);
  int64_t millis = 0, nanos = 0;
  if (per >= kNanosPerMilli) {
    const int64_t millis_per = per / kNanosPerMilli;
    if (count > kMaxInt64 / millis_per) return false;
    millis = count * millis_per;
  } else {
    const int64_t per_milli = kNanosPerMilli / per;
    millis = count / per_milli;
    nanos = count % per_milli * per;
  }
  // fraction * per / 10^digits without overflow: per = q * 10^digits + r.
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  const int64_t fraction_nanos = fraction * (per / scale) + fraction * (per % scale) / scale;
  return total.add(millis, nanos) && total.add(0, fraction_nanos);
}

std::string unit_list(bool flink_only) {
  return flink_only ? "d, h, min (or m), s, ms, \u00b5s or ns, or a long form such as \"minutes\""
                    : "d, h, m (or min), s, ms, \u00b5s (or us) or ns, or a long form such as "
                      "\"minutes\"";
}

class DurationParser {
 public:
  DurationParser(std::string_view text, const DurationRules& rules)
      : m_text(text), m_rules(rules) {}

  // Errors quote the text: invalid duration "x": <reason>. A bare number's
  // reason already quotes it ("10" has no unit; ...).
  Result<std::chrono::milliseconds> parse() {
    auto parsed = parse_reason();
    if (parsed) return parsed;
    if (m_missing_unit) return parsed;
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("invalid duration {}: {}", quoted(m_text), parsed.error().message));
  }

  // Like parse(), but the error is only the reason ("unknown unit ...").
  Result<std::chrono::milliseconds> parse_reason() {
    const std::string_view trimmed = trim(m_text);
    if (trimmed.empty()) return fail("it is empty; expected a number and a unit, e.g. \"10s\"");
    auto terms = split(trimmed);
    if (!terms) return std::unexpected(terms.error());
    if (m_rules.flink_only) {
      if (auto refused = refuse_beyond_flink(*terms); !refused) {
        return std::unexpected(refused.error());
      }
    }
    Total total;
    std::optional<TimeUnit> previous;
    for (const Term& term : *terms) {
      auto unit = unit_of(term, terms->size());
      if (!unit) return std::unexpected(unit.error());
      if (!*unit) continue;  // "0" alone
      if (previous && **unit >= *previous) {
        return fail(
            "in a compound duration the units go from the largest to the smallest, "
            "each once, e.g. \"1h30m\"");
      }
      previous = **unit;
      if (!add_term(total, term.whole, term.fraction, term.fraction_digits, **unit)) {
        return fail("the duration is too large");
      }
    }
    const auto millis = total.rounded_up();
    if (!millis) return fail("the duration is too large");
    return std::chrono::milliseconds(*millis);
  }

 private:
  static std::unexpected<Error> fail(std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument, std::string(why));
  }

  // "1h 30min" -> {1, "h"}, {30, "min"}.
  Result<std::vector<Term>> split(std::string_view rest) const {
    std::vector<Term> terms;
    while (!rest.empty()) {
      if (!is_digit(rest.front())) {
        if (rest.front() == '-') return fail("a duration cannot be negative");
        if (terms.empty()) return fail("expected a number first, e.g. \"10s\"");
        return fail(
            fmt::format("unexpected {} after {}", quoted(rest), quoted(terms.back().number)));
      }
      Term term;
      const char* start = rest.data();
      std::size_t digits = 0;
      while (digits < rest.size() && is_digit(rest[digits])) ++digits;
      const auto [end, error] = std::from_chars(rest.data(), rest.data() + digits, term.whole);
      if (error != std::errc()) {
        return fail(fmt::format("the number {} is too large", rest.substr(0, digits)));
      }
      rest.remove_prefix(digits);
      if (rest.size() >= 2 && rest[0] == '.' && is_digit(rest[1])) {
        term.has_point = true;
        rest.remove_prefix(1);
        // Nanoseconds of a second need 9 digits; more cannot matter here.
        while (!rest.empty() && is_digit(rest.front())) {
          if (term.fraction_digits < 9) {
            term.fraction = term.fraction * 10 + (rest.front() - '0');
            ++term.fraction_digits;
          }
          rest.remove_prefix(1);
        }
      }
      term.number = std::string_view(start, static_cast<std::size_t>(rest.data() - start));
      while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
      std::size_t letters = 0;
      while (letters < rest.size() && (std::isalpha(static_cast<unsigned char>(rest[letters])) ||
                                       static_cast<unsigned char>(rest[letters]) >= 0x80)) {
        ++letters;
      }
      for (char c : rest.substr(0, letters)) {
        term.label += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      rest.remove_prefix(letters);
      while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
      terms.push_back(std::move(term));
    }
    return terms;
  }

  // The unit of one term; nullopt for a "0" written alone without one.
  Result<std::optional<TimeUnit>> unit_of(const Term& term, std::size_t terms) {
    if (!term.label.empty()) {
      const UnitLabel* label = find_label(term.label);
      if (!label) {
        return fail(fmt::format("unknown unit {}; expected {}", quoted(term.label),
                                unit_list(m_rules.flink_only)));
      }
      return label->unit;
    }
    if (terms > 1) {
      return fail(fmt::format("{} has no unit; in a compound duration every number needs one",
                              term.number));
    }
    if (m_rules.bare_number_unit) return *m_rules.bare_number_unit;
    if (term.whole == 0 && term.fraction == 0) return std::nullopt;
    m_missing_unit = true;
    return fail(fmt::format("{} has no unit; write e.g. \"{}{}\" or \"{}{}\"", quoted(term.number),
                            term.number, symbol(m_rules.suggest_first), term.number,
                            symbol(m_rules.suggest_second)));
  }

  // Compound forms, fractions and spellings Flink does not know, each with
  // the form Flink reads.
  Result<void> refuse_beyond_flink(const std::vector<Term>& terms) {
    const bool compound = terms.size() > 1;
    const bool fraction = std::ranges::any_of(terms, &Term::has_point);
    if (compound || fraction) {
      DurationRules extended = m_rules;
      extended.flink_only = false;
      auto value = DurationParser(m_text, extended).exact_total();
      if (!value) return std::unexpected(value.error());
      const auto single = value->single_unit_text();
      return fail(fmt::format(
          "Flink reads one whole number and one unit, so a real cluster would reject {}{}",
          compound ? "a compound duration" : "a fraction",
          single ? fmt::format("; write \"{}\"", *single) : std::string()));
    }
    const std::string& label = terms.front().label;
    if (const UnitLabel* known = find_label(label); known && !known->flink) {
      return fail(
          fmt::format("Flink does not know the unit {}, so a real cluster would reject "
                      "it; write \"{}\u00b5s\" or \"{} micros\"",
                      quoted(label), terms.front().number, terms.front().number));
    }
    return {};
  }

  // The exact value in the extended grammar (for suggestions).
  Result<Total> exact_total() {
    auto terms = split(trim(m_text));
    if (!terms) return std::unexpected(terms.error());
    Total total;
    for (const Term& term : *terms) {
      auto unit = unit_of(term, terms->size());
      if (!unit) return std::unexpected(unit.error());
      if (*unit && !add_term(total, term.whole, term.fraction, term.fraction_digits, **unit)) {
        return fail("the duration is too large");
      }
    }
    return total;
  }

  std::string_view m_text;
  DurationRules m_rules;
  bool m_missing_unit = false;  // the failure was a number without a unit
};

// ---------------------------------------------------------------------------
// Points in time
// ---------------------------------------------------------------------------

constexpr std::string_view kTimeForms =
    "expected RFC 3339 (2026-12-06T14:30:00Z), a local date and time (2026-12-06 14:30), a "
    "local time today (14:30) or a duration back from now (5m, 1h30m, 2h ago)";

// Reads fixed-width numbers and literal characters off the front of a text.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : m_text(text) {}
  bool done() const { return m_pos == m_text.size(); }
  char peek() const { return done() ? '\0' : m_text[m_pos]; }
  std::string_view rest() const { return m_text.substr(m_pos); }
  bool take(char c) {
    if (peek() != c) return false;
    ++m_pos;
    return true;
  }
  // Between `min_digits` and `max_digits` digits.
  bool number(int min_digits, int max_digits, int& out) {
    int value = 0, digits = 0;
    while (digits < max_digits && is_digit(peek())) {
      value = value * 10 + (peek() - '0');
      ++m_pos;
      ++digits;
    }
    out = value;
    return digits >= min_digits;
  }
  bool number(int digits, int& out) { return number(digits, digits, out); }
  // Fractional seconds after the point: milliseconds, further digits ignored.
  int fraction_ms() {
    int ms = 0, scale = 100;
    while (is_digit(peek())) {
      ms += (peek() - '0') * scale;
      scale /= 10;
      ++m_pos;
    }
    return ms;
  }
  bool looks_like_date() const { return m_text.size() >= m_pos + 5 && m_text[m_pos + 4] == '-'; }

 private:
  std::string_view m_text;
  std::size_t m_pos = 0;
};

struct WallClock {
  int year = 0, month = 0, day = 0;  // year 0: today
  int hour = 0, minute = 0, second = 0, millis = 0;
};

int64_t local_ms(const WallClock& wall, int64_t now_ms) {
  std::tm when{};
  if (wall.year == 0) {
    const std::time_t now_seconds = static_cast<std::time_t>(now_ms / 1000);
    localtime_r(&now_seconds, &when);
  } else {
    when.tm_year = wall.year - 1900;
    when.tm_mon = wall.month - 1;
    when.tm_mday = wall.day;
  }
  when.tm_hour = wall.hour;
  when.tm_min = wall.minute;
  when.tm_sec = wall.second;
  when.tm_isdst = -1;  // whatever the zone says for that day
  return static_cast<int64_t>(std::mktime(&when)) * 1000 + wall.millis;
}

int64_t utc_ms(const WallClock& wall, int offset_minutes) {
  using namespace std::chrono;
  const sys_days date{year{wall.year} / month{static_cast<unsigned>(wall.month)} /
                      day{static_cast<unsigned>(wall.day)}};
  const auto at = date + hours{wall.hour} + minutes{wall.minute - offset_minutes} +
                  seconds{wall.second} + milliseconds{wall.millis};
  return duration_cast<milliseconds>(at.time_since_epoch()).count();
}

// RFC 3339 and local dates and times. `as_written` (untrimmed) is for messages.
Result<int64_t> absolute_time(std::string_view text, std::string_view as_written, int64_t now_ms) {
  const auto fail = [as_written](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid time {}: {}", quoted(as_written), why));
  };
  Cursor c(text);
  WallClock wall;
  if (c.looks_like_date()) {
    if (!c.number(4, wall.year) || !c.take('-') || !c.number(2, wall.month) || !c.take('-') ||
        !c.number(2, wall.day)) {
      return fail("a date is written YYYY-MM-DD, e.g. 2026-12-06");
    }
    const std::chrono::year_month_day date{std::chrono::year{wall.year},
                                           std::chrono::month{static_cast<unsigned>(wall.month)},
                                           std::chrono::day{static_cast<unsigned>(wall.day)}};
    if (!date.ok()) {
      return fail(fmt::format("there is no day {:02} in month {:02} of {}", wall.day, wall.month,
                              wall.year));
    }
    if (c.done()) return local_ms(wall, now_ms);
    if (!c.take('T') && !c.take('t') && !c.take(' ')) {
      return fail(fmt::format("unexpected {} after the date; {}", quoted(c.rest()), kTimeForms));
    }
  }
  if (!c.number(1, 2, wall.hour) || !c.take(':') || !c.number(2, wall.minute)) {
    return fail(fmt::format("a time of day is written HH:MM or HH:MM:SS; {}", kTimeForms));
  }
  if (c.take(':')) {
    if (!c.number(2, wall.second)) return fail("the seconds need two digits, e.g. 14:30:05");
    if (c.take('.') || c.take(',')) wall.millis = c.fraction_ms();
  }
  // 60: a leap second, which the clock counts as the next minute's first.
  if (wall.hour > 23 || wall.minute > 59 || wall.second > 60) {
    return fail(
        fmt::format("there is no time {:02}:{:02}:{:02}", wall.hour, wall.minute, wall.second));
  }
  if (c.done()) return local_ms(wall, now_ms);
  if (wall.year == 0) return fail("a UTC offset needs a date, e.g. 2026-12-06T14:30:00Z");
  int offset_minutes = 0;
  if (!c.take('Z') && !c.take('z')) {
    const char sign = c.peek();
    int hours = 0, minutes = 0;
    bool ok = (c.take('+') || c.take('-')) && c.number(2, hours);
    if (ok) {
      c.take(':');  // +01:00 and +0100 are both common
      ok = c.number(2, minutes) && hours <= 23 && minutes <= 59;
    }
    if (!ok) {
      return fail(fmt::format("unexpected {} after the time; the offset is Z or +HH:MM",
                              quoted(text.substr(text.size() - c.rest().size()))));
    }
    offset_minutes = (sign == '+' ? 1 : -1) * (hours * 60 + minutes);
  }
  if (!c.done()) {
    return fail(fmt::format("unexpected {} after the offset", quoted(c.rest())));
  }
  return utc_ms(wall, offset_minutes);
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                 const DurationRules& rules) {
  return DurationParser(text, rules).parse();
}

Result<int64_t> parse_time_point(std::string_view text, int64_t now_ms, const DurationRules& ago) {
  const std::string_view trimmed = trim(text);
  const auto fail = [text](std::string_view why) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("invalid time {}: {}", quoted(text), why));
  };
  if (trimmed.empty()) return fail(fmt::format("it is empty; {}", kTimeForms));
  if (trimmed == "now") return now_ms;
  std::string_view relative = trimmed;
  const bool has_ago = relative.ends_with("ago");
  if (has_ago) relative = trim(relative.substr(0, relative.size() - 3));
  if (has_ago || relative.find_first_of(":-") == std::string_view::npos) {
    if (relative.empty()) return fail(kTimeForms);
    const bool digits_only = std::ranges::all_of(relative, is_digit);
    if (digits_only && !ago.bare_number_unit) {
      return fail(
          "a number alone is ambiguous; write a duration such as 5m (five minutes ago) or a "
          "time such as 14:30 or 2026-12-06T14:30:00Z");
    }
    DurationRules rules = ago;
    rules.flink_only = false;
    auto duration = DurationParser(relative, rules).parse_reason();
    if (!duration) {
      // "yesterday" is no duration gone wrong; "5 parsecs" is.
      if (!is_digit(relative.front())) return fail(kTimeForms);
      return fail(fmt::format("{}; {}", duration.error().message, kTimeForms));
    }
    return now_ms - duration->count();
  }
  return absolute_time(trimmed, text, now_ms);
}

std::string duration_text(std::chrono::milliseconds duration) {
  const int64_t ms = duration.count();
  if (ms == 0) return "0";
  struct Unit {
    int64_t ms;
    const char* suffix;
  };
  for (const Unit unit :
       {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1'000, "s"}}) {
    if (ms % unit.ms == 0) return fmt::format("{}{}", ms / unit.ms, unit.suffix);
  }
  return fmt::format("{}ms", ms);
}

std::string utc_time_text(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ms % 1000);
}

std::string local_date_time_text(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", local.tm_year + 1900, local.tm_mon + 1,
                     local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec);
}

}  // namespace statefun

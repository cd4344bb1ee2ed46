#include "emulator/console/failure_digest.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <utility>

namespace statefun::emulator {
namespace {

void append_folded(std::string& out, const std::string& text) {
  bool in_digits = false;
  for (const char c : text) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digit && in_digits) continue;
    out += digit ? '#' : c;
    in_digits = digit;
  }
  out += '\0';
}

}  // namespace

std::string FailureDigest::key(const Address& address, const CallFailure& failure) {
  std::string k = address.type.str();
  k += '\0';
  append_folded(k, call_failure_kind_name(failure.kind));
  append_folded(k, failure.reason);
  append_folded(k, failure.body);
  for (const auto& line : failure.output) append_folded(k, line.text);
  return k;
}

FailureDigest::Verdict FailureDigest::admit(const Address& address, const CallFailure& failure,
                                            Time now) {
  // Forget what has not been seen for a while, so the map stays small.
  for (auto it = m_seen.begin(); it != m_seen.end();) {
    it = now - it->second.last_line >= kForgetAfter && now - it->second.shown >= kForgetAfter
             ? m_seen.erase(it)
             : std::next(it);
  }
  auto [it, fresh] = m_seen.try_emplace(key(address, failure));
  Seen& seen = it->second;
  if (fresh) {
    seen.shown = seen.last_line = now;
    if (!failure.process.empty()) {
      auto& lines = m_failure_lines[failure.process];
      std::erase_if(lines, [now](const auto& entry) { return now - entry.second >= kForgetAfter; });
      for (const auto& line : failure.output) lines[line.text] = now;
    }
    return {Verdict::Show::kFull, 0, 0};
  }
  ++seen.repeats;
  ++seen.held_back;
  if (!failure.process.empty()) {
    auto& lines = m_failure_lines[failure.process];
    for (const auto& line : failure.output) {
      if (auto known = lines.find(line.text); known != lines.end()) known->second = now;
    }
  }
  // At most a line a second per reason, and ever more rarely (the gap
  // doubles up to a minute): a function down for an hour prints a few dozen
  // lines, not 1,800.
  const auto gap = std::min<std::chrono::milliseconds>(
      std::chrono::seconds(1) * (int64_t{1} << std::min(seen.lines, 6)),
      std::chrono::milliseconds(kForgetAfter));
  if (now - seen.last_line < gap) return {Verdict::Show::kNothing, 0, 0};
  ++seen.lines;
  seen.last_line = now;
  return {Verdict::Show::kRepeat, seen.repeats, std::exchange(seen.held_back, 0)};
}

bool FailureDigest::known_failure_line(const std::string& process, const std::string& line,
                                       Time now) const {
  auto lines = m_failure_lines.find(process);
  if (lines == m_failure_lines.end()) return false;
  auto it = lines->second.find(line);
  return it != lines->second.end() && now - it->second < kForgetAfter;
}

}  // namespace statefun::emulator

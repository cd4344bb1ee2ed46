// JUnit XML for `statefun test --junit FILE`, the format CI systems (GitLab,
// Jenkins, GitHub test reporters) read: one <testsuite> with one <testcase>
// per scenario (classname: its file), <failure> holding the failing step,
// its details and the end of the dev's log.
#pragma once

#include <string>
#include <vector>

namespace statefun::cli {

struct JunitCase {
  std::string file;
  std::string name;
  double seconds = 0;
  bool passed = true;
  std::string failure;  // one line
  std::string details;  // several lines
};

std::string junit_xml(const std::vector<JunitCase>& cases, double seconds);

// `text` with &, <, >, " and ' escaped, and characters XML 1.0 cannot hold
// (control characters but tab and newline) replaced by '?'.
std::string xml_escape(std::string_view text);

}  // namespace statefun::cli

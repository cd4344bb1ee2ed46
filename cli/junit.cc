#include "cli/junit.h"

#include <fmt/format.h>

namespace statefun::cli {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string junit_xml(const std::vector<JunitCase>& cases, double seconds) {
  int failures = 0;
  for (const auto& c : cases) failures += c.passed ? 0 : 1;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format(
      "<testsuites name=\"statefun test\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
      "time=\"{:.3f}\">\n",
      cases.size(), failures, seconds);
  xml += fmt::format(
      "  <testsuite name=\"statefun test\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
      "skipped=\"0\" time=\"{:.3f}\">\n",
      cases.size(), failures, seconds);
  for (const auto& c : cases) {
    xml += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"",
                       xml_escape(c.file), xml_escape(c.name), c.seconds);
    if (c.passed) {
      xml += "/>\n";
      continue;
    }
    xml += fmt::format(">\n      <failure message=\"{}\" type=\"ScenarioFailed\">{}</failure>\n",
                       xml_escape(c.failure), xml_escape(c.details));
    xml += "    </testcase>\n";
  }
  xml += "  </testsuite>\n</testsuites>\n";
  return xml;
}

}  // namespace statefun::cli

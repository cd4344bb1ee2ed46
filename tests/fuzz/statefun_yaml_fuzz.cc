// libFuzzer target: the statefun.yaml loader (emulator/config/dev_config).
// Any text must load or give an error with a message, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "emulator/config/dev_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = statefun::emulator::parse_dev_config(text, "statefun.yaml", "/project");
  if (!config && config.error().message.empty()) std::abort();
  return 0;
}

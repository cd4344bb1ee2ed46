// libFuzzer target: the module.yaml loader (emulator/config/module_config).
// Any text must load or give an error with a message, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "emulator/config/module_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = statefun::emulator::parse_module_yaml(text, "module.yaml");
  if (!config && config.error().message.empty()) std::abort();
  return 0;
}

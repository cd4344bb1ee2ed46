// libFuzzer target: the playground ingress's reading of a request target
// (net::target_path, then parse_ingress_path). An accepted path is exactly
// three non-empty parts, none holding a '/'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "emulator/surfaces/ingress_path.h"
#include "runtime/net/http_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto address = statefun::emulator::parse_ingress_path(statefun::net::target_path(input));
  if (address) {
    for (const std::string* part : {&address->type.ns, &address->type.name, &address->id}) {
      if (part->empty() || part->find('/') != std::string::npos) std::abort();
    }
  } else if (address.error().message.empty()) {
    std::abort();
  }
  return 0;
}

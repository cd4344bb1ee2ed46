#include "runtime/engine/events.h"

namespace statefun {

void refuse(Event& event, const Error& error) {
  std::visit(
      [&error](auto& e) {
        if constexpr (requires { e.done; }) e.done(std::unexpected(error));
      },
      event);
}

}  // namespace statefun

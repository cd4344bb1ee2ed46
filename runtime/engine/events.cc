#include "runtime/engine/events.h"

#include <type_traits>

namespace statefun {

void refuse(Event& event, const Error& error) {
  std::visit(
      [&error](auto& e) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, DeadLetterOpEvent>) {
          e.done(std::unexpected(error), 0);
        } else if constexpr (requires { e.done; }) {
          e.done(std::unexpected(error));
        }
      },
      event);
}

}  // namespace statefun

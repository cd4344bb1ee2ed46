// After the command line failed to parse: finds the first word that names
// no command or flag where one was expected, and words the error with the
// nearest valid name ("did you mean 'send'?").
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace statefun::cli {

// One line such as
//   statefun: unknown command 'sned' (did you mean 'send'?)
//   statefun send: unknown option '--tpye' (did you mean '--type'?)
// or nullopt when every command and long option of `args` (argv without the
// program name) is known, so the parser's own message is the better one.
std::optional<std::string> misspelling_message(const CLI::App& root,
                                               const std::vector<std::string>& args);

}  // namespace statefun::cli

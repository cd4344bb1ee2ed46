// How `send` and `state set` take a value: --json J, --string S, --int N,
// --file F, a positional VALUE, or `-` for stdin; exactly one of them.
// Turning it into bytes for its typename is runtime/value_codec.h's job.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "emulator/values/value_codec.h"
#include "runtime/core/result.h"

namespace statefun::cli {

struct ValueArgs {
  std::string type;        // --type
  std::string json;        // --json
  std::string text;        // --string
  std::string integer;     // --int (validated when encoding)
  std::string file;        // --file
  std::string positional;  // VALUE, or "-" for stdin
  CLI::Option* json_option = nullptr;
  CLI::Option* text_option = nullptr;
  CLI::Option* int_option = nullptr;
  CLI::Option* file_option = nullptr;
  CLI::Option* positional_option = nullptr;
};

// Adds --type, --json, --string, --int, --file and the VALUE positional.
// `value_help` describes VALUE for this command.
void add_value_flags(CLI::App* app, ValueArgs& args, const std::string& value_help);

struct ValueInput {
  values::InputForm form = values::InputForm::kNatural;
  std::string input;
  const char* source = "";  // "--json", "stdin", ... for messages
};

// The one value given. kInvalidArgument when none or several were given,
// or a file cannot be read.
Result<ValueInput> read_value_input(const ValueArgs& args);

// The typename when --type is not given: --string means
// io.statefun.types/string and --int io.statefun.types/int; nullopt
// otherwise (the caller decides or asks for --type).
std::optional<std::string> default_type(const ValueArgs& args);

}  // namespace statefun::cli

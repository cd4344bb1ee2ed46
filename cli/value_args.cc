#include "cli/value_args.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "runtime/protocol/well_known_types.h"

namespace statefun::cli {

void add_value_flags(CLI::App* app, ValueArgs& args, const std::string& value_help) {
  app->add_option("-t,--type", args.type,
                  "Typename of the value, e.g. io.statefun.types/int or example/GreetRequest");
  args.json_option = app->add_option("--json", args.json, "The value as JSON text");
  args.text_option = app->add_option("--string", args.text, "The value as a string");
  args.int_option = app->add_option("--int", args.integer, "The value as an integer");
  args.file_option = app->add_option("--file", args.file, "Read the value's bytes from a file")
                         ->check(CLI::ExistingFile);
  args.positional_option = app->add_option("value", args.positional, value_help);
}

Result<ValueInput> read_value_input(const ValueArgs& args) {
  const int given = static_cast<int>(args.json_option->count() > 0) +
                    static_cast<int>(args.text_option->count() > 0) +
                    static_cast<int>(args.int_option->count() > 0) +
                    static_cast<int>(args.file_option->count() > 0) +
                    static_cast<int>(args.positional_option->count() > 0);
  if (given == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no value: give one of VALUE, --json J, --string S, --int N, --file F or "
                      "- (stdin)");
  }
  if (given > 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "give only one of VALUE, --json, --string, --int, --file or - (stdin)");
  }
  using values::InputForm;
  if (args.json_option->count()) return ValueInput{InputForm::kJson, args.json, "--json"};
  if (args.text_option->count()) return ValueInput{InputForm::kString, args.text, "--string"};
  if (args.int_option->count()) return ValueInput{InputForm::kInt, args.integer, "--int"};
  if (args.file_option->count()) {
    std::ifstream in(args.file, std::ios::binary);
    if (!in) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("cannot read {}", args.file));
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return ValueInput{InputForm::kBytes, bytes.str(), "--file"};
  }
  if (args.positional == "-") {
    std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return ValueInput{InputForm::kBytes, std::move(bytes), "stdin"};
  }
  return ValueInput{InputForm::kNatural, args.positional, "VALUE"};
}

std::optional<std::string> default_type(const ValueArgs& args) {
  if (!args.type.empty()) return args.type;
  if (args.text_option->count()) return std::string(types::kString);
  if (args.int_option->count()) return std::string(types::kInt);
  return std::nullopt;
}

}  // namespace statefun::cli

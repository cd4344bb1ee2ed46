#include "cli/topic_command.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "cli/common.h"
#include "cli/follow_pages.h"

namespace statefun::cli {
namespace {

constexpr auto kOfflinePoll = std::chrono::milliseconds(200);
constexpr int64_t kFollowWaitMs = 5000;

struct TopicArgs {
  CommonOptions common;
  std::string topic;
  // produce
  std::string key_text;
  CLI::Option* key_option = nullptr;  // given (even as ''): the record has a key
  std::string json, text, file, records, key_path;
  std::string positional;  // "-": stdin
  // consume
  bool from_beginning = false;
  std::optional<int64_t> from;
  bool follow = false;
  int limit = 1000;
};

// ---------------------------------------------------------------------------
// produce
// ---------------------------------------------------------------------------

// The body of POST /v1/topics/<topic>/records for one record.
Json record_body(const std::optional<std::string>& key, const std::string& value) {
  Json body = {{"key", key ? Json(*key) : Json(nullptr)}};
  if (values::is_valid_utf8(value)) {
    body["text"] = value;
  } else {
    body["base64"] = values::base64_encode(value);
  }
  return body;
}

Result<std::string> read_file_bytes(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} {}: cannot read it", what, path));
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The one value given: --json, --string, --file or `-`.
Result<std::string> single_value(const TopicArgs& args) {
  const int given =
      !args.json.empty() + !args.text.empty() + !args.file.empty() + !args.positional.empty();
  if (given != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "give the record's value once: --json J, --string S, --file F or - (stdin)");
  }
  if (!args.json.empty()) {
    auto parsed = Json::parse(args.json, nullptr, false);
    if (parsed.is_discarded()) {
      return make_error(ErrorCode::kInvalidArgument, "--json: not valid JSON: " + args.json);
    }
    return parsed.dump();  // compact, as the playground producer sends one line
  }
  if (!args.text.empty()) return args.text;
  if (!args.file.empty()) return read_file_bytes(args.file, "--file");
  if (args.positional != "-") {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("unexpected argument '{}': give the value with --json, "
                                  "--string, --file or - (stdin)",
                                  args.positional));
  }
  return std::string(std::istreambuf_iterator<char>(std::cin), {});
}

// The value at a dotted path ("name", "user.id") of a JSON object.
std::optional<std::string> key_at(const Json& value, const std::string& path) {
  const Json* node = &value;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object() || !node->contains(part)) return std::nullopt;
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_number()) return node->dump();
  return std::nullopt;
}

struct LineRecord {
  std::optional<std::string> key;
  std::string value;
};

// One line of --records: {"key": K|null, "value": V} (a string value is sent
// as its text, anything else as compact JSON), or, with --key-path, the
// playground producer's shape: the line is the value and the key is found
// at the path inside it.
Result<LineRecord> parse_line(const TopicArgs& args, const std::string& line) {
  auto json = Json::parse(line, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "not a JSON object");
  }
  if (!args.key_path.empty()) {
    auto key = key_at(json, args.key_path);
    if (!key) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("no string or number at --key-path {}", args.key_path));
    }
    return LineRecord{std::move(key), json.dump()};
  }
  for (const auto& [name, _] : json.items()) {
    if (name != "key" && name != "value") {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("unknown field \"{}\" (expected \"key\" and \"value\"; "
                                    "--key-path PATH reads lines that are the values)",
                                    name));
    }
  }
  LineRecord record;
  if (json.contains("key") && !json["key"].is_null()) {
    if (!json["key"].is_string()) {
      return make_error(ErrorCode::kInvalidArgument, "\"key\" must be a string or null");
    }
    record.key = json["key"].get<std::string>();
  }
  if (!json.contains("value") || json["value"].is_null()) {
    return make_error(ErrorCode::kInvalidArgument, "\"value\" is missing");
  }
  record.value =
      json["value"].is_string() ? json["value"].get<std::string>() : json["value"].dump();
  return record;
}

void print_produced(const TopicArgs& args, const Json& produced, const Style& style) {
  if (args.common.want_json()) {
    print_json_line(produced);
    return;
  }
  std::string targets;
  for (const auto& m : produced["messages"]) {
    targets += (targets.empty() ? "" : ", ") + m.value("address", std::string());
  }
  print(fmt::format("produced {} offset {} {}\n", style.bold(produced.value("topic", "")),
                    produced.value("offset", int64_t{0}),
                    style.dim(targets.empty() ? "(routed to no function)" : "-> " + targets)));
}

int run_produce(TopicArgs& args) {
  const Style style = Style::for_stdout(args.common.color);
  auto client = make_client(args.common);
  const std::string path = fmt::format("/v1/topics/{}/records", url_encode(args.topic));
  if (args.records.empty()) {
    if (!args.key_path.empty()) {
      return report(ErrorCode::kInvalidArgument, "--key-path needs --records FILE");
    }
    auto value = single_value(args);
    if (!value) return report(value.error());
    const auto key =
        args.key_option->count() ? std::optional<std::string>(args.key_text) : std::nullopt;
    auto produced = client->post(path, record_body(key, *value));
    if (!produced) return report(produced.error());
    print_produced(args, *produced, style);
    return kExitOk;
  }
  if (!args.json.empty() || !args.text.empty() || !args.file.empty() || !args.positional.empty() ||
      args.key_option->count()) {
    return report(ErrorCode::kInvalidArgument,
                  "--records FILE takes keys and values from the file: drop --key and the value");
  }
  std::ifstream in(args.records);
  if (!in) return report(ErrorCode::kInvalidArgument, args.records + ": cannot read it");
  std::string line;
  int number = 0, produced_count = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto record = parse_line(args, line);
    if (!record) {
      return report(record.error().code,
                    fmt::format("{}:{}: {} ({} record(s) produced before it)", args.records, number,
                                record.error().message, produced_count));
    }
    auto produced = client->post(path, record_body(record->key, record->value));
    if (!produced) {
      return report(produced.error().code,
                    fmt::format("{}:{}: {} ({} record(s) produced before it)", args.records, number,
                                produced.error().message, produced_count));
    }
    print_produced(args, *produced, style);
    ++produced_count;
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------
// consume
// ---------------------------------------------------------------------------

std::string bytes_cell(const Json& record, const std::string& name) {
  if (record[name].is_string()) return record[name].get<std::string>();
  if (record[name + "_base64"].is_string()) {
    return "base64:" + record[name + "_base64"].get<std::string>();
  }
  return "-";
}

void print_record(const TopicArgs& args, const Json& record, const Style& style) {
  if (args.common.want_json()) {
    print_json_line(record);
    return;
  }
  print(fmt::format("{} {} {} {}\n", style.cyan(std::to_string(record.value("offset", int64_t{0}))),
                    style.dim(clock_time(record.value("at_ms", int64_t{0}))),
                    style.bold(bytes_cell(record, "key")), bytes_cell(record, "value")));
}

int run_consume(TopicArgs& args) {
  if (args.from && *args.from < 0)
    return report(ErrorCode::kInvalidArgument, "--from must be >= 0");
  if (args.from && args.from_beginning) {
    return report(ErrorCode::kInvalidArgument, "give --from N or --from-beginning, not both");
  }
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  const Style style = Style::for_stdout(args.common.color);
  int64_t next = args.from.value_or(0);
  if (args.follow && !args.from && !args.from_beginning) {
    // Like a Kafka console consumer: following starts at the end.
    auto topics = (*source)->kafka_topics();
    if (!topics) return report(topics.error());
    for (const auto& t : (*topics)["topics"]) {
      if (t.value("topic", "") == args.topic && t["next_offset"].is_number()) {
        next = t["next_offset"].get<int64_t>();
      }
    }
  }
  auto body = (*source)->topic_records(args.topic, next, args.limit);
  if (!body && args.follow && body.error().code == ErrorCode::kNotFound) {
    // Egress topics exist from their first record on (a function names the
    // topic in each record): wait for it, as a Kafka console consumer does.
    std::cerr << "statefun: " << body.error().message << "; waiting for its first record\n";
    while (!body && body.error().code == ErrorCode::kNotFound) {
      std::this_thread::sleep_for(kOfflinePoll);
      body = (*source)->topic_records(args.topic, next, args.limit);
    }
  }
  if (!body) return report(body.error());
  if (!args.follow) {
    if (args.common.want_json()) {
      print_json(*body);
      return kExitOk;
    }
    for (const auto& record : (*body)["records"]) print_record(args, record, style);
    return kExitOk;
  }
  // --follow: records as they come, until interrupted (JSON: one per line).
  // Online, each fetch is a long poll; offline reads answer at once.
  const bool offline = (*source)->offline();
  return report(follow_pages(
      std::move(*body), {[&](int64_t from) {
                           return (*source)->topic_records(args.topic, from, args.limit,
                                                           offline ? 0 : kFollowWaitMs);
                         },
                         [&](const Json& record) { print_record(args, record, style); },
                         [&] { return offline ? kOfflinePoll : std::chrono::milliseconds(0); }}));
}

// ---------------------------------------------------------------------------
// ls
// ---------------------------------------------------------------------------

int run_ls(TopicArgs& args) {
  auto source = DataSource::open(args.common);
  if (!source) return report(source.error());
  auto body = (*source)->kafka_topics();
  if (!body) return report(body.error());
  if (args.common.want_json()) {
    print_json(*body);
    return kExitOk;
  }
  const Style style = Style::for_stdout(args.common.color);
  Table table({"TOPIC", "KIND", "DIRECTION", "OWNER", "RECORDS", "CONSUMER"});
  for (const auto& t : (*body)["topics"]) {
    std::string owners;
    for (const auto& o : t["owners"]) owners += (owners.empty() ? "" : ",") + o.get<std::string>();
    const auto& consumer = t["consumer_offset"];
    table.add({style.cyan(t.value("topic", "")), t.value("kind", ""), t.value("direction", ""),
               owners.empty() ? "-" : owners, std::to_string(t.value("records", int64_t{0})),
               consumer.is_number() ? fmt::format("at {}", consumer.get<int64_t>()) : "-"});
  }
  print(table.empty() ? style.dim("no Kafka or Kinesis topics\n") : table.render(style));
  return kExitOk;
}

}  // namespace

void setup_topic_command(CLI::App& app, int& exit_code) {
  auto* topic = app.add_subcommand("topic", "Produce to and read emulated Kafka/Kinesis topics");
  topic->require_subcommand(1);
  topic->footer(
      "Each Kafka or Kinesis ingress of module.yaml reads emulated topics (streams)\n"
      "inside statefun dev; records sent to a Kafka or Kinesis egress are kept as\n"
      "topics too. A produced record is routed as StateFun routes it (the key is the\n"
      "target id, valueType the message type, one message per target) and committed\n"
      "with its messages: acknowledged means applied exactly once. docs/kafka-kinesis.md.\n"
      "\n"
      "Examples:\n"
      "  statefun topic produce names --key bob --json '{\"name\":\"bob\"}'\n"
      "  statefun topic produce names --records input-example.json --key-path name\n"
      "  statefun topic consume greetings --follow\n"
      "  statefun topic ls");
  {
    auto args = std::make_shared<TopicArgs>();
    auto* cmd = topic->add_subcommand("produce", "Produce records to a topic (needs statefun dev)");
    cmd->footer(
        "The value is given once: --json J (sent as compact JSON text), --string S,\n"
        "--file F (the bytes), or - (stdin). Its bytes reach the functions unchanged,\n"
        "typed with the topic's valueType. A Kafka record without --key is refused, as\n"
        "StateFun fails on it.\n"
        "\n"
        "--records FILE produces one record per line: {\"key\": K, \"value\": V} (a string\n"
        "V is sent as its text, other JSON as compact JSON). With --key-path PATH each\n"
        "line is the value itself and the key is the field at PATH (dotted), as the\n"
        "StateFun playground's producer reads input-example.json (APP_JSON_PATH).\n"
        "\n"
        "Examples:\n"
        "  statefun topic produce names --key bob --json '{\"name\":\"bob\"}'\n"
        "  statefun topic produce clicks --key user-1 --string hello\n"
        "  echo -n payload | statefun topic produce names --key k1 -\n"
        "  statefun topic produce names --records input-example.json --key-path name\n"
        "\n"
        "JSON output (-o json): one line per record: {\"topic\", \"offset\", \"ingresses\",\n"
        "\"messages\": [{\"id\", \"address\"}]}. Exit codes: 0 ok, 1 failure (no emulator),\n"
        "2 bad value or record (no key, ...), 3 no ingress reads the topic.");
    cmd->add_option("topic", args->topic, "The Kafka topic or Kinesis stream")->required();
    cmd->add_option("value", args->positional, "- to read the value from stdin");
    args->key_option =
        cmd->add_option("-k,--key", args->key_text, "The record key (the target id)");
    cmd->add_option("--json", args->json, "The value as JSON");
    cmd->add_option("--string", args->text, "The value as text");
    cmd->add_option("--file", args->file, "The value: the bytes of a file");
    cmd->add_option("--records", args->records, "Produce every line of a JSON-lines file");
    cmd->add_option("--key-path", args->key_path,
                    "With --records: lines are values, the key is the field at PATH");
    // --json is the value here: JSON output is -o json (as for `send`).
    add_output_flags(cmd, args->common, /*with_json_flag=*/false);
    add_admin_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_produce(*args); });
  }
  {
    auto args = std::make_shared<TopicArgs>();
    auto* cmd = topic->add_subcommand("consume", "Print a topic's records (without consuming)");
    cmd->footer(
        "Reads records from an offset without moving anything: the ingresses already\n"
        "routed every record when it was produced. Without --follow it prints from the\n"
        "beginning (or --from N) and stops; --follow keeps printing new records and,\n"
        "like a Kafka console consumer, starts at the end unless --from-beginning or\n"
        "--from N; a topic nothing wrote to yet is waited for (egress topics appear\n"
        "with their first record). Egress topics' offsets are their egress record ids\n"
        "(as `statefun egress read`): increasing, not contiguous.\n"
        "\n"
        "Human output: OFFSET TIME KEY VALUE per line (bytes that are not UTF-8 as\n"
        "base64:...). --json prints {\"topic\", \"direction\", \"records\", \"next\"}; with\n"
        "--follow, one JSON record per line.\n"
        "\n"
        "Examples:\n"
        "  statefun topic consume names\n"
        "  statefun topic consume greetings --from 3 --json\n"
        "  statefun topic consume greetings --follow --from-beginning\n"
        "\nExit codes: 0 ok, 1 failure, 2 bad flag, 3 unknown topic (not with --follow).");
    cmd->add_option("topic", args->topic, "The Kafka topic or Kinesis stream")->required();
    cmd->add_flag("--from-beginning", args->from_beginning, "Start at the first record");
    cmd->add_option("--from", args->from, "Start at this offset");
    cmd->add_flag("-f,--follow", args->follow, "Keep printing new records");
    cmd->add_option("--limit", args->limit, "At most this many records per read")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_consume(*args); });
  }
  {
    auto args = std::make_shared<TopicArgs>();
    auto* cmd = topic->add_subcommand("ls", "List topics: records, owners, consumer positions");
    cmd->footer(
        "Lists the topics module.yaml's Kafka and Kinesis ingresses read (even without\n"
        "records) and those functions wrote to through a Kafka or Kinesis egress.\n"
        "CONSUMER is where the ingresses' consumer stands: always the topic's end, as\n"
        "records are routed in the commit that appends them.\n"
        "\n"
        "Examples:\n  statefun topic ls\n  statefun topic ls --json\n"
        "\nExit codes: 0 ok, 1 failure.");
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    cmd->callback([args, &exit_code] { exit_code = run_ls(*args); });
  }
}

}  // namespace statefun::cli

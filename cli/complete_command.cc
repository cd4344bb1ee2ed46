#include "cli/complete_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "cli/common.h"
#include "emulator/admin/time_travel_json.h"
#include "emulator/dev/dev_server.h"
#include "runtime/store/snapshots.h"
#include "templates/catalog.h"

namespace statefun::cli {
namespace {

struct Candidate {
  std::string word;
  std::string description;
};

// What the words typed so far say.
struct Typed {
  const CLI::App* app = nullptr;              // the innermost subcommand
  std::vector<std::string> positionals;       // its positional words so far
  const CLI::Option* value_of = nullptr;      // the current word is this flag's value
  std::map<std::string, std::string> values;  // long flag name -> last value given
  bool after_dashes = false;                  // `--` seen: a command follows
};

const CLI::Option* find_flag(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const auto* option = app->get_option_no_throw(name)) return option;
  }
  return nullptr;
}

bool takes_value(const CLI::Option* option) { return option->get_type_size_max() > 0; }

std::string long_name(const CLI::Option* option) {
  const auto& names = option->get_lnames();
  return names.empty() ? option->get_name() : names.front();
}

const CLI::App* subcommand_named(const CLI::App* app, const std::string& word) {
  for (const auto* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->check_name(word)) return sub;
  }
  return nullptr;
}

Typed read_words(const CLI::App& root, const std::vector<std::string>& words) {
  Typed typed;
  typed.app = &root;
  const std::size_t typed_count = words.empty() ? 0 : words.size() - 1;
  for (std::size_t i = 0; i < typed_count; ++i) {
    const std::string& word = words[i];
    if (typed.after_dashes) {
      typed.positionals.push_back(word);
      continue;
    }
    if (typed.value_of) {
      if (word == "=") continue;  // bash splits --lang=js into --lang, =, js
      typed.values[long_name(typed.value_of)] = word;
      typed.value_of = nullptr;
      continue;
    }
    if (word == "--") {
      typed.after_dashes = true;
      continue;
    }
    if (word.size() > 1 && word[0] == '-') {
      const auto equals = word.find('=');
      const auto* option = find_flag(typed.app, word.substr(0, equals));
      if (!option || !takes_value(option)) continue;
      if (equals != std::string::npos) {
        typed.values[long_name(option)] = word.substr(equals + 1);
      } else {
        typed.value_of = option;
      }
      continue;
    }
    if (typed.positionals.empty()) {
      if (const auto* sub = subcommand_named(typed.app, word)) {
        typed.app = sub;
        continue;
      }
    }
    typed.positionals.push_back(word);
  }
  return typed;
}

// The command path: "state get".
std::string path_of(const CLI::App* app) {
  std::string path;
  for (; app != nullptr && app->get_parent() != nullptr; app = app->get_parent()) {
    path = app->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

// The positional option the next positional word fills, or nullptr.
const CLI::Option* next_positional(const CLI::App* app, std::size_t index) {
  std::size_t filled = 0;
  for (const auto* option : app->get_options()) {
    if (option->nonpositional() || !option->get_positional()) continue;
    const int max = option->get_items_expected_max();
    if (index < filled + static_cast<std::size_t>(std::max(max, 1))) return option;
    filled += static_cast<std::size_t>(std::max(max, 1));
  }
  return nullptr;
}

// Where addresses, states, topics, timers and snapshots come from: the
// options the line typed gives, else the environment, as for the commands.
CommonOptions source_options(const Typed& typed) {
  CommonOptions options;
  if (const char* port = std::getenv("STATEFUN_ADMIN_PORT")) options.admin_port = std::atoi(port);
  if (const char* data = std::getenv("STATEFUN_DATA")) options.data_dir = data;
  if (const char* module = std::getenv("STATEFUN_MODULE")) options.module_path = module;
  if (auto it = typed.values.find("admin-port"); it != typed.values.end()) {
    options.admin_port = std::atoi(it->second.c_str());
  }
  if (auto it = typed.values.find("data"); it != typed.values.end()) options.data_dir = it->second;
  if (auto it = typed.values.find("module"); it != typed.values.end()) {
    options.module_path = it->second;
  }
  return options;
}

class Sources {
 public:
  explicit Sources(CommonOptions options) : m_options(std::move(options)) {}

  std::vector<Candidate> addresses() {
    std::vector<Candidate> out;
    if (!data()) return out;
    if (auto body = m_data->addresses(std::nullopt)) {
      for (const auto& row : (*body).value("addresses", Json::array())) {
        out.push_back({row.value("address", ""), ""});
      }
    }
    return out;
  }

  std::vector<Candidate> types() {
    std::set<std::string> types;
    for (const auto& address : addresses()) {
      const auto slash = address.word.rfind('/');
      if (slash != std::string::npos) types.insert(address.word.substr(0, slash));
    }
    std::vector<Candidate> out;
    for (const auto& type : types) out.push_back({type, ""});
    return out;
  }

  std::vector<Candidate> states(const std::string& address_text) {
    std::vector<Candidate> out;
    auto address = address_arg(address_text);
    if (!address || !data()) return out;
    if (auto body = m_data->states(*address)) {
      for (const auto& state : (*body).value("states", Json::array())) {
        out.push_back({state.value("name", ""), state.value("typename", "")});
      }
    }
    return out;
  }

  std::vector<Candidate> topics() {
    std::vector<Candidate> out;
    if (!data()) return out;
    if (auto body = m_data->topics()) {
      for (const auto& topic : (*body).value("topics", Json::array())) {
        out.push_back({topic.value("topic", ""),
                       fmt::format("{} records", topic.value("records", int64_t{0}))});
      }
    }
    return out;
  }

  // Emulated Kafka topics and Kinesis streams (`statefun topic`).
  std::vector<Candidate> kafka_topics() {
    std::vector<Candidate> out;
    if (!data()) return out;
    if (auto body = m_data->kafka_topics()) {
      for (const auto& topic : (*body).value("topics", Json::array())) {
        out.push_back(
            {topic.value("topic", ""),
             fmt::format("{} {}, {} records", topic.value("kind", ""), topic.value("direction", ""),
                         topic.value("records", int64_t{0}))});
      }
    }
    return out;
  }

  std::vector<Candidate> timers() {
    std::vector<Candidate> out;
    if (!data()) return out;
    if (auto body = m_data->timers(std::nullopt)) {
      for (const auto& timer : (*body).value("timers", Json::array())) {
        out.push_back(
            {std::to_string(timer.value("id", int64_t{0})),
             fmt::format("{} at {}", timer.value("target", ""), timer.value("due_at", ""))});
      }
    }
    return out;
  }

  std::vector<Candidate> snapshots() {
    std::vector<Candidate> out;
    Json list = Json::array();
    if (data() && !m_data->offline()) {
      if (auto body = m_data->admin()->get("/v1/snapshots")) {
        list = (*body).value("snapshots", Json::array());
      }
    } else {
      const std::string dir = m_options.data_dir.empty()
                                  ? emulator::default_data_dir(m_options.module_path)
                                  : m_options.data_dir;
      if (auto all = Snapshots(dir).list()) {
        for (const auto& info : *all) list.push_back(emulator::snapshot_json(info));
      }
    }
    for (const auto& snapshot : list) {
      out.push_back({snapshot.value("name", ""), snapshot.value("created_at", "")});
    }
    return out;
  }

 private:
  // Opened on first use; false when neither an emulator nor a database is there.
  bool data() {
    if (!m_tried) {
      m_tried = true;
      if (auto source = DataSource::open(m_options)) m_data = std::move(*source);
    }
    return m_data != nullptr;
  }

  CommonOptions m_options;
  bool m_tried = false;
  std::unique_ptr<DataSource> m_data;
};

std::vector<Candidate> words_of(std::initializer_list<const char*> words) {
  std::vector<Candidate> out;
  for (const char* word : words) out.push_back({word, ""});
  return out;
}

std::vector<Candidate> languages() {
  std::vector<Candidate> out;
  for (const auto& language : templates::languages()) {
    out.push_back({std::string(language.id), std::string(language.name)});
  }
  return out;
}

std::vector<Candidate> templates_of(const Typed& typed) {
  std::vector<Candidate> out;
  std::set<std::string> seen;
  auto lang = typed.values.find("lang");
  for (const auto& language : templates::languages()) {
    if (lang != typed.values.end()) {
      auto wanted = templates::find_language(lang->second);
      if (wanted && (*wanted)->id != language.id) continue;
    }
    for (const auto& name : templates::templates_for(language.id)) {
      if (!seen.insert(name).second) continue;
      const auto* info = templates::find_template_info(name);
      out.push_back({name, info ? std::string(info->summary) : ""});
    }
  }
  return out;
}

// The values of a flag that takes one.
std::vector<Candidate> flag_values(const Typed& typed, const CLI::Option* option) {
  const std::string name = long_name(option);
  if (name == "lang") return languages();
  if (name == "template") return templates_of(typed);
  if (name == "color") return words_of({"auto", "always", "never"});
  if (name == "output") return words_of({"human", "json"});
  if (name == "log-format") return words_of({"plain", "json"});
  if (name == "sync") return words_of({"normal", "full"});
  if (name == "kafka") return words_of({"emulate", "connect"});
  if (name == "address") return Sources(source_options(typed)).addresses();
  return {};  // files, numbers, free text
}

// The values of the positional the current word fills.
std::vector<Candidate> positional_values(const Typed& typed) {
  const CLI::Option* option = next_positional(typed.app, typed.positionals.size());
  if (!option || typed.after_dashes) return {};
  const std::string name = option->get_name();
  const std::string path = path_of(typed.app);
  Sources sources(source_options(typed));
  if (name == "address") return sources.addresses();
  if (name == "shell") return words_of({"bash", "zsh", "fish"});
  if (path == "state ls" && name == "type") return sources.types();
  if (path.starts_with("state ") && name == "name" && !typed.positionals.empty()) {
    return sources.states(typed.positionals.front());
  }
  if (path.starts_with("topic ") && name == "topic") return sources.kafka_topics();
  if (name == "topic") return sources.topics();
  if (path.starts_with("timers ") && name == "id") return sources.timers();
  if (path.starts_with("snapshot ") && path != "snapshot create" &&
      (name == "name" || name == "a" || name == "b")) {
    auto snapshots = sources.snapshots();
    if (path == "snapshot diff") snapshots.push_back({"current", "the live state"});
    return snapshots;
  }
  return {};
}

std::vector<Candidate> flags_of(const CLI::App* app) {
  std::vector<Candidate> out;
  for (const auto* option : app->get_options()) {
    for (const auto& name : option->get_lnames()) {
      out.push_back({"--" + name, option->get_description()});
    }
    for (const auto& name : option->get_snames()) {
      out.push_back({"-" + name, option->get_description()});
    }
  }
  return out;
}

std::vector<Candidate> subcommands_of(const CLI::App* app) {
  std::vector<Candidate> out;
  for (const auto* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    out.push_back({sub->get_name(), sub->get_description()});
  }
  return out;
}

std::vector<Candidate> candidates(const CLI::App& root, const std::vector<std::string>& words) {
  const Typed typed = read_words(root, words);
  const std::string current = words.empty() ? "" : words.back();
  if (typed.value_of) return flag_values(typed, typed.value_of);
  if (!typed.after_dashes && current.starts_with("-")) {
    if (auto equals = current.find('='); equals != std::string::npos) {
      // --lang=j: complete the value, keeping the flag.
      const auto* option = find_flag(typed.app, current.substr(0, equals));
      if (!option || !takes_value(option)) return {};
      auto values = flag_values(typed, option);
      for (auto& value : values) value.word = current.substr(0, equals + 1) + value.word;
      return values;
    }
    return flags_of(typed.app);
  }
  if (typed.positionals.empty() && !subcommands_of(typed.app).empty()) {
    return subcommands_of(typed.app);
  }
  return positional_values(typed);
}

}  // namespace

int run_complete(const CLI::App& root, const std::vector<std::string>& words) {
  std::vector<std::string> typed = words;
  if (typed.empty()) typed.emplace_back();
  // bash's word for the cursor right after `--lang=` is "=": complete the
  // value and keep the "=" the shell replaces.
  std::string keep;
  if (typed.back() == "=" && typed.size() >= 2 && typed[typed.size() - 2].starts_with("-")) {
    keep = "=";
    typed.back().clear();
  }
  const std::string current = typed.back();
  std::string out;
  std::set<std::string> seen;
  for (const auto& candidate : candidates(root, typed)) {
    if (candidate.word.empty() || !candidate.word.starts_with(current)) continue;
    if (!seen.insert(candidate.word).second) continue;
    out += keep + candidate.word;
    if (!candidate.description.empty()) out += "\t" + candidate.description;
    out += "\n";
  }
  print(out);
  return kExitOk;
}

}  // namespace statefun::cli

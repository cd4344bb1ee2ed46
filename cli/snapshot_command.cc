#include "cli/snapshot_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "cli/common.h"
#include "cli/time_travel_view.h"
#include "emulator/admin/time_travel_json.h"
#include "emulator/dev/data_lock.h"
#include "emulator/dev/dev_server.h"
#include "runtime/store/snapshots.h"
#include "runtime/store/store.h"

namespace statefun::cli {
namespace {
namespace fs = std::filesystem;

struct SnapshotArgs {
  CommonOptions common;
  std::string name;               // create, restore, rm; diff: A
  std::string other = "current";  // diff: B
  bool yes = false;               // restore: do not ask
};

// Where snapshots are handled: the running emulator, or its data directory.
struct Target {
  std::unique_ptr<AdminClient> client;  // null: offline
  std::string data_dir;
};

Result<Target> target_for(const CommonOptions& options) {
  if (!options.offline) {
    // A restore pauses the emulator until requests on the wire return.
    auto client = make_client(options, std::chrono::minutes(10));
    auto health = client->get("/v1/health");
    if (health) return Target{std::move(client), ""};
    if (health.error().code != ErrorCode::kUnavailable) return std::unexpected(health.error());
  }
  Target target{nullptr, options.data_dir.empty() ? emulator::default_data_dir(options.module_path)
                                                  : options.data_dir};
  std::error_code ec;
  if (!fs::exists(database_path(target.data_dir), ec) &&
      !fs::exists(fs::path(target.data_dir) / "snapshots", ec)) {
    return make_error(
        ErrorCode::kUnavailable,
        options.offline
            ? fmt::format("no state database in {} (pass --data DIR or -m FILE)", target.data_dir)
            : fmt::format("no emulator running on 127.0.0.1:{} and no state database in {} "
                          "(pass --data DIR or -m FILE)",
                          options.admin_port, target.data_dir));
  }
  return target;
}

std::string snapshot_path(const std::string& name) { return "/v1/snapshots/" + url_encode(name); }

int print_result(const SnapshotArgs& args, const Result<Json>& body,
                 const std::function<std::string(const Json&)>& human) {
  if (!body) return report(body.error());
  if (args.common.want_json()) {
    print_json(*body);
  } else {
    print(human(*body));
  }
  return kExitOk;
}

int run_create(SnapshotArgs& args) {
  auto target = target_for(args.common);
  if (!target) return report(target.error());
  Result<Json> body;
  if (target->client) {
    body = target->client->post("/v1/snapshots",
                                args.name.empty() ? Json::object() : Json{{"name", args.name}});
  } else {
    auto info = Snapshots(target->data_dir).create(args.name);
    body = info ? Result<Json>(emulator::snapshot_json(*info)) : std::unexpected(info.error());
  }
  return print_result(args, body, [](const Json& s) { return snapshot_line("created", s); });
}

int run_ls(SnapshotArgs& args) {
  auto target = target_for(args.common);
  if (!target) return report(target.error());
  Result<Json> body;
  if (target->client) {
    body = target->client->get("/v1/snapshots");
  } else {
    std::vector<std::string> skipped;
    auto all = Snapshots(target->data_dir).list(&skipped);
    if (all) {
      Json list = Json::array();
      for (const auto& info : *all) list.push_back(emulator::snapshot_json(info));
      body = Json{{"snapshots", std::move(list)}, {"skipped", skipped}};
    } else {
      body = std::unexpected(all.error());
    }
  }
  // A stray file in snapshots/ is skipped, and said so on stderr.
  if (body && body->contains("skipped")) {
    std::fflush(stdout);
    for (const auto& line : (*body)["skipped"]) {
      if (line.is_string())
        std::fprintf(stderr, "statefun: warning: skipped %s\n", line.get<std::string>().c_str());
    }
  }
  const Style style = Style::for_stdout(args.common.color);
  return print_result(args, body, [&](const Json& list) {
    return list["snapshots"].empty() ? style.dim("no snapshots\n") : snapshot_table(list, style);
  });
}

// Offline: install the file while holding the data directory's lock, so no
// statefun dev runs on it meanwhile.
Result<Json> restore_offline(const std::string& data_dir, const std::string& name) {
  Snapshots snapshots(data_dir);
  auto info = snapshots.info(name);
  if (!info) return std::unexpected(info.error());
  auto lock = emulator::DataDirLock::acquire(
      data_dir, fmt::format("statefun snapshot restore (pid {})", ::getpid()));
  if (!lock) {
    return make_error(lock.error().code,
                      lock.error().message + ": restore through it (--admin-port) or stop it");
  }
  if (auto check = StoreReader::open(info->path); !check) return std::unexpected(check.error());
  // The undo point, as the running emulator takes it (none when there is no
  // database yet: nothing to undo).
  Json undo;
  std::error_code ec;
  if (fs::exists(database_path(data_dir), ec)) {
    auto saved = snapshots.create(undo_snapshot_name());
    if (!saved) {
      return make_error(saved.error().code,
                        "could not save the current state before restoring (so the restore "
                        "could not be undone): " +
                            saved.error().message);
    }
    undo = emulator::snapshot_json(*saved);
  }
  if (auto r = install_snapshot(info->path, database_path(data_dir)); !r) {
    return std::unexpected(r.error());
  }
  // The last step as counted on: the highest ever used, not the snapshot's.
  int64_t steps = info->last_step;
  if (auto reader = StoreReader::open(database_path(data_dir)); reader) {
    if (auto last = (*reader)->last_step(); last) steps = *last;
  }
  Json body{{"restored", name},
            {"snapshot", emulator::snapshot_json(*info)},
            {"pending", info->pending},
            {"timers", info->timers},
            {"steps", steps}};
  if (!undo.is_null()) body["undo"] = std::move(undo);
  return body;
}

// On a terminal, asks before the whole state is replaced; elsewhere (CI, a
// pipe) it does not ask: the undo snapshot makes a restore reversible, and a
// script that names a snapshot means it.
Result<void> confirm_restore(const SnapshotArgs& args, const std::string& where) {
  if (args.yes || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return {};
  std::fprintf(stderr,
               "Replace the whole state of %s with snapshot '%s'? The current state is saved "
               "first as a before-restore-... snapshot, to undo it. [y/N] ",
               where.c_str(), args.name.c_str());
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) answer.clear();
  answer.erase(0, answer.find_first_not_of(" \t"));
  if (answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes") return {};
  return make_error(ErrorCode::kFailedPrecondition,
                    "restore cancelled: nothing changed (--yes restores without asking)");
}

int run_restore(SnapshotArgs& args) {
  auto target = target_for(args.common);
  if (!target) return report(target.error());
  if (auto ok = confirm_restore(args, target->client ? "the running statefun dev"
                                                     : "the data directory " + target->data_dir);
      !ok) {
    return report(ok.error());
  }
  Result<Json> body =
      target->client ? target->client->post(snapshot_path(args.name) + "/restore", Json::object())
                     : restore_offline(target->data_dir, args.name);
  const bool online = target->client != nullptr;
  return print_result(args, body, [&](const Json& r) { return restore_line(r, online); });
}

int run_diff(SnapshotArgs& args) {
  auto protos = load_protos(args.common);
  if (!protos) return report(protos.error());
  auto target = target_for(args.common);
  if (!target) return report(target.error());
  Result<Json> body;
  if (target->client) {
    body = target->client->get(
        fmt::format("/v1/snapshot-diff?a={}&b={}", url_encode(args.name), url_encode(args.other)));
  } else {
    auto differences = Snapshots(target->data_dir).diff(args.name, args.other);
    body = differences
               ? Result<Json>(emulator::snapshot_diff_json(args.name, args.other, *differences))
               : std::unexpected(differences.error());
  }
  const Style style = Style::for_stdout(args.common.color);
  return print_result(args, body, [&](const Json& diff) {
    return snapshot_diff_table(diff, protos->get(), style);
  });
}

int run_rm(SnapshotArgs& args) {
  auto target = target_for(args.common);
  if (!target) return report(target.error());
  Result<Json> body;
  if (target->client) {
    body = target->client->del(snapshot_path(args.name));
  } else {
    auto removed = Snapshots(target->data_dir).remove(args.name);
    body = removed ? Result<Json>(Json{{"removed", args.name}}) : std::unexpected(removed.error());
  }
  return print_result(args, body,
                      [&](const Json&) { return fmt::format("removed snapshot {}\n", args.name); });
}

}  // namespace

void setup_snapshot_command(CLI::App& app, int& exit_code) {
  auto* snapshot =
      app.add_subcommand("snapshot", "Save, list, compare and restore the whole state");
  snapshot->require_subcommand(1);
  snapshot->footer(
      "A snapshot is a consistent copy of the state database (state, pending messages,\n"
      "timers, history, egress and trace) in <data>/snapshots/NAME.db, made with\n"
      "SQLite's VACUUM INTO beside the running engine. Commands go through the running\n"
      "statefun dev, or work on the data directory (--data, -m) when none runs.\n"
      "'statefun dev --snapshot-every 10m' takes automatic ones (auto-...).\n"
      "\n"
      "Examples:\n"
      "  statefun snapshot create before-fix\n"
      "  statefun snapshot ls\n"
      "  statefun snapshot diff before-fix            # against the current state\n"
      "  statefun snapshot restore before-fix\n"
      "  statefun snapshot rm before-fix");

  auto add = [&](const char* name, const char* help, int (*run)(SnapshotArgs&),
                 const char* footer) {
    auto args = std::make_shared<SnapshotArgs>();
    auto* cmd = snapshot->add_subcommand(name, help);
    cmd->footer(footer);
    add_output_flags(cmd, args->common);
    add_admin_flags(cmd, args->common);
    add_offline_flags(cmd, args->common);
    cmd->callback([args, run, &exit_code] { exit_code = run(*args); });
    return std::make_pair(cmd, args);
  };
  {
    auto [cmd, args] = add("create", "Snapshot the committed state now", run_create,
                           "Without NAME the snapshot is named auto-<UTC time> (and counts as\n"
                           "automatic: statefun dev --snapshot-keep prunes those).\n"
                           "\nExit codes: 0 ok, 1 failure (or the name exists), 2 bad name.");
    cmd->add_option("name", args->name, "Letters, digits, '.', '_' and '-'");
  }
  add("ls", "List snapshots, oldest first", run_ls, "Exit codes: 0 ok, 1 failure.");
  {
    auto [cmd, args] =
        add("restore", "Replace the whole state with a snapshot", run_restore,
            "On a running statefun dev: dispatch pauses until no request is on the wire,\n"
            "the database is swapped, pending messages and timers are reloaded from the\n"
            "snapshot and dispatch resumes (ingress waiting for a commit is kept).\n"
            "With no emulator running: the data directory's database is replaced, after\n"
            "making sure (its lock) that no statefun dev uses it.\n"
            "First, the current state is saved as snapshot before-restore-<UTC time>: restore\n"
            "that one to undo (snapshot rm removes it; --snapshot-keep never does). Step and\n"
            "timer ids go on from the highest ever used, so `trace --follow` misses nothing.\n"
            "On a terminal it asks first (--yes does not); without a terminal (CI, a pipe)\n"
            "it never asks and restores.\n"
            "\nExit codes: 0 ok, 1 failure (a newer statefun wrote it, the directory is in\n"
            "use, the answer was not yes), 3 no such snapshot.");
    cmd->add_option("name", args->name, "The snapshot")->required();
    cmd->add_flag("-y,--yes", args->yes, "Do not ask on a terminal");
  }
  {
    auto [cmd, args] =
        add("diff", "The addresses and states that differ between two snapshots", run_diff,
            "B defaults to 'current', the live database.\n"
            "\nExit codes: 0 ok (also with differences), 1 failure, 3 no such "
            "snapshot.");
    cmd->add_option("a", args->name, "A snapshot, or current")->required();
    cmd->add_option("b", args->other, "A snapshot, or current")->capture_default_str();
    add_proto_flags(cmd, args->common);
  }
  {
    auto [cmd, args] =
        add("rm", "Remove a snapshot", run_rm, "Exit codes: 0 ok, 1 failure, 3 no such snapshot.");
    cmd->add_option("name", args->name, "The snapshot")->required();
  }
}

}  // namespace statefun::cli

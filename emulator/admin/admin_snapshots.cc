// Admin routes for whole-application snapshots: create, list, describe,
// remove, diff, and restore on the running emulator (the current state is
// saved first as a before-restore-... snapshot, the undo point; dispatch
// pauses until nothing is on the wire, the database file is swapped, pending
// messages and timers are reloaded from it, dispatch resumes, and the
// console says so).
#include <fmt/format.h>

#include "emulator/admin/admin_routes.h"
#include "emulator/admin/time_travel_json.h"
#include "emulator/dev/snapshot_keeper.h"

namespace statefun::emulator::admin {
namespace {

constexpr const char* kSnapshot = R"(/v1/snapshots/([^/]+))";
constexpr const char* kRestore = R"(/v1/snapshots/([^/]+)/restore)";

bool available(Context& c, httplib::Response& res) {
  if (c.hooks.snapshots && c.hooks.install && c.reopenable) return true;
  reply_error(res, ErrorCode::kUnavailable, "snapshots are not available here");
  return false;
}

void post_create(Context& c, const httplib::Request& req, httplib::Response& res) {
  if (!available(c, res)) return;
  std::string name;
  if (!req.body.empty()) {
    auto body = json_body(req);
    if (!body) return reply_error(res, body.error());
    if (auto it = body->find("name"); it != body->end() && !it->is_null()) {
      if (!it->is_string()) {
        return reply_error(res, ErrorCode::kInvalidArgument, "\"name\" must be a string");
      }
      name = it->get<std::string>();
      if (name.empty()) {
        return reply_error(res, ErrorCode::kInvalidArgument,
                           "\"name\" is empty (leave it out for an automatic name)");
      }
    }
  }
  auto info = c.hooks.snapshots->create(name);
  info ? reply(res, 200, snapshot_json(*info)) : reply_error(res, info.error());
}

void get_list(Context& c, httplib::Response& res) {
  if (!available(c, res)) return;
  std::vector<std::string> skipped;
  auto all = c.hooks.snapshots->snapshots().list(&skipped);
  if (!all) return reply_error(res, all.error());
  Json list = Json::array();
  for (const auto& info : *all) list.push_back(snapshot_json(info));
  reply(res, 200, {{"snapshots", std::move(list)}, {"skipped", skipped}});
}

void get_info(Context& c, const httplib::Request& req, httplib::Response& res) {
  if (!available(c, res)) return;
  auto info = c.hooks.snapshots->snapshots().info(req.matches[1].str());
  info ? reply(res, 200, snapshot_json(*info)) : reply_error(res, info.error());
}

void delete_snapshot(Context& c, const httplib::Request& req, httplib::Response& res) {
  if (!available(c, res)) return;
  const std::string name = req.matches[1].str();
  auto removed = c.hooks.snapshots->snapshots().remove(name);
  removed ? reply(res, 200, {{"removed", name}}) : reply_error(res, removed.error());
}

void get_diff(Context& c, const httplib::Request& req, httplib::Response& res) {
  if (!available(c, res)) return;
  auto a = param(req, "a");
  if (!a || a->empty()) {
    return reply_error(res, ErrorCode::kInvalidArgument,
                       "?a= (a snapshot name, or current) is required");
  }
  const std::string b = param(req, "b").value_or("current");
  auto differences = c.hooks.snapshots->snapshots().diff(*a, b.empty() ? "current" : b);
  if (!differences) return reply_error(res, differences.error());
  reply(res, 200, snapshot_diff_json(*a, b.empty() ? "current" : b, *differences));
}

void post_restore(Context& c, const httplib::Request& req, httplib::Response& res) {
  if (!available(c, res)) return;
  auto& keeper = *c.hooks.snapshots;
  const std::string name = req.matches[1].str();
  auto info = keeper.snapshots().info(name);
  if (!info) return reply_error(res, info.error());
  // Refuse what cannot be installed (written by a newer statefun, not a
  // database) before anything pauses.
  if (auto check = StoreReader::open(info->path); !check) return reply_error(res, check.error());
  // The undo point: the current state, as a snapshot of its own. No undo
  // point, no restore.
  auto undo = keeper.create(undo_snapshot_name());
  if (!undo) {
    return reply_error(res, undo.error().code,
                       "could not save the current state before restoring (so the restore could "
                       "not be undone): " +
                           undo.error().message);
  }

  std::optional<Error> failed;
  auto result = await<Result<void>>([&](auto done) {
    c.dispatcher.restore(
        [&](Store*) -> Result<Store*> {
          Result<Store*> store = make_error(ErrorCode::kIo, "the snapshot was not installed");
          // Readers first: the file they have open is about to be replaced.
          auto reopened = c.reopenable->while_closed([&]() -> Result<void> {
            return keeper.exclusive([&]() -> Result<void> {
              store = c.hooks.install(info->path, failed);
              if (!store) return std::unexpected(store.error());
              return {};
            });
          });
          if (store && !reopened && !failed) failed = reopened.error();
          return store;
        },
        std::move(done));
  });
  if (!result) return reply_error(res, result.error());
  if (failed) return reply_error(res, *failed);
  const auto status = c.dispatcher.status();
  if (c.hooks.announce) {
    c.hooks.announce(fmt::format(
        "restored snapshot {}: {} pending, {} timers, steps go on from #{}; undo with `statefun "
        "snapshot restore {}`",
        name, status.pending + status.unroutable, status.timers, status.steps + 1, undo->name));
  }
  reply(res, 200,
        {{"restored", name},
         {"snapshot", snapshot_json(*info)},
         {"undo", snapshot_json(*undo)},
         {"pending", status.pending + status.unroutable},
         {"timers", status.timers},
         {"steps", status.steps}});
}

}  // namespace

void register_snapshot_routes(httplib::Server& server, Context& c) {
  server.Get("/v1/snapshots",
             [&c](const httplib::Request&, httplib::Response& res) { get_list(c, res); });
  server.Post("/v1/snapshots", [&c](const auto& req, auto& res) { post_create(c, req, res); });
  server.Post(kRestore, [&c](const auto& req, auto& res) { post_restore(c, req, res); });
  server.Get(kSnapshot, [&c](const auto& req, auto& res) { get_info(c, req, res); });
  server.Delete(kSnapshot, [&c](const auto& req, auto& res) { delete_snapshot(c, req, res); });
  server.Get("/v1/snapshot-diff", [&c](const auto& req, auto& res) { get_diff(c, req, res); });
}

}  // namespace statefun::emulator::admin

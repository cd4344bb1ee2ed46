// The web console's files on the admin port (admin_console.cc,
// docs/web-console.md). Internal to the admin API.
#pragma once

#include <httplib.h>

#include <string>

namespace statefun::emulator::admin {

// GET / (index.html) and GET /console/<file>.
void register_console_routes(httplib::Server& server);

// Whether `path` is one of the console's files, which carry no data and so
// are served without the bearer token (the page asks for it).
bool is_console_path(const std::string& path);

}  // namespace statefun::emulator::admin

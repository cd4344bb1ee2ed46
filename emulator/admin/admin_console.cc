// The web console (docs/web-console.md): its embedded files on the admin
// port. The page is static; everything it shows comes from the admin API's
// own routes, fetched by the page under the same rules as any client.
#include "emulator/admin/admin_console.h"

#include "emulator/admin/admin_routes.h"
#include "emulator/web/assets.h"

namespace statefun::emulator::admin {
namespace {

constexpr const char* kPrefix = "/console/";

void serve(const std::string& path, httplib::Response& res) {
  auto asset = web::find_asset(path);
  if (!asset) {
    return reply_error(res, ErrorCode::kNotFound, "no console file /console/" + path);
  }
  // The page only talks to its own origin, is never framed (clickjacking a
  // drop button), and the browser must not guess types.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                 "base-uri 'none'; form-action 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  // The binary is the version: a rebuilt statefun must not run yesterday's page.
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string(asset->content), asset->content_type);
}

}  // namespace

bool is_console_path(const std::string& path) { return path == "/" || path.rfind(kPrefix, 0) == 0; }

void register_console_routes(httplib::Server& server) {
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { serve("", res); });
  server.Get(R"(/console/(.+))", [](const httplib::Request& req, httplib::Response& res) {
    serve(req.matches[1].str(), res);
  });
}

}  // namespace statefun::emulator::admin

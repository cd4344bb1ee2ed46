// Entity search by address prefix (entity_search.h).
#include "runtime/store/entity_search.h"

#include <fmt/format.h>

#include <filesystem>

#include "runtime/store/sqlite.h"
#include "runtime/store/sqlite_rows.h"

namespace statefun {

Result<std::vector<EntityRow>> search_entities(const std::string& database,
                                               const EntitySearch& search, int64_t now_ms) {
  std::error_code ec;
  if (!std::filesystem::exists(database, ec)) {
    return make_error(ErrorCode::kNotFound, fmt::format("{}: no state database", database));
  }
  auto db = sqlite::Connection::open(database, {.access = sqlite::Access::kReadOnly});
  if (!db) return std::unexpected(db.error());

  // The prefix's complete parts are equalities, its last part a range:
  // [part, part + 0xFF) holds every UTF-8 text that starts with it (0xFF
  // never occurs in UTF-8 and text compares bytewise).
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (parts.size() < 2) {
    const auto slash = search.prefix.find('/', start);
    if (slash == std::string::npos) break;
    parts.push_back(search.prefix.substr(start, slash - start));
    start = slash + 1;
  }
  const std::string last = search.prefix.substr(start);
  const std::string last_end = last + '\xff';
  static constexpr const char* kColumns[] = {"ns", "type", "id"};
  std::string where = "(expires_at IS NULL OR expires_at > ?)";
  for (std::size_t i = 0; i < parts.size(); ++i) where += fmt::format(" AND {}=?", kColumns[i]);
  if (!last.empty()) where += fmt::format(" AND {0}>=? AND {0}<?", kColumns[parts.size()]);
  if (search.after) where += " AND (ns,type,id)>(?,?,?)";

  auto q = db->prepare("SELECT ns,type,id,count(*) FROM state WHERE " + where +
                       " GROUP BY ns,type,id ORDER BY ns,type,id LIMIT ?");
  if (!q) return std::unexpected(q.error());
  q->integer(now_ms);
  for (const auto& part : parts) q->text(part);
  if (!last.empty()) q->text(last).text(last_end);
  if (search.after) sqlite_rows::bind(*q, *search.after);
  q->integer(search.limit);
  std::vector<EntityRow> out;
  auto done = q->for_each_row("searching entities", [&](const sqlite::Statement& row) {
    out.push_back({sqlite_rows::address(row, 0), row.column_int(3)});
  });
  if (!done) return std::unexpected(done.error());
  return out;
}

}  // namespace statefun

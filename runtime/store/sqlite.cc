#include "runtime/store/sqlite.h"

#include <fmt/format.h>

#include <utility>

namespace statefun::sqlite {
namespace {

// "<path>: <what>: <SQLite's message>" for the last failure on `db`.
Error describe_failure(sqlite3* db, const std::string& path, std::string_view what,
                       ErrorCode fallback) {
  const int rc = sqlite3_errcode(db);
  const int primary = rc & 0xff;
  const ErrorCode code =
      primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_FULL
          ? error_code(rc)
          : fallback;
  std::string message = path;
  if (!what.empty()) message += fmt::format(": {}", what);
  if (primary == SQLITE_FULL) message += ": disk full";
  message += fmt::format(": {}", sqlite3_errmsg(db));
  return Error{code, std::move(message)};
}

int open_flags(const OpenOptions& options) {
  int flags = options.shared ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX;
  switch (options.access) {
    case Access::kReadWriteCreate:
      return flags | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    case Access::kReadWrite:
      return flags | SQLITE_OPEN_READWRITE;
    case Access::kReadOnly:
      return flags | SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
  }
  return flags;
}

}  // namespace

ErrorCode error_code(int rc) {
  switch (rc & 0xff) {  // the primary code of an extended one
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kCorruption;
    case SQLITE_FULL:
      return ErrorCode::kResourceExhausted;
    default:
      return ErrorCode::kIo;
  }
}

std::string read_only_uri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + "?mode=ro";
}

std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// --- Connection -------------------------------------------------------------

Result<Connection> Connection::open(const std::string& path, const OpenOptions& options) {
  const std::string target = options.access == Access::kReadOnly ? read_only_uri(path) : path;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(target.c_str(), &db, open_flags(options), nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open database: {}", path, message));
  }
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  Connection connection(db, path);
  for (const auto& pragma : options.pragmas) {
    if (auto r = connection.exec("PRAGMA " + pragma); !r) return std::unexpected(r.error());
  }
  return connection;
}

Connection::Connection(Connection&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    sqlite3_close(m_db);
    m_db = std::exchange(other.m_db, nullptr);
    m_path = std::move(other.m_path);
  }
  return *this;
}

Connection::~Connection() { sqlite3_close(m_db); }

Result<void> Connection::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);  // sqlite3_errmsg() says the same
    return std::unexpected(last_error(""));
  }
  return {};
}

Result<Statement> Connection::prepare(std::string_view sql, bool persistent) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                         persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::unexpected(last_error("preparing a statement", ErrorCode::kCorruption));
  }
  return Statement(stmt, m_path);
}

Result<int64_t> Connection::scalar(std::string_view sql, std::string_view what) {
  auto statement = prepare(sql);
  if (!statement) return std::unexpected(statement.error());
  auto row = statement->step(what);
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    return make_error(ErrorCode::kCorruption, fmt::format("{}: {}: no result", m_path, what));
  }
  return statement->column_int(0);
}

int64_t Connection::changes() const { return sqlite3_changes64(m_db); }

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

Error Connection::last_error(std::string_view what, ErrorCode fallback) const {
  return describe_failure(m_db, m_path, what, fallback);
}

// --- Statement --------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr)),
      m_path(std::move(other.m_path)),
      m_next_parameter(other.m_next_parameter) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(m_stmt);
    m_stmt = std::exchange(other.m_stmt, nullptr);
    m_path = std::move(other.m_path);
    m_next_parameter = other.m_next_parameter;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

Statement& Statement::integer(int64_t value) {
  sqlite3_bind_int64(m_stmt, m_next_parameter++, value);
  return *this;
}

Statement& Statement::text(const std::string& value) {
  sqlite3_bind_text(m_stmt, m_next_parameter++, value.data(), static_cast<int>(value.size()),
                    SQLITE_STATIC);
  return *this;
}

Statement& Statement::blob(const std::string& value) {
  sqlite3_bind_blob(m_stmt, m_next_parameter++, value.data(), static_cast<int>(value.size()),
                    SQLITE_STATIC);
  return *this;
}

Statement& Statement::null() {
  sqlite3_bind_null(m_stmt, m_next_parameter++);
  return *this;
}

Result<bool> Statement::step(std::string_view what) {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(describe_failure(sqlite3_db_handle(m_stmt), m_path, what, ErrorCode::kIo));
}

Result<void> Statement::run(std::string_view what) {
  if (sqlite3_step(m_stmt) == SQLITE_DONE) return {};
  return std::unexpected(describe_failure(sqlite3_db_handle(m_stmt), m_path, what, ErrorCode::kIo));
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
  m_next_parameter = 1;
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(m_stmt, col); }

std::string Statement::column_text(int col) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
  return data ? std::string(data, sqlite3_column_bytes(m_stmt, col)) : std::string();
}

std::string Statement::column_blob(int col) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(m_stmt, col));
  return data ? std::string(data, sqlite3_column_bytes(m_stmt, col)) : std::string();
}

bool Statement::column_is_null(int col) const {
  return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

// --- Transaction ------------------------------------------------------------

Result<Transaction> Transaction::begin(Connection& connection) {
  if (auto r = connection.exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  return Transaction(connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : m_connection(std::exchange(other.m_connection, nullptr)) {}

Transaction::~Transaction() {
  if (m_connection) (void)m_connection->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (auto r = m_connection->exec("COMMIT"); !r) return r;
  m_connection = nullptr;
  return {};
}

}  // namespace statefun::sqlite

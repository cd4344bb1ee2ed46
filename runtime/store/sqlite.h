// The one thin layer over SQLite's C API that the state database, its
// read-only readers, snapshots and the WAL checkpointer share: a connection
// that opens with flags and pragmas, prepared statements with typed binds
// and columns, a transaction guard, and ONE mapping from SQLite's result
// codes to our ErrorCode:
//
//   SQLITE_CORRUPT, SQLITE_NOTADB  kCorruption (the file is not what we wrote)
//   SQLITE_FULL                    kResourceExhausted, and the message says
//                                  "disk full": the engine retries it
//   anything else                  kIo
//
// A statement of ours that does not compile means the file is not a
// statefun database of a schema we know: prepare() fails with kCorruption.
//
// Every message names the database (its path) and what we were doing:
// "<path>: <what>: <SQLite's message>".
//
// Threading: a Connection and its Statements belong to one thread at a time
// (opened with SQLITE_OPEN_NOMUTEX) unless OpenOptions::shared says
// otherwise.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace statefun::sqlite {

// The ErrorCode for a SQLite result code (see the table above).
ErrorCode error_code(int rc);

// `file:` URI that opens `path` read-only ("?mode=ro"): such a connection can
// never write, create or delete anything, whatever a writer does beside it.
// Characters that end or escape a URI path are percent-encoded.
std::string read_only_uri(const std::string& path);

// `text` as an SQL string literal: in single quotes, quotes doubled. For
// statements that take no parameters (VACUUM INTO, ATTACH).
std::string quote(const std::string& text);

enum class Access {
  kReadWriteCreate,  // creates the file if missing
  kReadWrite,
  kReadOnly,  // through read_only_uri(); the file must exist
};

struct OpenOptions {
  Access access = Access::kReadWriteCreate;
  // SQLITE_OPEN_FULLMUTEX (several threads may use the connection) instead of
  // SQLITE_OPEN_NOMUTEX.
  bool shared = false;
  // How long a statement waits for another connection's lock.
  int busy_timeout_ms = 5000;
  // Run in order right after opening, e.g. "synchronous=FULL".
  std::vector<std::string> pragmas;
};

class Statement;

class Connection {
 public:
  // Opens the database at `path`. kIo "<path>: cannot open database: ..."
  // when SQLite cannot; a pragma that fails is reported like exec().
  static Result<Connection> open(const std::string& path, const OpenOptions& options);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();  // closes; SQLite rolls back a transaction left open

  // Runs one or more statements that return no rows (schema, pragmas, BEGIN).
  Result<void> exec(const std::string& sql);
  // Compiles one statement. `persistent`: kept for many uses (a hint to
  // SQLite's memory allocator). kCorruption when it does not compile.
  Result<Statement> prepare(std::string_view sql, bool persistent = false);
  // Runs a query whose first row's first column is an integer (a count, a
  // max, a pragma). kCorruption when it returns no row.
  Result<int64_t> scalar(std::string_view sql, std::string_view what);

  int64_t changes() const;            // rows changed by the last statement
  int64_t last_insert_rowid() const;  // the rowid the last INSERT assigned

  // The error for SQLite's last failure on this connection: "<path>:
  // <what>: <message>", its code from error_code() (or `fallback` for a
  // failure that is not corruption).
  Error last_error(std::string_view what, ErrorCode fallback = ErrorCode::kIo) const;

  const std::string& path() const { return m_path; }
  // For what this layer does not cover (the WAL hook, checkpoints).
  sqlite3* raw() const { return m_db; }

 private:
  Connection(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
  sqlite3* m_db = nullptr;
  std::string m_path;
};

// One compiled statement; finalized when it goes out of scope. Parameters are
// bound in order (the first bind is parameter 1, the next 2, ...). Text and
// blobs are bound WITHOUT a copy: the bytes must live until the statement is
// reset (so temporaries are refused at compile time).
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& integer(int64_t value);
  Statement& text(const std::string& value);
  Statement& blob(const std::string& value);
  Statement& null();
  Statement& text(std::string&&) = delete;
  Statement& blob(std::string&&) = delete;

  // Steps once: true when a row is ready, false when the statement is done.
  // An error names `what` ("reading state").
  Result<bool> step(std::string_view what);
  // Steps a statement that returns no rows (INSERT, UPDATE, DELETE, BEGIN):
  // an error unless it is done at once.
  Result<void> run(std::string_view what);
  // Steps to the end, calling `on_row(*this)` for each row.
  template <typename OnRow>
  Result<void> for_each_row(std::string_view what, OnRow&& on_row) {
    for (;;) {
      auto row = step(what);
      if (!row) return std::unexpected(row.error());
      if (!*row) return {};
      on_row(static_cast<const Statement&>(*this));
    }
  }
  // Ready to bind and run again; clears the bindings. A statement that is
  // kept for reuse must be reset after each use: until then it may hold a
  // read snapshot of the database (see Reset below).
  void reset();

  // Columns of the current row, counted from 0. NULL reads as 0 or "".
  int64_t column_int(int col) const;
  std::string column_text(int col) const;
  std::string column_blob(int col) const;
  bool column_is_null(int col) const;

 private:
  friend class Connection;
  Statement(sqlite3_stmt* stmt, std::string path) : m_stmt(stmt), m_path(std::move(path)) {}
  sqlite3_stmt* m_stmt = nullptr;
  std::string m_path;  // the database's, for error messages
  int m_next_parameter = 1;
};

// Uses a kept statement for one execution and resets it (clearing its
// bindings) when the scope ends, on every path out.
class Reset {
 public:
  explicit Reset(Statement& statement) : m_statement(statement) {}
  ~Reset() { m_statement.reset(); }
  Reset(const Reset&) = delete;
  Reset& operator=(const Reset&) = delete;
  Statement& operator*() const { return m_statement; }
  Statement* operator->() const { return &m_statement; }

 private:
  Statement& m_statement;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when the guard goes out of scope
// uncommitted (an error halfway leaves nothing behind).
class Transaction {
 public:
  static Result<Transaction> begin(Connection& connection);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Result<void> commit();

 private:
  explicit Transaction(Connection& connection) : m_connection(&connection) {}
  Connection* m_connection;  // null once committed or moved from
};

}  // namespace statefun::sqlite

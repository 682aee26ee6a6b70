// SPDX-License-Identifier: BSD-3-Clause
//
// A thin RAII layer over the sqlite3 C API: connections, prepared
// statements and errors. The only file that includes <sqlite3.h> is
// src/hub/sqlite_db.cpp (STYLE.md: heavy dependencies stay behind one file).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace ipp::hub {

// The primary result codes the store acts on (checked against <sqlite3.h>
// in sqlite_db.cpp).
namespace sqlite_code {
inline constexpr int kError = 1;
inline constexpr int kBusy = 5;
inline constexpr int kLocked = 6;
inline constexpr int kReadOnly = 8;
inline constexpr int kCorrupt = 11;
inline constexpr int kFull = 13;
inline constexpr int kCantOpen = 14;
inline constexpr int kNotADb = 26;
}  // namespace sqlite_code

// A failed sqlite3 call: `call` names it ("sqlite3_step"), `code` is the
// extended result code, what() is "<call>: <sqlite3_errmsg> (<code name>)".
class SqliteError : public std::runtime_error {
 public:
  SqliteError(std::string call, int code, const std::string& message);

  int code() const { return code_; }
  // The primary result code (code() & 0xff): SQLITE_BUSY, SQLITE_FULL, ...
  int primary() const { return code_ & 0xff; }
  // "SQLITE_FULL", "SQLITE_IOERR_WRITE", ...
  std::string code_name() const;

  // The failure is about one row (too big, constraint, datatype mismatch),
  // not about the database: retrying the same row can never succeed, other
  // rows may.
  bool is_row_error() const;
  // The file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB).
  bool is_corruption() const;
  // Python's sqlite3 exception class for this error ("OperationalError",
  // "DatabaseError", "IntegrityError", ...), the name the hub reports to
  // clients.
  std::string python_name() const;

 private:
  std::string call_;
  int code_;
};

// Column types as sqlite3_column_type reports them.
enum class SqliteType { Integer, Float, Text, Blob, Null };

// A prepared statement. Bind indexes start at 1, column indexes at 0 (as in
// the C API). Not thread-safe: used by the thread owning its connection.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind_null(int index);
  void bind_int64(int index, std::int64_t value);
  void bind_double(int index, double value);
  // The bytes are copied (SQLITE_TRANSIENT) unless `keep` says they outlive
  // the step (SQLITE_STATIC).
  void bind_text(int index, std::string_view text, bool keep = false);
  void bind_blob(int index, const void* data, std::size_t size, bool keep = false);
  // Hands SQLite `size` bytes allocated with std::malloc, which it frees
  // once done with them (also when binding fails): a big BLOB (a 64 MiB
  // array) is bound without copying it.
  void bind_malloced_blob(int index, void* data, std::size_t size);

  // Runs the statement one step: true with a row available, false when done.
  // Throws SqliteError.
  bool step();
  // Ready to run again with new bindings (bindings cleared). Never throws:
  // an error of the last step was already reported by step().
  void reset();

  int column_count() const;
  SqliteType column_type(int column) const;
  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  // Valid until the next step/reset/column call on this column.
  std::string_view column_text(int column) const;
  std::string_view column_blob(int column) const;
  std::string_view column_name(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, so a read never keeps its read
// transaction (and the WAL snapshot that blocks checkpoints) open.
class StatementScope {
 public:
  explicit StatementScope(SqliteStatement& stmt) : stmt_(stmt) {}
  ~StatementScope() { stmt_.reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  SqliteStatement& stmt_;
};

// One connection to a database file. Opened without SQLite's own mutexes:
// a connection belongs to one thread at a time (it may be handed to another
// thread across a synchronisation point such as thread start).
class SqliteConnection {
 public:
  // Opens (creating if needed) `file` for reading and writing. Throws
  // SqliteError when it cannot be opened.
  explicit SqliteConnection(const std::filesystem::path& file);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const std::filesystem::path& file() const { return file_; }

  // Runs one or more statements that return no rows we need. Throws.
  void exec(std::string_view sql);
  // The first column of the first row of `sql`, as text (empty if none).
  std::string query_text(std::string_view sql);

  SqliteStatement prepare(std::string_view sql);
  // A statement prepared once per distinct `sql` and kept for the life of
  // the connection; reset before it is returned.
  SqliteStatement& cached(const std::string& sql);

  void set_busy_timeout(std::chrono::milliseconds timeout);
  // Whether the main database can only be read (file permissions, mount).
  bool is_readonly() const;
  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t changes() const;
  bool in_transaction() const;
  // ROLLBACK if a transaction is open; never throws (used after errors).
  void rollback_quietly() noexcept;

  // Registers a deterministic SQL function name(text) -> integer, NULL when
  // `fn` returns nullopt or the argument is not text.
  using TextToInt = std::optional<std::int64_t> (*)(std::string_view);
  void create_function(const char* name, TextToInt fn);

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, SqliteStatement> cache_;
};

// The version of the SQLite library linked ("3.40.1").
std::string sqlite_version();

// Quotes an SQL identifier ("table name", doubling embedded quotes).
std::string quote_identifier(std::string_view name);

}  // namespace ipp::hub

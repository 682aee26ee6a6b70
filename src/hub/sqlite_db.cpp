// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/sqlite_db.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <utility>

namespace ipp::hub {

static_assert(sqlite_code::kError == SQLITE_ERROR && sqlite_code::kBusy == SQLITE_BUSY &&
              sqlite_code::kLocked == SQLITE_LOCKED && sqlite_code::kReadOnly == SQLITE_READONLY &&
              sqlite_code::kCorrupt == SQLITE_CORRUPT && sqlite_code::kFull == SQLITE_FULL &&
              sqlite_code::kCantOpen == SQLITE_CANTOPEN && sqlite_code::kNotADb == SQLITE_NOTADB);

namespace {

std::string message_of(sqlite3* db, int code) {
  if (db != nullptr && sqlite3_errcode(db) != SQLITE_OK) return sqlite3_errmsg(db);
  return sqlite3_errstr(code);
}

[[noreturn]] void fail(sqlite3* db, const char* call, int code) {
  throw SqliteError(call, code, message_of(db, code));
}

void check(sqlite3* db, const char* call, int code) {
  if (code != SQLITE_OK) fail(db, call, code);
}

// sqlite3_errstr gives prose; logs are easier to search with the constant's
// name for the errors an operator must act on.
std::string name_of_code(int code) {
  switch (code) {
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_READONLY_DBMOVED: return "SQLITE_READONLY_DBMOVED";
    case SQLITE_READONLY_CANTINIT: return "SQLITE_READONLY_CANTINIT";
    case SQLITE_READONLY_DIRECTORY: return "SQLITE_READONLY_DIRECTORY";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_IOERR_WRITE: return "SQLITE_IOERR_WRITE";
    case SQLITE_IOERR_FSYNC: return "SQLITE_IOERR_FSYNC";
    case SQLITE_IOERR_READ: return "SQLITE_IOERR_READ";
    case SQLITE_IOERR_SHORT_READ: return "SQLITE_IOERR_SHORT_READ";
    case SQLITE_IOERR_TRUNCATE: return "SQLITE_IOERR_TRUNCATE";
    case SQLITE_IOERR_SHMOPEN: return "SQLITE_IOERR_SHMOPEN";
    case SQLITE_IOERR_SHMSIZE: return "SQLITE_IOERR_SHMSIZE";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
    case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    case SQLITE_ERROR: return "SQLITE_ERROR";
    default: break;
  }
  return "SQLite error " + std::to_string(code);
}

}  // namespace

SqliteError::SqliteError(std::string call, int code, const std::string& message)
    : std::runtime_error(call + ": " + message + " (" + name_of_code(code) + ")"),
      call_(std::move(call)),
      code_(code) {}

std::string SqliteError::code_name() const { return name_of_code(code_); }

bool SqliteError::is_row_error() const {
  const int p = primary();
  return p == SQLITE_TOOBIG || p == SQLITE_CONSTRAINT || p == SQLITE_MISMATCH || p == SQLITE_RANGE;
}

bool SqliteError::is_corruption() const {
  return primary() == SQLITE_CORRUPT || primary() == SQLITE_NOTADB;
}

std::string SqliteError::python_name() const {
  switch (primary()) {
    case SQLITE_CONSTRAINT: return "IntegrityError";
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return "DataError";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return "DatabaseError";
    default: return "OperationalError";
  }
}

// ---------------------------------------------------------------------------

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void SqliteStatement::bind_null(int index) {
  check(db_, "sqlite3_bind_null", sqlite3_bind_null(stmt_, index));
}

void SqliteStatement::bind_int64(int index, std::int64_t value) {
  check(db_, "sqlite3_bind_int64", sqlite3_bind_int64(stmt_, index, value));
}

void SqliteStatement::bind_double(int index, double value) {
  check(db_, "sqlite3_bind_double", sqlite3_bind_double(stmt_, index, value));
}

void SqliteStatement::bind_text(int index, std::string_view text, bool keep) {
  check(db_, "sqlite3_bind_text",
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(),
                            keep ? SQLITE_STATIC : SQLITE_TRANSIENT, SQLITE_UTF8));
}

void SqliteStatement::bind_blob(int index, const void* data, std::size_t size, bool keep) {
  check(db_, "sqlite3_bind_blob",
        sqlite3_bind_blob64(stmt_, index, size == 0 ? "" : data, size,
                            keep ? SQLITE_STATIC : SQLITE_TRANSIENT));
}

void SqliteStatement::bind_malloced_blob(int index, void* data, std::size_t size) {
  check(db_, "sqlite3_bind_blob", sqlite3_bind_blob64(stmt_, index, data, size, &std::free));
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "sqlite3_step", rc);
}

void SqliteStatement::reset() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int SqliteStatement::column_count() const { return sqlite3_column_count(stmt_); }

SqliteType SqliteStatement::column_type(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_INTEGER: return SqliteType::Integer;
    case SQLITE_FLOAT: return SqliteType::Float;
    case SQLITE_TEXT: return SqliteType::Text;
    case SQLITE_BLOB: return SqliteType::Blob;
    default: return SqliteType::Null;
  }
}

std::int64_t SqliteStatement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double SqliteStatement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string_view SqliteStatement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::string_view SqliteStatement::column_blob(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::string_view SqliteStatement::column_name(int column) const {
  const char* name = sqlite3_column_name(stmt_, column);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

// ---------------------------------------------------------------------------

SqliteConnection::SqliteConnection(const std::filesystem::path& file) : file_(file) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = message_of(db_, rc);
    const int code = db_ != nullptr ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError("sqlite3_open_v2", code, message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

SqliteConnection::~SqliteConnection() {
  cache_.clear();  // statements must be finalized before the close
  sqlite3_close_v2(db_);
}

void SqliteConnection::exec(std::string_view sql) {
  const std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError("sqlite3_exec", sqlite3_extended_errcode(db_), message);
  }
}

std::string SqliteConnection::query_text(std::string_view sql) {
  SqliteStatement stmt = prepare(sql);
  if (!stmt.step()) return {};
  return std::string(stmt.column_text(0));
}

SqliteStatement SqliteConnection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, "sqlite3_prepare_v3", sqlite3_extended_errcode(db_));
  return SqliteStatement(db_, stmt);
}

SqliteStatement& SqliteConnection::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(sql, prepare(sql)).first;
  it->second.reset();
  return it->second;
}

void SqliteConnection::set_busy_timeout(std::chrono::milliseconds timeout) {
  check(db_, "sqlite3_busy_timeout", sqlite3_busy_timeout(db_, static_cast<int>(timeout.count())));
}

bool SqliteConnection::is_readonly() const { return sqlite3_db_readonly(db_, "main") == 1; }

std::int64_t SqliteConnection::changes() const { return sqlite3_changes64(db_); }

bool SqliteConnection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void SqliteConnection::rollback_quietly() noexcept {
  if (in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

namespace {

void call_text_to_int(sqlite3_context* context, int argc, sqlite3_value** argv) {
  auto fn = reinterpret_cast<SqliteConnection::TextToInt>(sqlite3_user_data(context));
  if (argc != 1 || sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const auto size = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
  const auto result = fn(std::string_view(text, size));
  if (result) {
    sqlite3_result_int64(context, *result);
  } else {
    sqlite3_result_null(context);
  }
}

}  // namespace

void SqliteConnection::create_function(const char* name, TextToInt fn) {
  check(db_, "sqlite3_create_function_v2",
        sqlite3_create_function_v2(db_, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                   reinterpret_cast<void*>(fn), call_text_to_int, nullptr, nullptr,
                                   nullptr));
}

std::string sqlite_version() { return sqlite3_libversion(); }

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

}  // namespace ipp::hub

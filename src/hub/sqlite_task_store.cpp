// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/sqlite_task_store.hpp"

#include <pthread.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <system_error>
#include <tuple>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "ipp/hub/hub_error.hpp"
#include "ipp/hub/sqlite_db.hpp"
#include "ipp/hub/sqlite_query.hpp"
#include "ipp/hub/sqlite_record_codec.hpp"
#include "ipp/util/error.hpp"

namespace ipp::hub {

namespace {

using Clock = std::chrono::steady_clock;
using Kind = PendingWrites::Kind;

// What an operator should do about an error at start.
std::string advice(const SqliteError& e) {
  switch (e.primary()) {
    case sqlite_code::kBusy:
    case sqlite_code::kLocked:
      return "another process holds a lock on it (another controller using the same file?)";
    case sqlite_code::kReadOnly:
    case sqlite_code::kCantOpen:
      return "the file or its directory is not writable (SQLite also creates <file>-wal and "
             "<file>-shm next to it)";
    case sqlite_code::kCorrupt:
    case sqlite_code::kNotADb:
      return "the file is damaged or is not an SQLite database; move it away or choose another "
             "SQLiteDB.filename";
    case sqlite_code::kFull:
      return "the disk is full";
    default: return "";
  }
}

std::string describe_fields(const FieldMask& fields, bool with_label) {
  std::string names;
  for (const auto& column : sqlite_columns(with_label)) {
    if (!fields.test(column.field)) continue;
    if (!names.empty()) names += ", ";
    names += column.name;
  }
  return names;
}

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

// ---------------------------------------------------------------------------
// The writer thread: commits PendingWrites in batches through its own
// connection.

class SqliteTaskStore::Writer {
 public:
  Writer(std::unique_ptr<SqliteConnection> db, PendingWrites& pending, const SqliteTaskStoreOptions& options,
         std::string quoted_table, bool with_label)
      : db_(std::move(db)),
        pending_(pending),
        options_(options),
        table_(std::move(quoted_table)),
        with_label_(with_label) {
    build_upsert();
    thread_ = std::thread([this] {
      ::pthread_setname_np(::pthread_self(), "ipc-sqlite");  // for top -H and perf, as the loops
      run();
    });
  }

  ~Writer() {
    stop_deadline_ = Clock::now() + options_.close_timeout;
    pending_.stop();
    if (thread_.joinable()) thread_.join();
  }

  SqliteWriteStats stats() const {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    return stats_;
  }

 private:
  void build_upsert() {
    std::string columns;
    std::string marks;
    std::string sets;
    for (const auto& column : sqlite_columns(with_label_)) {
      if (!columns.empty()) {
        columns += ", ";
        marks += ", ";
      }
      columns += column.name;
      marks += "?";
      upsert_fields_.push_back(column.field);
      if (column.field == Field::MsgId) continue;
      if (!sets.empty()) sets += ", ";
      sets += std::string(column.name) + " = excluded." + std::string(column.name);
    }
    // An upsert, not a plain INSERT: a record the hub erased and added again
    // before the erase was written replaces the old row.
    upsert_sql_ = "INSERT INTO " + table_ + " (" + columns + ") VALUES (" + marks +
                  ") ON CONFLICT(msg_id) DO UPDATE SET " + sets;
    delete_sql_ = "DELETE FROM " + table_ + " WHERE msg_id = ?";
  }

  void run() {
    auto backoff = options_.retry_min;
    while (pending_.wait_for_batch(options_.batch_delay, options_.batch_wake)) {
      const std::vector<PendingWrites::Change> batch = pending_.take_batch();
      if (batch.empty()) continue;
      const std::optional<SqliteError> error = write_batch(batch);
      if (!error) {
        backoff = options_.retry_min;
        if (failing_since_) {
          spdlog::warn("SQLiteDB: {} is writable again; {} waiting task record change(s) written",
                       db_->file().string(), batch.size());
          failing_since_.reset();
        }
        continue;
      }
      failed(*error);
      if (pending_.stopping()) {
        // Closing: keep trying until the deadline, without spinning.
        const auto now = Clock::now();
        if (now >= stop_deadline_) break;
        std::this_thread::sleep_for(std::min<Clock::duration>(backoff, stop_deadline_ - now));
      } else {
        pending_.sleep(backoff);
      }
      backoff = std::min(backoff * 2, options_.retry_max);
    }
    const SqliteWriteStats s = stats();
    if (s.batches != 0) {
      spdlog::info("SQLiteDB: wrote {} task record change(s) in {} batch(es): largest {}, commit time "
                   "mean {:.2f} ms, max {:.2f} ms; {} failed attempt(s)",
                   s.changes, s.batches, s.largest_batch,
                   static_cast<double>(s.total_commit_time.count()) / 1000.0 / static_cast<double>(s.batches),
                   static_cast<double>(s.longest_commit.count()) / 1000.0, s.failed_attempts);
    }
    const std::size_t left = pending_.size();
    if (left != 0) {
      spdlog::critical("SQLiteDB: {} task record change(s) could not be written to {} and are lost{}",
                       left, db_->file().string(),
                       last_error_.empty() ? std::string() : ": " + last_error_);
    }
  }

  // Writes `batch` and tells PendingWrites how it went. Returns the error
  // that made the database refuse it (the batch is then kept for a retry).
  std::optional<SqliteError> write_batch(const std::vector<PendingWrites::Change>& batch) {
    try {
      write(batch);
      pending_.done();
      return std::nullopt;
    } catch (const SqliteError& e) {
      db_->rollback_quietly();
      if (!e.is_row_error()) {
        pending_.failed();
        return e;
      }
    }
    // A row error (SQLITE_TOOBIG, ...) failed the batch: write each change
    // alone so the others get through; the offending ones stay in memory.
    std::vector<std::string> unwritable;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        write({batch[i]});
      } catch (const SqliteError& e) {
        db_->rollback_quietly();
        if (!e.is_row_error()) {
          std::vector<std::string> retry;
          for (std::size_t j = i; j < batch.size(); ++j) retry.push_back(batch[j].msg_id);
          pending_.done(retry, unwritable);
          return e;
        }
        unwritable.push_back(batch[i].msg_id);
        spdlog::error("SQLiteDB: task record '{}' cannot be stored in {}: {}; it stays in memory "
                      "(served to clients) until the controller stops",
                      batch[i].msg_id, db_->file().string(), e.what());
      }
    }
    pending_.done({}, unwritable);
    return std::nullopt;
  }

  // One transaction for the whole batch; throws SqliteError (rolled back
  // by the caller).
  void write(const std::vector<PendingWrites::Change>& batch) {
    const auto start = Clock::now();
    db_->exec("BEGIN IMMEDIATE");
    for (const auto& change : batch) apply(change);
    db_->exec("COMMIT");
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      ++stats_.batches;
      stats_.changes += batch.size();
      stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
      stats_.total_commit_time += took;
      stats_.longest_commit = std::max(stats_.longest_commit, took);
    }
    spdlog::debug("SQLiteDB: committed {} change(s) in {:.1f} ms", batch.size(),
                  static_cast<double>(took.count()) / 1000.0);
    if (took > std::chrono::seconds(1)) {
      log_.warn("slow_commit", "SQLiteDB: writing {} change(s) to {} took {:.1f} s", batch.size(),
                db_->file().string(), static_cast<double>(took.count()) / 1e6);
    }
  }

  void apply(const PendingWrites::Change& change) {
    switch (change.kind) {
      case Kind::Insert: {
        SqliteStatement& stmt = db_->cached(upsert_sql_);
        StatementScope scope(stmt);
        int index = 1;
        for (const Field field : upsert_fields_) bind_field(stmt, index++, *change.record, field);
        stmt.step();
        return;
      }
      case Kind::Update: {
        std::string sets;
        std::vector<Field> fields;
        for (const auto& column : sqlite_columns(with_label_)) {
          if (column.field == Field::MsgId || !change.fields.test(column.field)) continue;
          if (!sets.empty()) sets += ", ";
          sets += std::string(column.name) + " = ?";
          fields.push_back(column.field);
        }
        if (fields.empty()) return;  // only display_data, which has no column
        SqliteStatement& stmt = db_->cached("UPDATE " + table_ + " SET " + sets + " WHERE msg_id = ?");
        StatementScope scope(stmt);
        int index = 1;
        for (const Field field : fields) bind_field(stmt, index++, *change.record, field);
        stmt.bind_text(index, change.msg_id, true);
        stmt.step();
        if (db_->changes() == 0) {
          // Deleted behind our back (another process, or a read error that
          // made the hub update a record it could not see).
          log_.warn("vanished", "SQLiteDB: task record '{}' is not in {}; its update of {} is dropped",
                    change.msg_id, db_->file().string(), describe_fields(change.fields, with_label_));
        }
        return;
      }
      case Kind::Erase: {
        SqliteStatement& stmt = db_->cached(delete_sql_);
        StatementScope scope(stmt);
        stmt.bind_text(1, change.msg_id, true);
        stmt.step();
        return;
      }
    }
  }

  void failed(const SqliteError& e) {
    {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      ++stats_.failed_attempts;
    }
    last_error_ = e.what();
    if (!failing_since_) failing_since_ = Clock::now();
    log_.error("write_failed",
               "SQLiteDB: cannot write to {}: {}; {} task record change(s) ({:.1f} MiB of buffers) "
               "kept in memory and retried",
               db_->file().string(), e.what(), pending_.size(), mib(pending_.buffer_bytes()));
  }

  std::unique_ptr<SqliteConnection> db_;
  PendingWrites& pending_;
  const SqliteTaskStoreOptions& options_;
  const std::string table_;
  const bool with_label_;
  std::string upsert_sql_;
  std::vector<Field> upsert_fields_;
  std::string delete_sql_;
  std::optional<Clock::time_point> failing_since_;
  std::string last_error_;
  Clock::time_point stop_deadline_ = Clock::time_point::max();
  // At most one line per 10 s for a lasting outage (the count in it grows).
  util::RateLimitedLog log_{nullptr, 1, std::chrono::seconds(10)};
  mutable std::mutex stats_mutex_;
  SqliteWriteStats stats_;
  std::thread thread_;  // last: starts after every member is ready
};

// ---------------------------------------------------------------------------

SqliteTaskStore::SqliteTaskStore(SqliteTaskStoreOptions options) : options_(std::move(options)) {
  pending_.set_hold(options_.big_request_bytes, options_.big_request_hold);
  try {
    open();
  } catch (const SqliteError& e) {
    const std::string hint = advice(e);
    throw Error("SQLiteDB: cannot use the task database " + options_.file.string() + ": " + e.what() +
                (hint.empty() ? "" : "; " + hint));
  }
}

// The writer's destructor writes what is pending, up to close_timeout.
SqliteTaskStore::~SqliteTaskStore() = default;

void SqliteTaskStore::open() {
  // The writer's connection sets the file up: WAL (readers never block the
  // writer nor the other way round; a crash leaves the file consistent),
  // synchronous=FULL (a committed batch survives a power cut; the fsync is
  // on the writer thread).
  auto writer = std::make_unique<SqliteConnection>(options_.file);
  writer->set_busy_timeout(options_.write_busy_timeout);
  if (writer->is_readonly()) {
    throw SqliteError("sqlite3_open_v2", sqlite_code::kReadOnly, "the database file is read-only");
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(options_.file, ec);
  if (!ec && size > 0 && size <= options_.check_limit) {
    const std::string check = writer->query_text("PRAGMA quick_check(1)");
    if (check != "ok") throw SqliteError("PRAGMA quick_check", sqlite_code::kCorrupt, "the database is damaged: " + check);
  }
  const std::string mode = writer->query_text("PRAGMA journal_mode=WAL");
  if (mode != "wal") {
    throw SqliteError("PRAGMA journal_mode=WAL", sqlite_code::kError, "cannot use the WAL journal (journal_mode is '" + mode + "')");
  }
  writer->exec("PRAGMA synchronous=FULL");
  // Keep a WAL that grew during a burst from staying that large on disk.
  writer->exec("PRAGMA journal_size_limit=67108864");
  // Taking the write lock now turns "locked" and "read-only" into start-up
  // errors instead of run-time ones.
  writer->exec("BEGIN IMMEDIATE");
  try {
    table_ = choose_table(*writer);
    quoted_table_ = quote_identifier(table_);
    writer->exec(create_table_sql(table_, with_label_));
    import_python_tables(*writer);
    writer->exec("COMMIT");
  } catch (...) {
    writer->rollback_quietly();
    throw;
  }

  reader_ = std::make_unique<SqliteConnection>(options_.file);
  reader_->set_busy_timeout(options_.read_busy_timeout);
  reader_->exec("PRAGMA query_only=1");
  reader_->create_function(kInstantFunction, &timestamp_micros);

  spdlog::info("SQLiteDB: task records in {}, table '{}' (SQLite {}, WAL)", options_.file.string(), table_,
               sqlite_version());
  writer_ = std::make_unique<Writer>(std::move(writer), pending_, options_, quoted_table_, with_label_);
}

namespace {

bool same_type(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The layout of `table`: nullopt when it does not exist, else whether it is
// 7.1's (false) or newest's with label (true), or "other" (-> mismatch).
enum class Layout { Missing, Python71, Newest, Other };

Layout table_layout(SqliteConnection& db, const std::string& table) {
  SqliteStatement info = db.prepare("PRAGMA table_info(" + quote_identifier(table) + ")");
  std::vector<std::pair<std::string, std::string>> columns;
  while (info.step()) columns.emplace_back(info.column_text(1), info.column_text(2));
  if (columns.empty()) return Layout::Missing;
  for (const bool label : {false, true}) {
    const auto expected = sqlite_columns(label);
    if (columns.size() != expected.size()) continue;
    bool same = true;
    for (std::size_t c = 0; c < columns.size() && same; ++c) {
      // Case-insensitive: since SQLite 3.37 a column declared "text" is
      // reported as "TEXT", so sqlitedb.py's exact comparison rejects even
      // the table it created itself.
      same = columns[c].first == expected[c].name && same_type(columns[c].second, expected[c].declared_type);
    }
    if (same) return label ? Layout::Newest : Layout::Python71;
  }
  return Layout::Other;
}

}  // namespace

std::string SqliteTaskStore::choose_table(SqliteConnection& db) {
  // sqlitedb.py _init_db/_check_table: a table with other columns or
  // declared types is left alone and "<table>_1", "<table>_2"... tried.
  // Ours accepts 7.1's columns and newest's (7.1 + label); a new table
  // gets 7.1's, which both Python versions read.
  std::string first = options_.table;
  if (first.empty()) {
    first = "_" + options_.session_id;
    std::replace(first.begin(), first.end(), '-', '_');
  }
  std::string table = first;
  for (int i = 1;; ++i) {
    const Layout layout = table_layout(db, table);
    if (layout != Layout::Other) {
      with_label_ = layout == Layout::Newest;
      return table;
    }
    const std::string next = first + "_" + std::to_string(i);
    spdlog::warn("SQLiteDB: table '{}' exists and doesn't match db format, trying '{}'", table, next);
    table = next;
  }
}

void SqliteTaskStore::import_python_tables(SqliteConnection& db) {
  // With SQLite >= 3.37, Debian's Python controller rejects its own table
  // on every restart (see table_layout) and writes each run into a new
  // "<table>_<n>". Copy those runs' records into our table, so that every
  // result a Python controller stored can be fetched. The source tables
  // are left as they are; ipp_imported_tables remembers how far each was
  // copied so a restart does not copy again.
  if (options_.table.empty()) return;
  std::vector<std::string> candidates;
  {
    SqliteStatement tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'");
    const std::string prefix = table_ + "_";
    while (tables.step()) {
      const std::string name(tables.column_text(0));
      if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
      if (name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) continue;
      candidates.push_back(name);
    }
  }
  for (const auto& name : candidates) {
    const Layout layout = table_layout(db, name);
    if (layout != Layout::Python71 && layout != Layout::Newest) continue;
    db.exec("CREATE TABLE IF NOT EXISTS ipp_imported_tables (name text PRIMARY KEY, max_rowid integer)");
    const std::string quoted = quote_identifier(name);
    const std::string max_rowid = db.query_text("SELECT IFNULL(max(rowid), 0) FROM " + quoted);
    SqliteStatement done = db.prepare("SELECT max_rowid FROM ipp_imported_tables WHERE name = ?");
    done.bind_text(1, name);
    if (done.step() && std::to_string(done.column_int64(0)) == max_rowid) continue;
    done.reset();
    // The columns both tables have (label only if both do).
    std::string columns;
    for (const auto& column : sqlite_columns(with_label_ && layout == Layout::Newest)) {
      if (!columns.empty()) columns += ", ";
      columns += column.name;
    }
    db.exec("INSERT OR IGNORE INTO " + quoted_table_ + " (" + columns + ") SELECT " + columns + " FROM " +
            quoted + " ORDER BY rowid");
    const auto copied = db.changes();
    SqliteStatement mark = db.prepare("INSERT OR REPLACE INTO ipp_imported_tables VALUES (?, ?)");
    mark.bind_text(1, name);
    mark.bind_int64(2, std::stoll(max_rowid));
    mark.step();
    spdlog::info("SQLiteDB: copied {} task record(s) from table '{}' (a Python controller's run) into '{}'",
                 copied, name, table_);
  }
}

template <typename Fn>
auto SqliteTaskStore::reading(std::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const SqliteError& e) {
    log_.error("read_failed", "SQLiteDB: {} failed reading {}: {}", what, options_.file.string(), e.what());
    throw HubError(e.python_name(), e.what());
  }
}

std::string SqliteTaskStore::select_sql(const FieldMask& fields, std::vector<Field>* columns) const {
  FieldMask wanted = fields;
  wanted.set(Field::MsgId);
  if (wanted.test(Field::Label) && !with_label_) wanted.set(Field::Metadata);  // label is derived
  std::string sql = "SELECT rowid";
  for (const auto& column : sqlite_columns(with_label_)) {
    if (!wanted.test(column.field)) continue;
    sql += ", ";
    sql += column.name;
    columns->push_back(column.field);
  }
  sql += " FROM " + quoted_table_;
  return sql;
}

void SqliteTaskStore::decode_row(const SqliteStatement& stmt, const std::vector<Field>& columns,
                                 const FieldMask& fields, TaskRecord& record) {
  std::string error;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (!read_field(stmt, static_cast<int>(i) + 1, columns[i], record, &error)) {
      log_.warn("bad_value", "SQLiteDB: task record '{}' in {}: {}; read as empty", record.msg_id,
                options_.file.string(), error);
    }
  }
  if (fields.test(Field::Label) && !with_label_) {
    derive_label(record);
    if (!fields.test(Field::Metadata)) record.metadata = nullptr;
  }
}

std::optional<TaskRecord> SqliteTaskStore::read_row(std::string_view msg_id, const FieldMask& fields) {
  std::vector<Field> columns;
  std::string sql;
  if (fields.is_all()) {
    // get_record, on every request the hub sees: built once.
    if (full_row_sql_.empty()) full_row_sql_ = select_sql(fields, &full_row_columns_) + " WHERE msg_id = ?";
  } else {
    sql = select_sql(fields, &columns) + " WHERE msg_id = ?";
  }
  SqliteStatement& stmt = reader_->cached(fields.is_all() ? full_row_sql_ : sql);
  StatementScope scope(stmt);
  stmt.bind_text(1, msg_id, true);
  if (!stmt.step()) return std::nullopt;
  TaskRecord record(std::string(stmt.column_text(1)));
  decode_row(stmt, fields.is_all() ? full_row_columns_ : columns, fields, record);
  return record;
}

bool SqliteTaskStore::row_exists(std::string_view msg_id) {
  if (exists_sql_.empty()) exists_sql_ = "SELECT 1 FROM " + quoted_table_ + " WHERE msg_id = ?";
  SqliteStatement& stmt = reader_->cached(exists_sql_);
  StatementScope scope(stmt);
  stmt.bind_text(1, msg_id, true);
  return stmt.step();
}

// ---------------------------------------------------------------------------
// TaskStore

namespace {

using Changes = std::vector<PendingWrites::Change>;

// Whether the file's row is needed to know the record after `changes`
// (they start with an update, or there are none).
bool needs_row(const Changes& changes) { return changes.empty() || changes.front().kind == Kind::Update; }

// `record` (the file's row or nullopt) after `changes`, oldest first;
// inserted records get the fields of `fields`.
void apply_changes(std::optional<TaskRecord>& record, const Changes& changes, const FieldMask& fields) {
  for (const auto& change : changes) {
    switch (change.kind) {
      case Kind::Insert:
        record.emplace(change.msg_id);
        record->assign(*change.record, fields);
        break;
      case Kind::Update:
        if (record) record->assign(*change.record, change.fields);
        break;
      case Kind::Erase: record.reset(); break;
    }
  }
}

}  // namespace

std::optional<bool> SqliteTaskStore::exists(std::string_view msg_id, const char* what) {
  const Changes changes = pending_.find(msg_id);
  if (!changes.empty()) return changes.back().kind != Kind::Erase;
  if (msg_id == last_absent_) return false;
  try {
    return row_exists(msg_id);
  } catch (const SqliteError& e) {
    log_.error("read_failed", "SQLiteDB: {}: cannot check for task record '{}' in {}: {}", what, msg_id,
               options_.file.string(), e.what());
    return std::nullopt;
  }
}

void SqliteTaskStore::add_record(TaskRecord record) {
  // Not knowing (the file cannot be read) is no reason to lose the record:
  // the writer's upsert replaces a row that turns out to exist.
  if (exists(record.msg_id, "add_record").value_or(false)) {
    throw key_error("Already have msg_id " + py_repr(record.msg_id));
  }
  last_absent_.clear();
  record.display_data = nullptr;  // no such column
  pending_.insert(std::move(record));
}

std::optional<TaskRecord> SqliteTaskStore::get_record(std::string_view msg_id) {
  const Changes changes = pending_.find(msg_id);
  std::optional<TaskRecord> record;
  if (needs_row(changes)) {
    record = reading("get_record", [&] { return read_row(msg_id, FieldMask::all()); });
    if (!record && changes.empty()) last_absent_ = std::string(msg_id);
  }
  apply_changes(record, changes, FieldMask::all());
  return record;
}

void SqliteTaskStore::update_record(std::string_view msg_id, TaskRecord values, const FieldMask& fields) {
  FieldMask stored = fields;
  stored.reset(Field::MsgId);
  if (stored.test(Field::DisplayData)) {
    // As Python's SQLiteDB, which fails such updates (no column).
    stored.reset(Field::DisplayData);
    spdlog::debug("SQLiteDB: display_data of '{}' is not stored (no such column)", msg_id);
    if (stored == FieldMask()) return;
  }
  // Not knowing: the update is queued; the writer drops it, logged, if
  // the row is not there.
  if (!exists(msg_id, "update_record").value_or(true)) throw key_error("No such msg_id " + py_repr(msg_id));
  values.msg_id = std::string(msg_id);
  pending_.update(std::move(values), stored);
}

void SqliteTaskStore::drop_record(std::string_view msg_id) {
  const auto found = exists(msg_id, "drop_record");
  if (!found) throw HubError("OperationalError", "cannot read " + options_.file.string());
  if (!*found) throw key_error("No such msg_id " + py_repr(msg_id));
  pending_.erase(std::string(msg_id));
}

void SqliteTaskStore::drop_matching_records(const Query& query) {
  // Resolved to msg_ids first, so that exactly the records the query
  // matches (in-memory semantics, pending changes included) are dropped.
  for (const auto& record : find_records(query, FieldMask{Field::MsgId})) pending_.erase(record.msg_id);
}

std::vector<TaskRecord> SqliteTaskStore::find_records(const Query& query, const FieldMask& keys) {
  // Pending changes first, then the file: a batch committed in between is
  // then seen twice (harmless: the change is applied again), never missed.
  const std::unordered_map<std::string, Changes> overlay = pending_.all();
  FieldMask fields = query_fields(query);
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (keys.test(static_cast<Field>(i))) fields.set(static_cast<Field>(i));
  }
  fields.set(Field::MsgId);
  const SqlFilter filter = translate_query(query, with_label_);

  // (pending insert, rowid or pending sequence, record)
  std::vector<std::tuple<bool, std::int64_t, TaskRecord>> found;
  std::vector<std::string> seen;
  auto keep = [&](bool pending, std::int64_t order, std::optional<TaskRecord>&& record) {
    if (!record || !query.matches(*record)) return;
    TaskRecord projected(record->msg_id);
    projected.take(std::move(*record), keys);
    found.emplace_back(pending, order, std::move(projected));
  };

  // A query for msg_ids whose changes are all pending (the hub's
  // result_request for recent tasks) is answered from memory alone: faster,
  // and it still works while the file cannot be read.
  bool need_file = true;
  if (const auto ids = query.msg_id_candidates()) {
    need_file = std::any_of(ids->begin(), ids->end(), [&](const std::string& id) {
      const auto it = overlay.find(id);
      return it == overlay.end() || needs_row(it->second);
    });
  }

  if (need_file) reading("find_records", [&] {
    std::vector<Field> columns;
    const std::string sql = select_sql(fields, &columns) + " WHERE " + filter.where;
    SqliteStatement stmt = reader_->prepare(sql);
    StatementScope scope(stmt);
    int index = 1;
    for (const auto& arg : filter.args) {
      if (const auto* i = std::get_if<std::int64_t>(&arg)) {
        stmt.bind_int64(index, *i);
      } else if (const auto* d = std::get_if<double>(&arg)) {
        stmt.bind_double(index, *d);
      } else if (const auto* s = std::get_if<std::string>(&arg)) {
        stmt.bind_text(index, *s, true);
      } else {
        stmt.bind_null(index);
      }
      ++index;
    }
    while (stmt.step()) {
      std::optional<TaskRecord> record(std::in_place, std::string(stmt.column_text(1)));
      decode_row(stmt, columns, fields, *record);
      if (const auto changes = overlay.find(record->msg_id); changes != overlay.end()) {
        seen.push_back(record->msg_id);
        apply_changes(record, changes->second, fields);
      }
      keep(false, stmt.column_int64(0), std::move(record));
    }
    return 0;
  });

  std::sort(seen.begin(), seen.end());
  for (const auto& [id, changes] : overlay) {
    if (std::binary_search(seen.begin(), seen.end(), id)) continue;
    if (!needs_row(changes)) {
      std::optional<TaskRecord> record;
      apply_changes(record, changes, fields);
      keep(true, static_cast<std::int64_t>(changes.front().sequence), std::move(record));
      continue;
    }
    if (!need_file) continue;
    // Updates of a row that did not match in the file may match with them.
    std::vector<Field> columns;
    const std::string sql = select_sql(fields, &columns) + " WHERE msg_id = ?";
    reading("find_records", [&] {
      SqliteStatement& stmt = reader_->cached(sql);
      StatementScope scope(stmt);
      stmt.bind_text(1, id, true);
      if (!stmt.step()) return 0;
      std::optional<TaskRecord> record(std::in_place, id);
      decode_row(stmt, columns, fields, *record);
      apply_changes(record, changes, fields);
      keep(false, stmt.column_int64(0), std::move(record));
      return 0;
    });
  }

  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  std::vector<TaskRecord> records;
  records.reserve(found.size());
  for (auto& item : found) records.push_back(std::move(std::get<2>(item)));
  return records;
}

std::vector<std::string> SqliteTaskStore::get_history() {
  // Ordered by instant (the Python backend orders by the text), then by
  // insertion; records without `submitted` are left out (TaskStore).
  const Query dated = Query::parse({{"submitted", {{"$ne", nullptr}}}});
  std::vector<TaskRecord> records = find_records(dated, FieldMask{Field::MsgId, Field::Submitted});
  std::stable_sort(records.begin(), records.end(),
                   [](const TaskRecord& a, const TaskRecord& b) { return *a.submitted < *b.submitted; });
  std::vector<std::string> history;
  history.reserve(records.size());
  for (auto& record : records) history.push_back(std::move(record.msg_id));
  return history;
}

bool SqliteTaskStore::flush(std::chrono::milliseconds timeout) { return pending_.flush(timeout); }

SqliteWriteStats SqliteTaskStore::write_stats() const { return writer_ ? writer_->stats() : SqliteWriteStats{}; }

}  // namespace ipp::hub

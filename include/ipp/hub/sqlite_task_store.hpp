// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "ipp/hub/pending_writes.hpp"
#include "ipp/hub/task_store.hpp"
#include "ipp/util/rate_limited_log.hpp"

namespace ipp::hub {

class SqliteConnection;
class SqliteStatement;

struct SqliteTaskStoreOptions {
  // SQLiteDB.location / SQLiteDB.filename.
  std::filesystem::path file = "tasks.db";
  // SQLiteDB.table; "" means one table per controller run, named
  // "_" + session_id with "-" replaced by "_" (sqlitedb.py).
  std::string table = "ipython-tasks";
  std::string session_id;
  // A change waits at most this long before the writer commits it (with
  // every other change made meanwhile): the most a crash can lose.
  std::chrono::milliseconds batch_delay{50};
  // ... or until this many records changed.
  std::size_t batch_wake = 4096;
  // A request with at least this many bytes of buffers waits up to
  // big_request_hold for its result before it is written, so that its row
  // is written once, complete, instead of written and then rewritten whole
  // by the result's UPDATE (SQLite rewrites every column of a row it
  // updates). The most a crash can lose of such a request.
  std::uint64_t big_request_bytes = std::uint64_t{1} << 20;
  std::chrono::milliseconds big_request_hold{2000};
  // How long the writer waits for another process's lock before a batch
  // counts as failed (and is retried); reads on the hub's thread wait less.
  std::chrono::milliseconds write_busy_timeout{5000};
  std::chrono::milliseconds read_busy_timeout{100};
  // Back-off between attempts while the database cannot be written.
  std::chrono::milliseconds retry_min{250};
  std::chrono::milliseconds retry_max{5000};
  // How long the destructor keeps trying to write what is pending.
  std::chrono::milliseconds close_timeout{5000};
  // PRAGMA quick_check at start for files up to this size (it reads the
  // whole file).
  std::uintmax_t check_limit = std::uintmax_t{256} << 20;
};

// What the writer thread did, for logs and tests.
struct SqliteWriteStats {
  std::uint64_t batches = 0;         // committed transactions
  std::uint64_t changes = 0;         // record changes committed
  std::uint64_t largest_batch = 0;
  std::uint64_t failed_attempts = 0;
  std::chrono::microseconds total_commit_time{0};  // BEGIN .. COMMIT, summed
  std::chrono::microseconds longest_commit{0};
};

// ipyparallel's SQLiteDB (--sqlitedb): task records in an SQLite file with
// exactly the Python table (sqlite_record_codec.hpp), so that either
// controller reads what the other wrote. Records live in the file; memory
// holds only changes not yet written.
//
// Writes are asynchronous: the hub's calls update PendingWrites and
// return; a writer thread commits them in batches (one transaction per
// batch_delay, WAL journal, synchronous=FULL), off the hub's loop, which
// never waits for an fsync. Reads (on the hub's thread, through a second
// connection) overlay the pending changes on the file, so the hub always
// sees its own writes.
//
// Faults never crash the controller nor lose records silently:
//  * at start, a file that cannot be opened, locked by another process,
//    read-only, not a database or damaged throws ipp::Error naming the file
//    and the cause;
//  * at run time, a batch that cannot be written (SQLITE_FULL, BUSY,
//    READONLY, IOERR, CORRUPT) is rolled back and retried with back-off; its
//    changes stay in memory (and readable) meanwhile, with a rate-limited
//    error log line saying how many wait; a record SQLite refuses by itself
//    (SQLITE_TOOBIG) stays in memory for the controller's lifetime, logged;
//  * at close, changes still unwritten after close_timeout are logged as
//    lost.
// A read that fails throws HubError with Python's sqlite3 exception name
// ("OperationalError", "DatabaseError").
//
// The TaskStore methods must be called from one thread (the hub's).
class SqliteTaskStore : public TaskStore {
 public:
  // Opens the database and starts the writer. Throws ipp::Error.
  explicit SqliteTaskStore(SqliteTaskStoreOptions options);
  // Writes what is pending (up to close_timeout) and stops the writer.
  ~SqliteTaskStore() override;
  SqliteTaskStore(const SqliteTaskStore&) = delete;
  SqliteTaskStore& operator=(const SqliteTaskStore&) = delete;

  void add_record(TaskRecord record) override;
  std::optional<TaskRecord> get_record(std::string_view msg_id) override;
  void update_record(std::string_view msg_id, TaskRecord values, const FieldMask& fields) override;
  void drop_record(std::string_view msg_id) override;
  void drop_matching_records(const Query& query) override;
  std::vector<TaskRecord> find_records(const Query& query,
                                       const FieldMask& keys = FieldMask::all()) override;
  std::vector<std::string> get_history() override;

  // The table in use (after sqlitedb.py's "<table>_<n>" fallback).
  const std::string& table() const { return table_; }
  // Whether the table has newest's label column (else label is derived
  // from metadata.label).
  bool has_label_column() const { return with_label_; }
  const std::filesystem::path& file() const { return options_.file; }

  // Waits until every change made so far is committed; false on timeout
  // (e.g. while the file cannot be written).
  bool flush(std::chrono::milliseconds timeout);
  // Changes not yet committed.
  std::size_t pending_changes() const { return pending_.size(); }
  SqliteWriteStats write_stats() const;

 private:
  class Writer;

  void open();
  std::string choose_table(SqliteConnection& db);
  void import_python_tables(SqliteConnection& db);
  // Reads `fields` of the row `msg_id` into a record; nullopt if absent.
  std::optional<TaskRecord> read_row(std::string_view msg_id, const FieldMask& fields);
  bool row_exists(std::string_view msg_id);
  // Whether `msg_id` has a record (pending changes, then the file);
  // nullopt, logged, when the file cannot be read.
  std::optional<bool> exists(std::string_view msg_id, const char* what);
  // SELECT rowid, <columns for fields> FROM table
  std::string select_sql(const FieldMask& fields, std::vector<Field>* columns) const;
  void decode_row(const SqliteStatement& stmt, const std::vector<Field>& columns,
                  const FieldMask& fields, TaskRecord& record);
  // Runs `fn` turning SQLite errors into HubError (logged).
  template <typename Fn>
  auto reading(std::string_view what, Fn&& fn) -> decltype(fn());

  SqliteTaskStoreOptions options_;
  std::string table_;
  std::string quoted_table_;
  bool with_label_ = false;
  std::unique_ptr<SqliteConnection> reader_;  // hub thread only
  std::string full_row_sql_;
  std::vector<Field> full_row_columns_;
  std::string exists_sql_;
  PendingWrites pending_;
  std::unique_ptr<Writer> writer_;
  // A msg_id get_record just found absent: add_record of the same id (the
  // hub's usual sequence) need not ask the file again.
  std::string last_absent_;
  util::RateLimitedLog log_;
};

}  // namespace ipp::hub

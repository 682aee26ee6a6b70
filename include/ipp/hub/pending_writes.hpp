// SPDX-License-Identifier: BSD-3-Clause
//
// The changes to task records that the hub has made and the SQLite writer
// thread has not committed yet: one coalesced change per msg_id.
//
// The hub thread records changes (insert, update, erase) and reads them back
// to overlay the database (a query sees its own writes). The writer thread
// takes a snapshot, writes it in one transaction, and then forgets the
// entries it wrote -- only those not changed again meanwhile, which the
// next batch writes. Until a batch commits its entries stay here, so a
// failed write (disk full, locked, read-only) loses nothing: the entries
// wait for the next attempt, and reads keep seeing them.
//
// Coalescing: insert + updates = one insert of the final record; updates =
// one update of the union of their fields; erase drops a pending insert or
// update. A snapshot's records are shared, never mutated: a change to an
// entry the writer holds copies it first (copy-on-write).
//
// Thread-safe: every method takes the internal mutex. The hub's methods
// never wait for the writer's I/O (the writer holds the mutex only to copy
// pointers and to forget committed entries).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ipp/hub/task_record.hpp"

namespace ipp::hub {

class PendingWrites {
 public:
  enum class Kind {
    Insert,  // the whole record (an upsert: it may replace an erased row)
    Update,  // `fields` of an existing row
    Erase,   // delete the row
  };

  // One coalesced change. `record` is shared with the entry: never modify it.
  struct Change {
    std::string msg_id;
    Kind kind = Kind::Insert;
    std::shared_ptr<const TaskRecord> record;  // null for Erase
    FieldMask fields;                          // Update: the fields to write
    std::uint64_t sequence = 0;                // order of the first change
    std::uint64_t version = 0;                 // bumped by every change
  };

  // --- hub thread -----------------------------------------------------

  // A new record (the caller checked it does not exist, or it is replacing
  // an erased one).
  void insert(TaskRecord record);
  // Sets `fields` from `values` on a record that exists (in the database
  // or as a pending insert).
  void update(TaskRecord values, const FieldMask& fields);
  void erase(const std::string& msg_id);

  std::optional<Change> find(std::string_view msg_id) const;
  // Every pending change, in no particular order.
  std::vector<Change> all() const;
  std::size_t size() const;
  // Bytes of buffers held by pending changes (for the outage log line).
  std::uint64_t buffer_bytes() const;

  // --- writer thread --------------------------------------------------

  // Blocks until there is something to write and the oldest pending change
  // is `delay` old, `wake_size` changes are pending, flush() was called, or
  // stop() was called. Returns false once stopped and nothing is pending.
  bool wait_for_batch(std::chrono::milliseconds delay, std::size_t wake_size);
  // Every pending change not marked unwritable, oldest first.
  std::vector<Change> snapshot();
  // Forgets the changes of `batch` that were not changed since the
  // snapshot, and wakes flush() waiters.
  void committed(const std::vector<Change>& batch);
  // Marks one change as impossible to write (a row error such as
  // SQLITE_TOOBIG): it stays in memory, readable, and is skipped by
  // snapshot() until it changes again.
  void mark_unwritable(const Change& change);
  std::size_t unwritable() const;

  // --- any thread -----------------------------------------------------

  // Wakes the writer at once and waits until every change pending now has
  // been committed, or `timeout` passed. Returns whether they were.
  bool flush(std::chrono::milliseconds timeout);
  // Makes wait_for_batch return as soon as nothing (writable) is pending.
  void stop();
  bool stopping() const;
  // Interruptible sleep for the writer's retry back-off: returns early on
  // stop() or flush().
  void sleep(std::chrono::milliseconds duration);

 private:
  struct Entry {
    Kind kind = Kind::Insert;
    std::shared_ptr<TaskRecord> record;  // shared with snapshots: copy before changing
    FieldMask fields;
    std::uint64_t sequence = 0;
    std::uint64_t version = 0;
    bool unwritable = false;
  };
  using Entries = std::unordered_map<std::string, Entry>;

  static Change to_change(const Entries::value_type& item);
  // The entry's record, copied first if a snapshot or reader shares it.
  static TaskRecord& own_record(Entry& entry);
  // Bookkeeping after `entry` changed (`created`: it is new; `was_idle`:
  // nothing was waiting to be written before).
  void changed(Entry& entry, bool created, bool was_idle);
  std::size_t writable_count() const;  // mutex_ held

  mutable std::mutex mutex_;
  std::condition_variable work_;      // writer waits for changes
  std::condition_variable progress_;  // flush() waits for commits
  // State below is protected by mutex_.
  Entries entries_;
  // When the oldest change not yet in a committed batch was made.
  std::chrono::steady_clock::time_point first_pending_;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t next_version_ = 0;
  bool flush_wanted_ = false;  // until the next snapshot
  std::size_t unwritable_ = 0;
  bool stop_ = false;
};

}  // namespace ipp::hub

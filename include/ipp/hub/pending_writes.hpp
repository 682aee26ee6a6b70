// SPDX-License-Identifier: BSD-3-Clause
//
// The changes to task records that the hub has made and the SQLite writer
// thread has not committed yet.
//
// Two generations: `newest`, one coalesced change per msg_id that the hub
// keeps changing, and `in flight`, the batch the writer is writing. The
// writer takes the whole newest generation at once (a map swap) and reads
// it while the hub goes on changing a new one, so neither copies a record
// nor waits for the other. A committed batch is forgotten; a failed one is
// merged back under the newer changes (disk full, locked, read-only lose
// nothing: the changes wait for the next attempt), and reads see both
// generations meanwhile.
//
// Coalescing within a generation: insert + updates = one insert of the final
// record; updates = one update of the union of their fields; erase replaces
// whatever came before.
//
// Big requests wait for their result (set_hold): SQLite rewrites a whole
// row on every UPDATE, so a 64 MiB request written at once and completed
// 200 ms later is written twice (and read back once). An insert whose
// buffers reach `min_bytes` and that is not completed stays out of the
// batches until an update completes it (then both go as one insert, after
// the usual batch delay) or until `max` has passed; flush() and stop()
// write it at once.
//
// Thread-safe: every method takes the internal mutex for a short time; the
// hub's methods never wait for the writer's I/O.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ipp/hub/task_record.hpp"
#include "ipp/util/string_hash.hpp"

namespace ipp::hub {

class PendingWrites {
 public:
  enum class Kind {
    Insert,  // the whole record (an upsert: it may replace an erased row)
    Update,  // `fields` of an existing row
    Erase,   // delete the row
  };

  // One coalesced change. The record is shared: never modify it.
  struct Change {
    std::string msg_id;
    Kind kind = Kind::Insert;
    std::shared_ptr<const TaskRecord> record;  // null for Erase
    FieldMask fields;                          // Update: the fields to write
    std::uint64_t sequence = 0;                // order of the first change
  };

  // Holds uncompleted inserts with at least `min_bytes` of buffers for up
  // to `max` (see above). Off by default.
  void set_hold(std::uint64_t min_bytes, std::chrono::milliseconds max);

  // --- hub thread -----------------------------------------------------

  // A new record (the caller checked it does not exist, or it is replacing
  // an erased one).
  void insert(TaskRecord record);
  // Sets `fields` from `values` on a record that exists (in the database
  // or as a pending insert).
  void update(TaskRecord values, const FieldMask& fields);
  void erase(const std::string& msg_id);

  // The uncommitted changes of `msg_id`, oldest first: none, one, or the
  // one being written followed by a newer one. Apply them in order.
  std::vector<Change> find(std::string_view msg_id) const;
  // Every uncommitted change, by msg_id, each list oldest first.
  std::unordered_map<std::string, std::vector<Change>> all() const;
  // Number of msg_ids with uncommitted changes.
  std::size_t size() const;
  // Bytes of buffers held by uncommitted changes (for the outage log line).
  std::uint64_t buffer_bytes() const;

  // --- writer thread --------------------------------------------------

  // Blocks until there is something to write and the oldest change is
  // `delay` old, `wake_size` msg_ids changed, flush() was called, or stop()
  // was called. Returns false once stopped and nothing writable is left.
  bool wait_for_batch(std::chrono::milliseconds delay, std::size_t wake_size);
  // Takes every writable change for writing, oldest first; they stay
  // readable until done(). One batch at a time.
  std::vector<Change> take_batch();
  // The batch is finished: its changes are committed, except those of
  // `retry` (merged back, under any newer change, to be written again) and
  // of `unwritable` (kept and readable, but not offered again until they
  // change: SQLite refuses them, e.g. SQLITE_TOOBIG).
  void done(const std::vector<std::string>& retry = {}, const std::vector<std::string>& unwritable = {});
  // done() with every change of the batch to retry.
  void failed();
  std::size_t unwritable() const;
  // Number of inserts held back waiting for their result.
  std::size_t held() const;

  // --- any thread -----------------------------------------------------

  // Wakes the writer at once and waits until every change made before the
  // call has been committed, or `timeout` passed. Returns whether they were.
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
    // Records of the newest generation belong to the hub, which changes
    // them in place; in flight they are only read.
    std::shared_ptr<TaskRecord> record;
    FieldMask fields;
    std::uint64_t sequence = 0;
    std::uint64_t version = 0;  // of the latest change (flush)
    bool unwritable = false;
  };
  using Entries = util::StringMap<Entry>;

  static Change to_change(const std::string& msg_id, const Entry& entry);
  // Entry for a new change of `msg_id`; `created` says whether it is new.
  Entry& entry_for(const std::string& msg_id, bool* created);
  // After a change of `entry`; `writable_before` is writable_count() from
  // before it (mutex_ held).
  void changed(Entry& entry, bool created, std::size_t writable_before);
  // Wakes the writer for changes that became writable (mutex_ held).
  void became_writable(std::size_t writable_before);
  // Whether the insert `entry` of `msg_id` waits for its result; updates
  // held_ (mutex_ held).
  void update_hold(const std::string& msg_id, const Entry& entry);
  // Releases the holds that are over at `now` (mutex_ held).
  void expire_holds(std::chrono::steady_clock::time_point now);
  // Whether held changes are written now anyway (flush, stop).
  bool holds_ignored() const { return stop_ || flush_wanted_; }
  std::size_t writable_count() const;  // mutex_ held
  // `older` (in flight) merged under `newer` (same msg_id). Copies rather
  // than changes the in-flight record, which the hub may be reading.
  static Entry merge(const Entry& older, Entry&& newer);

  mutable std::mutex mutex_;
  std::condition_variable work_;      // writer waits for changes
  std::condition_variable progress_;  // flush() waits for commits
  // State below is protected by mutex_.
  Entries newest_;
  std::shared_ptr<const Entries> in_flight_;  // null when no batch is out
  // When the oldest change not yet taken by the writer was made.
  std::chrono::steady_clock::time_point first_pending_;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t next_version_ = 0;
  bool flush_wanted_ = false;  // until the next batch is taken
  std::size_t wake_size_ = static_cast<std::size_t>(-1);  // the writer's, for the notification
  std::size_t unwritable_ = 0;  // in newest_
  // Inserts of newest_ waiting for their result, by msg_id: until when.
  util::StringMap<std::chrono::steady_clock::time_point> held_;
  std::uint64_t hold_min_bytes_ = 0;
  std::chrono::milliseconds hold_max_{0};  // 0: no holds
  bool stop_ = false;
};

}  // namespace ipp::hub

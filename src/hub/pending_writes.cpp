// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/pending_writes.hpp"

#include <algorithm>

namespace ipp::hub {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

PendingWrites::Change PendingWrites::to_change(const Entries::value_type& item) {
  const Entry& e = item.second;
  return Change{item.first, e.kind, e.record, e.fields, e.sequence, e.version};
}

TaskRecord& PendingWrites::own_record(Entry& entry) {
  // use_count is read under mutex_, and new references are only taken
  // under mutex_: 1 means nobody else can be reading the record. A stale
  // higher count (a snapshot being released) only costs a copy.
  if (entry.record.use_count() > 1) entry.record = std::make_shared<TaskRecord>(entry.record->clone());
  return *entry.record;
}

std::size_t PendingWrites::writable_count() const { return entries_.size() - unwritable_; }

void PendingWrites::changed(Entry& entry, bool created, bool was_idle) {
  entry.version = ++next_version_;
  if (entry.unwritable) {
    entry.unwritable = false;  // a new version deserves a new attempt
    --unwritable_;
  }
  if (created) entry.sequence = next_sequence_++;
  if (was_idle) {
    first_pending_ = Clock::now();
    work_.notify_one();  // starts the writer's batch delay
  }
}

void PendingWrites::insert(TaskRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool idle = writable_count() == 0;
  std::string msg_id = record.msg_id;
  auto [it, created] = entries_.try_emplace(std::move(msg_id));
  Entry& entry = it->second;
  entry.kind = Kind::Insert;
  entry.record = std::make_shared<TaskRecord>(std::move(record));
  entry.fields = FieldMask::all();
  changed(entry, created, idle);
}

void PendingWrites::update(TaskRecord values, const FieldMask& fields) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool idle = writable_count() == 0;
  auto [it, created] = entries_.try_emplace(values.msg_id);
  Entry& entry = it->second;
  if (created || entry.kind == Kind::Erase) {
    // An erased row cannot be updated (the store checks); treat a late
    // update as one of whatever row the database has.
    entry.kind = Kind::Update;
    entry.fields = fields;
    entry.record = std::make_shared<TaskRecord>(std::move(values));
  } else {
    own_record(entry).take(std::move(values), fields);
    if (entry.kind == Kind::Update) {
      for (std::size_t i = 0; i < kFieldCount; ++i) {
        if (fields.test(static_cast<Field>(i))) entry.fields.set(static_cast<Field>(i));
      }
    }
  }
  changed(entry, created, idle);
}

void PendingWrites::erase(const std::string& msg_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool idle = writable_count() == 0;
  auto [it, created] = entries_.try_emplace(msg_id);
  Entry& entry = it->second;
  // Even a pending insert becomes a DELETE: the writer may be inserting
  // it right now.
  entry.kind = Kind::Erase;
  entry.record.reset();
  entry.fields = FieldMask();
  changed(entry, created, idle);
}

std::optional<PendingWrites::Change> PendingWrites::find(std::string_view msg_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = entries_.find(std::string(msg_id));
  if (it == entries_.end()) return std::nullopt;
  return to_change(*it);
}

std::vector<PendingWrites::Change> PendingWrites::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Change> changes;
  changes.reserve(entries_.size());
  for (const auto& item : entries_) changes.push_back(to_change(item));
  return changes;
}

std::size_t PendingWrites::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::uint64_t PendingWrites::buffer_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& [id, entry] : entries_) {
    if (entry.record) total += entry.record->buffer_bytes();
  }
  return total;
}

bool PendingWrites::wait_for_batch(std::chrono::milliseconds delay, std::size_t wake_size) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    const std::size_t writable = writable_count();
    if (writable == 0) {
      if (stop_) return false;
      work_.wait(lock);
      continue;
    }
    if (stop_ || flush_wanted_ || writable >= wake_size ||
        Clock::now() >= first_pending_ + delay) {
      return true;
    }
    work_.wait_until(lock, first_pending_ + delay);
  }
}

std::vector<PendingWrites::Change> PendingWrites::snapshot() {
  std::vector<Change> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    flush_wanted_ = false;
    batch.reserve(writable_count());
    for (const auto& item : entries_) {
      if (!item.second.unwritable) batch.push_back(to_change(item));
    }
  }
  std::sort(batch.begin(), batch.end(),
            [](const Change& a, const Change& b) { return a.sequence < b.sequence; });
  return batch;
}

void PendingWrites::committed(const std::vector<Change>& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Change& change : batch) {
    const auto it = entries_.find(change.msg_id);
    if (it == entries_.end()) continue;
    // An entry changed while being written waits for the next batch.
    if (it->second.version != change.version) continue;
    if (it->second.unwritable) --unwritable_;
    entries_.erase(it);
  }
  first_pending_ = Clock::now();
  progress_.notify_all();
}

void PendingWrites::mark_unwritable(const Change& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = entries_.find(change.msg_id);
  if (it == entries_.end() || it->second.version != change.version || it->second.unwritable) return;
  it->second.unwritable = true;
  ++unwritable_;
  progress_.notify_all();
}

std::size_t PendingWrites::unwritable() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unwritable_;
}

bool PendingWrites::flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t target = next_version_;
  flush_wanted_ = true;
  work_.notify_one();
  return progress_.wait_for(lock, timeout, [&] {
    for (const auto& [id, entry] : entries_) {
      if (!entry.unwritable && entry.version <= target) return false;
    }
    return true;
  });
}

void PendingWrites::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_ = true;
  work_.notify_all();
}

bool PendingWrites::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stop_;
}

void PendingWrites::sleep(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  work_.wait_for(lock, duration, [&] { return stop_ || flush_wanted_; });
}

}  // namespace ipp::hub

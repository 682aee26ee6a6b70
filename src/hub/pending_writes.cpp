// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/pending_writes.hpp"

#include <algorithm>
#include <unordered_set>

namespace ipp::hub {

namespace {
using Clock = std::chrono::steady_clock;

void add_fields(FieldMask& to, const FieldMask& from) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (from.test(static_cast<Field>(i))) to.set(static_cast<Field>(i));
  }
}
}  // namespace

PendingWrites::Change PendingWrites::to_change(const std::string& msg_id, const Entry& entry) {
  return Change{msg_id, entry.kind, entry.record, entry.fields, entry.sequence};
}

std::size_t PendingWrites::writable_count() const {
  return newest_.size() - unwritable_ - (holds_ignored() ? 0 : held_.size());
}

void PendingWrites::set_hold(std::uint64_t min_bytes, std::chrono::milliseconds max) {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_min_bytes_ = min_bytes;
  hold_max_ = max;
}

std::size_t PendingWrites::held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_.size();
}

void PendingWrites::update_hold(const std::string& msg_id, const Entry& entry) {
  const bool hold = hold_max_.count() > 0 && entry.kind == Kind::Insert && !entry.record->completed &&
                    entry.record->buffer_bytes() >= hold_min_bytes_;
  if (hold) {
    // An update keeps the deadline. A new one must wake the writer: idle,
    // it sleeps without a deadline, and would otherwise keep this request
    // past its hold until some other change arrived.
    if (held_.try_emplace(msg_id, Clock::now() + hold_max_).second) work_.notify_one();
  } else if (!held_.empty()) {
    held_.erase(msg_id);
  }
}

void PendingWrites::expire_holds(Clock::time_point now) {
  if (held_.empty()) return;
  const std::size_t before = writable_count();
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second <= now) {
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  became_writable(before);
}

PendingWrites::Entry& PendingWrites::entry_for(const std::string& msg_id, bool* created) {
  auto [it, inserted] = newest_.try_emplace(msg_id);
  *created = inserted;
  return it->second;
}

void PendingWrites::changed(Entry& entry, bool created, std::size_t writable_before) {
  entry.version = ++next_version_;
  if (created) entry.sequence = next_sequence_++;
  if (entry.unwritable) {
    entry.unwritable = false;  // a new version deserves a new attempt
    --unwritable_;
  }
  became_writable(writable_before);
}

void PendingWrites::became_writable(std::size_t writable_before) {
  const std::size_t writable = writable_count();
  if (writable <= writable_before) return;
  if (writable_before == 0) {
    first_pending_ = Clock::now();
    work_.notify_one();  // starts the writer's batch delay
  } else if (writable_before < wake_size_ && writable >= wake_size_) {
    work_.notify_one();  // enough for a batch now
  }
}

void PendingWrites::insert(TaskRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t before = writable_count();
  bool created = false;
  const std::string msg_id = record.msg_id;
  Entry& entry = entry_for(msg_id, &created);
  entry.kind = Kind::Insert;
  entry.record = std::make_shared<TaskRecord>(std::move(record));
  entry.fields = FieldMask::all();
  update_hold(msg_id, entry);
  changed(entry, created, before);
}

void PendingWrites::update(TaskRecord values, const FieldMask& fields) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t before = writable_count();
  bool created = false;
  const std::string msg_id = values.msg_id;
  Entry& entry = entry_for(msg_id, &created);
  if (created || entry.kind == Kind::Erase) {
    // (An erased row cannot be updated -- the store checks -- so an update
    // after an erase can only be one the database row will take or drop.)
    entry.kind = Kind::Update;
    entry.fields = fields;
    entry.record = std::make_shared<TaskRecord>(std::move(values));
  } else {
    // The newest generation is the hub's alone: change it in place.
    entry.record->take(std::move(values), fields);
    if (entry.kind == Kind::Update) add_fields(entry.fields, fields);
  }
  update_hold(msg_id, entry);  // the result released a held insert
  changed(entry, created, before);
}

void PendingWrites::erase(const std::string& msg_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t before = writable_count();
  bool created = false;
  Entry& entry = entry_for(msg_id, &created);
  entry.kind = Kind::Erase;
  entry.record.reset();
  entry.fields = FieldMask();
  held_.erase(msg_id);
  changed(entry, created, before);
}

std::vector<PendingWrites::Change> PendingWrites::find(std::string_view msg_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Change> changes;
  if (in_flight_) {
    if (const auto it = in_flight_->find(msg_id); it != in_flight_->end()) {
      changes.push_back(to_change(it->first, it->second));
    }
  }
  if (const auto it = newest_.find(msg_id); it != newest_.end()) {
    changes.push_back(to_change(it->first, it->second));
  }
  return changes;
}

std::unordered_map<std::string, std::vector<PendingWrites::Change>> PendingWrites::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::unordered_map<std::string, std::vector<Change>> changes;
  changes.reserve(newest_.size() + (in_flight_ ? in_flight_->size() : 0));
  if (in_flight_) {
    for (const auto& [id, entry] : *in_flight_) changes[id].push_back(to_change(id, entry));
  }
  for (const auto& [id, entry] : newest_) changes[id].push_back(to_change(id, entry));
  return changes;
}

std::size_t PendingWrites::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t n = newest_.size();
  if (in_flight_) {
    for (const auto& [id, entry] : *in_flight_) n += newest_.count(id) == 0 ? 1 : 0;
  }
  return n;
}

std::uint64_t PendingWrites::buffer_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& [id, entry] : newest_) {
    if (entry.record) total += entry.record->buffer_bytes();
  }
  if (in_flight_) {
    for (const auto& [id, entry] : *in_flight_) {
      if (entry.record) total += entry.record->buffer_bytes();
    }
  }
  return total;
}

bool PendingWrites::wait_for_batch(std::chrono::milliseconds delay, std::size_t wake_size) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_size_ = wake_size;
  for (;;) {
    const auto now = Clock::now();
    expire_holds(now);
    auto hold_ends = Clock::time_point::max();
    for (const auto& [id, until] : held_) hold_ends = std::min(hold_ends, until);
    const std::size_t writable = writable_count();
    if (writable == 0) {
      if (stop_) return false;
      if (hold_ends == Clock::time_point::max()) {
        work_.wait(lock);
      } else {
        work_.wait_until(lock, hold_ends);
      }
      continue;
    }
    if (stop_ || flush_wanted_ || writable >= wake_size || now >= first_pending_ + delay) return true;
    work_.wait_until(lock, std::min(first_pending_ + delay, hold_ends));
  }
}

std::vector<PendingWrites::Change> PendingWrites::take_batch() {
  std::shared_ptr<Entries> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (in_flight_) return {};  // the previous batch is not done
    const bool take_held = holds_ignored();
    flush_wanted_ = false;
    if (take_held) held_.clear();
    batch = std::make_shared<Entries>(std::move(newest_));
    newest_ = Entries();
    if (unwritable_ != 0 || !held_.empty()) {
      for (auto it = batch->begin(); it != batch->end();) {
        if (it->second.unwritable || held_.count(it->first) != 0) {
          newest_.insert(batch->extract(it++));
        } else {
          ++it;
        }
      }
    }
    in_flight_ = batch;
    first_pending_ = Clock::now();
  }
  // Read outside the lock: nobody changes an in-flight entry.
  std::vector<Change> changes;
  changes.reserve(batch->size());
  for (const auto& [id, entry] : *batch) changes.push_back(to_change(id, entry));
  std::sort(changes.begin(), changes.end(),
            [](const Change& a, const Change& b) { return a.sequence < b.sequence; });
  return changes;
}

PendingWrites::Entry PendingWrites::merge(const Entry& older, Entry&& newer) {
  if (newer.kind != Kind::Update || older.kind == Kind::Erase) return std::move(newer);
  // older Insert/Update, then newer Update: one change of the older kind.
  Entry merged = older;
  merged.record = std::make_shared<TaskRecord>(older.record->clone());
  merged.record->take(std::move(*newer.record), newer.fields);
  if (merged.kind == Kind::Update) add_fields(merged.fields, newer.fields);
  merged.version = newer.version;
  merged.unwritable = false;
  return merged;
}

void PendingWrites::done(const std::vector<std::string>& retry, const std::vector<std::string>& unwritable) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!in_flight_) return;
  const std::unordered_set<std::string_view> refused(unwritable.begin(), unwritable.end());
  auto put_back = [&](const std::string& id) {
    const auto old = in_flight_->find(id);
    if (old == in_flight_->end()) return;
    const auto newer = newest_.find(id);
    if (newer == newest_.end()) {
      Entry& entry = newest_[id];
      entry = old->second;
      if (refused.count(id) != 0 && !entry.unwritable) {
        entry.unwritable = true;
        ++unwritable_;
      }
      return;
    }
    const bool was_unwritable = newer->second.unwritable;
    newer->second = merge(old->second, std::move(newer->second));
    if (was_unwritable) --unwritable_;  // merge() clears it: it changed
  };
  for (const auto& id : retry) put_back(id);
  for (const auto& id : unwritable) put_back(id);
  in_flight_.reset();
  if (writable_count() != 0) first_pending_ = Clock::now();
  progress_.notify_all();
}

void PendingWrites::failed() {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!in_flight_) return;
    for (const auto& [id, entry] : *in_flight_) ids.push_back(id);
  }
  done(ids);
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
  auto older = [target](const Entries& entries) {
    return std::any_of(entries.begin(), entries.end(), [target](const auto& item) {
      return !item.second.unwritable && item.second.version <= target;
    });
  };
  return progress_.wait_for(lock, timeout, [&] { return !older(newest_) && !(in_flight_ && older(*in_flight_)); });
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

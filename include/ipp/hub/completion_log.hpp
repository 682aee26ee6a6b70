// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ipp::hub {

// The msg_ids the hub has seen answered: hub.py's `all_completed` set and
// `completed[engine_id]` lists, with bounded memory.
//
// hub.py keeps every answered msg_id for the controller's lifetime, so its
// memory grows with every task even when the records live in SQLite.
// Here the most recent `capacity` ids are remembered exactly; an older id
// is no longer contains(), and the hub asks the task store instead (its
// record's `completed` field), which for SQLiteDB gives the same answer.
// Per-engine counts stay exact; the per-engine lists (queue_status with
// verbose=True) hold the ids still remembered.
//
// Not thread-safe; owned by the hub.
class CompletionLog {
 public:
  explicit CompletionLog(std::size_t capacity) : capacity_(capacity) {}

  // Records `msg_id` as answered; with `engine`, it also counts as
  // completed by that engine. An id already remembered is ignored.
  void add(const std::string& msg_id, std::optional<int> engine);
  bool contains(std::string_view msg_id) const;
  // How many ids `engine` completed in this controller's lifetime.
  std::size_t count(int engine) const;
  // The remembered ids `engine` completed, oldest first.
  std::vector<std::string> recent(int engine) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string msg_id;
    int engine;  // -1: none
  };

  const std::size_t capacity_;
  // std::deque never moves its elements on push_back/pop_front: the index
  // may point into them.
  std::deque<Entry> entries_;
  std::unordered_set<std::string_view> index_;
  std::map<int, std::size_t> counts_;
};

}  // namespace ipp::hub

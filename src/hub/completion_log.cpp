// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/completion_log.hpp"

namespace ipp::hub {

void CompletionLog::add(const std::string& msg_id, std::optional<int> engine) {
  if (engine) ++counts_[*engine];
  if (capacity_ == 0 || contains(msg_id)) return;
  if (entries_.size() == capacity_) {
    index_.erase(entries_.front().msg_id);
    entries_.pop_front();
  }
  entries_.push_back({msg_id, engine.value_or(-1)});
  index_.insert(entries_.back().msg_id);
}

bool CompletionLog::contains(std::string_view msg_id) const { return index_.count(msg_id) != 0; }

std::size_t CompletionLog::count(int engine) const {
  const auto it = counts_.find(engine);
  return it == counts_.end() ? 0 : it->second;
}

std::vector<std::string> CompletionLog::recent(int engine) const {
  std::vector<std::string> ids;
  for (const auto& entry : entries_) {
    if (entry.engine == engine) ids.push_back(entry.msg_id);
  }
  return ids;
}

}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/finished_tasks.hpp"

#include <functional>

namespace ipp::scheduler {

std::uint64_t FinishedTasks::key_of(std::string_view msg_id) {
  // libstdc++'s string hash is 64-bit (murmur2); 0 is the free-slot mark.
  const std::uint64_t h = std::hash<std::string_view>{}(msg_id);
  return h == 0 ? 1 : h;
}

std::size_t FinishedTasks::slot(std::uint64_t key) const {
  const std::size_t mask = keys_.size() - 1;
  std::size_t i = static_cast<std::size_t>(key ^ (key >> 29)) & mask;
  while (keys_[i] != 0 && keys_[i] != key) i = (i + 1) & mask;
  return i;
}

void FinishedTasks::grow() {
  std::vector<std::uint64_t> keys = std::move(keys_);
  std::vector<std::uint32_t> values = std::move(values_);
  const std::size_t capacity = keys.empty() ? 1024 : keys.size() * 2;
  keys_.assign(capacity, 0);
  values_.assign(capacity, 0);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == 0) continue;
    const std::size_t s = slot(keys[i]);
    keys_[s] = keys[i];
    values_[s] = values[i];
  }
}

void FinishedTasks::add(std::string_view msg_id, bool success, std::string_view engine) {
  // At most 3/4 full, so probes stay short.
  if ((size_ + 1) * 4 > keys_.size() * 3) grow();
  std::uint32_t where = 0;
  if (!engine.empty()) {
    auto it = engine_index_.find(engine);
    if (it == engine_index_.end()) {
      engines_.emplace_back(engine);
      it = engine_index_.emplace(std::string(engine), static_cast<std::uint32_t>(engines_.size())).first;
    }
    where = it->second;  // index + 1
  }
  const std::uint64_t key = key_of(msg_id);
  const std::size_t s = slot(key);
  if (keys_[s] == 0) ++size_;
  keys_[s] = key;
  values_[s] = (success ? kSucceeded : kFailed) | (where << 2);
}

std::uint32_t FinishedTasks::find(std::string_view msg_id) const {
  if (keys_.empty()) return 0;
  const std::size_t s = slot(key_of(msg_id));
  return keys_[s] == 0 ? 0 : values_[s];
}

bool FinishedTasks::succeeded(std::string_view msg_id) const { return (find(msg_id) & 3) == kSucceeded; }

bool FinishedTasks::failed(std::string_view msg_id) const { return (find(msg_id) & 3) == kFailed; }

std::string_view FinishedTasks::destination(std::string_view msg_id) const {
  const std::uint32_t where = find(msg_id) >> 2;
  return where == 0 ? std::string_view() : std::string_view(engines_[where - 1]);
}

}  // namespace ipp::scheduler

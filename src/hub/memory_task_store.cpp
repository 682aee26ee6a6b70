// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/memory_task_store.hpp"

#include <algorithm>
#include <tuple>

#include <spdlog/spdlog.h>

#include "ipp/hub/hub_error.hpp"

namespace ipp::hub {

MemoryTaskStore::MemoryTaskStore(MemoryTaskStoreOptions options) : options_(options) {}

void MemoryTaskStore::add_record(TaskRecord record) {
  if (records_.find(record.msg_id) != records_.end()) {
    throw key_error("Already have msg_id " + py_repr(record.msg_id));
  }
  culled_.erase(record.msg_id);
  record.own_small_frames();  // kept until culled: costs what it holds
  buffer_bytes_ += record.buffer_bytes();
  if (cullable(record)) ++cullable_count_;
  std::string msg_id = record.msg_id;
  records_.emplace(std::move(msg_id), Entry{next_sequence_++, std::move(record)});
  maybe_cull();
}

std::optional<TaskRecord> MemoryTaskStore::get_record(std::string_view msg_id) {
  const auto it = records_.find(msg_id);
  if (it == records_.end()) return std::nullopt;
  return it->second.record.clone();
}

void MemoryTaskStore::update_record(std::string_view msg_id, TaskRecord values,
                                    const FieldMask& fields) {
  if (auto error = try_update_record(msg_id, std::move(values), fields)) throw std::move(*error);
}

std::optional<HubError> MemoryTaskStore::try_update_record(std::string_view msg_id, TaskRecord values,
                                                           const FieldMask& fields) {
  const auto it = records_.find(msg_id);
  if (it == records_.end()) {
    if (was_culled(msg_id)) return key_error("Record " + py_repr(msg_id) + " has been culled for size");
    return key_error("No such msg_id " + py_repr(msg_id));
  }
  TaskRecord& record = it->second.record;
  buffer_bytes_ -= record.buffer_bytes();
  const bool was_cullable = cullable(record);
  values.own_small_frames();
  record.take(std::move(values), fields);
  buffer_bytes_ += record.buffer_bytes();
  if (cullable(record) != was_cullable) was_cullable ? --cullable_count_ : ++cullable_count_;
  maybe_cull();
  return std::nullopt;
}

void MemoryTaskStore::drop_record(std::string_view msg_id) {
  const auto it = records_.find(msg_id);
  if (it == records_.end()) throw key_error("No such msg_id " + py_repr(msg_id));
  erase(it);
}

void MemoryTaskStore::drop_matching_records(const Query& query) {
  std::vector<std::string> ids;
  for (const Entry* entry : matching(query)) ids.push_back(entry->record.msg_id);
  for (const auto& id : ids) erase(records_.find(id));
}

std::vector<TaskRecord> MemoryTaskStore::find_records(const Query& query, const FieldMask& keys) {
  std::vector<TaskRecord> found;
  for (const Entry* entry : matching(query)) {
    TaskRecord copy(entry->record.msg_id);
    copy.assign(entry->record, keys);
    found.push_back(std::move(copy));
  }
  return found;
}

std::vector<std::string> MemoryTaskStore::get_history() {
  std::vector<std::tuple<util::TimePoint, std::uint64_t, const std::string*>> dated;
  for (const auto& [id, entry] : records_) {
    if (entry.record.submitted) dated.emplace_back(*entry.record.submitted, entry.sequence, &id);
  }
  std::sort(dated.begin(), dated.end());
  std::vector<std::string> history;
  history.reserve(dated.size());
  for (const auto& item : dated) history.push_back(*std::get<2>(item));
  return history;
}

bool MemoryTaskStore::was_culled(std::string_view msg_id) const {
  return culled_.find(msg_id) != culled_.end();
}

void MemoryTaskStore::maybe_cull() {
  if (records_.size() > options_.record_limit && cullable_count_ > 0) {
    const auto by_fraction =
        static_cast<std::size_t>(options_.cull_fraction * static_cast<double>(options_.record_limit));
    const std::size_t excess = records_.size() - options_.record_limit;
    const std::size_t count = std::min(std::max(by_fraction, excess), cullable_count_);
    // With in-flight records over the limit, wait for a batch: each cull
    // scans every record, so a batch is at least an eighth of the records
    // in flight (a scan then costs at most ~8 visits per culled record).
    const std::size_t in_flight = records_.size() - cullable_count_;
    const std::size_t batch = std::max({std::size_t{1}, std::min(by_fraction, excess), in_flight / 8});
    if (count >= batch) {
      spdlog::info("{} records exceeds limit of {}, culling oldest {}", records_.size(),
                   options_.record_limit, count);
      for (const auto& id : cull_order(count)) cull(id);
    }
  }
  if (buffer_bytes_ > options_.size_limit && cullable_count_ > 0) {
    const double limit = static_cast<double>(options_.size_limit) * (1.0 - options_.cull_fraction);
    const auto before_bytes = buffer_bytes_;
    const auto before_count = records_.size();
    std::size_t culled = 0;
    for (const auto& id : cull_order()) {
      if (static_cast<double>(buffer_bytes_) <= limit) break;
      cull(id);
      ++culled;
    }
    spdlog::info(
        "{} records with total buffer size {} exceeds limit: {}. Culled oldest {} records.",
        before_count, before_bytes, options_.size_limit, culled);
  }
}

std::vector<std::string> MemoryTaskStore::cull_order(std::size_t count) const {
  // (has submitted, submitted, insertion order): undated partial records first.
  std::vector<std::tuple<bool, util::TimePoint, std::uint64_t, const std::string*>> order;
  order.reserve(cullable_count_);
  for (const auto& [id, entry] : records_) {
    if (!cullable(entry.record)) continue;
    const auto& submitted = entry.record.submitted;
    order.emplace_back(submitted.has_value(), submitted.value_or(util::TimePoint{}), entry.sequence,
                       &id);
  }
  // Culling takes a tenth of the records at a time: select them, do not
  // sort them all.
  if (count < order.size()) {
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count), order.end());
    order.resize(count);
  }
  std::sort(order.begin(), order.end());
  std::vector<std::string> ids;
  ids.reserve(order.size());
  for (const auto& item : order) ids.push_back(*std::get<3>(item));
  return ids;
}

void MemoryTaskStore::cull(const std::string& msg_id) {
  const auto it = records_.find(msg_id);
  if (it == records_.end()) return;
  spdlog::debug("Culling record: '{}'", msg_id);
  if (culled_.insert(msg_id).second) culled_order_.push_back(msg_id);
  while (culled_order_.size() > kCulledMemory) {
    culled_.erase(culled_order_.front());
    culled_order_.pop_front();
  }
  erase(it);
}

void MemoryTaskStore::erase(Records::iterator it) {
  buffer_bytes_ -= it->second.record.buffer_bytes();
  if (cullable(it->second.record)) --cullable_count_;
  records_.erase(it);
}

std::vector<const MemoryTaskStore::Entry*> MemoryTaskStore::matching(const Query& query) const {
  std::vector<const Entry*> found;
  if (const auto candidates = query.msg_id_candidates()) {
    for (const auto& id : *candidates) {
      const auto it = records_.find(id);
      if (it != records_.end() && query.matches(it->second.record)) found.push_back(&it->second);
    }
    // Candidates may repeat an id; the result must not.
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
  } else {
    for (const auto& [id, entry] : records_) {
      if (query.matches(entry.record)) found.push_back(&entry);
    }
  }
  std::sort(found.begin(), found.end(),
            [](const Entry* a, const Entry* b) { return a->sequence < b->sequence; });
  return found;
}

}  // namespace ipp::hub

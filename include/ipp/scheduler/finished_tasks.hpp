// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ipp/scheduler/dependency.hpp"

namespace ipp::scheduler {

// What the task scheduler remembers of every finished task, for the
// dependencies of later ones: whether it succeeded or failed, and on which
// engine it ran (Python's all_completed, all_failed, destinations and
// per-engine completed/failed sets).
//
// Python keeps those as sets of msg_id strings for the scheduler's whole
// life: about 500 bytes per task, which made the controller's memory grow
// with every task. Here a task costs one slot of an open-addressing table
// keyed by a 64-bit hash of its msg_id (12 bytes, 16 to 32 with the table's
// free space), engine uuids are stored once. Two msg_ids whose hashes
// collide (probability about n^2 / 2^65: 3e-8 for a million tasks) would
// share an outcome.
//
// Not thread-safe; owned by the scheduler.
class FinishedTasks : public TaskOutcomes {
 public:
  // Records the outcome of `msg_id`; `engine` is the uuid it ran on, empty
  // when it never ran (failed by the scheduler). A later call for the same
  // id replaces the earlier one.
  void add(std::string_view msg_id, bool success, std::string_view engine);

  bool succeeded(std::string_view msg_id) const override;
  bool failed(std::string_view msg_id) const override;
  bool contains(std::string_view msg_id) const { return find(msg_id) != 0; }
  // The engine `msg_id` ran on; empty when unknown or it never ran.
  std::string_view destination(std::string_view msg_id) const;

  // The outcomes of the tasks that ran on `engine` (Python's
  // engine_states completed/failed, for follow dependencies).
  class OnEngine : public TaskOutcomes {
   public:
    OnEngine(const FinishedTasks& tasks, std::string_view engine) : tasks_(tasks), engine_(engine) {}
    bool succeeded(std::string_view msg_id) const override {
      return tasks_.succeeded(msg_id) && tasks_.destination(msg_id) == engine_;
    }
    bool failed(std::string_view msg_id) const override {
      return tasks_.failed(msg_id) && tasks_.destination(msg_id) == engine_;
    }

   private:
    const FinishedTasks& tasks_;
    std::string_view engine_;
  };
  OnEngine on_engine(std::string_view engine) const { return OnEngine(*this, engine); }

  std::size_t size() const { return size_; }
  // Bytes held by the table (for tests and logs).
  std::size_t table_bytes() const { return keys_.capacity() * sizeof(std::uint64_t) + values_.capacity() * sizeof(std::uint32_t); }

 private:
  static constexpr std::uint32_t kSucceeded = 1;
  static constexpr std::uint32_t kFailed = 2;

  static std::uint64_t key_of(std::string_view msg_id);
  // The packed value of `msg_id` (0 when unknown).
  std::uint32_t find(std::string_view msg_id) const;
  std::size_t slot(std::uint64_t key) const;
  void grow();

  // Open addressing, linear probing; key 0 marks a free slot.
  std::vector<std::uint64_t> keys_;
  // outcome (2 bits) | (engine index + 1) << 2, 0 for "never ran".
  std::vector<std::uint32_t> values_;
  std::size_t size_ = 0;
  std::vector<std::string> engines_;
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> engine_index_;
};

}  // namespace ipp::scheduler

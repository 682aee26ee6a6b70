// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "ipp/hub/task_store.hpp"
#include "ipp/util/string_hash.hpp"

namespace ipp::hub {

// DictDB's configurable limits (DictDB.record_limit, size_limit,
// cull_fraction).
struct MemoryTaskStoreOptions {
  std::size_t record_limit = 1024;
  std::uint64_t size_limit = std::uint64_t{1} << 30;  // bytes of buffers + result_buffers
  double cull_fraction = 0.1;
};

// ipyparallel's DictDB, the default backend: records in memory, culled
// when a limit is exceeded.
//
// After every add/update: with more than record_limit records, the oldest
// int(cull_fraction * record_limit) are dropped (at least enough to get
// back to the limit: DictDB culls none when that product is 0); with more
// than size_limit buffer bytes, the oldest are dropped one by one until at
// most size_limit * (1 - cull_fraction) remain. "Oldest" is by `submitted`,
// records without `submitted` (IOPub-only partial records) first --
// deliberate deviation: DictDB never culls those (and loops forever if only
// they exceed the size limit).
//
// Deliberate deviation: records of tasks still in flight (submitted, not
// completed) are never culled. DictDB culls them like any other, so with
// more than record_limit tasks in flight (a map over 2,000 items with the
// default 1,024) the results of the oldest arrive to a culled record: the
// hub logs a DB error per task and get_result from another client fails.
// Their frames are held by the scheduler and the engine anyway, so keeping
// the record costs little; the limits apply to finished records. While
// in-flight records alone exceed the limit, culling waits until a batch of
// records has finished (a fraction's worth, or an eighth of those in
// flight): one scan per batch, not one per task.
//
// Culled msg_ids are remembered (the newest kCulledMemory of them) so that
// update_record on them fails with KeyError "Record '<id>' has been culled
// for size"; adding the id again forgets that (DictDB keeps reporting a
// re-added record as culled, and remembers every id forever).
class MemoryTaskStore : public TaskStore {
 public:
  explicit MemoryTaskStore(MemoryTaskStoreOptions options = {});

  void add_record(TaskRecord record) override;
  std::optional<TaskRecord> get_record(std::string_view msg_id) override;
  void update_record(std::string_view msg_id, TaskRecord values, const FieldMask& fields) override;
  std::optional<HubError> try_update_record(std::string_view msg_id, TaskRecord values,
                                            const FieldMask& fields) override;
  void drop_record(std::string_view msg_id) override;
  void drop_matching_records(const Query& query) override;
  std::vector<TaskRecord> find_records(const Query& query,
                                       const FieldMask& keys = FieldMask::all()) override;
  std::vector<std::string> get_history() override;

  std::size_t size() const { return records_.size(); }
  std::uint64_t buffer_bytes() const { return buffer_bytes_; }
  bool was_culled(std::string_view msg_id) const;

 private:
  struct Entry {
    std::uint64_t sequence;  // insertion order, as Python dict order
    TaskRecord record;
  };
  // Hashed, not ordered (util/string_hash.hpp says why).
  using Records = util::StringMap<Entry>;
  static bool cullable(const TaskRecord& record) { return !record.submitted || record.completed; }
  static constexpr std::size_t kCulledMemory = 65536;

  void maybe_cull();
  // The `count` oldest cullable ids (all by default), oldest first (see
  // the class comment).
  std::vector<std::string> cull_order(std::size_t count = static_cast<std::size_t>(-1)) const;
  void cull(const std::string& msg_id);
  void erase(Records::iterator it);
  std::vector<const Entry*> matching(const Query& query) const;

  const MemoryTaskStoreOptions options_;
  Records records_;
  util::StringSet culled_;
  std::deque<std::string> culled_order_;  // oldest first, to forget
  std::size_t cullable_count_ = 0;
  std::uint64_t buffer_bytes_ = 0;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "ipp/hub/hub_error.hpp"
#include "ipp/hub/task_store.hpp"

namespace ipp::hub {

// ipyparallel's NoDB (--nodb): stores nothing. Writes are silently
// dropped; get_record, find_records and get_history throw HubError with
// ename "NoData" (a KeyError subclass in Python) and evalue
// "NoDB backend doesn't store any data. " (trailing space included: the
// rest of Python's message is a dangling string literal), so
// result_request (not status_only), db_request, history_request and
// resubmit_request answer with that error.
class NoTaskStore : public TaskStore {
 public:
  void add_record(TaskRecord record) override;
  std::optional<TaskRecord> get_record(std::string_view msg_id) override;
  void update_record(std::string_view msg_id, TaskRecord values, const FieldMask& fields) override;
  void drop_record(std::string_view msg_id) override;
  void drop_matching_records(const Query& query) override;
  std::vector<TaskRecord> find_records(const Query& query, const FieldMask& keys) override;
  std::vector<std::string> get_history() override;
};

// The NoData error NoTaskStore throws.
HubError no_data_error();

}  // namespace ipp::hub

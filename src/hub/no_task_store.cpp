// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/no_task_store.hpp"

#include "ipp/hub/hub_error.hpp"

namespace ipp::hub {

HubError no_data_error() { return HubError("NoData", "NoDB backend doesn't store any data. "); }

void NoTaskStore::add_record(TaskRecord) {}

std::optional<TaskRecord> NoTaskStore::get_record(std::string_view) { throw no_data_error(); }

void NoTaskStore::update_record(std::string_view, TaskRecord, const FieldMask&) {}

void NoTaskStore::drop_record(std::string_view) {}

void NoTaskStore::drop_matching_records(const Query&) {}

std::vector<TaskRecord> NoTaskStore::find_records(const Query&, const FieldMask&) {
  throw no_data_error();
}

std::vector<std::string> NoTaskStore::get_history() { throw no_data_error(); }

}  // namespace ipp::hub

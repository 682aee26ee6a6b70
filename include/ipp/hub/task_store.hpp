// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipp/hub/hub_error.hpp"
#include "ipp/hub/query.hpp"
#include "ipp/hub/task_record.hpp"

namespace ipp::hub {

// Where the hub keeps task records: the interface of ipyparallel's
// BaseDB (DictDB, NoDB, SQLiteDB, MongoDB), hub-and-db.md section 5.
//
// Errors are HubError, named as the Python backends name them, because the
// hub passes some of them on to clients as error content (db_request,
// result_request, history_request, resubmit_request, purge_request) and
// only logs the others. A backend failure (I/O, SQLite) is a HubError too,
// with the backend's exception name.
//
// Records returned are independent copies (buffers share frame data).
// Not thread-safe: the hub's loop owns its store.
class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // Stores a new record. Throws HubError KeyError "Already have msg_id
  // '<id>'" when one with the same msg_id exists.
  virtual void add_record(TaskRecord record) = 0;

  // The record, or nullopt when there is none (never stored, dropped, or
  // culled: the hub treats all of these as "not yet seen" and adds a new
  // record, as hub.py does on DictDB's KeyError). Throws HubError when the
  // backend cannot answer (NoDB: NoData).
  virtual std::optional<TaskRecord> get_record(std::string_view msg_id) = 0;

  // Sets the fields of `fields` (msg_id excluded) from `values` on the
  // existing record `msg_id`. Throws HubError KeyError when there is no
  // such record (DictDB: "Record '<id>' has been culled for size" for a
  // culled one).
  virtual void update_record(std::string_view msg_id, TaskRecord values,
                             const FieldMask& fields) = 0;
  // As update_record, but the error is returned instead of thrown. The
  // hub's monitor path meets culled records once per reply whenever more
  // requests are outstanding than DictDB.record_limit, and a C++ throw and
  // catch costs more than the update itself; backends that can fail
  // cheaply override this.
  virtual std::optional<HubError> try_update_record(std::string_view msg_id, TaskRecord values,
                                                    const FieldMask& fields) {
    try {
      update_record(msg_id, std::move(values), fields);
    } catch (const HubError& e) {
      return e;
    }
    return std::nullopt;
  }

  // Removes one record; KeyError when absent.
  virtual void drop_record(std::string_view msg_id) = 0;

  // Removes every record matching `query`.
  virtual void drop_matching_records(const Query& query) = 0;

  // The records matching `query`, in insertion order, with the fields of
  // `keys` filled in (msg_id always; other fields left default). Backends
  // may skip loading unrequested fields.
  virtual std::vector<TaskRecord> find_records(const Query& query,
                                               const FieldMask& keys = FieldMask::all()) = 0;

  // Every msg_id ordered by `submitted`, oldest first (hub_history()).
  // Records without `submitted` (partial records created from IOPub) are
  // left out, as DictDB does.
  virtual std::vector<std::string> get_history() = 0;
};

}  // namespace ipp::hub

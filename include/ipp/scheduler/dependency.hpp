// SPDX-License-Identifier: BSD-3-Clause
//
// msg_id dependencies of load-balanced tasks (metadata "after" and
// "follow"), as ipyparallel/controller/dependency.py `Dependency`.
// See /work/shared/protocol/schedulers.md "Dependencies".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/util/string_hash.hpp"

namespace ipp::scheduler {

using util::StringHash;
using IdSet = util::StringSet;

// How finished tasks turned out, as dependencies ask it.
class TaskOutcomes {
 public:
  virtual ~TaskOutcomes() = default;
  virtual bool succeeded(std::string_view msg_id) const = 0;
  virtual bool failed(std::string_view msg_id) const = 0;
};

// TaskOutcomes over two sets of msg_ids (Python's completed/failed sets).
class IdSetOutcomes : public TaskOutcomes {
 public:
  IdSetOutcomes(const IdSet& completed, const IdSet& failed) : completed_(completed), failed_(failed) {}
  bool succeeded(std::string_view msg_id) const override { return completed_.contains(msg_id); }
  bool failed(std::string_view msg_id) const override { return failed_.contains(msg_id); }

 private:
  const IdSet& completed_;
  const IdSet& failed_;
};

// A set of task msg_ids plus the three flags of Python's Dependency.
struct Dependency {
  // Distinct ids, in the order first seen on the wire.
  std::vector<std::string> ids;
  // true: every id must count; false: any one id suffices.
  bool all = true;
  // Which outcomes count as "done": successes and/or failures.
  bool success = true;
  bool failure = false;

  bool empty() const { return ids.empty(); }
  bool contains(std::string_view id) const;

  // Dependency.check: satisfied? Empty -> true. An id counts when it is in
  // `completed` (if success) or in `failed` (if failure); all -> every id
  // counts, any -> at least one does.
  bool check(const TaskOutcomes& outcomes) const;
  bool check(const IdSet& completed, const IdSet& failed) const {
    return check(IdSetOutcomes(completed, failed));
  }

  // Dependency.unreachable: can it never be satisfied? Empty -> false. An
  // id is bad when it is in `completed` (if not success) or in `failed`
  // (if not failure); all -> any id bad, any -> every id bad.
  bool unreachable(const TaskOutcomes& outcomes) const;
  bool unreachable(const IdSet& completed, const IdSet& failed) const {
    return unreachable(IdSetOutcomes(completed, failed));
  }
};

// Parses one wire form of "after"/"follow" (schedulers.md "Dependencies"):
//   * null or absent: empty;
//   * a string: one msg_id;
//   * a list of msg_id strings: all=true, success=true, failure=false;
//   * a dict {"dependencies": str|[str], "all", "success", "failure"},
//     missing keys default to all=true, success=true, failure=false; flag
//     values are read with Python truthiness.
// Returns nullopt with the reason in *error (if non-null) for any other
// shape, a non-string id, or success=failure=false (Python's ValueError
// "Must depend on at least one of successes or failures!"). Python raises
// inside the scheduler for these and the task is silently lost; the
// TaskScheduler answers InvalidDependency instead (deliberate deviation).
// Never throws.
std::optional<Dependency> parse_dependency(const nlohmann::json& value, std::string* error);

}  // namespace ipp::scheduler

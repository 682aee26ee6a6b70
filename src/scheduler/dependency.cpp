// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/dependency.hpp"

#include <algorithm>

#include "python_error.hpp"

namespace ipp::scheduler {

namespace {

void set_error(std::string* error, std::string reason) {
  if (error != nullptr) *error = std::move(reason);
}

bool add_ids(const nlohmann::json& value, Dependency* dep, std::string* error) {
  auto add = [dep](const std::string& id) {
    if (!dep->contains(id)) dep->ids.push_back(id);
  };
  if (value.is_null()) return true;
  if (value.is_string()) {
    add(value.get_ref<const std::string&>());
    return true;
  }
  if (!value.is_array()) {
    set_error(error, std::string("expected a list of msg_ids, got ") + value.type_name());
    return false;
  }
  dep->ids.reserve(value.size());
  for (const auto& item : value) {
    if (!item.is_string()) {
      set_error(error, std::string("invalid dependency type: ") + item.type_name() +
                           " (msg_ids are strings)");
      return false;
    }
    add(item.get_ref<const std::string&>());
  }
  return true;
}

}  // namespace

bool Dependency::contains(std::string_view id) const {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool Dependency::check(const TaskOutcomes& outcomes) const {
  if (ids.empty()) return true;
  auto counted = [&](const std::string& id) {
    return (success && outcomes.succeeded(id)) || (failure && outcomes.failed(id));
  };
  return all ? std::all_of(ids.begin(), ids.end(), counted)
             : std::any_of(ids.begin(), ids.end(), counted);
}

bool Dependency::unreachable(const TaskOutcomes& outcomes) const {
  if (ids.empty()) return false;
  auto bad = [&](const std::string& id) {
    return (!success && outcomes.succeeded(id)) || (!failure && outcomes.failed(id));
  };
  return all ? std::any_of(ids.begin(), ids.end(), bad)
             : std::all_of(ids.begin(), ids.end(), bad);
}

std::optional<Dependency> parse_dependency(const nlohmann::json& value, std::string* error) {
  Dependency dep;
  if (value.is_object()) {
    // Dependency.__init__ from as_dict(): dict.get with the defaults.
    if (auto it = value.find("all"); it != value.end()) dep.all = py_truthy(*it);
    if (auto it = value.find("success"); it != value.end()) dep.success = py_truthy(*it);
    if (auto it = value.find("failure"); it != value.end()) dep.failure = py_truthy(*it);
    if (auto it = value.find("dependencies"); it != value.end()) {
      if (!add_ids(*it, &dep, error)) return std::nullopt;
    }
    if (!dep.success && !dep.failure) {
      set_error(error, "Must depend on at least one of successes or failures!");
      return std::nullopt;
    }
    return dep;
  }
  if (!add_ids(value, &dep, error)) return std::nullopt;
  return dep;
}

}  // namespace ipp::scheduler

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/engine_registry.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include <spdlog/spdlog.h>

#include "ipp/hub/hub_error.hpp"
#include "ipp/util/error.hpp"

namespace ipp::hub {

nlohmann::json EngineState::to_json() const {
  nlohmann::json engines_json = nlohmann::json::object();
  for (const auto& [id, uuid] : engines) engines_json[std::to_string(id)] = uuid;
  return nlohmann::json{{"engines", engines_json}, {"next_id", next_id}};
}

EngineState EngineState::from_json(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("engines") || !json["engines"].is_object() ||
      !json.contains("next_id") || !json["next_id"].is_number_integer()) {
    throw Error("engine state must be {\"engines\": {\"<id>\": \"<uuid>\"}, \"next_id\": <int>}");
  }
  EngineState state;
  state.next_id = json["next_id"].get<int>();
  for (const auto& [key, uuid] : json["engines"].items()) {
    int id = 0;
    std::size_t used = 0;
    try {
      id = std::stoi(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != key.size() || key.empty() || id < 0 || !uuid.is_string()) {
      throw Error("engine state: bad engine entry \"" + key + "\": " + uuid.dump());
    }
    state.engines[id] = uuid.get<std::string>();
  }
  return state;
}

std::optional<EngineState> read_engine_state(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  std::ifstream in(path);
  if (!in) throw Error("cannot open engine state file " + path.string() + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  try {
    return EngineState::from_json(nlohmann::json::parse(text.str()));
  } catch (const nlohmann::json::exception& e) {
    throw Error("engine state file " + path.string() + ": " + e.what());
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

void write_engine_state(const std::filesystem::path& path, const EngineState& state) {
  // Unique per process, in the same directory so that rename is atomic.
  auto temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    if (!out) throw Error("cannot write engine state file " + temp.string() + ": " + std::strerror(errno));
    out << state.to_json().dump();
    out.flush();
    if (!out) throw Error("cannot write engine state file " + temp.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    throw Error("cannot rename " + temp.string() + " to " + path.string() + ": " + ec.message());
  }
}

Engine EngineRegistry::begin_registration(const std::string& uuid, std::optional<int> requested,
                                          Clock::time_point deadline) {
  if (by_uuid_.find(uuid) != by_uuid_.end() || pending_.find(uuid) != pending_.end()) {
    throw key_error("uuid " + py_repr(uuid) + " in use");
  }
  Engine engine{new_id(requested), uuid};
  pending_[uuid] = Pending{engine, deadline};
  return engine;
}

int EngineRegistry::new_id(std::optional<int> requested) {
  if (requested && *requested >= 0 && *requested < std::numeric_limits<int>::max()) {
    const int id = *requested;
    const bool pending = std::any_of(pending_.begin(), pending_.end(),
                                     [&](const auto& entry) { return entry.second.engine.id == id; });
    if (engines_.count(id) != 0) {
      spdlog::warn("Engine id {} in use by engine with uuid={}", id, engines_.at(id).uuid);
    } else if (pending) {
      spdlog::warn("Engine id {} registration already pending", id);
    } else {
      next_id_ = std::max(next_id_, id + 1);
      return id;
    }
  }
  return next_id_++;
}

std::optional<Engine> EngineRegistry::finish_registration(std::string_view uuid) {
  const auto it = pending_.find(uuid);
  if (it == pending_.end()) return std::nullopt;
  Engine engine = it->second.engine;
  pending_.erase(it);
  engines_[engine.id] = engine;
  by_uuid_[engine.uuid] = engine.id;
  return engine;
}

std::optional<Engine> EngineRegistry::unregister(int id) {
  const auto it = engines_.find(id);
  if (it == engines_.end()) return std::nullopt;
  Engine engine = it->second;
  by_uuid_.erase(engine.uuid);
  engines_.erase(it);
  return engine;
}

std::optional<Engine> EngineRegistry::cancel_pending(int id) {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->second.engine.id == id) {
      Engine engine = it->second.engine;
      pending_.erase(it);
      return engine;
    }
  }
  return std::nullopt;
}

std::vector<Engine> EngineRegistry::purge_stalled(Clock::time_point now) {
  std::vector<Engine> purged;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline <= now) {
      purged.push_back(it->second.engine);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return purged;
}

std::optional<EngineRegistry::Clock::time_point> EngineRegistry::next_deadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& [uuid, pending] : pending_) {
    if (!next || pending.deadline < *next) next = pending.deadline;
  }
  return next;
}

const Engine* EngineRegistry::find(int id) const {
  const auto it = engines_.find(id);
  return it == engines_.end() ? nullptr : &it->second;
}

const Engine* EngineRegistry::find_uuid(std::string_view uuid) const {
  const auto it = by_uuid_.find(uuid);
  return it == by_uuid_.end() ? nullptr : find(it->second);
}

const Engine* EngineRegistry::find_pending(std::string_view uuid) const {
  const auto it = pending_.find(uuid);
  return it == pending_.end() ? nullptr : &it->second.engine;
}

EngineState EngineRegistry::state() const {
  EngineState state;
  for (const auto& [id, engine] : engines_) state.engines[id] = engine.uuid;
  state.next_id = next_id_;
  return state;
}

void EngineRegistry::restore(const EngineState& state) {
  for (const auto& [id, uuid] : state.engines) {
    if (const Engine* old = find_uuid(uuid)) unregister(old->id);
    unregister(id);
    pending_.erase(uuid);
    engines_[id] = Engine{id, uuid};
    by_uuid_[uuid] = id;
    next_id_ = std::max(next_id_, id + 1);
  }
  next_id_ = std::max(next_id_, state.next_id);
}

}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipp::hub {

// One engine: its integer id and its uuid (= its Session id = the zmq
// identity of its sockets = its heart id).
struct Engine {
  int id = 0;
  std::string uuid;
  bool operator==(const Engine&) const = default;
};

// The engine state file (hub.py _save_engine_state/_load_engine_state),
// `<profile>/log/engines<cluster_id>.json`:
//   {"engines": {"0": "<uuid>", ...}, "next_id": N}
struct EngineState {
  std::map<int, std::string> engines;
  int next_id = 0;

  nlohmann::json to_json() const;
  // Throws ipp::Error when `json` does not have that shape.
  static EngineState from_json(const nlohmann::json& json);
};

// Reads the state file: nullopt when it does not exist (hub.py returns
// silently); throws ipp::Error naming the file when it cannot be read or
// parsed.
std::optional<EngineState> read_engine_state(const std::filesystem::path& path);

// Writes the state file atomically (temporary file in the same directory,
// then rename), so a crash never leaves a truncated file for --restore.
// Throws ipp::Error naming the file on failure.
void write_engine_state(const std::filesystem::path& path, const EngineState& state);

// The hub's engine tables (hub.py ids/engines/by_ident/hearts,
// incoming_registrations and the id counter), without the message
// bookkeeping. Registration is two-step: begin_registration() on
// registration_request puts the engine in the pending table;
// finish_registration() on its first heartbeat makes it registered.
//
// Not thread-safe: owned by the hub's loop.
class EngineRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts a registration: picks the id (hub.py new_engine_id: `requested`
  // if no registered or pending engine has it, and then the counter becomes
  // max(counter, requested + 1); otherwise the counter's next value, so
  // counter ids are never reused) and records the engine as pending until
  // `deadline`. A negative or absent `requested` uses the counter.
  // Throws HubError KeyError "uuid '<uuid>' in use" when the uuid is
  // registered or pending (then no id is consumed; Python consumes one).
  Engine begin_registration(const std::string& uuid, std::optional<int> requested,
                            Clock::time_point deadline);

  // Pending -> registered. nullopt when `uuid` is not pending.
  std::optional<Engine> finish_registration(std::string_view uuid);

  // Removes a registered engine; nullopt when `id` is not registered.
  std::optional<Engine> unregister(int id);

  // Drops a pending registration by id (newest hub.py: an
  // unregistration_request for a pending id cancels it). nullopt when no
  // pending registration has that id.
  std::optional<Engine> cancel_pending(int id);

  // Drops and returns the pending registrations whose deadline is <= now
  // (hub.py _purge_stalled_registration; it crashes in 7.1).
  std::vector<Engine> purge_stalled(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const;

  const Engine* find(int id) const;
  const Engine* find_uuid(std::string_view uuid) const;
  const Engine* find_pending(std::string_view uuid) const;
  // Registered engines by id.
  const std::map<int, Engine>& engines() const { return engines_; }
  std::size_t pending_count() const { return pending_.size(); }
  int next_id() const { return next_id_; }

  EngineState state() const;
  // --restore: registers the engines of `state` directly (no pending step)
  // and sets the counter to max(state.next_id, highest id + 1). Engines
  // already registered under the same id or uuid are replaced.
  void restore(const EngineState& state);

 private:
  struct Pending {
    Engine engine;
    Clock::time_point deadline;
  };

  int new_id(std::optional<int> requested);

  std::map<int, Engine> engines_;
  std::map<std::string, int, std::less<>> by_uuid_;
  std::map<std::string, Pending, std::less<>> pending_;  // by uuid
  int next_id_ = 0;
};

}  // namespace ipp::hub

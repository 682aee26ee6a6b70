// SPDX-License-Identifier: BSD-3-Clause
// The controller's event loops, one per thread. Each owns its sockets
// (created and bound by Controller::start on the main thread, then moved
// here before the thread starts: thread creation is the memory barrier
// zmq requires for handing a socket to another thread).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "ipp/app/controller.hpp"
#include "ipp/hub/task_store.hpp"
#include "ipp/util/poll_loop.hpp"
#include "ipp/util/rate_limited_log.hpp"
#include "ipp/wire/codec.hpp"

namespace ipp::app {

// inproc endpoints joining the loops.
inline constexpr const char* kMonitorEndpoint = "inproc://ipp-monitor";
inline constexpr const char* kEngineEventsEndpoint = "inproc://ipp-engine-events";
inline constexpr const char* kTaskInEndpoint = "inproc://ipp-task-in";

// A loop that runs on its own thread until the context is shut down.
class Loop {
 public:
  virtual ~Loop() = default;
  virtual void run() = 0;
};

struct HeartSockets {
  zmq::socket_t ping;     // XPUB (verbose), engines' heart SUB connects
  zmq::socket_t pong;     // ROUTER, engines' heart DEALER (identity uuid) connects
  zmq::socket_t monitor;  // PUSH to the hub
  zmq::socket_t events;   // SUB to the hub's engine events (forget unregistered hearts)
};
std::unique_ptr<Loop> make_heart_loop(HeartSockets sockets, int period_ms, int max_misses);

struct RelaySockets {
  zmq::socket_t mux_client, mux_engine;
  zmq::socket_t control_client, control_engine;
  zmq::socket_t iopub_engine, iopub_client;
  zmq::socket_t monitor;  // PUSH to the hub
};
std::unique_ptr<Loop> make_relay_loop(RelaySockets sockets, wire::SessionOptions session);

struct TaskSockets {
  zmq::socket_t client;   // ROUTER task_in (also bound on kTaskInEndpoint for resubmits)
  zmq::socket_t engine;   // ROUTER task_out (DEALER for scheme "pure")
  zmq::socket_t monitor;  // PUSH to the hub
  zmq::socket_t events;   // SUB to engine events
};
std::unique_ptr<Loop> make_task_loop(TaskSockets sockets, const ControllerSettings& settings);

struct BroadcastSockets {
  zmq::socket_t client;              // ROUTER sub_scheduler_0
  std::vector<zmq::socket_t> leaves;  // ROUTER sub_scheduler_<bits>, engine side
  zmq::socket_t events;              // SUB to engine events
};
std::unique_ptr<Loop> make_broadcast_loop(BroadcastSockets sockets, const ControllerSettings& settings);

struct HubSockets {
  zmq::socket_t query;         // ROUTER registration/query
  zmq::socket_t notification;  // PUB
  zmq::socket_t monitor;       // PULL, bound on kMonitorEndpoint
  zmq::socket_t events;        // PUB, bound on kEngineEventsEndpoint
  zmq::socket_t resubmit;      // DEALER to kTaskInEndpoint
};
// The task store IPController.db_class names (DictDB, NoDB, SQLiteDB).
// `hub_session_id` names SQLiteDB's table when SQLiteDB.table is "".
// Throws ipp::Error when it cannot be opened (SQLiteDB).
std::unique_ptr<hub::TaskStore> make_task_store(const ControllerSettings& settings,
                                                const std::string& hub_session_id);

// `on_shutdown` runs on the hub thread once a shutdown_request was served
// and the grace period has passed. The hub's Session uses `hub_session_id`.
std::unique_ptr<Loop> make_hub_loop(HubSockets sockets, const ControllerSettings& settings,
                                    std::unique_ptr<hub::TaskStore> store, std::string hub_session_id,
                                    nlohmann::json engine_connection_info,
                                    std::function<void()> on_shutdown);

// Engine events published by the hub on kEngineEventsEndpoint: frames
// [kind, uuid, id] with kind "registered" or "unregistered".
inline constexpr std::string_view kEngineRegistered = "registered";
inline constexpr std::string_view kEngineUnregistered = "unregistered";

// Takes one message from `socket` without blocking. Returns false when
// nothing was queued. Otherwise sets *raw to the split message if it has a
// routing frame and a valid, new signature, or leaves it empty and logs why
// (rate-limited, under `what`).
bool receive_verified(zmq::socket_t& socket, const wire::Signer& signer, wire::DigestHistory& history,
                      util::RateLimitedLog& log, std::string_view what,
                      std::optional<wire::RawMessage>* raw);

// Drains the engine events socket, calling `on_registered(uuid)` or
// `on_unregistered(uuid)` for each event in order.
void drain_engine_events(zmq::socket_t& events, const std::function<void(std::string_view)>& on_registered,
                         const std::function<void(std::string_view)>& on_unregistered);

}  // namespace ipp::app

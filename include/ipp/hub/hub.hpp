// SPDX-License-Identifier: BSD-3-Clause
//
// The controller's hub (ipyparallel controller/hub.py) as pure logic:
// engine registration, the bookkeeping of every request seen by the
// relays and schedulers, and the client queries. No sockets, no threads,
// no clock reads for timers: the controller feeds messages and time in and
// carries out what the Hub asks through HubOutput.
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/hub/completion_log.hpp"
#include "ipp/hub/engine_registry.hpp"
#include "ipp/hub/hub_error.hpp"
#include "ipp/hub/hub_output.hpp"
#include "ipp/hub/monitor_message.hpp"
#include "ipp/hub/task_record.hpp"
#include "ipp/hub/task_store.hpp"
#include "ipp/util/iso8601.hpp"
#include "ipp/util/rate_limited_log.hpp"
#include "ipp/util/string_hash.hpp"
#include "ipp/wire/message.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::hub {

// IPController.registration_timeout's default: max(30 s, 10 heartbeat
// periods), in whole seconds (app.py: max(30, int(0.01 * period_ms))).
std::chrono::seconds default_registration_timeout(int hb_period_ms);

struct HubOptions {
  // HeartMonitor.period (ms): registration_reply's hb_period.
  int hb_period_ms = 3000;
  // How long a registration waits for the engine's first heartbeat, and
  // how long after an engine leaves its unanswered direct requests are
  // failed (hub.py uses registration_timeout for both).
  std::chrono::milliseconds registration_timeout = std::chrono::seconds(30);
  // registration_reply's connection_info: the engine-side connection dict
  // (interface, registration, control, mux, task, iopub, hb_ping, hb_pong,
  // broadcast).
  nlohmann::json engine_connection_info = nlohmann::json::object();
  // Engine state file, rewritten on every registration and unregistration;
  // empty = none. (app.py: <profile>/log/engines<cluster_id>.json.)
  std::filesystem::path engine_state_file;
  // Clocks; empty = std::chrono::steady_clock::now / system_clock::now.
  // `clock` stamps timer deadlines (tick() is given its own `now`);
  // `wall_clock` stamps records (received, completed of failed tasks).
  std::function<std::chrono::steady_clock::time_point()> clock;
  std::function<util::TimePoint()> wall_clock;
  // How many answered msg_ids are remembered in memory (CompletionLog);
  // older ones are looked up in the task store.
  std::size_t completed_memory = 16384;
};

// The hub. Not thread-safe: all methods must be called from the one loop
// that owns it (the Session, TaskStore and HubOutput references must
// outlive it and are used from that loop).
//
// Input methods never throw for bad input: malformed or unexpected
// messages are answered with error content (queries) or logged (monitor,
// hearts). Only exceptions from HubOutput (e.g. zmq::error_t) propagate.
class Hub {
 public:
  using Clock = std::chrono::steady_clock;

  Hub(wire::Session& session, TaskStore& store, HubOutput& output, HubOptions options = {});

  // A decoded request from the query/registration ROUTER; `identity` is
  // its routing id (the first identity frame) and receives the reply.
  // Handles every msg_type of messages.md 7.1: connection_request,
  // registration_request, unregistration_request (no reply),
  // queue_request, result_request, history_request, db_request,
  // purge_request, resubmit_request, shutdown_request, load_request,
  // become_dask_request and stop_distributed_request (answered with error
  // content: no dask here). Any other type gets hub_error KeyError
  // "Bad Message Type: '<type>'"; a request whose handling fails gets
  // hub_error with the error (hub.py dispatch_query).
  void handle_query(const std::string& identity, wire::Message&& request);

  // A request on the query socket that could not be decoded (bad
  // signature, bad JSON, ...): answered with hub_error ValueError `reason`
  // and `parent_header` (null or the header if it could be read) as
  // parent, as hub.py answers deserialize errors.
  void handle_bad_query(const std::string& identity, const nlohmann::json& parent_header,
                        std::string_view reason);

  // A monitor message (hub-and-db.md section 2): `topic` is the topic
  // frame, msg.identities the frames between it and "<IDS|MSG>":
  //   "in"        E, C       direct request on its way to engine E
  //   "out"       C, E       direct reply from engine E
  //   "intask"    C          load-balanced request received by the scheduler
  //   "tracktask" S          task_destination {"msg_id", "engine_id": uuid}
  //   "outtask"   C[, E]     final task reply (engine's or scheduler's)
  //   "iopub"     T          engine IOPub message (T = its topic frame)
  // "incontrol", "outcontrol", "inbcast", "outbcast" are accepted and
  // ignored (as hub.py); anything else, or no identity frame, is logged.
  void handle_monitor(std::string_view topic, wire::Message&& msg);
  // The same for a message as the monitor socket delivers it (frames after
  // the topic, the signature already checked by the forwarding loop): the
  // dicts are validated and stored as text, never built as JSON values
  // (MonitorMessage); IOPub status messages are dropped after reading the
  // header alone. A dict that is not a JSON object is logged and dropped.
  void handle_monitor(std::string_view topic, wire::RawMessage&& raw);

  // The heart monitor saw the first pong of heart `uuid`. If it has a
  // pending registration, the registration completes: engine_registered,
  // registration_notification {"id", "uuid"} (parent {}), state file.
  // Otherwise ignored.
  void new_heart(std::string_view uuid);

  // The heart monitor gave up on heart `uuid`. A registered engine is
  // unregistered (see unregister_engine); otherwise ignored.
  void stopped_heart(std::string_view uuid);

  // Runs the timers due at `now`: purges registrations whose heart never
  // beat within registration_timeout, and fails the direct requests still
  // outstanding on engines that left registration_timeout ago. Call it at
  // (or after) next_deadline(); process queued heart events first (hub.py
  // flushes the monitor before purging, a first beat may be waiting).
  void tick(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const;

  // --restore: registers the engines of the state file written by a
  // previous controller (engine_registered for each, no notification) and
  // continues its id counter; rewrites HubOptions::engine_state_file.
  // Returns the number of engines restored, 0 when the file does not
  // exist. Throws ipp::Error for an unreadable or malformed file (a
  // start-up error).
  std::size_t restore(const std::filesystem::path& state_file);

  // Unregisters engine `id` (hub.py unregister_engine): removes it,
  // rewrites the state file, engine_unregistered, publishes
  // unregistration_notification {"id", "uuid"}, and arms the timer that
  // fails its outstanding direct requests registration_timeout later with
  // EngineError "Engine <id> died while running task '<msg_id>'". Returns
  // false (logged) if `id` is not registered.
  bool unregister_engine(int id);

  const EngineRegistry& registry() const { return registry_; }

  // Bookkeeping, read-only (hub.py pending, queues/tasks, unassigned; its
  // all_completed and completed lists are completions()).
  // Deques: an engine answers in the order it was sent requests, so the
  // answered id is almost always the front one, removed in O(1) (a vector
  // moved every other id down: O(outstanding) per reply).
  struct EngineQueues {
    std::deque<std::string> queue;      // direct requests not answered
    std::deque<std::string> tasks;      // tasks assigned, not answered
  };
  const util::StringSet& pending() const { return pending_; }
  // Answered msg_ids (aborted tasks not counted for their engine).
  const CompletionLog& completions() const { return completions_; }
  const util::StringSet& unassigned() const { return unassigned_; }
  // Engine ids ever registered in this controller's lifetime; lists are
  // kept after an engine leaves, as in hub.py. nullptr for unknown ids.
  const EngineQueues* queues(int id) const;

 private:
  using Handler = void (Hub::*)(const std::string& identity, wire::Message& request);
  struct Stranded {
    Clock::time_point deadline;
    Engine engine;
    std::vector<std::string> msg_ids;
  };

  // Query handlers (hub.py query_handlers).
  void connection_request(const std::string& identity, wire::Message& request);
  void registration_request(const std::string& identity, wire::Message& request);
  void unregistration_request(const std::string& identity, wire::Message& request);
  void queue_request(const std::string& identity, wire::Message& request);
  void load_request(const std::string& identity, wire::Message& request);
  void result_request(const std::string& identity, wire::Message& request);
  void history_request(const std::string& identity, wire::Message& request);
  void db_request(const std::string& identity, wire::Message& request);
  void purge_request(const std::string& identity, wire::Message& request);
  void resubmit_request(const std::string& identity, wire::Message& request);
  void shutdown_request(const std::string& identity, wire::Message& request);
  void dask_request(const std::string& identity, wire::Message& request);

  // Monitor handlers.
  void dispatch_monitor(std::string_view topic, MonitorMessage& msg);
  void save_queue_request(MonitorMessage& msg);
  void save_queue_result(MonitorMessage& msg);
  void save_task_request(MonitorMessage& msg);
  void save_task_destination(MonitorMessage& msg);
  void save_task_result(MonitorMessage& msg);
  void monitor_iopub_message(wire::Message&& msg);
  void save_iopub_message(wire::Message&& msg);

  void reply(const std::string& identity, std::string_view msg_type, nlohmann::json content,
             const nlohmann::json& parent, std::vector<zmq::message_t> buffers = {});
  void publish(std::string_view msg_type, nlohmann::json content,
               nlohmann::json parent = nlohmann::json::object());
  // hub.py init_record: a record for a request message (buffers moved).
  TaskRecord init_record(MonitorMessage& msg);
  // Adds `record`, or merges it into the record IOPub created first (hub.py
  // save_queue_request/save_task_request); `fields` are the fields the
  // update may write.
  void store_request_record(TaskRecord&& record, FieldMask fields, bool skip_buffer_merge);
  void update_record(const std::string& msg_id, TaskRecord&& values, const FieldMask& fields);
  // The store's record, or nullopt when it has none or cannot say.
  std::optional<TaskRecord> stored_record(const std::string& msg_id);
  // The result fields of a reply (hub.py save_queue_result/save_task_result).
  TaskRecord result_record(MonitorMessage& reply);
  std::vector<int> validate_targets(const nlohmann::json& targets) const;
  void fail_stranded(const Stranded& stranded);
  void save_engine_state();
  Clock::time_point now() const;
  util::TimePoint wall_now() const;

  wire::Session& session_;
  TaskStore& store_;
  HubOutput& output_;
  const HubOptions options_;
  EngineRegistry registry_;
  std::map<std::string, Handler, std::less<>> handlers_;

  util::StringSet pending_;
  CompletionLog completions_;
  util::StringSet unassigned_;
  std::map<int, EngineQueues> queues_;
  // Task msg_id -> engine id it was last assigned to (tracktask), so a
  // reply or a reassignment removes it from the right tasks list.
  // Deliberate deviation: hub.py removes it only from the replying
  // engine's list, leaking ids of retried tasks and of dead engines.
  util::StringMap<int> task_engine_;
  std::vector<Stranded> stranded_;
  std::unique_ptr<util::RateLimitedLog> bad_input_log_;
};

}  // namespace ipp::hub

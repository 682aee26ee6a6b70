// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/hub.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

#include "ipp/hub/query.hpp"
#include "ipp/util/error.hpp"

namespace ipp::hub {

namespace {

using nlohmann::json;

// Routing ids are binary (libzmq's are 5 bytes starting with \0): printable
// form for logs.
std::string printable(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

std::optional<int> as_int(const json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    const auto v = value.get<std::int64_t>();
    if (v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()) {
      return static_cast<int>(v);
    }
  } else if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) return static_cast<int>(v);
  }
  return std::nullopt;
}

std::optional<std::string> string_at(const json& dict, const char* key) {
  if (!dict.is_object()) return std::nullopt;
  const auto it = dict.find(key);
  if (it == dict.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// content[key] as a list of strings. Throws HubError KeyError when missing
// (hub.py indexes content[key]) and TypeError when it is not a list of
// strings.
std::vector<std::string> string_list(const json& content, const char* key) {
  const auto it = content.find(key);
  if (it == content.end()) throw key_error(key);
  if (!it->is_array()) {
    throw HubError("TypeError", std::string(key) + " must be a list of msg_ids, not " + py_repr(*it));
  }
  std::vector<std::string> ids;
  ids.reserve(it->size());
  for (const auto& id : *it) {
    if (!id.is_string()) {
      throw HubError("TypeError", std::string(key) + " must contain strings, not " + py_repr(id));
    }
    ids.push_back(id.get<std::string>());
  }
  return ids;
}

json value_or(const json& content, const char* key, json fallback) {
  const auto it = content.find(key);
  return it == content.end() ? fallback : *it;
}

void erase_one(std::deque<std::string>& list, std::string_view msg_id) {
  const auto it = std::find(list.begin(), list.end(), msg_id);
  if (it != list.end()) list.erase(it);
}

// A parsed date of a message (header.date, metadata.started) for a record.
std::optional<util::TimePoint> parse_date(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  const auto t = util::parse_iso8601(*value);
  if (!t) return std::nullopt;
  return to_record_time(*t);
}

}  // namespace

std::chrono::seconds default_registration_timeout(int hb_period_ms) {
  return std::chrono::seconds(std::max(30, static_cast<int>(0.01 * hb_period_ms)));
}

Hub::Hub(wire::Session& session, TaskStore& store, HubOutput& output, HubOptions options)
    : session_(session),
      store_(store),
      output_(output),
      options_(std::move(options)),
      completions_(options_.completed_memory),
      bad_input_log_(std::make_unique<util::RateLimitedLog>()) {
  handlers_ = {
      {"queue_request", &Hub::queue_request},
      {"result_request", &Hub::result_request},
      {"history_request", &Hub::history_request},
      {"db_request", &Hub::db_request},
      {"purge_request", &Hub::purge_request},
      {"load_request", &Hub::load_request},
      {"resubmit_request", &Hub::resubmit_request},
      {"shutdown_request", &Hub::shutdown_request},
      {"registration_request", &Hub::registration_request},
      {"unregistration_request", &Hub::unregistration_request},
      {"connection_request", &Hub::connection_request},
      {"become_dask_request", &Hub::dask_request},
      {"stop_distributed_request", &Hub::dask_request},
  };
}

Hub::Clock::time_point Hub::now() const { return options_.clock ? options_.clock() : Clock::now(); }

util::TimePoint Hub::wall_now() const {
  return to_record_time(options_.wall_clock ? options_.wall_clock()
                                            : std::chrono::system_clock::now());
}

const Hub::EngineQueues* Hub::queues(int id) const {
  const auto it = queues_.find(id);
  return it == queues_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------
// Output helpers

void Hub::reply(const std::string& identity, std::string_view msg_type, json content,
                const json& parent, std::vector<zmq::message_t> buffers) {
  wire::Message msg = session_.make_message(msg_type, std::move(content), parent);
  msg.identities = {identity};
  msg.buffers = std::move(buffers);
  output_.send_query_reply(std::move(msg));
}

void Hub::publish(std::string_view msg_type, json content, json parent) {
  output_.publish_notification(session_.make_message(msg_type, std::move(content), std::move(parent)));
}

// ---------------------------------------------------------------------------
// Query dispatch (hub.py dispatch_query)

void Hub::handle_query(const std::string& identity, wire::Message&& request) {
  const std::string msg_type = request.msg_type();
  spdlog::debug("client::client '{}' requested '{}'", printable(identity), msg_type);
  const auto it = handlers_.find(msg_type);
  if (it == handlers_.end()) {
    const HubError error = key_error("Bad Message Type: " + py_repr(msg_type));
    bad_input_log_->error("bad_message_type", "Bad Message Type: '{}'", msg_type);
    reply(identity, "hub_error", error_content(error), request.header);
    return;
  }
  std::optional<HubError> failure;
  try {
    (this->*(it->second))(identity, request);
  } catch (const HubError& e) {
    failure = e;
  } catch (const json::type_error& e) {
    failure = HubError("TypeError", e.what());
  } catch (const json::out_of_range& e) {
    failure = HubError("KeyError", e.what());
  } catch (const json::exception& e) {
    failure = HubError("ValueError", e.what());
  } catch (const zmq::error_t&) {
    throw;  // from HubOutput: the socket is broken, not the request
  } catch (const std::exception& e) {
    failure = HubError("RuntimeError", e.what());
  }
  if (failure) {
    spdlog::error("Error handling request: '{}': {}", msg_type, failure->what());
    reply(identity, "hub_error", error_content(*failure), request.header);
  }
}

void Hub::handle_bad_query(const std::string& identity, const json& parent_header,
                           std::string_view reason) {
  bad_input_log_->error("bad_query", "Bad Query Message from '{}': {}", printable(identity), reason);
  reply(identity, "hub_error", error_content("ValueError", reason),
        parent_header.is_object() ? parent_header : json::object());
}

// ---------------------------------------------------------------------------
// Registration

void Hub::connection_request(const std::string& identity, wire::Message& request) {
  spdlog::info("client::client '{}' connected", printable(identity));
  json engines = json::object();
  for (const auto& [id, engine] : registry_.engines()) engines[std::to_string(id)] = engine.uuid;
  reply(identity, "connection_reply", {{"status", "ok"}, {"engines", std::move(engines)}},
        request.header);
}

void Hub::registration_request(const std::string& identity, wire::Message& request) {
  const json& content = request.content;
  const auto uuid_it = content.find("uuid");
  if (uuid_it == content.end()) {
    // hub.py logs "registration::queue not specified" and sends nothing.
    bad_input_log_->error("registration", "registration::queue not specified");
    return;
  }
  // registration_reply has an empty parent header (hub.py sends it without
  // parent), errors included.
  if (!uuid_it->is_string()) {
    reply(identity, "registration_reply",
          error_content("TypeError", "uuid must be a string, not " + py_repr(*uuid_it)),
          json::object());
    return;
  }
  const std::string uuid = uuid_it->get<std::string>();
  std::optional<int> requested;
  if (const auto id_it = content.find("id"); id_it != content.end() && !id_it->is_null()) {
    requested = as_int(*id_it);
    if (!requested || *requested < 0) {
      spdlog::warn("registration::ignoring invalid requested id {} of {}", id_it->dump(), uuid);
      requested.reset();
    }
  }
  Engine engine;
  try {
    engine = registry_.begin_registration(uuid, requested, now() + options_.registration_timeout);
  } catch (const HubError& e) {
    spdlog::error("registration::registration failed: {}", e.what());
    reply(identity, "registration_reply", error_content(e), json::object());
    return;
  }
  spdlog::info("registration::accepting registration {}:{}", engine.id, uuid);
  reply(identity, "registration_reply",
        {{"id", engine.id},
         {"status", "ok"},
         {"hb_period", options_.hb_period_ms},
         {"connection_info", options_.engine_connection_info}},
        json::object());
}

void Hub::unregistration_request(const std::string& identity, wire::Message& request) {
  // No reply in any case (hub.py unregister_engine).
  const auto id_it = request.content.find("id");
  const std::optional<int> id = id_it == request.content.end() ? std::nullopt : as_int(*id_it);
  if (!id) {
    spdlog::info("registration::unregistration request without an engine id: {}",
                 request.content.dump());
    return;
  }
  if (registry_.find(*id) != nullptr) {
    unregister_engine(*id);
  } else if (const auto cancelled = registry_.cancel_pending(*id)) {
    // newest hub.py: an engine giving up before its heart beat.
    spdlog::info("registration::cancelled pending registration {}:{}", cancelled->id, cancelled->uuid);
  } else {
    spdlog::info("registration::unregister_engine({}) already unregistered", *id);
  }
}

void Hub::new_heart(std::string_view uuid) {
  const auto engine = registry_.finish_registration(uuid);
  if (!engine) {
    spdlog::info("heartbeat::ignoring new heart: '{}'", uuid);
    return;
  }
  spdlog::info("registration::finished registering engine {}:{}", engine->id, engine->uuid);
  queues_[engine->id];  // kept if the id was used before (requested ids may repeat)
  output_.engine_registered(engine->id, engine->uuid);
  publish("registration_notification", {{"id", engine->id}, {"uuid", engine->uuid}});
  spdlog::info("engine::Engine Connected: {}", engine->id);
  save_engine_state();
}

void Hub::stopped_heart(std::string_view uuid) {
  const Engine* engine = registry_.find_uuid(uuid);
  if (engine == nullptr) {
    spdlog::debug("heartbeat::ignoring heart failure '{}' (probably unregistered already)", uuid);
    return;
  }
  unregister_engine(engine->id);
}

bool Hub::unregister_engine(int id) {
  const auto engine = registry_.unregister(id);
  if (!engine) {
    spdlog::info("registration::unregister_engine({}) already unregistered", id);
    return false;
  }
  spdlog::info("registration::unregister_engine({})", id);
  // The ids outstanding now are exactly those failed later: replies from an
  // unregistered engine are ignored (save_queue_result), so the list cannot
  // shrink, and a new engine reusing the id (a requested id) must not have
  // its own requests failed -- as hub.py would, reading queues[eid] late.
  const auto& queue = queues_[id].queue;
  stranded_.push_back({now() + options_.registration_timeout, *engine, {queue.begin(), queue.end()}});
  save_engine_state();
  output_.engine_unregistered(engine->id, engine->uuid);
  publish("unregistration_notification", {{"id", engine->id}, {"uuid", engine->uuid}});
  return true;
}

void Hub::fail_stranded(const Stranded& stranded) {
  const int id = stranded.engine.id;
  for (const auto& msg_id : stranded.msg_ids) {
    if (pending_.erase(msg_id) == 0) continue;
    completions_.add(msg_id, std::nullopt);
    // Deliberate deviation: hub.py leaves failed ids in queues[eid].
    erase_one(queues_[id].queue, msg_id);
    const HubError error("EngineError", "Engine " + std::to_string(id) +
                                            " died while running task " + py_repr(msg_id));
    const util::TimePoint when = wall_now();
    TaskRecord values(msg_id);
    values.result_content = error_content(error);
    values.result_header = {{"engine", stranded.engine.uuid}, {"date", util::format_iso8601(when)}};
    values.completed = when;
    values.engine_uuid = stranded.engine.uuid;
    update_record(msg_id, std::move(values),
                  {Field::ResultContent, Field::ResultHeader, Field::ResultBuffers, Field::Completed,
                   Field::EngineUuid});
  }
}

void Hub::tick(Clock::time_point now) {
  for (const auto& engine : registry_.purge_stalled(now)) {
    spdlog::warn("registration::purging stalled registration {}:{}", engine.id, engine.uuid);
  }
  // Take the due entries out first: failing them touches only the store.
  std::vector<Stranded> due;
  for (auto it = stranded_.begin(); it != stranded_.end();) {
    if (it->deadline <= now) {
      due.push_back(std::move(*it));
      it = stranded_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& stranded : due) fail_stranded(stranded);
}

std::optional<Hub::Clock::time_point> Hub::next_deadline() const {
  std::optional<Clock::time_point> next = registry_.next_deadline();
  for (const auto& stranded : stranded_) {
    if (!next || stranded.deadline < *next) next = stranded.deadline;
  }
  return next;
}

std::size_t Hub::restore(const std::filesystem::path& state_file) {
  const auto state = read_engine_state(state_file);
  if (!state) {
    spdlog::info("no engine state to restore at {}", state_file.string());
    return 0;
  }
  spdlog::info("loading engine state from {}", state_file.string());
  registry_.restore(*state);
  for (const auto& [id, uuid] : state->engines) {
    queues_[id];
    output_.engine_registered(id, uuid);
  }
  save_engine_state();
  return state->engines.size();
}

void Hub::save_engine_state() {
  if (options_.engine_state_file.empty()) return;
  try {
    write_engine_state(options_.engine_state_file, registry_.state());
  } catch (const Error& e) {
    spdlog::error("could not save engine state: {}", e.what());
  }
}

// ---------------------------------------------------------------------------
// Client queries

std::vector<int> Hub::validate_targets(const json& targets) const {
  // hub.py _validate_targets. Deliberate deviation: null means the engines
  // registered now; hub.py never removes ids of engines that left from its
  // `ids`, so they keep showing up. Named explicitly, they are still valid.
  std::vector<int> ids;
  if (targets.is_null()) {
    for (const auto& [id, engine] : registry_.engines()) ids.push_back(id);
    return ids;
  }
  const json list = targets.is_array() ? targets : json::array({targets});
  json bad = json::array();
  for (const auto& target : list) {
    std::optional<int> id;
    if (target.is_string()) {
      if (const Engine* engine = registry_.find_uuid(target.get<std::string>())) id = engine->id;
    } else {
      id = as_int(target);
    }
    if (id && queues_.count(*id) != 0) {
      ids.push_back(*id);
    } else {
      bad.push_back(target);
    }
  }
  if (!bad.empty()) throw HubError("IndexError", "No Such Engine: " + py_repr(bad));
  if (ids.empty()) throw HubError("IndexError", "No Engines Registered");
  return ids;
}

void Hub::queue_request(const std::string& identity, wire::Message& request) {
  const json& content = request.content;
  // Lenient: hub.py raises KeyError when "targets" is missing.
  const std::vector<int> targets = validate_targets(value_or(content, "targets", nullptr));
  const bool verbose = py_truthy(value_or(content, "verbose", false));
  json out = {{"status", "ok"}};
  for (const int t : targets) {
    const EngineQueues& q = queues_.at(t);
    if (verbose) {
      out[std::to_string(t)] = {{"queue", q.queue}, {"completed", completions_.recent(t)}, {"tasks", q.tasks}};
    } else {
      out[std::to_string(t)] = {
          {"queue", q.queue.size()}, {"completed", completions_.count(t)}, {"tasks", q.tasks.size()}};
    }
  }
  if (verbose) {
    std::vector<std::string> unassigned(unassigned_.begin(), unassigned_.end());
    std::sort(unassigned.begin(), unassigned.end());  // a set in Python: any order, ours stable
    out["unassigned"] = json(std::move(unassigned));
  } else {
    out["unassigned"] = unassigned_.size();
  }
  reply(identity, "queue_reply", std::move(out), request.header);
}

void Hub::load_request(const std::string& identity, wire::Message& request) {
  const std::vector<int> targets = validate_targets(value_or(request.content, "targets", nullptr));
  json out = {{"status", "ok"}};
  // Deliberate deviation: hub.py keys the loads by bytes(id), which gives
  // unusable keys; ours are the ids as strings, like queue_reply.
  for (const int t : targets) {
    const EngineQueues& q = queues_.at(t);
    out[std::to_string(t)] = q.queue.size() + q.tasks.size();
  }
  reply(identity, "load_reply", std::move(out), request.header);
}

void Hub::result_request(const std::string& identity, wire::Message& request) {
  const json& content = request.content;
  std::vector<std::string> msg_ids = string_list(content, "msg_ids");
  std::sort(msg_ids.begin(), msg_ids.end());
  msg_ids.erase(std::unique(msg_ids.begin(), msg_ids.end()), msg_ids.end());
  const bool status_only = py_truthy(value_or(content, "status_only", false));

  std::map<std::string, TaskRecord, std::less<>> records;
  if (!status_only) {
    try {
      for (auto& record : store_.find_records(Query::msg_ids(msg_ids))) {
        std::string id = record.msg_id;
        records.emplace(std::move(id), std::move(record));
      }
    } catch (const HubError& e) {
      spdlog::error("Failed to get results: {}", e.what());
      reply(identity, "result_reply", error_content(e), request.header);
      return;
    }
  } else {
    // Deliberate deviation: hub.py never looks status_only ids up in the
    // DB, so results of a previous controller run are "No such message".
    std::vector<std::string> unknown;
    for (const auto& id : msg_ids) {
      if (pending_.count(id) == 0 && !completions_.contains(id)) unknown.push_back(id);
    }
    if (!unknown.empty()) {
      try {
        for (auto& record : store_.find_records(Query::msg_ids(unknown), {Field::Completed})) {
          std::string id = record.msg_id;
          records.emplace(std::move(id), std::move(record));
        }
      } catch (const HubError& e) {
        spdlog::debug("status_only lookup failed: {}", e.what());
      }
    }
  }

  json pending = json::array();
  json completed = json::array();
  json out = json::object();
  std::vector<zmq::message_t> buffers;
  auto add_result = [&](const TaskRecord& record) {
    if (status_only) return;
    out[record.msg_id] = to_result_json(record);
    for (auto& b : share_frames(record.result_buffers)) buffers.push_back(std::move(b));
  };
  for (const auto& msg_id : msg_ids) {
    const auto record = records.find(msg_id);
    if (pending_.count(msg_id) != 0) {
      pending.push_back(msg_id);
    } else if (completions_.contains(msg_id)) {
      if (!status_only && record == records.end()) {
        // Culled from DictDB (hub.py fails here with a bare KeyError).
        reply(identity, "result_reply", error_content(key_error("No such message: " + msg_id)),
              request.header);
        return;
      }
      completed.push_back(msg_id);
      if (record != records.end()) add_result(record->second);
    } else if (record != records.end()) {
      // Known only to the store (e.g. a previous run with a persistent DB).
      // hub.py tests a stale loop variable here instead of this record.
      if (record->second.completed) {
        completed.push_back(msg_id);
        add_result(record->second);
      } else {
        pending.push_back(msg_id);
      }
    } else {
      reply(identity, "result_reply", error_content(key_error("No such message: " + msg_id)),
            request.header);
      return;
    }
  }
  out["status"] = "ok";
  out["pending"] = std::move(pending);
  out["completed"] = std::move(completed);
  reply(identity, "result_reply", std::move(out), request.header, std::move(buffers));
}

void Hub::history_request(const std::string& identity, wire::Message& request) {
  json out;
  try {
    out = {{"status", "ok"}, {"history", store_.get_history()}};
  } catch (const HubError& e) {
    spdlog::error("Failed to get history: {}", e.what());
    out = error_content(e);
  }
  reply(identity, "history_reply", std::move(out), request.header);
}

void Hub::db_request(const std::string& identity, wire::Message& request) {
  const json& content = request.content;
  const json keys = value_or(content, "keys", nullptr);
  std::vector<TaskRecord> records;
  FieldMask mask;
  try {
    const Query query = Query::parse(value_or(content, "query", json::object()));
    mask = parse_keys(keys);
    records = store_.find_records(query, mask);
  } catch (const HubError& e) {
    spdlog::error("DB query failed: {}", e.what());
    reply(identity, "db_reply", error_content(e), request.header);
    return;
  }
  // Buffers go out only when `keys` names them (hub.py db_query).
  auto named = [&](std::string_view key) {
    return keys.is_array() && std::find(keys.begin(), keys.end(), json(key)) != keys.end();
  };
  const bool with_buffers = named("buffers");
  const bool with_result_buffers = named("result_buffers");
  json out_records = json::array();
  json buffer_lens = with_buffers ? json::array() : json();
  json result_buffer_lens = with_result_buffers ? json::array() : json();
  std::vector<zmq::message_t> buffers;
  for (auto& record : records) {
    out_records.push_back(to_json(record, mask));
    if (with_buffers) {
      buffer_lens.push_back(record.buffers.size());
      for (auto& b : record.buffers) buffers.push_back(std::move(b));
    }
    if (with_result_buffers) {
      result_buffer_lens.push_back(record.result_buffers.size());
      for (auto& b : record.result_buffers) buffers.push_back(std::move(b));
    }
  }
  reply(identity, "db_reply",
        {{"status", "ok"},
         {"records", std::move(out_records)},
         {"buffer_lens", std::move(buffer_lens)},
         {"result_buffer_lens", std::move(result_buffer_lens)}},
        request.header, std::move(buffers));
}

void Hub::purge_request(const std::string& identity, wire::Message& request) {
  const json& content = request.content;
  spdlog::info("Dropping records with {}", content.dump());
  const json msg_ids = value_or(content, "msg_ids", json::array());
  json out = {{"status", "ok"}};
  auto drop = [&](const json& query) {
    try {
      store_.drop_matching_records(Query::parse(query));
      return true;
    } catch (const HubError& e) {
      spdlog::error("Error dropping records: {}", e.what());
      out = error_content(e);
      return false;
    }
  };
  if (msg_ids == "all") {
    drop({{"completed", {{"$ne", nullptr}}}});
  } else {
    const std::vector<std::string> ids =
        content.contains("msg_ids") ? string_list(content, "msg_ids") : std::vector<std::string>{};
    const auto engine_ids = value_or(content, "engine_ids", json::array());
    if (!engine_ids.is_array()) {
      throw HubError("TypeError", "engine_ids must be a list, not " + py_repr(engine_ids));
    }
    const auto pending = std::find_if(ids.begin(), ids.end(),
                                      [&](const std::string& id) { return pending_.count(id) != 0; });
    if (pending != ids.end()) {
      out = error_content(HubError("IndexError", "msg pending: " + py_repr(*pending)));
    } else if (drop({{"msg_id", {{"$in", ids}}}})) {
      for (const auto& eid : engine_ids) {
        const auto id = as_int(eid);
        const Engine* engine = id ? registry_.find(*id) : nullptr;
        if (engine == nullptr) {
          out = error_content(HubError("IndexError", "No such engine: " + py_repr(eid)));
          break;
        }
        // hub.py's query here never matches in DictDB (its multi-key
        // equality bug); ours drops the engine's completed records.
        if (!drop({{"engine_uuid", engine->uuid}, {"completed", {{"$ne", nullptr}}}})) break;
      }
    }
  }
  reply(identity, "purge_reply", std::move(out), request.header);
}

void Hub::resubmit_request(const std::string& identity, wire::Message& request) {
  std::vector<std::string> msg_ids;
  for (auto& id : string_list(request.content, "msg_ids")) {
    // hub.py counts duplicates as missing records ("No such msg(s): []").
    if (std::find(msg_ids.begin(), msg_ids.end(), id) == msg_ids.end()) msg_ids.push_back(std::move(id));
  }
  auto finish = [&](json content) {
    reply(identity, "resubmit_reply", std::move(content), request.header);
  };

  std::map<std::string, TaskRecord, std::less<>> records;
  try {
    for (auto& record :
         store_.find_records(Query::msg_ids(msg_ids), {Field::Header, Field::Content, Field::Buffers})) {
      std::string id = record.msg_id;
      records.emplace(std::move(id), std::move(record));
    }
  } catch (const HubError& e) {
    spdlog::error("db::db error finding tasks to resubmit: {}", e.what());
    return finish(error_content(e));
  }
  if (records.size() > msg_ids.size()) {
    return finish(error_content(HubError(
        "RuntimeError",
        "DB appears to be in an inconsistent state.More matching records were found than should exist")));
  }
  json missing = json::array();
  for (const auto& id : msg_ids) {
    if (records.count(id) == 0) missing.push_back(id);
  }
  if (!missing.empty()) {
    spdlog::error("Failed to resubmit task: No such msg(s): {}", py_repr(missing));
    return finish(error_content(key_error("No such msg(s): " + py_repr(missing))));
  }
  for (const auto& id : msg_ids) {
    const json& header = records.at(id).header.get();
    if (!header.is_object() || !header.contains("msg_type") || !header["msg_type"].is_string()) {
      // An IOPub-only partial record: hub.py fails with a TypeError.
      return finish(error_content(HubError(
          "ValueError", "Cannot resubmit " + py_repr(id) + ": its request was never recorded")));
    }
  }

  json resubmitted = json::object();
  for (const auto& id : msg_ids) {
    TaskRecord& record = records.at(id);
    // The stored header with a new msg_id and date; parent = that same new
    // header and empty metadata (hub.py: session.msg(parent=header) then
    // mutating the shared header dict).
    json header = record.header.get();
    const json fresh = session_.make_header(header["msg_type"].get<std::string>());
    header["msg_id"] = fresh["msg_id"];
    header["date"] = fresh["date"];
    const std::string new_id = fresh["msg_id"].get<std::string>();

    wire::Message msg;
    msg.header = header;
    msg.parent_header = header;
    msg.metadata = json::object();
    msg.content = record.content.get();
    msg.buffers = share_frames(record.buffers);
    // init_record of the new message: queue and client_uuid stay None until
    // the scheduler's intask.
    wire::Message copy;
    copy.header = header;
    copy.metadata = json::object();
    copy.content = record.content.get();
    copy.buffers = std::move(record.buffers);
    TaskRecord fresh_record = init_record(*MonitorMessage::from_message(std::move(copy)));

    output_.resubmit_task(std::move(msg));
    resubmitted[id] = new_id;
    pending_.insert(new_id);
    try {
      store_.add_record(std::move(fresh_record));
    } catch (const HubError& e) {
      spdlog::error("db::DB Error updating record: {}: {}", new_id, e.what());
      return finish(error_content(e));
    }
  }
  finish({{"status", "ok"}, {"resubmitted", resubmitted}});

  for (const auto& [old_id, new_id] : resubmitted.items()) {
    TaskRecord values(old_id);
    values.resubmitted = new_id.get<std::string>();
    update_record(old_id, std::move(values), {Field::Resubmitted});
  }
}

void Hub::shutdown_request(const std::string& identity, wire::Message& request) {
  reply(identity, "shutdown_reply", {{"status", "ok"}}, request.header);
  // Other clients close themselves on this notification.
  publish("shutdown_notification", {{"status", "ok"}}, request.header);
  spdlog::info("hub::hub shutting down.");
  output_.request_shutdown();
}

void Hub::dask_request(const std::string& identity, wire::Message& request) {
  // Deliberate deviation: hub.py starts a dask.distributed Scheduler in its
  // own process; there is no Python in ours. The client raises the error.
  std::string type = request.msg_type();
  const std::string reply_type = type.substr(0, type.size() - std::string_view("_request").size()) + "_reply";
  reply(identity, reply_type,
        error_content("NotImplementedError",
                      "dask.distributed is not supported by this controller (become_dask/stop_dask)"),
        request.header);
}

// ---------------------------------------------------------------------------
// Monitor traffic (hub.py dispatch_monitor_traffic and the save_* handlers)

void Hub::handle_monitor(std::string_view topic, wire::Message&& msg) {
  if (msg.identities.empty()) {
    bad_input_log_->error("monitor", "Monitor message without topic: '{}'", topic);
    return;
  }
  try {
    if (topic == "iopub") {
      monitor_iopub_message(std::move(msg));
      return;
    }
    dispatch_monitor(topic, *MonitorMessage::from_message(std::move(msg)));
  } catch (const zmq::error_t&) {
    throw;
  } catch (const std::exception& e) {
    bad_input_log_->error("monitor", "monitor::error handling '{}' message: {}", topic, e.what());
  }
}

void Hub::handle_monitor(std::string_view topic, wire::RawMessage&& raw) {
  if (raw.identity_count() == 0) {
    bad_input_log_->error("monitor", "Monitor message without topic: '{}'", topic);
    return;
  }
  try {
    std::string error;
    if (topic == "iopub") {
      // Every request makes two status messages: drop them unparsed.
      const auto header =
          wire::JsonObjectView::parse(raw.dict_bytes(wire::Dict::Header), &error, wire::kMaxJsonDepth);
      if (header && header->string("msg_type") == "status") return;
      auto msg = wire::to_message(std::move(raw), &error);
      if (!msg) {
        bad_input_log_->warn("monitor", "hub: unreadable monitor message ({}): {}", topic, error);
        return;
      }
      monitor_iopub_message(std::move(*msg));
      return;
    }
    auto msg = MonitorMessage::from_raw(std::move(raw), &error);
    if (!msg) {
      bad_input_log_->warn("monitor", "hub: unreadable monitor message ({}): {}", topic, error);
      return;
    }
    dispatch_monitor(topic, *msg);
  } catch (const zmq::error_t&) {
    throw;
  } catch (const std::exception& e) {
    bad_input_log_->error("monitor", "monitor::error handling '{}' message: {}", topic, e.what());
  }
}

void Hub::dispatch_monitor(std::string_view topic, MonitorMessage& msg) {
  if (topic == "in") {
    save_queue_request(msg);
  } else if (topic == "out") {
    save_queue_result(msg);
  } else if (topic == "intask") {
    save_task_request(msg);
  } else if (topic == "outtask") {
    save_task_result(msg);
  } else if (topic == "tracktask") {
    save_task_destination(msg);
  } else if (topic == "incontrol" || topic == "outcontrol" || topic == "inbcast" ||
             topic == "outbcast") {
    // hub.py ignores control traffic; nothing publishes *bcast.
  } else {
    bad_input_log_->error("monitor", "Unrecognized monitor topic: '{}'", printable(topic));
  }
}

TaskRecord Hub::init_record(MonitorMessage& msg) {
  TaskRecord record(msg.msg_id());
  record.submitted = parse_date(msg.header_string("date"));
  if (!record.submitted) {
    // Deliberate deviation: hub.py drops the request (an exception) when
    // header.date cannot be parsed; we keep it, dated now.
    bad_input_log_->warn("bad_date", "request {} has no valid header.date; using the hub's clock",
                         record.msg_id);
    record.submitted = wall_now();
  }
  if (auto label = msg.metadata_string("label")) record.label = std::move(label);
  record.header = msg.header();
  record.metadata = msg.metadata();
  record.content = msg.content();
  record.buffers = std::move(msg.buffers);
  return record;
}

void Hub::store_request_record(TaskRecord&& record, FieldMask fields, bool skip_buffer_merge) {
  const std::string msg_id = record.msg_id;
  std::optional<TaskRecord> existing = stored_record(msg_id);
  if (!existing) {
    try {
      store_.add_record(std::move(record));
    } catch (const HubError& e) {
      spdlog::error("DB Error adding record '{}': {}", msg_id, e.what());
    }
    return;
  }
  // IOPub may have arrived first: keep what it recorded where the request
  // has nothing (hub.py: `elif evalue and not rvalue`).
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto field = static_cast<Field>(i);
    if (field == Field::MsgId || !fields.test(field)) continue;
    if (skip_buffer_merge && is_buffer_field(field)) continue;
    if (!existing->is_set(field)) continue;
    if (!record.is_set(field)) {
      record.assign(*existing, {field});
    } else if (!is_buffer_field(field) && to_json(*existing, {field}) != to_json(record, {field})) {
      spdlog::warn("conflicting initial state for record: '{}':<{}>", msg_id, field_name(field));
    }
  }
  update_record(msg_id, std::move(record), fields);
}

std::optional<TaskRecord> Hub::stored_record(const std::string& msg_id) {
  try {
    return store_.get_record(msg_id);
  } catch (const HubError& e) {
    // The store logged it; hub.py treats a failed look-up as "no record".
    spdlog::debug("no existing record for {}: {}", msg_id, e.what());
    return std::nullopt;
  }
}

void Hub::update_record(const std::string& msg_id, TaskRecord&& values, const FieldMask& fields) {
  if (const auto error = store_.try_update_record(msg_id, std::move(values), fields)) {
    // Rate-limited, unlike hub.py: with more direct requests outstanding
    // than DictDB.record_limit, every reply meets a culled record, and one
    // line (written at once, as errors are) per reply floods the log.
    bad_input_log_->error("db_update", "DB Error updating record '{}': {}", msg_id, error->what());
  }
}

TaskRecord Hub::result_record(MonitorMessage& reply) {
  TaskRecord values(reply.parent_msg_id());
  values.received = wall_now();
  values.started = parse_date(reply.metadata_string("started"));
  values.completed = parse_date(reply.header_string("date"));
  if (!values.completed) {
    // Deliberate deviation: hub.py fails on an unparsable reply date and
    // leaves the record without its result.
    values.completed = values.received;
  }
  values.result_header = reply.header();
  values.result_metadata = reply.metadata();
  values.result_content = reply.content();
  values.result_buffers = std::move(reply.buffers);
  return values;
}

void Hub::save_queue_request(MonitorMessage& msg) {
  if (msg.identities.size() < 2) {
    bad_input_log_->error("monitor", "invalid identity prefix for 'in': {} frame(s)", msg.identities.size());
    return;
  }
  const std::string engine_uuid = msg.identities[0];
  const Engine* engine = registry_.find_uuid(engine_uuid);
  if (engine == nullptr) {
    bad_input_log_->error("monitor", "queue::target '{}' not registered", printable(engine_uuid));
    return;
  }
  const int eid = engine->id;
  const auto client_uuid = msg.header_string("session");
  TaskRecord record = init_record(msg);
  const std::string msg_id = record.msg_id;
  if (msg_id.empty()) {
    bad_input_log_->error("monitor", "queue::request without a msg_id");
    return;
  }
  spdlog::info("queue::client submitted request '{}' to {}", msg_id, eid);
  record.engine_uuid = engine_uuid;
  record.client_uuid = client_uuid;
  record.queue = "mux";
  store_request_record(std::move(record), FieldMask::all(), false);
  pending_.insert(msg_id);
  queues_[eid].queue.push_back(msg_id);
}

void Hub::save_queue_result(MonitorMessage& msg) {
  if (msg.identities.size() < 2) {
    bad_input_log_->error("monitor", "invalid identity prefix for 'out': {} frame(s)", msg.identities.size());
    return;
  }
  const std::string& engine_uuid = msg.identities[1];
  const Engine* engine = registry_.find_uuid(engine_uuid);
  if (engine == nullptr) {
    bad_input_log_->error("monitor", "queue::unknown engine '{}' is sending a reply",
                          printable(engine_uuid));
    return;
  }
  const int eid = engine->id;
  const std::string msg_id = msg.parent_msg_id();
  if (msg_id.empty()) return;
  if (pending_.erase(msg_id) != 0) {
    // As hub.py: direct replies count as completed even when aborted.
    completions_.add(msg_id, eid);
    erase_one(queues_[eid].queue, msg_id);
    spdlog::info("queue::request '{}' completed on {}", msg_id, eid);
  } else if (!completions_.contains(msg_id)) {
    // Not answered in this run as far as memory goes: an id older than the
    // completion log, a request made before a restart (--restore: the
    // engine kept running it), or one nobody knows.
    const std::optional<TaskRecord> record = stored_record(msg_id);
    if (!record) {
      // Possibly a result from an engine that died before delivering it.
      spdlog::warn("queue:: unknown msg finished '{}'", msg_id);
      return;
    }
    // Deliberate deviation: hub.py drops a result it has no pending entry
    // for, leaving a restored record pending forever.
    if (!record->completed) spdlog::info("queue::late result for '{}' recorded", msg_id);
  }
  // Updated even when already completed: the unregistration may have been
  // premature (hub.py).
  update_record(msg_id, result_record(msg),
                {Field::ResultHeader, Field::ResultMetadata, Field::ResultContent, Field::ResultBuffers,
                 Field::Received, Field::Started, Field::Completed});
}

void Hub::save_task_request(MonitorMessage& msg) {
  const auto client_uuid = msg.header_string("session");
  TaskRecord record = init_record(msg);
  const std::string msg_id = record.msg_id;
  if (msg_id.empty()) {
    bad_input_log_->error("monitor", "task::request without a msg_id");
    return;
  }
  record.client_uuid = client_uuid;
  record.queue = "task";
  pending_.insert(msg_id);
  unassigned_.insert(msg_id);

  std::optional<TaskRecord> existing = stored_record(msg_id);
  FieldMask fields = FieldMask::all();
  if (existing && existing->resubmitted) {
    // hub.py: don't clobber these on a resubmitted record; buffers might be
    // big and shouldn't have changed.
    record.submitted = existing->submitted;
    record.client_uuid = existing->client_uuid;
    fields.reset(Field::Buffers);
  }
  // Buffers are never compared or merged for tasks (hub.py skips them).
  store_request_record(std::move(record), fields, true);
}

void Hub::save_task_destination(MonitorMessage& msg) {
  const auto msg_id = msg.content_string("msg_id");
  const auto engine_uuid = msg.content_string("engine_id");
  if (!msg_id || !engine_uuid) {
    bad_input_log_->error("monitor", "task::invalid task tracking message: {}", msg.content_text());
    return;
  }
  const Engine* engine = registry_.find_uuid(*engine_uuid);
  if (engine == nullptr) {
    bad_input_log_->error("monitor", "task::task '{}' assigned to unknown engine '{}'", *msg_id,
                          *engine_uuid);
    return;
  }
  const int eid = engine->id;
  spdlog::info("task::task '{}' arrived on {}", *msg_id, eid);
  unassigned_.erase(*msg_id);
  if (const auto previous = task_engine_.find(*msg_id); previous != task_engine_.end()) {
    erase_one(queues_[previous->second].tasks, *msg_id);  // reassigned (retry)
  }
  task_engine_[*msg_id] = eid;
  queues_[eid].tasks.push_back(*msg_id);
  TaskRecord values(*msg_id);
  values.engine_uuid = *engine_uuid;
  update_record(*msg_id, std::move(values), {Field::EngineUuid});
}

void Hub::save_task_result(MonitorMessage& msg) {
  const std::string msg_id = msg.parent_msg_id();
  if (msg_id.empty()) {
    bad_input_log_->warn("monitor", "Task reply had no parent: {}", msg.header_text());
    return;
  }
  unassigned_.erase(msg_id);
  const std::string engine_uuid = msg.metadata_string("engine").value_or("");
  const Engine* engine = registry_.find_uuid(engine_uuid);
  const auto status = msg.metadata_string("status");

  if (pending_.erase(msg_id) == 0) {
    // Deliberate deviation: hub.py drops a result it has no pending entry
    // for. A task sent before a controller restart (--restore) is in the
    // store, unfinished: its late result is recorded, as for direct
    // requests (save_queue_result).
    const std::optional<TaskRecord> record = completions_.contains(msg_id) ? std::nullopt
                                                                             : stored_record(msg_id);
    if (!record || record->completed) {
      spdlog::debug("task::unknown task '{}' finished", msg_id);
      return;
    }
    spdlog::info("task::late result for '{}' recorded", msg_id);
    TaskRecord values = result_record(msg);
    values.engine_uuid = engine_uuid;
    update_record(msg_id, std::move(values),
                  {Field::ResultHeader, Field::ResultMetadata, Field::ResultContent, Field::ResultBuffers,
                   Field::Received, Field::Started, Field::Completed, Field::EngineUuid});
    return;
  }
  const bool counted = engine != nullptr && status != "aborted";
  completions_.add(msg_id, counted ? std::optional<int>(engine->id) : std::nullopt);
  if (engine != nullptr) {
    spdlog::info("task::task '{}' finished on {}", msg_id, engine->id);
    erase_one(queues_[engine->id].tasks, msg_id);
  } else {
    spdlog::info("task::task '{}' finished", msg_id);
  }
  if (const auto assigned = task_engine_.find(msg_id); assigned != task_engine_.end()) {
    erase_one(queues_[assigned->second].tasks, msg_id);
    task_engine_.erase(assigned);
  }
  TaskRecord values = result_record(msg);
  values.engine_uuid = engine_uuid;
  update_record(msg_id, std::move(values),
                {Field::ResultHeader, Field::ResultMetadata, Field::ResultContent, Field::ResultBuffers,
                 Field::Received, Field::Started, Field::Completed, Field::EngineUuid});
}

void Hub::monitor_iopub_message(wire::Message&& msg) {
  const std::string msg_type = msg.msg_type();
  if (msg_type == "shutdown_reply") {
    // The engine announced its own shutdown: its session is its uuid.
    const auto session = string_at(msg.header, "session").value_or("");
    const Engine* engine = registry_.find_uuid(session);
    if (engine == nullptr) {
      spdlog::error("Found no engine for '{}'", session);
      return;
    }
    unregister_engine(engine->id);
    return;
  }
  if (msg_type == "status") return;
  save_iopub_message(std::move(msg));
}

void Hub::save_iopub_message(wire::Message&& msg) {
  const std::string msg_id = msg.parent_msg_id();
  if (msg_id.empty()) {
    spdlog::debug("iopub::IOPub message lacks parent: {}", msg.header.dump());
    return;
  }
  const std::string msg_type = msg.msg_type();
  const json& content = msg.content;

  std::optional<TaskRecord> existing = stored_record(msg_id);

  TaskRecord values(msg_id);
  Field field;
  if (msg_type == "stream") {
    const auto name = string_at(content, "name");
    const auto text = string_at(content, "text");
    if (!text || (name != "stdout" && name != "stderr")) {
      bad_input_log_->warn("iopub", "iopub::bad stream message for '{}'", msg_id);
      return;
    }
    if (name == "stdout") {
      field = Field::Stdout;
      values.stdout_text = (existing ? existing->stdout_text : std::string()) + *text;
    } else {
      field = Field::Stderr;
      values.stderr_text = (existing ? existing->stderr_text : std::string()) + *text;
    }
  } else if (msg_type == "error") {
    field = Field::Error;
    values.error = content;
  } else if (msg_type == "execute_input") {
    field = Field::ExecuteInput;
    values.execute_input = string_at(content, "code");
  } else if (msg_type == "execute_result") {
    field = Field::ExecuteResult;
    values.execute_result = content;
  } else if (msg_type == "display_data") {
    field = Field::DisplayData;
    values.display_data = content;
  } else if (msg_type == "data_pub") {
    spdlog::info("ignored data_pub message for {}", msg_id);
    return;
  } else {
    bad_input_log_->warn("iopub", "unhandled iopub msg_type: '{}'", msg_type);
    return;
  }

  if (!existing) {
    // A partial record, filled in when the request shows up (in/intask).
    try {
      store_.add_record(std::move(values));
    } catch (const HubError& e) {
      spdlog::error("DB Error saving iopub message '{}': {}", msg_id, e.what());
    }
    return;
  }
  update_record(msg_id, std::move(values), {field});
}

}  // namespace ipp::hub

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/task_scheduler.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "ipp/util/iso8601.hpp"
#include "ipp/wire/json_reader.hpp"
#include "python_error.hpp"

namespace ipp::scheduler {

namespace {

std::string_view view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

zmq::message_t frame_of(std::string_view bytes) {
  return zmq::message_t(bytes.data(), bytes.size());
}

// Appends reference-counted copies (zmq_msg_copy) of `frames` to `out`.
void append_copies(wire::Frames& out, wire::Frames& frames) {
  for (zmq::message_t& frame : frames) {
    out.emplace_back();
    out.back().copy(frame);
  }
}

// [topic] + copies of `frames`: a monitor message sharing their data.
wire::Frames monitor_copy(std::string_view topic, wire::Frames& frames) {
  wire::Frames mon;
  mon.reserve(frames.size() + 1);
  mon.push_back(frame_of(topic));
  append_copies(mon, frames);
  return mon;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Python's `set(a) == set(b)` for lists without duplicates.
bool same_set(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  return std::all_of(a.begin(), a.end(), [&](const std::string& s) { return contains(b, s); });
}

// metadata.timeout in seconds: a number, or a string float() accepts.
std::optional<double> timeout_seconds(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_boolean()) return value.get<bool>() ? 1.0 : 0.0;
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    char* end = nullptr;
    const double seconds = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0' && std::isfinite(seconds)) return seconds;
  }
  return std::nullopt;
}

// metadata.retries: an int (bool and float accepted as Python compares
// them with 0 all the same).
std::optional<std::int64_t> retries_count(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_unsigned()) {
    const auto n = value.get<std::uint64_t>();
    return n > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(n);
  }
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d)) return static_cast<std::int64_t>(std::ceil(d));
  }
  return std::nullopt;
}

constexpr std::string_view kImpossible = "ImpossibleDependency";
constexpr std::string_view kInvalid = "InvalidDependency";
constexpr std::string_view kTimeout = "TaskTimeout";

}  // namespace

TaskScheduler::TaskScheduler(TaskSchedulerOptions options, wire::Session& session,
                             TaskSchedulerOutput& output)
    : options_(options),
      session_(session),
      output_(output),
      rng_(options.seed ? *options.seed : std::random_device{}()) {
  spdlog::debug("Task scheduler started [{}]", scheme_name(options_.scheme));
}

std::optional<Load> TaskScheduler::load(std::string_view uuid) const {
  const auto idx = engine_index(uuid);
  if (!idx) return std::nullopt;
  return loads_[*idx];
}

std::size_t TaskScheduler::pending_count(std::string_view uuid) const {
  const auto it = engine_states_.find(uuid);
  return it == engine_states_.end() ? 0 : it->second.pending.size();
}

std::optional<Clock::time_point> TaskScheduler::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.top().due;
}

std::optional<std::size_t> TaskScheduler::engine_index(std::string_view uuid) const {
  const auto it = std::find(targets_.begin(), targets_.end(), uuid);
  if (it == targets_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - targets_.begin());
}

bool TaskScheduler::engine_available(std::size_t idx) const {
  return options_.hwm == 0 || loads_[idx] < options_.hwm;
}

bool TaskScheduler::any_engine_available() const {
  for (std::size_t i = 0; i < loads_.size(); ++i) {
    if (engine_available(i)) return true;
  }
  return false;
}

bool TaskScheduler::any_engine_at_hwm_minus_one() const {
  if (options_.hwm == 0) return false;
  return std::find(loads_.begin(), loads_.end(), options_.hwm - 1) != loads_.end();
}

bool TaskScheduler::is_done(std::string_view msg_id) const {
  return finished_.contains(msg_id);
}

TaskScheduler::Job* TaskScheduler::find_job(std::string_view msg_id) {
  const auto it = jobs_.find(msg_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------
// Engines

void TaskScheduler::add_engine(std::string_view uuid, Clock::time_point now) {
  if (engine_index(uuid)) {
    spdlog::warn("task::engine {} is already registered with the task scheduler", uuid);
    return;
  }
  // _register_engine: head of the line, load 0.
  targets_.insert(targets_.begin(), std::string(uuid));
  loads_.insert(loads_.begin(), 0);
  auto [it, inserted] = engine_states_.try_emplace(std::string(uuid));
  if (!inserted) {
    // Re-registered before its stranded tasks were failed: they stay
    // pending on it and the old deadline is void.
    it->second.registered = true;
    it->second.removal = 0;
  }
  update_graph(std::nullopt);
  drain_updates(now);
}

void TaskScheduler::remove_engine(std::string_view uuid, Clock::time_point now) {
  const auto idx = engine_index(uuid);
  if (!idx) {
    spdlog::warn("task::cannot unregister engine {}: not registered with the task scheduler",
                 uuid);
    return;
  }
  targets_.erase(targets_.begin() + static_cast<std::ptrdiff_t>(*idx));
  loads_.erase(loads_.begin() + static_cast<std::ptrdiff_t>(*idx));
  const auto st = engine_states_.find(uuid);
  if (st->second.pending.empty()) {
    engine_states_.erase(st);
  } else {
    // _unregister_engine: "wait 5 seconds before cleaning up pending jobs,
    // since the results might still be incoming".
    st->second.registered = false;
    st->second.removal = ++stranded_generation_;
    timers_.push(Timer{now + options_.stranded_task_delay, Timer::Kind::StrandedTasks,
                       std::string(uuid), st->second.removal});
  }
  // Deviation: Python does not re-examine the queue here, so a task
  // targeted only at this engine waits until some later re-examination
  // fails it; doing it now fails it at once.
  update_graph(std::nullopt);
  drain_updates(now);
}

void TaskScheduler::handle_stranded_tasks(const std::string& uuid, Clock::time_point now) {
  auto st = engine_states_.find(uuid);
  if (st == engine_states_.end()) return;
  // Python iterates pending[engine] in insertion order: submission order.
  std::vector<std::pair<std::uint64_t, std::string>> lost;
  for (const std::string& msg_id : st->second.pending) {
    if (const Job* job = find_job(msg_id)) lost.emplace_back(job->seq, msg_id);
  }
  std::sort(lost.begin(), lost.end());
  for (const auto& [seq, msg_id] : lost) {
    st = engine_states_.find(uuid);
    if (st == engine_states_.end() || !st->second.pending.contains(msg_id)) continue;
    Job* job = find_job(msg_id);
    if (job == nullptr) continue;
    // The fake reply Python builds and feeds to dispatch_result, so it is
    // relayed, monitored, counted as failed, or retried, like a real one.
    auto parent = wire::parse_dict(
        view(job->frames[job->identity_count + 2 + static_cast<std::size_t>(wire::Dict::Header)]),
        nullptr);
    wire::Message reply = session_.make_message(
        "apply_reply",
        wrap_exception("EngineError", engine_died_text(uuid, msg_id), "handle_stranded_tasks"),
        parent ? std::move(*parent) : nlohmann::json::object(),
        nlohmann::json{{"status", "error"}, {"engine", uuid}, {"date", util::iso8601_now()}});
    reply.identities.reserve(job->identity_count + 1);
    reply.identities.push_back(uuid);
    for (std::size_t i = 0; i < job->identity_count; ++i) {
      reply.identities.emplace_back(view(job->frames[i]));
    }
    auto raw = wire::RawMessage::split(wire::encode(std::move(reply), session_.signer()), nullptr);
    if (raw) on_engine_reply(std::move(*raw), now);
  }
  // "finally scrub completed/failed lists"
  st = engine_states_.find(uuid);
  if (st != engine_states_.end() && !st->second.registered) engine_states_.erase(st);
}

// ---------------------------------------------------------------------------
// Submission

void TaskScheduler::on_client_request(wire::RawMessage&& raw, Clock::time_point now) {
  if (raw.identity_count() == 0) {
    bad_input_log_.warn("invalid_task_request", "task::Invalid task msg: no client routing frame");
    return;
  }
  // Only a few fields are needed: validate the dicts and read those fields
  // from the raw text, without building a JSON value per dict.
  std::string error;
  auto header = wire::JsonObjectView::parse(raw.dict_bytes(wire::Dict::Header), &error, wire::kMaxJsonDepth);
  if (!header) {
    bad_input_log_.warn("invalid_task_request", "task::Invalid task msg: header: {}", error);
    return;
  }
  std::optional<std::string> msg_id_field = header->string("msg_id");
  if (!msg_id_field || msg_id_field->empty()) {
    bad_input_log_.warn("invalid_task_request", "task::Invalid task msg: header has no msg_id");
    return;
  }
  std::string msg_id = std::move(*msg_id_field);
  auto md = wire::JsonObjectView::parse(raw.dict_bytes(wire::Dict::Metadata), &error, wire::kMaxJsonDepth);
  if (!md) {
    bad_input_log_.warn("invalid_task_request", "task::Invalid task msg {}: metadata: {}", msg_id,
                        error);
    return;
  }
  // The engine drops a request whose other dicts are not JSON without
  // answering, which under hwm would hold its slot forever: refuse such a
  // request here instead of forwarding it (cheap: content is {} for apply).
  for (auto dict : {wire::Dict::ParentHeader, wire::Dict::Content}) {
    if (!wire::JsonObjectView::parse(raw.dict_bytes(dict), &error, wire::kMaxJsonDepth)) {
      bad_input_log_.warn("invalid_task_request", "task::Invalid task msg {}: {}", msg_id, error);
      return;
    }
  }
  if (jobs_.contains(msg_id)) {
    // Python would overwrite its bookkeeping and lose the first task.
    bad_input_log_.warn("invalid_task_request",
                        "task::Invalid task msg: msg_id {} is already scheduled", msg_id);
    return;
  }

  const std::size_t identity_count = raw.identity_count();
  wire::Frames frames = std::move(raw).release();
  output_.send_to_monitor(monitor_copy("intask", frames));

  auto [job_it, inserted] =
      jobs_.try_emplace(msg_id, msg_id, next_seq_++, std::move(frames), identity_count);
  Job& job = job_it->second;

  // Deviation: Python raises inside dispatch_submission for malformed
  // targets/after/follow and the task is never answered; we answer
  // InvalidDependency with the reason as evalue.
  std::string invalid;
  // Deviation: Python load-balances whatever arrives. An engine answers
  // only apply and execute requests from a view; anything else (a stray
  // query sent to the wrong socket) would hold an engine slot forever
  // under hwm and stall every later task, so it is refused here.
  const std::string msg_type = header->string("msg_type").value_or("");
  if (msg_type != "apply_request" && msg_type != "execute_request") {
    invalid = "msg_type '" + msg_type + "' cannot be load-balanced (only apply_request and "
              "execute_request)";
    bad_input_log_.warn("invalid_task_request", "task::{}: {}", msg_id, invalid);
    fail_unreachable(job, "ValueError", invalid);
    drain_updates(now);
    return;
  }
  if (const auto t = md->get("targets"); t && !t->is_null()) {
    if (!t->is_array()) {
      invalid = std::string("targets: expected a list of engine uuids, got ") + t->type_name();
    } else {
      job.targets.reserve(t->size());
      for (const auto& item : *t) {
        if (!item.is_string()) {
          invalid = std::string("targets: engine uuids are strings, got ") + item.type_name();
          break;
        }
        const auto& uuid = item.get_ref<const std::string&>();
        if (!contains(job.targets, uuid)) job.targets.push_back(uuid);
      }
    }
  }
  if (const auto r = md->get("retries"); r && !r->is_null()) {
    if (auto n = retries_count(*r)) {
      job.retries = *n;
    } else {
      bad_input_log_.warn("invalid_task_request", "task::{}: ignoring retries of type {}", msg_id,
                          r->type_name());
    }
  }
  if (const auto t = md->get("timeout"); t && !t->is_null()) {
    if (auto seconds = timeout_seconds(*t)) {
      // `if timeout:` -- 0 means none.
      if (*seconds != 0.0) {
        job.timeout = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(*seconds));
      }
    } else {
      bad_input_log_.warn("invalid_task_request", "task::{}: ignoring timeout of type {}", msg_id,
                          t->type_name());
    }
  }
  if (invalid.empty()) {
    // `after = md.get('after', None); if after:`
    if (const auto a = md->get("after"); a && py_truthy(*a)) {
      if (auto dep = parse_dependency(*a, &error)) {
        job.after = std::move(*dep);
      } else {
        invalid = "after: " + error;
      }
    }
  }
  if (invalid.empty()) {
    if (const auto f = md->get("follow")) {
      if (auto dep = parse_dependency(*f, &error)) {
        job.follow = std::move(*dep);
      } else {
        invalid = "follow: " + error;
      }
    }
  }
  if (!invalid.empty()) {
    bad_input_log_.warn("invalid_task_request", "task::{}: {}", msg_id, invalid);
    fail_unreachable(job, kInvalid, invalid);
    drain_updates(now);
    return;
  }

  // Reduce `after`: with all, drop ids already finished in a counted way;
  // once satisfied it becomes MET (empty).
  Dependency& after = job.after;
  if (!after.empty()) {
    if (after.all) {
      std::erase_if(after.ids, [&](const std::string& id) {
        return (after.success && finished_.succeeded(id)) || (after.failure && finished_.failed(id));
      });
    }
    if (after.check(finished_)) after = Dependency{};
  }

  // Validate: own id or ids never seen -> InvalidDependency; already
  // unreachable -> ImpossibleDependency.
  for (const Dependency* dep : {&job.after, &job.follow}) {
    if (dep->empty()) continue;
    const bool unknown = std::any_of(dep->ids.begin(), dep->ids.end(),
                                     [&](const std::string& id) {
                                       return !finished_.contains(id) && find_job(id) == nullptr;
                                     });
    if (dep->contains(msg_id) || unknown) {
      fail_unreachable(job, kInvalid);
      drain_updates(now);
      return;
    }
    if (dep->unreachable(finished_)) {
      fail_unreachable(job, kImpossible);
      drain_updates(now);
      return;
    }
  }

  if (job.after.check(finished_)) {
    if (maybe_run(job, now) == RunResult::Waiting) save_unmet(job, now);
  } else {
    save_unmet(job, now);
  }
  drain_updates(now);
}

TaskScheduler::RunResult TaskScheduler::maybe_run(Job& job, Clock::time_point /*now*/) {
  candidates_.clear();
  bool available = false;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    if (!engine_available(i)) continue;
    available = true;
    const std::string& uuid = targets_[i];
    if (contains(job.blacklist, uuid)) continue;
    if (!job.targets.empty() && !contains(job.targets, uuid)) continue;
    if (!job.follow.empty() && !job.follow.check(finished_.on_engine(uuid))) continue;
    candidates_.push_back(i);
  }
  if (!available) return RunResult::Waiting;  // no engines, definitely can't run

  if (candidates_.empty()) {
    if (job.follow.all && !job.follow.empty()) {
      // Follow tasks already finished (in a counted way) on more than one
      // engine can never all be followed on one.
      std::string_view first;
      bool several = false;
      for (const std::string& id : job.follow.ids) {
        const bool relevant = (job.follow.success && finished_.succeeded(id)) ||
                              (job.follow.failure && finished_.failed(id));
        if (!relevant) continue;
        // Tasks failed by the scheduler itself never ran anywhere (Python
        // raises KeyError on them here).
        const std::string_view dest = finished_.destination(id);
        if (dest.empty()) continue;
        if (first.empty()) {
          first = dest;
        } else if (dest != first) {
          several = true;
        }
      }
      // Deviation: when they all ran on one engine that is gone, no engine
      // can ever satisfy the dependency either; Python waits forever.
      const bool gone = !first.empty() && !engine_index(first);
      if (several || gone) {
        fail_unreachable(job, kImpossible);
        return RunResult::Failed;
      }
    }
    if (!job.targets.empty()) {
      // job.targets.difference_update(job.blacklist), permanently, as Python.
      std::erase_if(job.targets,
                    [&](const std::string& uuid) { return contains(job.blacklist, uuid); });
      const bool any_registered =
          std::any_of(job.targets.begin(), job.targets.end(),
                      [&](const std::string& uuid) { return engine_index(uuid).has_value(); });
      if (job.targets.empty() || !any_registered) {
        fail_unreachable(job, kImpossible);
        return RunResult::Failed;
      }
    }
    return RunResult::Waiting;
  }
  submit(job);
  return RunResult::Sent;
}

void TaskScheduler::submit(Job& job) {
  candidate_loads_.clear();
  for (const std::size_t idx : candidates_) candidate_loads_.push_back(loads_[idx]);
  const std::size_t idx = candidates_[choose(options_.scheme, candidate_loads_, rng_)];
  if (job.waiting) leave_queue(job);

  // add_job: load + 1 and move to the end of the LRU order.
  ++loads_[idx];
  std::rotate(targets_.begin() + static_cast<std::ptrdiff_t>(idx),
              targets_.begin() + static_cast<std::ptrdiff_t>(idx) + 1, targets_.end());
  std::rotate(loads_.begin() + static_cast<std::ptrdiff_t>(idx),
              loads_.begin() + static_cast<std::ptrdiff_t>(idx) + 1, loads_.end());
  const std::string& uuid = targets_.back();

  wire::Frames out;
  out.reserve(job.frames.size() + 1);
  out.push_back(frame_of(uuid));
  append_copies(out, job.frames);
  output_.send_to_engine(std::move(out));

  engine_states_.find(uuid)->second.pending.insert(job.msg_id);
  job.engine = uuid;

  // [tracktask, S, |, task_destination {"msg_id", "engine_id"}], one per
  // task: written as text, not built as JSON values.
  std::string content = "{\"msg_id\": ";
  wire::append_json_string(content, job.msg_id);
  content += ", \"engine_id\": ";
  wire::append_json_string(content, uuid);
  content += "}";
  wire::Frames track;
  track.reserve(8);
  track.push_back(frame_of("tracktask"));
  track.push_back(frame_of(session_.session_id()));
  wire::append_signed(track, session_.signer(), session_.header_text("task_destination"), "{}", "{}",
                      content);
  output_.send_to_monitor(std::move(track));
}

void TaskScheduler::save_unmet(Job& job, Clock::time_point now) {
  job.waiting = true;
  waiting_.emplace(job.seq, &job);
  // Track the ids in follow or after, but not those already finished.
  for (const Dependency* dep : {&job.after, &job.follow}) {
    for (const std::string& id : dep->ids) {
      if (!is_done(id)) graph_[id].insert(job.msg_id);
    }
  }
  if (job.timeout) {
    // Restarted each time the task is queued; older timers become void.
    ++job.timeout_id;
    timers_.push(Timer{now + *job.timeout, Timer::Kind::TaskTimeout, job.msg_id, job.timeout_id});
  }
}

void TaskScheduler::leave_queue(Job& job) {
  waiting_.erase(job.seq);
  job.waiting = false;
  for (const Dependency* dep : {&job.after, &job.follow}) {
    for (const std::string& id : dep->ids) {
      const auto g = graph_.find(id);
      if (g == graph_.end()) continue;
      g->second.erase(job.msg_id);
      if (g->second.empty()) graph_.erase(g);
    }
  }
}

void TaskScheduler::fail_unreachable(Job& job, std::string_view ename, std::string_view evalue) {
  if (job.waiting) leave_queue(job);
  spdlog::debug("task {} failing as unreachable with: {}", job.msg_id, ename);
  finished_.add(job.msg_id, false, "");

  // apply_reply (even for execute_request), parent = the request header,
  // EMPTY metadata, to [C] and to the monitor as [outtask, C, |, ...].
  auto parent = wire::parse_dict(
      view(job.frames[job.identity_count + 2 + static_cast<std::size_t>(wire::Dict::Header)]),
      nullptr);
  wire::Message reply = session_.make_message("apply_reply",
                                              wrap_exception(ename, evalue, "fail_unreachable"),
                                              parent ? std::move(*parent) : nlohmann::json::object());
  reply.identities.reserve(job.identity_count);
  for (std::size_t i = 0; i < job.identity_count; ++i) {
    reply.identities.emplace_back(view(job.frames[i]));
  }
  wire::Frames frames = wire::encode(std::move(reply), session_.signer());
  wire::Frames mon = monitor_copy("outtask", frames);
  output_.send_to_client(std::move(frames));
  output_.send_to_monitor(std::move(mon));

  update_graph(job.msg_id);
  jobs_.erase(jobs_.find(job.msg_id));
}

void TaskScheduler::job_timed_out(const std::string& msg_id, std::uint64_t timeout_id) {
  Job* job = find_job(msg_id);
  // A task that was sent to an engine is never timed out; a re-queued one
  // has a newer timer.
  if (job == nullptr || !job->waiting || job->timeout_id != timeout_id) return;
  spdlog::info("task {} timed out", msg_id);
  fail_unreachable(*job, kTimeout);
}

// ---------------------------------------------------------------------------
// Results

void TaskScheduler::on_engine_reply(wire::RawMessage&& raw, Clock::time_point now) {
  if (raw.identity_count() < 2) {
    bad_input_log_.warn("invalid_task_reply",
                        "task::Invalid result: expected engine and client routing frames");
    return;
  }
  std::string engine(raw.identity(0));
  std::string error;
  auto parent = wire::JsonObjectView::parse(raw.dict_bytes(wire::Dict::ParentHeader), &error,
                                            wire::kMaxJsonDepth);
  if (!parent) {
    bad_input_log_.warn("invalid_task_reply", "task::Invalid result: parent_header: {}", error);
    return;
  }
  auto md = wire::JsonObjectView::parse(raw.dict_bytes(wire::Dict::Metadata), &error, wire::kMaxJsonDepth);
  if (!md) {
    bad_input_log_.warn("invalid_task_reply", "task::Invalid result: metadata: {}", error);
    return;
  }
  const auto parent_id = parent->string("msg_id");
  Job* job = parent_id ? find_job(*parent_id) : nullptr;
  if (job == nullptr && parent_id && !parent_id->empty() && !finished_.contains(*parent_id) &&
      engine_index(engine)) {
    // Deliberate deviation: a reply for a task this scheduler never saw,
    // from a registered engine, is one sent before a controller restart
    // (--restore: the engine kept running it). Python drops it and the
    // client waits forever; it is relayed to its client and recorded.
    spdlog::info("task::reply to {} from engine {} for a task sent before this controller started: "
                 "relayed",
                 *parent_id, engine);
    const auto status = md->get("status");
    finished_.add(*parent_id, status && status->is_string() && status->get_ref<const std::string&>() == "ok",
                  engine);
    relay_reply(std::move(raw).release());
    return;
  }
  if (job == nullptr || job->engine != engine) {
    // E.g. a real reply after the EngineError was sent for it (Python:
    // KeyError in retries/pending, logged).
    bad_input_log_.warn("unexpected_task_reply",
                        "task::reply from engine {} for a task not pending on it: {}", engine,
                        std::string(parent->raw("msg_id").value_or("(no msg_id)")));
    return;
  }
  // finish_job: dead engines are skipped.
  if (const auto idx = engine_index(engine); idx && loads_[*idx] > 0) --loads_[*idx];

  const auto met = md->get("dependencies_met");
  if (!met || py_truthy(*met)) {
    bool success = false;
    if (const auto status = md->get("status")) {
      success = status->is_string() && status->get_ref<const std::string&>() == "ok";
    } else {
      // Deviation: Python's md['status'] raises and the reply is lost; use
      // the content's status instead.
      auto content = wire::parse_dict(raw.dict_bytes(wire::Dict::Content), nullptr);
      const nlohmann::json* content_status = nullptr;
      if (content) {
        const auto it = content->find("status");
        if (it != content->end()) content_status = &*it;
      }
      success = content_status != nullptr && content_status->is_string() &&
                *content_status == "ok";
      bad_input_log_.warn("reply_without_status",
                          "task::reply to {} from engine {} has no metadata.status; using "
                          "content.status ({})",
                          job->msg_id, engine,
                          content_status != nullptr ? content_status->dump() : "missing");
    }
    if (!success && job->retries > 0) {
      --job->retries;
      handle_unmet_dependency(*job, engine, now);
    } else {
      handle_result(std::move(raw).release(), *job, engine, success);
    }
  } else {
    handle_unmet_dependency(*job, engine, now);
  }
  drain_updates(now);
}

void TaskScheduler::handle_result(wire::Frames&& frames, Job& job, const std::string& engine,
                                  bool success) {
  relay_reply(std::move(frames));

  EngineState& st = engine_states_.find(engine)->second;
  st.pending.erase(job.msg_id);
  finished_.add(job.msg_id, success, engine);
  update_graph(job.msg_id);
  jobs_.erase(jobs_.find(job.msg_id));
}

void TaskScheduler::relay_reply(wire::Frames&& frames) {
  // swap_ids for the ROUTER-ROUTER mirror: [E, C, ...] -> [C, E, ...].
  std::swap(frames[0], frames[1]);
  wire::Frames mon = monitor_copy("outtask", frames);
  output_.send_to_client(std::move(frames));
  output_.send_to_monitor(std::move(mon));
}

void TaskScheduler::handle_unmet_dependency(Job& job, const std::string& engine,
                                            Clock::time_point now) {
  // The reply is not relayed; the task is tried elsewhere.
  engine_states_.find(engine)->second.pending.erase(job.msg_id);
  job.engine.clear();
  if (!contains(job.blacklist, engine)) job.blacklist.push_back(engine);

  if (same_set(job.blacklist, job.targets)) {
    fail_unreachable(job, kImpossible);
  } else if (maybe_run(job, now) == RunResult::Waiting) {
    save_unmet(job, now);
  }
  if (options_.hwm > 0) {
    const auto idx = engine_index(engine);
    if (idx && loads_[*idx] == options_.hwm - 1) update_graph(std::nullopt);
  }
}

// ---------------------------------------------------------------------------
// Re-examination (update_graph)

void TaskScheduler::update_graph(std::optional<std::string> dep_id) {
  updates_.push_back(GraphUpdate{std::move(dep_id)});
}

void TaskScheduler::drain_updates(Clock::time_point now) {
  if (draining_) return;
  draining_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{draining_};
  while (!updates_.empty()) {
    GraphUpdate update = std::move(updates_.front());
    updates_.pop_front();
    process_update(std::move(update), now);
  }
}

void TaskScheduler::process_update(GraphUpdate update, Clock::time_point now) {
  IdSet dependents;
  if (update.dep_id) {
    const auto g = graph_.find(*update.dep_id);
    if (g != graph_.end()) {
      dependents = std::move(g->second);
      graph_.erase(g);
    }
  }
  // Recheck *all* waiting tasks when asked to, or when with a hwm some
  // engine just stopped being full (Python's condition: any load == hwm-1).
  const bool whole = !update.dep_id || any_engine_at_hwm_minus_one();
  if (whole) {
    // Deviation: always in submission order. Python's
    // queue.extendleft(to_restore) reverses the tasks it puts back, so its
    // order flips from one re-examination to the next. Python's deque also
    // keeps a task that ran from a targeted re-examination (below), so with
    // hwm=0 the next whole scan sends it again; waiting_ holds only
    // waiting tasks.
    std::optional<std::uint64_t> last;
    while (true) {
      const auto it = last ? waiting_.upper_bound(*last) : waiting_.begin();
      if (it == waiting_.end()) break;
      last = it->first;
      if (!reexamine(*it->second, now)) break;
    }
    return;
  }
  if (dependents.empty()) return;
  std::vector<std::pair<std::uint64_t, std::string>> order;
  order.reserve(dependents.size());
  for (const std::string& id : dependents) {
    if (const Job* job = find_job(id); job != nullptr && job->waiting) {
      order.emplace_back(job->seq, id);
    }
  }
  std::sort(order.begin(), order.end());
  for (const auto& [seq, id] : order) {
    Job* job = find_job(id);
    if (job == nullptr || !job->waiting) continue;
    if (!reexamine(*job, now)) break;
  }
}

bool TaskScheduler::reexamine(Job& job, Clock::time_point now) {
  if (job.after.unreachable(finished_) || job.follow.unreachable(finished_)) {
    fail_unreachable(job, kImpossible);
    return true;
  }
  if (job.after.check(finished_)) {
    // Abort the scan once all engines are full: the remaining tasks cannot
    // run either (Python's O(N) guard).
    if (maybe_run(job, now) == RunResult::Sent && !any_engine_available()) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Timers

void TaskScheduler::tick(Clock::time_point now) {
  while (!timers_.empty() && timers_.top().due <= now) {
    const Timer timer = timers_.top();
    timers_.pop();
    switch (timer.kind) {
      case Timer::Kind::TaskTimeout:
        job_timed_out(timer.key, timer.generation);
        break;
      case Timer::Kind::StrandedTasks: {
        const auto st = engine_states_.find(timer.key);
        if (st != engine_states_.end() && !st->second.registered &&
            st->second.removal == timer.generation) {
          handle_stranded_tasks(timer.key, now);
        }
        break;
      }
    }
  }
  drain_updates(now);
}

}  // namespace ipp::scheduler

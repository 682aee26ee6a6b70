// SPDX-License-Identifier: BSD-3-Clause
#include "app/cluster_watch.hpp"

#include <fstream>

namespace ipp::app {

using cluster::Cluster;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string indent(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += "    " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  if (!out.empty()) out.pop_back();
  return out;
}

bool any_engine_set_running(const Cluster& c) {
  for (const auto& [id, set] : c.engine_sets()) {
    if (set->running()) return true;
  }
  return false;
}

}  // namespace

void ExitReporter::report(const Cluster& c, spdlog::level::level_enum level) {
  auto one = [&](const std::string& who, const cluster::ProcessExit& e) {
    std::string key = who + "/" + e.identifier;
    if (!seen_.insert(key).second) return;
    std::string where = e.host.empty() ? "" : " on " + e.host;
    std::string msg = who + " " + e.identifier + where + " " + e.status;
    if (!e.output_file.empty()) msg += "; its log: " + e.output_file.string();
    if (!e.output_tail.empty()) msg += "\n  last lines:\n" + indent(e.output_tail);
    spdlog::log(level, "{}", msg);
  };
  if (c.controller()) {
    for (const auto& e : c.controller()->exits()) one("controller", e);
  }
  for (const auto& [id, set] : c.engine_sets()) {
    for (const auto& e : set->exits()) one("engine set " + id + ":", e);
  }
}

std::string describe_engine_sets(const Cluster& c) {
  std::string out;
  for (const auto& [id, set] : c.engine_sets()) {
    if (!set->running()) continue;
    std::string hosts;
    for (const auto& [host, n] : set->hosts()) {
      hosts += (hosts.empty() ? "" : ", ") + std::to_string(n) + (host.empty() ? " on this machine" : " on " + host);
    }
    out += "\n    engine set " + id + " (" + set->class_name() + "): " + hosts;
    for (const auto& late : set->late_engines()) out += "\n      not registered yet: " + late;
  }
  return out;
}

void ClusterWatch::relay(int sig) {
  spdlog::debug("Relaying signal {} to the engines", sig);
  cluster.signal_engines(sig);
}

int ClusterWatch::pause(milliseconds interval) {
  signal = signals.sleep(interval, [this](int s) { relay(s); });
  return signal;
}

bool ClusterWatch::recorded_in_file() const {
  std::ifstream in(cluster.cluster_file());
  if (!in) return false;
  try {
    nlohmann::json d = nlohmann::json::parse(in);
    if (!engines_only) return d.contains("controller");
    const auto& sets = d.at("engines").at("sets");
    for (const auto& [id, set] : cluster.engine_sets()) {
      if (sets.contains(id)) return true;
    }
    return false;
  } catch (const std::exception&) {
    return true;  // being rewritten: not a sign of a stop
  }
}

std::optional<Outcome> ClusterWatch::check_launchers() {
  const bool recorded = recorded_in_file();
  cluster.poll();
  const bool controller_stopped = cluster.controller() && !cluster.controller()->running();
  const bool engines_stopped = !cluster.engine_sets().empty() && !any_engine_set_running(cluster);
  // `recorded` was read before polling (our own rewrite after a failure
  // drops entries); a file removed meanwhile means `ipcluster stop` got to
  // it between the read and the poll.
  const bool stopping = !recorded || cluster.file_removed_elsewhere();
  if ((controller_stopped || engines_stopped) && stopping) return Outcome::StoppedElsewhere;
  // Processes ending while `ipcluster stop` works through them are no news.
  if (!stopping) exits.report(cluster, spdlog::level::warn);
  if (controller_stopped) return Outcome::ControllerFailed;
  if (engines_stopped) return Outcome::EnginesFailed;
  return std::nullopt;
}

std::optional<int> ClusterWatch::registered(int target) {
  auto engines = query.engines(milliseconds(1000));
  if (!engines) return std::nullopt;
  int count = static_cast<int>(engines->size()) - baseline;
  if (count != last_count) {
    spdlog::info("{} of {} engines registered", std::max(count, 0), target);
    last_count = count;
  }
  return count;
}

Outcome ClusterWatch::wait_for_controller(double timeout_seconds) {
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds));
  auto next_note = start + seconds(10);
  for (;;) {
    if (auto o = check_launchers()) return *o;
    if (query.engines(milliseconds(500))) return Outcome::Ready;
    if (Clock::now() >= deadline) return Outcome::TimedOut;
    if (Clock::now() >= next_note) {
      spdlog::info("Waiting for the controller to answer ({})", query.last_error());
      next_note += seconds(10);
    }
    if (pause(milliseconds(100)) != 0) return Outcome::Signalled;
  }
}

Outcome ClusterWatch::wait_for_engines(int target, int timeout_seconds) {
  const auto start = Clock::now();
  auto next_note = start + seconds(10);
  for (;;) {
    if (auto o = check_launchers()) return *o;
    std::optional<int> count = registered(target);
    if (count && *count >= target) return Outcome::Ready;
    const auto now = Clock::now();
    if (now >= next_note) {
      auto waited = std::chrono::duration_cast<seconds>(now - start).count();
      spdlog::info("Waiting for engines: {} of {} registered after {} s{}{}", std::max(count.value_or(0), 0), target,
                   waited, count ? "" : " (controller not answering: " + query.last_error() + ")",
                   describe_engine_sets(cluster));
      next_note += seconds(10);
    }
    if (timeout_seconds > 0 && now - start >= seconds(timeout_seconds)) return Outcome::TimedOut;
    if (pause(milliseconds(400)) != 0) return Outcome::Signalled;
  }
}

}  // namespace ipp::app

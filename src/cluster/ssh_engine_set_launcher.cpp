// SPDX-License-Identifier: BSD-3-Clause
// SSHEngineSetLauncher: engines on the hosts of its `engines` dict.
#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <set>
#include <thread>

#include "ipp/cluster/local_process.hpp"
#include "ipp/cluster/ssh_launcher.hpp"
#include "ipp/util/subprocess.hpp"

namespace ipp::cluster {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

namespace {

// A host that does not answer for this long has lost its engines for us
// (7.1 keeps waiting on a dead ssh forever).
constexpr auto kLostAfter = seconds(60);

}  // namespace

SSHEngineSetLauncher::~SSHEngineSetLauncher() = default;

SSHEngineSetLauncher::Site& SSHEngineSetLauncher::site_for(const config::LauncherConfig& config) {
  // One connection per destination (an engines key, or a restored host).
  SshTarget target = ssh_target(config);
  std::string key = target.options.destination.to_string() + " " + remote_profile_dir(config, context_.profile_dir);
  auto it = sites_.find(key);
  if (it == sites_.end()) {
    Site s;
    s.site = std::make_unique<SshSite>(config, context_);
    it = sites_.emplace(key, std::move(s)).first;
  }
  return it->second;
}

namespace {

// Runs `work(i)` for i in [0, n) on one thread each and returns the first
// error message per index ("" = none). Hosts are independent (one SSH
// connection each), so a cluster of many hosts starts in the time of its
// busiest host, not of all hosts in turn.
std::vector<std::string> on_each(std::size_t n, const std::function<void(std::size_t)>& work) {
  std::vector<std::string> errors(n);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      try {
        work(i);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  return errors;
}

}  // namespace

void SSHEngineSetLauncher::start() {
  if (state() != LauncherState::Before) throw Error("this engine set was already started");
  const auto& hosts = context_.ssh_engines;
  if (hosts.empty()) {
    throw Error("SSHEngineSetLauncher.engines is empty: set it to {'host': n, ...} in ipcluster_config.py");
  }
  // -n is an upper limit, engines go to hosts in dict order; without -n,
  // every engine of the dict starts.
  int budget = context_.n ? *context_.n : std::numeric_limits<int>::max();
  struct Plan {
    const config::SSHEngineHost* host;
    int n;
  };
  // Per connection (keys naming the same host share one), in dict order.
  std::vector<std::pair<Site*, std::vector<Plan>>> work;
  for (const auto& h : hosts) {
    int n = std::min(h.n, budget);
    budget -= n;
    if (n <= 0) continue;
    Site* site = &site_for(h.launcher);
    auto it = std::find_if(work.begin(), work.end(), [&](const auto& w) { return w.first == site; });
    if (it == work.end()) {
      work.push_back({site, {}});
      it = work.end() - 1;
    }
    it->second.push_back({&h, n});
  }

  // Every host first: a host that refuses us fails the start before any
  // engine runs anywhere.
  std::vector<std::string> errors = on_each(work.size(), [&](std::size_t i) { work[i].first->site->prepare(); });
  for (std::size_t i = 0; i < work.size(); ++i) {
    if (!errors[i].empty()) {
      for (auto& w : work) w.first->site->host().close();
      throw Error("cannot start engines on '" + work[i].second.front().host->key + "': " + errors[i]);
    }
  }

  set_state(LauncherState::Running);
  std::vector<std::vector<Engine>> started(work.size());
  errors = on_each(work.size(), [&](std::size_t w) {
    SshSite& s = *work[w].first->site;
    for (const Plan& p : work[w].second) {
      const config::LauncherConfig& cfg = p.host->launcher;
      for (int i = 0; i < p.n; ++i) {
        if (i > 0 && context_.config.delay > 0) {
          std::this_thread::sleep_for(std::chrono::duration<double>(context_.config.delay));
        }
        Engine e;
        e.identifier = p.host->key + "/" + std::to_string(i);
        e.site = s.label();
        e.config = cfg;
        e.remote_profile_dir = s.remote_profile_dir();
        try {
          // 7.1: only the first engine of each host sends files.
          if (i == 0) s.send(cfg.to_send ? *cfg.to_send : s.connection_files());
          std::vector<std::string> argv = s.command(cfg.engine_cmd, "ipengine", "ipyparallel.engine");
          for (const auto& a : std::vector<std::string>{"--profile-dir", e.remote_profile_dir, "--cluster-id",
                                                        context_.cluster_id}) {
            argv.push_back(a);
          }
          for (const auto& a : cfg.engine_args) argv.push_back(a);
          e.process.remote_output_file = s.new_output_file("ipengine");
          if (i == 0) {
            log().info("Starting {} engine(s) on {}: {}", p.n, s.label(),
                       nohup_command(argv, e.process.remote_output_file, {}));
          }
          e.process.pid = start_remote_process(s.host(), argv, e.process.remote_output_file,
                                               remote_environment(context_, e.remote_profile_dir));
        } catch (const std::exception& ex) {
          throw Error("cannot start engine " + e.identifier + ": " + ex.what());
        }
        started[w].push_back(std::move(e));
      }
    }
    work[w].first->next_poll = Clock::now() + remote_poll_interval(context_.config);
  });
  for (auto& list : started) {
    for (auto& e : list) engines_.push_back(std::move(e));
  }
  context_.n = static_cast<int>(engines_.size());
  for (const auto& e : errors) {
    if (e.empty()) continue;
    stop();  // the engines that did start, on every host
    throw Error(e);
  }
}

void SSHEngineSetLauncher::poll_site(Site& site) {
  std::vector<int> pids;
  for (const auto& e : engines_) {
    if (e.site == site.site->label() && !e.process.ended) pids.push_back(e.process.pid);
  }
  if (pids.empty()) return;
  std::set<int> alive;
  try {
    alive = remote_alive(site.site->host(), pids);
    site.failing = false;
  } catch (const std::exception& err) {
    const auto now = Clock::now();
    if (!site.failing) {
      site.failing = true;
      site.failing_since = now;
      log().warn("Cannot check the engines on {}: {}", site.site->label(), err.what());
    }
    if (now - site.failing_since < kLostAfter) return;
    for (auto& e : engines_) {
      if (e.site != site.site->label() || e.process.ended) continue;
      e.process.ended = true;
      e.process.status = "lost: " + site.site->label() + " unreachable for " +
                         std::to_string(kLostAfter.count()) + " s (" + err.what() + ")";
    }
    return;
  }
  for (auto& e : engines_) {
    if (e.site != site.site->label() || e.process.ended || alive.count(e.process.pid)) continue;
    e.process.ended = true;
    e.process.status = "ended";
    e.process.output_tail = remote_tail(site.site->host(), e.process.remote_output_file, context_.config.output_limit);
  }
}

bool SSHEngineSetLauncher::poll() {
  if (!running()) return false;
  const auto now = Clock::now();
  for (auto& [key, site] : sites_) {
    if (now < site.next_poll) continue;
    site.next_poll = now + remote_poll_interval(context_.config);
    poll_site(site);
  }
  for (const auto& e : engines_) {
    if (!e.process.ended) return true;
  }
  set_state(LauncherState::After);
  return false;
}

void SSHEngineSetLauncher::stop() {
  if (state() != LauncherState::Running) return;
  for (auto& [key, site] : sites_) {
    std::vector<int> pids;
    std::string logs;
    for (auto& e : engines_) {
      if (e.site != site.site->label()) continue;
      if (!e.process.ended) {
        e.process.stopping = true;
        pids.push_back(e.process.pid);
      }
      if (!e.process.failed()) logs += " " + util::shell_quote(e.process.remote_output_file);
    }
    try {
      std::set<int> left = stop_remote_processes(site.site->host(), pids, seconds(context_.config.stop_seconds_until_kill),
                                                 seconds(std::min(context_.config.stop_timeout, 10)));
      if (!left.empty()) log().error("{} engine(s) on {} did not stop after SIGKILL", left.size(), site.site->label());
      // Output of engines that did not fail is of no further use (7.1
      // fetches and removes it).
      if (!logs.empty()) site.site->host().run("rm -f" + logs, seconds(30));
    } catch (const std::exception& err) {
      log().error("Cannot stop the engines on {}: {}", site.site->label(), err.what());
    }
    site.site->host().close();
  }
  for (auto& e : engines_) e.process.ended = true;
  set_state(LauncherState::After);
}

void SSHEngineSetLauncher::signal(int sig) {
  if (!running()) return;
  for (auto& [key, site] : sites_) {
    std::vector<int> pids;
    for (const auto& e : engines_) {
      if (e.site == site.site->label() && !e.process.ended) pids.push_back(e.process.pid);
    }
    try {
      signal_remote_processes(site.site->host(), pids, sig);
    } catch (const std::exception& err) {
      log().error("Cannot signal the engines on {}: {}", site.site->label(), err.what());
    }
  }
}

json SSHEngineSetLauncher::to_dict() const {
  json d = EngineSetLauncher::to_dict();
  d["pid"] = -1;
  save_ssh_fields(context_.config, remote_profile_dir(context_.config, context_.profile_dir), "", d);
  json engines = json::object();
  for (const auto& e : engines_) {
    json child{{"profile_dir", context_.profile_dir.string()},
               {"cluster_id", context_.cluster_id},
               {"state", e.process.ended ? "after" : launcher_state_name(state())},
               {"n", 1},
               {"pid", e.process.pid},
               {"output_file", (context_.profile_dir / "log" / (e.identifier + ".log")).string()}};
    save_ssh_fields(e.config, e.remote_profile_dir, e.process.remote_output_file, child);
    engines[e.identifier] = std::move(child);
  }
  d["engines"] = std::move(engines);
  return d;
}

void SSHEngineSetLauncher::from_dict(const json& state) {
  EngineSetLauncher::from_dict(state);
  std::string set_profile_dir, unused;
  restore_ssh_fields(context_.config, state, &set_profile_dir, &unused);
  auto it = state.find("engines");
  if (it == state.end() || !it->is_object()) throw Error(class_name() + ": saved state has no 'engines' dict");
  engines_.clear();
  sites_.clear();
  for (const auto& [identifier, child] : it->items()) {
    if (!child.is_object()) throw Error(class_name() + ": engine " + identifier + " is not a JSON object");
    if (child.value("state", std::string("running")) == "after") continue;
    auto pid = child.find("pid");
    if (pid == child.end() || !pid->is_number_integer() || pid->get<int>() <= 0) continue;
    Engine e;
    e.identifier = identifier;
    e.config = context_.config;
    e.config.launcher.class_name = "SSHEngineLauncher";
    restore_ssh_fields(e.config, child, &e.remote_profile_dir, &e.process.remote_output_file);
    e.process.pid = pid->get<int>();
    e.site = site_for(e.config).site->label();
    engines_.push_back(std::move(e));
  }
  if (engines_.empty()) throw NotRunning("No engines left");
  context_.n = static_cast<int>(engines_.size());
  // Re-attached without asking the hosts, as 7.1 does.
  set_state(LauncherState::Running);
}

std::vector<ProcessExit> SSHEngineSetLauncher::exits() const {
  std::vector<ProcessExit> out;
  for (const auto& e : engines_) {
    if (!e.process.failed()) continue;
    ProcessExit x;
    x.identifier = "engine " + e.identifier;
    x.host = e.site;
    x.status = e.process.status.empty() ? "ended" : e.process.status;
    x.output_file = e.site + ":" + e.process.remote_output_file;
    x.output_tail = e.process.output_tail;
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<std::pair<std::string, int>> SSHEngineSetLauncher::hosts() const {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& e : engines_) {
    if (e.process.ended) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == e.site; });
    if (it == out.end()) {
      out.emplace_back(e.site, 1);
    } else {
      ++it->second;
    }
  }
  return out;
}

}  // namespace ipp::cluster

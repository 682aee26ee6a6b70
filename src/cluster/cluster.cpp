// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/cluster.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>

#include "ipp/cluster/launcher_registry.hpp"
#include "ipp/config/config_loader.hpp"
#include <spdlog/spdlog.h>

#include "ipp/util/log.hpp"

namespace ipp::cluster {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kClusterClass = "ipyparallel.cluster.cluster.Cluster";

std::optional<json> read_json_file(const fs::path& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    if (error) *error = "cannot open";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

// Holds an exclusive flock on the directory of the cluster file so that the
// ipcluster processes sharing one cluster file (start in the foreground,
// engines, stop) do not lose each other's updates. (A lock on the
// directory leaves no lock file behind for Python's tools to trip on.)
class FileLock {
 public:
  explicit FileLock(const fs::path& file) {
    fd_ = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

void write_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw Error(tmp.string() + ": cannot write the cluster file");
    out << text;
    if (!out.flush()) throw Error(tmp.string() + ": cannot write the cluster file");
  }
  std::error_code ec;
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(tmp, path, ec);
  if (ec) throw Error(path.string() + ": cannot replace the cluster file: " + ec.message());
}

config::LoadedConfig empty_config() {
  config::LoadedConfig c;
  c.program = config::Program::Cluster;
  return c;
}

config::LauncherConfig launcher_config(const ClusterEnvironment& env, const config::LauncherClass& cls) {
  if (env.loaded != nullptr) return config::resolve_launcher_config(*env.loaded, cls);
  return config::resolve_launcher_config(empty_config(), cls);
}

std::string text_field(const json& d, const char* key, const fs::path& file) {
  auto it = d.find(key);
  if (it == d.end() || it->is_null()) return "";
  if (!it->is_string()) throw Error(file.string() + ": '" + key + "' is not a string");
  return it->get<std::string>();
}

}  // namespace

Cluster::Cluster(const config::ClusterOptions& options, ClusterEnvironment environment)
    : environment_(std::move(environment)) {
  settings_.profile_dir = options.common.profile.location;
  settings_.cluster_id = options.common.cluster_id;
  settings_.controller_args = options.controller_args;
  settings_.controller_ip = options.controller_ip;
  settings_.controller_location = options.controller_location;
  settings_.delay = options.delay;
  settings_.n = options.n;
  cluster_file_ = options.common.profile.cluster_file(settings_.cluster_id);
  controller_class_ = options.controller_launcher_class;
  engine_class_ = options.engine_launcher_class;
  controller_config_ = options.controller_launcher;
  engine_config_ = options.engine_launcher;
  ssh_engines_ = options.ssh_engines;
}

Cluster::Cluster(Cluster&&) noexcept = default;
Cluster& Cluster::operator=(Cluster&&) noexcept = default;
Cluster::~Cluster() = default;

fs::path Cluster::client_connection_file() const {
  config::ProfileDir p;
  p.location = settings_.profile_dir;
  return p.client_connection_file(settings_.cluster_id);
}

fs::path Cluster::engine_connection_file() const {
  config::ProfileDir p;
  p.location = settings_.profile_dir;
  return p.engine_connection_file(settings_.cluster_id);
}

LaunchContext Cluster::base_context(const config::LauncherConfig& launcher) const {
  LaunchContext c;
  c.config = launcher;
  c.profile_dir = settings_.profile_dir;
  c.cluster_id = settings_.cluster_id;
  c.work_dir = environment_.work_dir;
  c.program_dir = environment_.program_dir;
  c.loaded = environment_.loaded;
  return c;
}

Cluster Cluster::load(const fs::path& cluster_file, ClusterEnvironment environment) {
  std::error_code ec;
  if (!fs::exists(cluster_file, ec)) throw ClusterFileMissing(cluster_file.string());
  Cluster c;
  c.environment_ = std::move(environment);
  c.cluster_file_ = cluster_file;
  c.wrote_file_ = true;  // it exists: once removed by someone else, it stays removed
  std::string error;
  std::optional<json> d = read_json_file(cluster_file, &error);
  if (!d) throw Error(cluster_file.string() + ": not a cluster file: " + error);
  if (!d->is_object() || !d->contains("cluster") || !(*d)["cluster"].is_object()) {
    throw Error(cluster_file.string() + ": not a cluster file: no \"cluster\" section");
  }
  const json& info = (*d)["cluster"];
  c.settings_.profile_dir = text_field(info, "profile_dir", cluster_file);
  if (c.settings_.profile_dir.empty()) c.settings_.profile_dir = cluster_file.parent_path().parent_path();
  c.settings_.cluster_id = text_field(info, "cluster_id", cluster_file);
  c.settings_.controller_ip = text_field(info, "controller_ip", cluster_file);
  c.settings_.controller_location = text_field(info, "controller_location", cluster_file);
  if (auto it = info.find("controller_args"); it != info.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (a.is_string()) c.settings_.controller_args.push_back(a.get<std::string>());
    }
  }
  if (auto it = info.find("delay"); it != info.end() && it->is_number()) c.settings_.delay = it->get<double>();
  if (auto it = info.find("n"); it != info.end() && it->is_number_integer()) c.settings_.n = it->get<int>();
  const std::string key = c.settings_.profile_dir.filename().string() + ":" + c.settings_.cluster_id;
  auto log = util::child_logger("Cluster");

  c.controller_class_ = {config::LauncherKind::Local, config::LauncherRole::Controller, "LocalControllerLauncher", false};
  c.engine_class_ = {config::LauncherKind::Local, config::LauncherRole::EngineSet, "LocalEngineSetLauncher", false};
  try {
    if (auto it = d->find("controller"); it != d->end() && it->is_object() && !it->empty()) {
      c.owns_controller_ = true;
      c.controller_class_ =
          launcher_class_from_file(text_field(*it, "class", cluster_file), config::LauncherRole::Controller);
      c.controller_config_ = launcher_config(c.environment_, c.controller_class_);
      const json& state = it->value("state", json());
      if (state.is_object()) {
        auto controller = make_controller_launcher(c.base_context(c.controller_config_));
        try {
          controller->from_dict(state);
          c.controller_ = std::move(controller);
        } catch (const NotRunning& e) {
          log->error("Controller for {} not running: {}", key, e.what());
        }
      }
    }
    if (auto it = d->find("engines"); it != d->end() && it->is_object()) {
      std::string cls = text_field(*it, "class", cluster_file);
      if (!cls.empty()) c.engine_class_ = launcher_class_from_file(cls, config::LauncherRole::EngineSet);
      c.engine_config_ = launcher_config(c.environment_, c.engine_class_);
      if (auto sets = it->find("sets"); sets != it->end() && sets->is_object()) {
        for (const auto& [id, state] : sets->items()) {
          LaunchContext ctx = c.base_context(c.engine_config_);
          ctx.engine_set_id = id;
          auto set = make_engine_set_launcher(std::move(ctx));
          try {
            set->from_dict(state);
            c.engines_.emplace_back(id, std::move(set));
          } catch (const NotRunning& e) {
            log->error("Engine set {}{} not running: {}", key, id, e.what());
            c.gone_sets_.push_back(id);
          }
        }
      }
    }
  } catch (const NotRunning&) {
    throw;
  } catch (const Error& e) {
    throw Error(cluster_file.string() + ": " + e.what());
  }
  if (c.to_dict() != *d) c.update_cluster_file();
  return c;
}

void Cluster::start_controller() {
  if (controller_) throw Error("the controller is already running; stop it first");
  config::LauncherConfig cfg = controller_config_;
  if (!settings_.controller_ip.empty()) cfg.controller_args.push_back("--ip=" + settings_.controller_ip);
  if (!settings_.controller_location.empty()) {
    cfg.controller_args.push_back("--location=" + settings_.controller_location);
  }
  for (const auto& a : settings_.controller_args) cfg.controller_args.push_back(a);
  auto controller = make_controller_launcher(base_context(cfg));
  controller->start();
  controller_ = std::move(controller);
  owns_controller_ = true;
  update_cluster_file();
}

std::string Cluster::start_engines(std::optional<int> n) {
  // "<unix time>", "-1", "-2"... on collision, also with sets other
  // ipcluster processes recorded in the file.
  std::vector<std::string> taken;
  for (const auto& [id, _] : engines_) taken.push_back(id);
  if (std::optional<json> d = read_json_file(cluster_file_, nullptr)) {
    if (d->is_object() && d->contains("engines") && (*d)["engines"].is_object()) {
      const json& sets = (*d)["engines"].value("sets", json::object());
      if (sets.is_object()) {
        for (const auto& [id, _] : sets.items()) taken.push_back(id);
      }
    }
  }
  const std::string base = std::to_string(std::time(nullptr));
  std::string id = base;
  for (int i = 1; std::find(taken.begin(), taken.end(), id) != taken.end(); ++i) id = base + "-" + std::to_string(i);

  LaunchContext ctx = base_context(engine_config_);
  ctx.engine_set_id = id;
  ctx.n = n ? n : settings_.n;
  ctx.ssh_engines = ssh_engines_;
  if (environment_.send_engines_connection_env) {
    // newest ipyparallel: engines get the connection info in the
    // environment and need not find (or wait for) the file.
    std::ifstream in(engine_connection_file());
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      ctx.environment["IPP_CONNECTION_INFO"] = text.str();
    }
  }
  auto set = make_engine_set_launcher(std::move(ctx));
  set->start();
  engines_.emplace_back(id, std::move(set));
  update_cluster_file();
  return id;
}

void Cluster::stop_engines(const std::string& engine_set_id) {
  auto it = std::find_if(engines_.begin(), engines_.end(), [&](const auto& e) { return e.first == engine_set_id; });
  if (it == engines_.end()) return;
  it->second->stop();
  gone_sets_.push_back(engine_set_id);
  engines_.erase(it);
  update_cluster_file();
}

void Cluster::stop() {
  // Drop what is being stopped from the file first: a foreground ipcluster
  // watching it then knows the processes it sees end were stopped on
  // purpose (remote ones take a while), not that they failed.
  auto sets = std::move(engines_);
  engines_.clear();
  auto controller = std::move(controller_);
  for (const auto& [id, set] : sets) gone_sets_.push_back(id);
  update_cluster_file();
  for (auto& [id, set] : sets) set->stop();
  if (controller) controller->stop();
}

void Cluster::signal_engines(int sig) {
  for (auto& [id, set] : engines_) set->signal(sig);
}

std::vector<std::string> Cluster::poll() {
  std::vector<std::string> stopped;
  if (controller_ && controller_->running() && !controller_->poll()) stopped.push_back("controller");
  for (auto& [id, set] : engines_) {
    if (set->running() && !set->poll()) stopped.push_back(id);
  }
  if (!stopped.empty()) update_cluster_file();
  return stopped;
}

bool Cluster::file_removed_elsewhere() const {
  std::error_code ec;
  return wrote_file_ && !cluster_file_.empty() && !fs::exists(cluster_file_, ec);
}

bool Cluster::running() const {
  if (controller_ && controller_->state() != LauncherState::After) return true;
  return std::any_of(engines_.begin(), engines_.end(),
                     [](const auto& e) { return e.second->state() != LauncherState::After; });
}

int Cluster::engines_expected() const {
  int n = 0;
  for (const auto& [id, set] : engines_) {
    if (set->running()) n += set->n();
  }
  return n;
}

std::string Cluster::engine_launcher_label() const {
  std::string name = engine_class_.class_name;
  const std::string suffix = "EngineSetLauncher";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    name.resize(name.size() - suffix.size());
  }
  return name;
}

bool Cluster::has_remote_launchers() const {
  if (controller_ && controller_->remote()) return true;
  return std::any_of(engines_.begin(), engines_.end(), [](const auto& e) { return e.second->remote(); });
}

json Cluster::to_dict() const {
  json info = json::object();
  info["cluster_id"] = settings_.cluster_id;
  info["controller_args"] = settings_.controller_args;
  info["controller_ip"] = settings_.controller_ip;
  info["controller_location"] = settings_.controller_location;
  info["delay"] = settings_.delay;
  info["n"] = settings_.n ? json(*settings_.n) : json(nullptr);
  info["profile_dir"] = settings_.profile_dir.string();
  info["class"] = kClusterClass;
  json d = json::object();
  d["cluster"] = std::move(info);
  if (controller_ && controller_->state() != LauncherState::After) {
    d["controller"] = {{"class", cluster_file_class(controller_class_)}, {"state", controller_->to_dict()}};
  }
  json sets = json::object();
  for (const auto& [id, set] : engines_) {
    if (set->state() != LauncherState::After) sets[id] = set->to_dict();
  }
  d["engines"] = {{"class", cluster_file_class(engine_class_)}, {"sets", std::move(sets)}};
  return d;
}

void Cluster::update_cluster_file() {
  if (cluster_file_.empty()) return;
  try {
    FileLock lock(cluster_file_);
    std::error_code exists_ec;
    if (wrote_file_ && !fs::exists(cluster_file_, exists_ec)) {
      // Removed since we wrote it: `ipcluster stop` (ours or Python's) is
      // stopping this cluster. Writing it again would hide that from the
      // foreground ipcluster and leave a stale file behind.
      return;
    }
    json d = to_dict();
    // Keep what other ipcluster processes recorded: a controller we do not
    // manage, engine sets added by `ipcluster engines`.
    if (std::optional<json> on_disk = read_json_file(cluster_file_, nullptr); on_disk && on_disk->is_object()) {
      if (!owns_controller_) {
        if (on_disk->contains("controller")) d["controller"] = (*on_disk)["controller"];
        if (on_disk->contains("cluster")) d["cluster"] = (*on_disk)["cluster"];
      }
      const json* disk_engines = on_disk->contains("engines") ? &(*on_disk)["engines"] : nullptr;
      if (disk_engines && disk_engines->is_object() && disk_engines->contains("sets") &&
          (*disk_engines)["sets"].is_object()) {
        for (const auto& [id, state] : (*disk_engines)["sets"].items()) {
          bool ours = std::any_of(engines_.begin(), engines_.end(), [&](const auto& e) { return e.first == id; });
          bool gone = std::find(gone_sets_.begin(), gone_sets_.end(), id) != gone_sets_.end();
          if (!ours && !gone) d["engines"]["sets"][id] = state;
        }
      }
    }
    const bool anything = d.contains("controller") || !d["engines"]["sets"].empty();
    std::error_code ec;
    if (!anything) {
      fs::remove(cluster_file_, ec);
      wrote_file_ = false;
      return;
    }
    fs::create_directories(cluster_file_.parent_path(), ec);
    write_atomically(cluster_file_, d.dump());
    wrote_file_ = true;
  } catch (const std::exception& e) {
    spdlog::error("cannot update the cluster file {}: {}", cluster_file_.string(), e.what());
  }
}

std::vector<fs::path> cluster_files_in(const fs::path& profile_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(profile_dir / "security", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("cluster-", 0) == 0 && entry.path().extension() == ".json") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ipp::cluster

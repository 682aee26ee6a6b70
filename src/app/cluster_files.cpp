// SPDX-License-Identifier: BSD-3-Clause
// ipcluster stop / list / clean: commands that work from the cluster files
// (connection-files.md section 7).
#include <fstream>
#include <iostream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "app/cluster_commands.hpp"
#include "ipp/cluster/launcher_registry.hpp"
#include "ipp/config/profile_dir.hpp"

namespace ipp::app {

using cluster::Cluster;
namespace fs = std::filesystem;

namespace {

// Every profile_* directory of the IPython directory (sorted).
std::vector<fs::path> all_profile_dirs(const config::ProfileDir& profile) {
  fs::path ipython_dir = profile.ipython_dir;
  if (ipython_dir.empty()) ipython_dir = config::resolve_ipython_dir(std::nullopt);
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ipython_dir, ec)) {
    if (entry.is_directory(ec) && entry.path().filename().string().rfind("profile_", 0) == 0) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// As IPClusterList: a profile was chosen explicitly (--profile other than
// default, or --profile-dir / ProfileDir.location / $IPP_PROFILE_DIR).
bool profile_chosen(const config::LoadedConfig& loaded, const config::ClusterOptions& options) {
  return options.common.profile.profile != "default" || loaded.config.contains("ProfileDir", "location") ||
         std::getenv("IPP_PROFILE_DIR") != nullptr;
}

// abbreviate_profile_dir: the name for <ipython_dir>/profile_<name>.
std::string abbreviate(const fs::path& profile_dir, const fs::path& ipython_dir) {
  std::string prefix = (ipython_dir / "profile_").string();
  std::string dir = profile_dir.string();
  if (!ipython_dir.empty() && dir.rfind(prefix, 0) == 0) return dir.substr(prefix.size());
  return dir;
}

// Python's str.ljust: pads, never truncates.
std::string pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::vector<Cluster> load_clusters(const std::vector<fs::path>& profile_dirs, const cluster::ClusterEnvironment& env) {
  std::vector<Cluster> clusters;
  for (const auto& dir : profile_dirs) {
    for (const auto& file : cluster::cluster_files_in(dir)) {
      try {
        clusters.push_back(Cluster::load(file, env));
      } catch (const cluster::ClusterFileMissing&) {
      } catch (const std::exception& e) {
        spdlog::error("Error loading cluster file {}: {}", file.string(), e.what());
      }
    }
  }
  return clusters;
}

}  // namespace

int cluster_stop(const config::LoadedConfig& loaded, const config::ClusterOptions& options) {
  const cluster::ClusterEnvironment env = cluster_environment(loaded, options);
  std::vector<Cluster> clusters;
  if (options.stop_all) {
    clusters = load_clusters({options.common.profile.location}, env);
  } else {
    std::vector<std::string> ids = options.cluster_ids;
    if (ids.empty()) ids.push_back(options.common.cluster_id);
    for (const auto& id : ids) {
      fs::path file = options.common.profile.cluster_file(id);
      try {
        clusters.push_back(Cluster::load(file, env));
      } catch (const cluster::ClusterFileMissing&) {
        spdlog::critical("Could not find cluster file {}", file.string());
        return kAlreadyStopped;
      }
    }
  }
  if (clusters.empty()) {
    spdlog::info("No clusters to stop");
    return 0;
  }
  for (auto& c : clusters) {
    spdlog::info("Stopping cluster {}", c.settings().cluster_id.empty() ? "''" : c.settings().cluster_id);
    c.stop();
  }
  return 0;
}

namespace {

// One row of `ipcluster list`.
struct Listed {
  std::string profile_dir;
  std::string cluster_id;
  bool running = false;  // a controller is recorded
  int engines = 0;       // sum of n over the engine sets
  std::string launcher;  // engine launcher class without "EngineSetLauncher"
  nlohmann::json dict;
};

// A cluster file this build cannot restore (a launcher class it does not
// implement): listed from the file as written, without checking processes.
std::optional<Listed> list_raw(const fs::path& file) {
  try {
    std::ifstream in(file);
    nlohmann::json d = nlohmann::json::parse(in);
    Listed l;
    l.profile_dir = d.at("cluster").value("profile_dir", file.parent_path().parent_path().string());
    l.cluster_id = d.at("cluster").value("cluster_id", "");
    l.running = d.contains("controller");
    const nlohmann::json engines = d.value("engines", nlohmann::json::object());
    const nlohmann::json sets = engines.value("sets", nlohmann::json::object());  // items() must not outlive it
    for (const auto& [_, set] : sets.items()) l.engines += set.value("n", 0);
    std::string cls = engines.value("class", "local");
    try {
      l.launcher = cluster::launcher_class_from_file(cls, config::LauncherRole::EngineSet).class_name;
    } catch (const std::exception&) {
      l.launcher = cls.substr(cls.find_last_of(".:") == std::string::npos ? 0 : cls.find_last_of(".:") + 1);
    }
    const std::string suffix = "EngineSetLauncher";
    if (l.launcher.size() > suffix.size() && l.launcher.ends_with(suffix)) l.launcher.resize(l.launcher.size() - suffix.size());
    l.dict = std::move(d);
    return l;
  } catch (const std::exception& e) {
    spdlog::debug("{}: {}", file.string(), e.what());
    return std::nullopt;
  }
}

std::vector<Listed> list_clusters(const std::vector<fs::path>& profile_dirs, const cluster::ClusterEnvironment& env) {
  std::vector<Listed> out;
  for (const auto& dir : profile_dirs) {
    for (const auto& file : cluster::cluster_files_in(dir)) {
      try {
        Cluster c = Cluster::load(file, env);
        Listed l;
        l.profile_dir = c.settings().profile_dir.string();
        l.cluster_id = c.settings().cluster_id;
        l.running = c.controller() != nullptr;
        for (const auto& [_, set] : c.engine_sets()) l.engines += set->n();
        l.launcher = c.engine_launcher_label();
        l.dict = c.to_dict();
        out.push_back(std::move(l));
      } catch (const cluster::ClusterFileMissing&) {
      } catch (const std::exception& e) {
        std::optional<Listed> raw = list_raw(file);
        if (raw) {
          spdlog::warn("{}: listed as written, its processes not checked: {}", file.string(), e.what());
          out.push_back(std::move(*raw));
        } else {
          spdlog::error("Error loading cluster file {}: {}", file.string(), e.what());
        }
      }
    }
  }
  return out;
}

}  // namespace

int cluster_list(const config::LoadedConfig& loaded, const config::ClusterOptions& options) {
  const cluster::ClusterEnvironment env = cluster_environment(loaded, options);
  std::vector<fs::path> dirs = profile_chosen(loaded, options) ? std::vector<fs::path>{options.common.profile.location}
                                                               : all_profile_dirs(options.common.profile);
  std::vector<Listed> clusters = list_clusters(dirs, env);
  if (options.output_format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : clusters) out.push_back(c.dict);
    std::cout << out.dump() << std::flush;
    return 0;
  }
  std::sort(clusters.begin(), clusters.end(), [](const Listed& a, const Listed& b) {
    return std::tie(a.profile_dir, a.cluster_id) < std::tie(b.profile_dir, b.cluster_id);
  });
  fs::path ipython_dir = options.common.profile.ipython_dir;
  if (ipython_dir.empty()) ipython_dir = config::resolve_ipython_dir(std::nullopt);
  std::cout << pad("PROFILE", 16) << " " << pad("CLUSTER ID", 32) << " " << pad("RUNNING", 7) << " "
            << pad("ENGINES", 7) << " LAUNCHER\n";
  for (const auto& c : clusters) {
    std::string count = std::to_string(c.engines);
    std::cout << pad(abbreviate(c.profile_dir, ipython_dir), 16) << " " << pad(c.cluster_id.empty() ? "''" : c.cluster_id, 32)
              << " " << pad(c.running ? "True" : "False", 7) << " "
              << std::string(count.size() < 7 ? 7 - count.size() : 0, ' ') << count << " " << c.launcher << "\n";
  }
  std::cout << std::flush;
  return 0;
}

int cluster_clean(const config::LoadedConfig& loaded, const config::ClusterOptions& options) {
  const cluster::ClusterEnvironment env = cluster_environment(loaded, options);
  std::vector<fs::path> dirs = options.clean_all_profiles ? all_profile_dirs(options.common.profile)
                                                          : std::vector<fs::path>{options.common.profile.location};
  // Refuse before removing anything when a cluster still runs (Python
  // raises half-way through).
  if (!options.clean_force) {
    for (const auto& dir : dirs) {
      for (const auto& file : cluster::cluster_files_in(dir)) {
        try {
          Cluster c = Cluster::load(file, env);
          if (c.running()) {
            spdlog::critical("The cluster in {} is still running: stop it with `ipcluster stop`, or use --force "
                             "to remove its files anyway (may leave orphan processes)",
                             file.string());
            return 1;
          }
        } catch (const std::exception& e) {
          spdlog::error("Removing cluster file, which failed to load {}: {}", file.string(), e.what());
        }
      }
    }
  }
  std::error_code ec;
  auto remove = [&](const fs::path& f) {
    spdlog::debug("Removing {}", f.string());
    if (!fs::remove(f, ec) && ec) spdlog::error("Error removing {}: {}", f.string(), ec.message());
  };
  for (const auto& dir : dirs) {
    spdlog::info("Cleaning ipython cluster files in {}", dir.string());
    for (const auto& file : cluster::cluster_files_in(dir)) {
      remove(file);
    }
    for (const auto& entry : fs::directory_iterator(dir / "log", ec)) {
      if (entry.is_regular_file(ec)) remove(entry.path());
    }
    for (const auto& entry : fs::directory_iterator(dir / "security", ec)) {
      std::string name = entry.path().filename().string();
      if (name.rfind("ipcontroller-", 0) == 0 && entry.path().extension() == ".json") remove(entry.path());
    }
  }
  return 0;
}

}  // namespace ipp::app

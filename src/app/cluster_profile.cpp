// SPDX-License-Identifier: BSD-3-Clause
// ipcluster profile create|locate|list: IPython's `ipython profile ...` for
// the parallel config files, so a head node needs no IPython.
#include <fstream>
#include <iostream>
#include <optional>

#include "app/cluster_commands.hpp"
#include "app/profile_files.hpp"
#include "ipp/config/profile_dir.hpp"
#include "ipp/util/error.hpp"

namespace ipp::app {

namespace fs = std::filesystem;

namespace {

const char* const kUsage =
    "Create, locate or list IPython profiles.\n\n"
    "ipcluster profile create [NAME] [--profile=NAME] [--profile-dir=DIR] [--ipython-dir=DIR] [--reset]\n"
    "    Make profile_NAME (default: 'default') in the IPython directory, with commented\n"
    "    ipcluster_config.py, ipcontroller_config.py and ipengine_config.py listing the\n"
    "    settings ipcluster, ipcontroller and ipengine honour. Existing files are kept\n"
    "    unless --reset is given.\n"
    "ipcluster profile locate [NAME] [--profile=NAME] [--ipython-dir=DIR]\n"
    "    Print the profile's directory.\n"
    "ipcluster profile list [--ipython-dir=DIR]\n"
    "    List the profiles of the IPython directory ($IPYTHONDIR or ~/.ipython).\n";

struct ProfileArgs {
  std::string action;
  std::optional<std::string> name;
  std::optional<std::string> ipython_dir;
  std::optional<std::string> profile_dir;
  bool reset = false;
  bool help = false;
};

ProfileArgs parse(const std::vector<std::string>& args) {
  ProfileArgs p;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& option) -> std::optional<std::string> {
      if (a == option) {
        if (i + 1 >= args.size()) throw Error(option + " needs a value");
        return args[++i];
      }
      if (a.rfind(option + "=", 0) == 0) return a.substr(option.size() + 1);
      return std::nullopt;
    };
    if (a == "-h" || a == "--help" || a == "--help-all") {
      p.help = true;
    } else if (a == "--reset") {
      p.reset = true;
    } else if (auto v = value("--profile")) {
      p.name = *v;
    } else if (auto v = value("--ipython-dir")) {
      p.ipython_dir = *v;
    } else if (auto v = value("--profile-dir")) {
      p.profile_dir = *v;
    } else if (a == "--parallel") {
      // `ipython profile create --parallel` habit: our profiles are parallel ones.
    } else if (!a.empty() && a[0] == '-') {
      throw Error("unknown option '" + a + "' for ipcluster profile");
    } else if (p.action.empty()) {
      p.action = a;
    } else if (!p.name) {
      p.name = a;
    } else {
      throw Error("unexpected argument '" + a + "' for ipcluster profile " + p.action);
    }
  }
  return p;
}

config::ProfileDir resolve(const ProfileArgs& p, bool create) {
  config::ProfileRequest request;
  request.ipython_dir = p.ipython_dir;
  request.profile = p.name;
  request.profile_dir = p.profile_dir;
  request.auto_create = create;
  return config::resolve_profile_dir(request);
}

int create(const ProfileArgs& p) {
  config::ProfileDir dir = resolve(p, true);
  for (const auto& f : profile_files()) {
    fs::path path = dir.location / f.name;
    if (fs::exists(path) && !p.reset) {
      std::cerr << "[ProfileCreate] Keeping the existing " << path.string() << " (--reset overwrites it)\n";
      continue;
    }
    std::ofstream out(path, std::ios::trunc);
    if (!(out << f.text) || !out.flush()) throw Error(path.string() + ": cannot write");
    std::cerr << "[ProfileCreate] Generating default config file: '" << path.string() << "'\n";
  }
  std::cout << dir.location.string() << "\n";
  return 0;
}

int locate(const ProfileArgs& p) {
  std::cout << resolve(p, false).location.string() << "\n";
  return 0;
}

int list(const ProfileArgs& p) {
  fs::path ipython_dir = config::resolve_ipython_dir(p.ipython_dir);
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ipython_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && name.rfind("profile_", 0) == 0) names.push_back(name.substr(8));
  }
  std::sort(names.begin(), names.end());
  std::cout << "Available profiles in " << ipython_dir.string() << ":\n";
  for (const auto& n : names) std::cout << "    " << n << "\n";
  std::cout << "\nTo use one of them: ipcluster start --profile=<name>\n";
  return 0;
}

}  // namespace

int cluster_profile(const std::vector<std::string>& args) {
  try {
    ProfileArgs p = parse(args);
    if (p.help || p.action.empty()) {
      std::cout << kUsage;
      return p.help ? 0 : 1;
    }
    if (p.action == "create") return create(p);
    if (p.action == "locate") return locate(p);
    if (p.action == "list") return list(p);
    throw Error("unknown action '" + p.action + "': use create, locate or list");
  } catch (const std::exception& e) {
    std::cerr << "[ProfileApp] CRITICAL | " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ipp::app

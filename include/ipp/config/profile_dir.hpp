// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ipp::config {

// Receives the warnings IPython prints while resolving directories (old
// $IPYTHON_DIR, unwritable IPython dir, chmod failure). An empty function
// means "log with spdlog::warn on the default logger".
using WarningSink = std::function<void(const std::string&)>;

// What the command line (and, for the config loader, config files) asked for.
// Unset fields mean "not given"; resolution then falls back to the
// environment and IPython's defaults exactly as BaseIPythonApplication does.
struct ProfileRequest {
  std::optional<std::string> ipython_dir;  // --ipython-dir / BaseIPythonApplication.ipython_dir
  std::optional<std::string> profile;      // --profile (default "default")
  std::optional<std::string> profile_dir;  // --profile-dir / ProfileDir.location
  // BaseIPythonApplication.auto_create. ipcontroller and ipcluster set it
  // (default True); ipengine does not, but the "default" profile is always
  // created, as in IPython's init_profile_dir.
  bool auto_create = true;
  WarningSink warn;
};

// A resolved, existing profile directory (IPython's core/profiledir.py
// ProfileDir) plus the names of the files ipyparallel keeps in it. All paths
// are absolute. Plain value; cheap to copy.
struct ProfileDir {
  std::filesystem::path location;     // the profile directory itself
  // IPython dir used for the name lookup. With an explicit directory it is
  // only the --ipython-dir value (possibly empty): like Python, resolving an
  // explicit profile dir never computes (and so never creates) ~/.ipython.
  std::filesystem::path ipython_dir;
  // Profile name: --profile (default "default"), replaced by "<x>" when an
  // explicit directory is called "profile_<x>" (as init_profile_dir does).
  std::string profile;
  bool created = false;  // true if this call created `location`

  std::filesystem::path security_dir() const { return location / "security"; }
  std::filesystem::path log_dir() const { return location / "log"; }
  std::filesystem::path pid_dir() const { return location / "pid"; }
  std::filesystem::path startup_dir() const { return location / "startup"; }

  // security/ipcontroller-client.json or ipcontroller-<id>-client.json
  // (IPController.client_json_file default, controller/app.py).
  std::filesystem::path client_connection_file(std::string_view cluster_id) const;
  // security/ipcontroller[-<id>]-engine.json (engine_json_file / IPEngine.url_file_name).
  std::filesystem::path engine_connection_file(std::string_view cluster_id) const;
  // security/cluster-<id>.json (Cluster.cluster_file; id "" -> "cluster-.json").
  std::filesystem::path cluster_file(std::string_view cluster_id) const;
  // log/engines<id>.json, no separator (hub.engine_state_file).
  std::filesystem::path engine_state_file(std::string_view cluster_id) const;
  // log/<app>-<id>-<pid>.log, "ipcontroller--42.log" for an empty id
  // (baseapp.py reinit_logging; app = ipcontroller | ipengine | ipcluster).
  std::filesystem::path log_file(std::string_view app, std::string_view cluster_id,
                                 long pid) const;
  // tasks.db in the profile dir (SQLiteDB.location default + filename).
  std::filesystem::path tasks_db() const { return location / "tasks.db"; }
};

// The IPython directory, as IPython.paths.get_ipython_dir() plus the
// --ipython-dir override: `cli_override`, else $IPYTHONDIR, else the old
// $IPYTHON_DIR (warning), else ~/.ipython (~ from $HOME, else the passwd
// entry); $XDG_CONFIG_HOME/ipython (default ~/.config/ipython) is used only if
// it is a writable directory and ~/.ipython does not exist. `~` and $VARS in
// the value are expanded. If the directory exists but is not writable, or
// does not exist and its parent is not writable, a fresh temp directory is
// returned instead (warning), as IPython does; otherwise a missing directory
// is created. Throws ipp::Error naming the path when creation fails.
std::filesystem::path resolve_ipython_dir(const std::optional<std::string>& cli_override,
                                          const WarningSink& warn = {});

// The profile directory, as BaseIPythonApplication.init_profile_dir():
//  1. request.profile_dir (--profile-dir), else $IPP_PROFILE_DIR (newest
//     ipyparallel's init_config_from_env; it sets ProfileDir.location, so it
//     also wins over --profile), taken as a path (~ and $VARS expanded,
//     relative to the cwd). Created only if auto_create.
//  2. else <ipython_dir>/profile_<profile or "default">; created if missing
//     when auto_create or the name is "default". Names are looked up only in
//     the IPython directory, never in the cwd. An --ipython-dir that does not
//     exist is an error, as in Python ("Could not create profile"); only the
//     environment/default IPython dir is created on demand.
// Then ensures security/ and pid/ (mode 0700, chmod-ed if they already exist
// with another mode; a failed chmod only warns, as ProfileDir._mkdir), log/
// and startup/ exist. Throws ipp::Error ("Profile 'x' not found." / "Profile
// directory '/p' not found." / "<path>: <call>: <strerror>") on failure.
ProfileDir resolve_profile_dir(const ProfileRequest& request);

// IPython's expand_path(): os.path.expandvars(os.path.expanduser(s)).
// Unknown $VARS are left as written.
std::string expand_path(std::string_view s);

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/profile_dir.hpp"

#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "ipp/util/error.hpp"

namespace ipp::config {

namespace fs = std::filesystem;

namespace {

void emit(const WarningSink& warn, const std::string& message) {
  if (warn) {
    warn(message);
  } else {
    spdlog::warn("{}", message);
  }
}

[[noreturn]] void throw_errno(const fs::path& path, const char* call, int err) {
  throw Error(path.string() + ": " + call + ": " + std::strerror(err));
}

std::optional<std::string> getenv_opt(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// os.path.expanduser('~'): $HOME if set (even if empty), else the passwd entry.
std::string home_from_env() {
  if (auto home = getenv_opt("HOME")) return *home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return "";
}

// posixpath.expanduser.
std::string expand_user(std::string_view s) {
  if (s.empty() || s.front() != '~') return std::string(s);
  size_t slash = s.find('/', 1);
  if (slash == std::string_view::npos) slash = s.size();
  std::string userhome;
  if (slash == 1) {
    userhome = home_from_env();
  } else {
    std::string name(s.substr(1, slash - 1));
    const passwd* pw = getpwnam(name.c_str());
    if (pw == nullptr || pw->pw_dir == nullptr) return std::string(s);
    userhome = pw->pw_dir;
  }
  while (!userhome.empty() && userhome.back() == '/') userhome.pop_back();
  std::string result = userhome + std::string(s.substr(slash));
  return result.empty() ? "/" : result;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// posixpath.expandvars: $name (ASCII \w+) or ${anything-but-brace}; unknown
// variables stay as written.
std::string expand_vars(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '$') {
      out.push_back(s[i++]);
      continue;
    }
    size_t end = i + 1;
    std::string name;
    if (end < s.size() && s[end] == '{') {
      size_t close = s.find('}', end + 1);
      if (close == std::string_view::npos) {
        out.push_back(s[i++]);
        continue;
      }
      name = std::string(s.substr(end + 1, close - end - 1));
      end = close + 1;
    } else {
      while (end < s.size() && is_word_char(s[end])) ++end;
      if (end == i + 1) {
        out.push_back(s[i++]);
        continue;
      }
      name = std::string(s.substr(i + 1, end - i - 1));
    }
    if (auto value = getenv_opt(name.c_str())) {
      out += *value;
    } else {
      out += s.substr(i, end - i);
    }
    i = end;
  }
  return out;
}

// os.path.normpath, made absolute: Python keeps a relative IPYTHONDIR
// relative, which breaks after --work-dir chdirs; we resolve it once here
// (deliberate deviation).
fs::path normalize(const fs::path& p) {
  fs::path result = fs::absolute(p).lexically_normal();
  if (!result.has_filename() && result.has_relative_path()) result = result.parent_path();
  return result;
}

// IPython.utils.path._writable_dir.
bool writable_dir(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ::access(p.c_str(), W_OK) == 0;
}

bool path_exists(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

bool path_is_dir(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_is_symlink(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// tempfile.mkdtemp(): a fresh private directory under $TMPDIR (or /tmp).
fs::path make_temp_dir() {
  std::string base = getenv_opt("TMPDIR").value_or("");
  if (base.empty() || !writable_dir(base)) base = "/tmp";
  std::string templ = base + "/ipython-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw_errno(templ, "mkdtemp", errno);
  return fs::path(buf.data());
}

// IPython.utils.path.ensure_dir_exists: makedirs(path, 0o755), racing
// creators tolerated, an existing non-directory is an error.
void ensure_dir_exists(const fs::path& path) {
  if (path_is_dir(path)) return;
  if (path_exists(path)) throw Error(path.string() + " exists but is not a directory");
  fs::path partial;
  for (const auto& part : path) {
    partial /= part;
    if (path_is_dir(partial)) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      throw_errno(partial, "mkdir", errno);
    }
    if (!path_is_dir(partial)) throw Error(partial.string() + " exists but is not a directory");
  }
}

// ProfileDir._mkdir: create `path` (mode `mode` if nonzero); an existing
// directory with another mode is chmod-ed, and failing that only warns.
void make_subdir(const fs::path& path, mode_t mode, const WarningSink& warn) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) throw_errno(path, "stat", errno);
    if (::mkdir(path.c_str(), mode != 0 ? mode : 0777) != 0 && errno != EEXIST) {
      throw_errno(path, "mkdir", errno);
    }
    if (::stat(path.c_str(), &st) != 0) throw_errno(path, "stat", errno);
  }
  if (!S_ISDIR(st.st_mode)) throw Error(path.string() + " exists but is not a directory");
  // Also corrects a umask that stripped owner bits from a fresh directory.
  if (mode != 0 && (st.st_mode & 07777) != mode) {
    if (::chmod(path.c_str(), mode) != 0) {
      emit(warn, "Could not set permissions on " + path.string());
    }
  }
}

std::string py_repr(const std::string& s) { return "'" + s + "'"; }

}  // namespace

std::string expand_path(std::string_view s) { return expand_vars(expand_user(s)); }

fs::path resolve_ipython_dir(const std::optional<std::string>& cli_override,
                             const WarningSink& warn) {
  // A configured ipython_dir replaces get_ipython_dir() entirely in
  // BaseIPythonApplication (no creation, no temp-dir fallback).
  if (cli_override) return normalize(*cli_override);

  auto env_dir = getenv_opt("IPYTHONDIR");
  if (getenv_opt("IPYTHON_DIR")) {
    emit(warn,
         "The environment variable IPYTHON_DIR is deprecated since IPython 3.0. "
         "Please use IPYTHONDIR instead.");
    if (!env_dir) env_dir = getenv_opt("IPYTHON_DIR");
  }

  std::string ipdir;
  if (env_dir) {
    ipdir = *env_dir;
  } else {
    std::string home = home_from_env();
    std::error_code ec;
    fs::path real_home = fs::weakly_canonical(home.empty() ? fs::path("/") : fs::path(home), ec);
    if (ec) real_home = home;
    ipdir = (real_home / ".ipython").string();

    // Up to IPython 1.x the default was $XDG_CONFIG_HOME/ipython; it is still
    // honoured if it exists and ~/.ipython does not (IPython.paths).
    std::string xdg = getenv_opt("XDG_CONFIG_HOME").value_or("");
    if (xdg.empty()) xdg = (real_home / ".config").string();
    if (writable_dir(xdg)) {
      fs::path xdg_ipdir = fs::path(xdg) / "ipython";
      if (writable_dir(xdg_ipdir)) {
        if (path_exists(ipdir)) {
          emit(warn, "Ignoring " + xdg_ipdir.string() + " in favour of " + ipdir + ". Remove " +
                         xdg_ipdir.string() + " to get rid of this message");
        } else if (path_is_symlink(xdg_ipdir)) {
          emit(warn, xdg_ipdir.string() + " is deprecated. Move link to " + ipdir +
                         " to get rid of this message");
        } else {
          ipdir = xdg_ipdir.string();
        }
      }
    }
  }

  fs::path result = normalize(expand_user(ipdir));
  if (path_exists(result) && !writable_dir(result)) {
    emit(warn, "IPython dir '" + result.string() + "' is not a writable location, using a temp directory.");
    return make_temp_dir();
  }
  if (!path_exists(result)) {
    fs::path parent = result.parent_path();
    if (!writable_dir(parent)) {
      emit(warn, "IPython parent '" + parent.string() +
                     "' is not a writable location, using a temp directory.");
      return make_temp_dir();
    }
    ensure_dir_exists(result);
  }
  return result;
}

ProfileDir resolve_profile_dir(const ProfileRequest& request) {
  ProfileDir result;
  result.profile = request.profile.value_or("default");

  // --profile-dir wins; newest ipyparallel's init_config_from_env turns
  // $IPP_PROFILE_DIR into ProfileDir.location before the command line is
  // parsed, so it then also beats --profile.
  std::optional<std::string> location = request.profile_dir;
  if (!location) location = getenv_opt("IPP_PROFILE_DIR");

  if (location) {
    if (request.ipython_dir) result.ipython_dir = normalize(*request.ipython_dir);
    result.location = normalize(expand_path(*location));
    if (!path_is_dir(result.location)) {
      if (path_exists(result.location)) {
        throw Error("Profile directory " + py_repr(result.location.string()) +
                    " exists but is not a directory.");
      }
      if (!request.auto_create) {
        throw Error("Profile directory " + py_repr(result.location.string()) + " not found.");
      }
      ensure_dir_exists(result.location);
      result.created = true;
    }
    std::string dir_name = result.location.filename().string();
    if (dir_name.rfind("profile_", 0) == 0) result.profile = dir_name.substr(8);
  } else {
    result.ipython_dir = resolve_ipython_dir(request.ipython_dir, request.warn);
    result.location = result.ipython_dir / ("profile_" + result.profile);
    if (!path_is_dir(result.location)) {
      if (!(request.auto_create || result.profile == "default")) {
        throw Error("Profile " + py_repr(result.profile) + " not found in " +
                    result.ipython_dir.string() + ".");
      }
      // create_profile_dir_by_name: the IPython dir itself must exist.
      if (!path_is_dir(result.ipython_dir)) {
        throw Error("Could not create profile " + py_repr(result.profile) + ": directory " +
                    result.ipython_dir.string() + " not found");
      }
      ensure_dir_exists(result.location);
      result.created = true;
    }
  }

  // ProfileDir.check_dirs, in Python's order; 0700 keeps the connection
  // files (which contain the HMAC key) private.
  make_subdir(result.security_dir(), 0700, request.warn);
  make_subdir(result.log_dir(), 0, request.warn);
  make_subdir(result.pid_dir(), 0700, request.warn);
  make_subdir(result.startup_dir(), 0, request.warn);
  return result;
}

fs::path ProfileDir::client_connection_file(std::string_view cluster_id) const {
  std::string base = "ipcontroller";
  if (!cluster_id.empty()) base += "-" + std::string(cluster_id);
  return security_dir() / (base + "-client.json");
}

fs::path ProfileDir::engine_connection_file(std::string_view cluster_id) const {
  std::string base = "ipcontroller";
  if (!cluster_id.empty()) base += "-" + std::string(cluster_id);
  return security_dir() / (base + "-engine.json");
}

fs::path ProfileDir::cluster_file(std::string_view cluster_id) const {
  return security_dir() / ("cluster-" + std::string(cluster_id) + ".json");
}

fs::path ProfileDir::engine_state_file(std::string_view cluster_id) const {
  return log_dir() / ("engines" + std::string(cluster_id) + ".json");
}

fs::path ProfileDir::log_file(std::string_view app, std::string_view cluster_id, long pid) const {
  return log_dir() /
         (std::string(app) + "-" + std::string(cluster_id) + "-" + std::to_string(pid) + ".log");
}

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/config/profile_dir.hpp"

namespace ipp::config {

struct LoadedConfig;

// What every program takes from BaseParallelApplication,
// BaseIPythonApplication and Application (config-and-cli.md section 1).
struct CommonOptions {
  ProfileDir profile;       // resolved profile directory
  std::string cluster_id;   // BaseParallelApplication.cluster_id ($IPP_CLUSTER_ID)
  int log_level = 20;       // Application.log_level as a number; names mapped (DEBUG = 10)
  bool log_to_file = false;
  bool clean_logs = false;  // ipcluster start: true by default
  std::string log_url;
  std::filesystem::path work_dir;  // expanded; the current directory by default
  std::string log_format;          // Application.log_format if configured, else ""
  std::string log_datefmt;         // Application.log_datefmt if configured, else ""
  bool show_config = false;        // --show-config
  bool show_config_json = false;   // --show-config-json
  bool copy_config_files = false;  // --init
};

// The Session settings of ipcontroller and ipengine (jupyter_client Session).
struct SessionOptions {
  // The HMAC key when configured: Session.key, --secure (a fresh random
  // key), --no-secure (""), $IPP_SESSION_KEY, or the stripped contents of
  // Session.keyfile / --keyfile. nullopt: not configured (the controller
  // makes a random key, as Session's default; the engine uses the
  // connection file's).
  std::optional<std::string> key;
  std::string keyfile;
  std::string signature_scheme = "hmac-sha256";
  std::string packer = "json";
  std::string unpacker = "json";
  std::string session;   // --ident; "" = a new random id
  std::string username;  // --user; default $USER or "username"
  int buffer_threshold = 1024;
  int item_threshold = 64;
  int copy_threshold = 65536;
  int digest_history_size = 65536;
  bool check_pid = true;
  bool debug = false;
  nlohmann::json metadata = nlohmann::json::object();
};

// Build from a loaded configuration (app_class decides inheritance and
// defaults). Throw ipp::Error naming file and line for values of the wrong
// type, an unknown log level name, or an unreadable Session.keyfile.
CommonOptions build_common_options(const LoadedConfig& loaded);
SessionOptions build_session_options(const LoadedConfig& loaded);

}  // namespace ipp::config

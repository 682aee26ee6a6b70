// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/config/common_options.hpp"
#include "ipp/config/config.hpp"

namespace ipp::config {

struct LoadedConfig;

// IPController.db_class, whatever its spelling.
enum class DbKind { DictDB, NoDB, SQLiteDB, MongoDB };

std::string_view db_kind_name(DbKind kind);  // "DictDB", ...

// Resolves IPController.db_class: the 7.1 shortcuts ('sqlitedb', 'mongodb',
// 'dictdb', 'nodb', any case), class names ('SQLiteDB'), dotted paths under
// ipyparallel.controller.* and IPython.parallel.controller.* (also
// 'module:Class'), and class objects from Python files
// ({"__pyobject__": ...}). Throws ipp::Error listing the accepted values
// otherwise; `where` prefixes the message ("file:line: ").
DbKind resolve_db_class(const nlohmann::json& value, const std::string& where = "");

// Everything ipcontroller reads from its configuration (config-and-cli.md
// sections 1-3 and 7). Defaults are ipyparallel 7.1's.
struct ControllerOptions {
  CommonOptions common;
  SessionOptions session;

  // Bind addresses and transports. IPController.ip / .transport set all three
  // unless the specific trait is configured too (Python's observer would
  // overwrite the specific one: we let the more specific setting win).
  std::string engine_ip = "127.0.0.1";
  std::string client_ip = "127.0.0.1";
  std::string monitor_ip = "127.0.0.1";
  std::string engine_transport = "tcp";
  std::string client_transport = "tcp";
  std::string monitor_transport = "tcp";

  // Port pools (section 3), including what the deprecated regport,
  // notifier_port, mon_port, hb, mux, task, control and iopub feed into them.
  std::vector<int> ports;
  std::vector<int> engine_ports;
  std::vector<int> client_ports;

  std::string location;  // written to connection files; default gethostname()
  std::string ssh_server;
  std::string engine_ssh_server;
  bool reuse_files = false;
  bool restore_engines = false;
  bool use_threads = false;
  // security/ipcontroller[-<cluster_id>]-{client,engine}.json unless
  // configured (a relative name is taken in the security directory).
  std::filesystem::path client_json_file;
  std::filesystem::path engine_json_file;

  DbKind db = DbKind::DictDB;
  std::string db_class;  // as written, for messages and logs

  // SQLiteDB
  std::string sqlite_filename = "tasks.db";
  std::filesystem::path sqlite_location;  // default: the profile directory
  std::string sqlite_table = "ipython-tasks";
  // DictDB
  long long dictdb_record_limit = 1024;
  long long dictdb_size_limit = 1024LL * 1024 * 1024;
  double dictdb_cull_fraction = 0.1;
  // MongoDB (not supported; kept so the error can say what was asked)
  nlohmann::json mongodb_connection_args = nlohmann::json::array();
  nlohmann::json mongodb_connection_kwargs = nlohmann::json::object();
  std::string mongodb_database = "ipython-tasks";

  int registration_timeout = 30;  // s; default max(30, heartbeat period / 100)
  int broadcast_scheduler_depth = 1;

  bool enable_curve = false;  // default from $IPP_ENABLE_CURVE == "1"
  std::string curve_publickey;
  std::string curve_secretkey;

  // HeartMonitor
  int heartbeat_period_ms = 3000;
  int max_heartmonitor_misses = 10;
  bool heartmonitor_debug = false;
  // TaskScheduler: leastload, pure, lru, plainrandom, weighted, twobin, none
  std::string scheme_name = "leastload";
  int hwm = 1;

  // Settings that are recognised but that this implementation does not act
  // on (MongoDB, CurveZMQ, non-tcp transports, log forwarding, non-JSON
  // packers). ipcontroller must refuse to start when this is not empty:
  // each entry names file and line and what was asked.
  std::vector<Diagnostic> not_implemented;
  // Deprecation notes produced while building (regport & co.).
  std::vector<Diagnostic> notes;
};

// Throws ipp::Error naming file and line for a value of the wrong type, an
// unknown db_class or scheduler scheme, a port out of range.
ControllerOptions build_controller_options(const LoadedConfig& loaded);

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/controller_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>

#include "config/trait_reader.hpp"
#include "ipp/config/config_loader.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {

using nlohmann::json;
using detail::TraitReader;
using detail::where_prefix;

std::string_view db_kind_name(DbKind kind) {
  switch (kind) {
    case DbKind::DictDB: return "DictDB";
    case DbKind::NoDB: return "NoDB";
    case DbKind::SQLiteDB: return "SQLiteDB";
    case DbKind::MongoDB: return "MongoDB";
  }
  return "?";
}

DbKind resolve_db_class(const json& value, const std::string& where) {
  std::string spelled;
  if (value.is_string()) {
    spelled = value.get<std::string>();
  } else if (value.is_object() && value.contains("__pyobject__")) {
    spelled = value["__pyobject__"].get<std::string>();
  }
  std::string name = spelled;
  std::string module;
  if (size_t colon = name.rfind(':'); colon != std::string::npos) {
    module = name.substr(0, colon);
    name = name.substr(colon + 1);
  } else if (size_t dot = name.rfind('.'); dot != std::string::npos) {
    module = name.substr(0, dot);
    name = name.substr(dot + 1);
  }
  std::string key = name;
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct Known {
    const char* key;
    DbKind kind;
    const char* module;  // leaf module under <package>.controller
  };
  static const Known kKnown[] = {{"dictdb", DbKind::DictDB, "dictdb"},
                                 {"nodb", DbKind::NoDB, "dictdb"},
                                 {"sqlitedb", DbKind::SQLiteDB, "sqlitedb"},
                                 {"mongodb", DbKind::MongoDB, "mongodb"}};
  for (const auto& k : kKnown) {
    if (key != k.key) continue;
    if (module.empty()) return k.kind;
    for (const char* package : {"ipyparallel.controller.", "IPython.parallel.controller."}) {
      if (module == std::string(package) + k.module) return k.kind;
    }
  }
  throw Error(where + "IPController.db_class = " + (spelled.empty() ? value.dump() : "'" + spelled + "'") +
              " is not a known task database; use one of DictDB, NoDB, SQLiteDB (any case, or "
              "their ipyparallel.controller.<module>.<Class> paths)");
}

namespace {

const char* const kController = "IPController";

std::vector<int> int_list(const json& v) {
  std::vector<int> out;
  if (v.is_array()) {
    for (const auto& p : v) {
      if (p.is_number()) out.push_back(p.get<int>());
    }
  }
  return out;
}

std::string hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

Diagnostic at(const TraitReader& r, const std::string& cls, const std::string& trait,
              Diagnostic::Kind kind, std::string message) {
  Diagnostic d{kind, "", 0, std::move(message)};
  if (const ConfigValue* v = r.source(cls, trait)) {
    d.source = v->source;
    d.line = v->line;
  }
  return d;
}

std::string spelled(const TraitReader& r, const std::string& cls, const std::string& trait) {
  const ConfigValue* v = r.source(cls, trait);
  return v != nullptr && !v->spelled_as.empty() ? v->spelled_as : cls + "." + trait;
}

}  // namespace

ControllerOptions build_controller_options(const LoadedConfig& loaded) {
  TraitReader r(loaded.config);
  ControllerOptions o;
  o.common = build_common_options(loaded);
  o.session = build_session_options(loaded);
  const std::string c = kController;

  // ip/transport shortcuts, then the specific traits.
  std::string ip = r.get_str(c, "ip");
  std::string transport = r.get_str(c, "transport");
  o.engine_ip = r.is_set(c, "engine_ip") ? r.get_str(c, "engine_ip") : ip;
  o.client_ip = r.is_set(c, "client_ip") ? r.get_str(c, "client_ip") : ip;
  o.monitor_ip = r.is_set(c, "monitor_ip") ? r.get_str(c, "monitor_ip") : ip;
  o.engine_transport = r.is_set(c, "engine_transport") ? r.get_str(c, "engine_transport") : transport;
  o.client_transport = r.is_set(c, "client_transport") ? r.get_str(c, "client_transport") : transport;
  o.monitor_transport = r.is_set(c, "monitor_transport") ? r.get_str(c, "monitor_transport") : transport;

  // Port pools, then the deprecated single ports and pairs that feed them
  // (controller/app.py observers: they run after all config is set).
  o.ports = int_list(r.get(c, "ports"));
  o.engine_ports = int_list(r.get(c, "engine_ports"));
  o.client_ports = int_list(r.get(c, "client_ports"));
  auto deprecated_port = [&](const char* trait, std::string_view pool_hint) {
    o.notes.push_back(at(r, c, trait, Diagnostic::Kind::Deprecated,
                         "c." + spelled(r, c, trait) + " is deprecated in IPython Parallel 7: use c.IPController." +
                             std::string(pool_hint)));
  };
  if (auto v = r.configured(c, "regport"); v && v->get<long long>() != 0) {
    o.engine_ports.push_back(v->get<int>());
    deprecated_port("regport", "engine_ports (or ports)");
  }
  if (auto v = r.configured(c, "hb"); v && v->is_array() && v->size() == 2) {
    o.engine_ports.push_back((*v)[0].get<int>());
    o.engine_ports.push_back((*v)[1].get<int>());
    deprecated_port("hb", "engine_ports");
  }
  for (const char* pair : {"mux", "task", "control", "iopub"}) {
    if (auto v = r.configured(c, pair); v && v->is_array() && v->size() == 2) {
      o.client_ports.push_back((*v)[0].get<int>());
      o.engine_ports.push_back((*v)[0].get<int>());
      deprecated_port(pair, "ports");
    }
  }
  if (auto v = r.configured(c, "notifier_port"); v && v->get<long long>() != 0) {
    o.client_ports.push_back(v->get<int>());
    deprecated_port("notifier_port", "client_ports (or ports)");
  }
  if (auto v = r.configured(c, "mon_port"); v && v->get<long long>() != 0) {
    o.ports.push_back(v->get<int>());
    deprecated_port("mon_port", "ports");
  }
  for (const auto* pool : {&o.ports, &o.engine_ports, &o.client_ports}) {
    for (int p : *pool) {
      if (p < 1 || p > 65536) throw Error("IPController port " + std::to_string(p) + " is outside 1-65536");
    }
  }

  o.location = r.is_set(c, "location") ? r.get_str(c, "location") : hostname();
  o.ssh_server = r.get_str(c, "ssh_server");
  o.engine_ssh_server = r.get_str(c, "engine_ssh_server");
  o.reuse_files = r.get_bool(c, "reuse_files");
  o.restore_engines = r.get_bool(c, "restore_engines");
  o.use_threads = r.get_bool(c, "use_threads");

  // _cluster_id_changed: ipcontroller-<id>-{client,engine}.json unless set.
  const std::string base = o.common.cluster_id.empty() ? "ipcontroller" : "ipcontroller-" + o.common.cluster_id;
  std::filesystem::path client_json = r.is_set(c, "client_json_file") ? r.get_str(c, "client_json_file") : base + "-client.json";
  std::filesystem::path engine_json = r.is_set(c, "engine_json_file") ? r.get_str(c, "engine_json_file") : base + "-engine.json";
  o.client_json_file = o.common.profile.security_dir() / client_json;
  o.engine_json_file = o.common.profile.security_dir() / engine_json;

  json db = r.get(c, "db_class");
  o.db_class = db.is_string()                                   ? db.get<std::string>()
               : db.is_object() && db.contains("__pyobject__") ? db["__pyobject__"].get<std::string>()
                                                                : db.dump();
  o.db = resolve_db_class(db, where_prefix(r, c, "db_class"));

  o.sqlite_filename = r.get_str("SQLiteDB", "filename");
  std::string sqlite_location = r.get_str("SQLiteDB", "location");
  o.sqlite_location = sqlite_location.empty() ? o.common.profile.location
                                              : std::filesystem::path(expand_path(sqlite_location));
  o.sqlite_table = r.get_str("SQLiteDB", "table");
  o.dictdb_record_limit = r.get_int("DictDB", "record_limit");
  o.dictdb_size_limit = r.get_int("DictDB", "size_limit");
  o.dictdb_cull_fraction = r.get_float("DictDB", "cull_fraction");
  o.mongodb_connection_args = r.get("MongoDB", "connection_args");
  o.mongodb_connection_kwargs = r.get("MongoDB", "connection_kwargs");
  o.mongodb_database = r.get_str("MongoDB", "database");

  o.heartbeat_period_ms = static_cast<int>(r.get_int("HeartMonitor", "period"));
  o.max_heartmonitor_misses = static_cast<int>(r.get_int("HeartMonitor", "max_heartmonitor_misses"));
  o.heartmonitor_debug = r.get_bool("HeartMonitor", "debug");
  if (o.heartbeat_period_ms <= 0) {
    throw Error(where_prefix(r, "HeartMonitor", "period") + "HeartMonitor.period must be a positive "
                "number of milliseconds, not " + std::to_string(o.heartbeat_period_ms));
  }
  // The default is computed from the heartbeat period (max(30, period/100)).
  if (auto v = r.configured(c, "registration_timeout")) {
    o.registration_timeout = v->get<int>();
  } else {
    o.registration_timeout = std::max(30, static_cast<int>(0.01 * o.heartbeat_period_ms));
  }
  o.broadcast_scheduler_depth = static_cast<int>(r.get_int(c, "broadcast_scheduler_depth"));
  if (o.broadcast_scheduler_depth < 0 || o.broadcast_scheduler_depth > 16) {
    throw Error(where_prefix(r, c, "broadcast_scheduler_depth") +
                "IPController.broadcast_scheduler_depth must be between 0 and 16, not " +
                std::to_string(o.broadcast_scheduler_depth));
  }

  // TaskScheduler.scheme_name: the Enum, plus 'none' which the app accepts.
  if (r.is_set("TaskScheduler", "scheme_name")) {
    const ConfigValue* v = r.source("TaskScheduler", "scheme_name");
    std::string scheme = v->value.is_string() ? v->value.get<std::string>() : v->value.dump();
    if (scheme != "none") scheme = r.get_str("TaskScheduler", "scheme_name");  // validates
    o.scheme_name = scheme;
  }
  o.hwm = static_cast<int>(r.get_int("TaskScheduler", "hwm"));

  const char* curve_env = std::getenv("IPP_ENABLE_CURVE");
  o.enable_curve = r.is_set(c, "enable_curve") ? r.get_bool(c, "enable_curve")
                                               : (curve_env != nullptr && std::string(curve_env) == "1");
  o.curve_publickey = r.get_str(c, "curve_publickey");
  o.curve_secretkey = r.get_str(c, "curve_secretkey");

  // Recognised, not implemented: the controller refuses to start.
  auto unsupported = [&](const std::string& cls, const std::string& trait, const std::string& what) {
    o.not_implemented.push_back(at(r, cls, trait, Diagnostic::Kind::Unsupported,
                                   what + " is recognised but not implemented by this ipcontroller"));
  };
  if (o.db == DbKind::MongoDB) {
    unsupported(c, "db_class", "IPController.db_class = MongoDB (use SQLiteDB, DictDB or NoDB)");
  }
  if (o.enable_curve) {
    Diagnostic d = at(r, c, "enable_curve", Diagnostic::Kind::Unsupported,
                      "IPController.enable_curve = True (CurveZMQ) is recognised but not "
                      "implemented by this ipcontroller");
    if (d.source.empty()) d.source = "<environment $IPP_ENABLE_CURVE>";
    o.not_implemented.push_back(std::move(d));
  }
  for (auto [trait, value] : {std::pair<const char*, const std::string*>{"engine_transport", &o.engine_transport},
                              {"client_transport", &o.client_transport},
                              {"monitor_transport", &o.monitor_transport}}) {
    if (*value != "tcp") {
      std::string t = r.is_set(c, trait) ? trait : "transport";
      unsupported(c, t, "IPController." + t + " = '" + *value + "' (only 'tcp')");
      if (t == "transport") break;
    }
  }
  if (!o.common.log_url.empty()) {
    unsupported(c, "log_url", "log forwarding (log_url = '" + o.common.log_url + "')");
  }
  if (o.session.packer != "json" || o.session.unpacker != "json") {
    unsupported("Session", o.session.packer != "json" ? "packer" : "unpacker",
                "Session.packer/unpacker = '" + (o.session.packer != "json" ? o.session.packer : o.session.unpacker) +
                    "' (only 'json')");
  }
  return o;
}

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/cluster_options.hpp"

#include <algorithm>
#include <set>

#include "config/trait_reader.hpp"
#include "ipp/config/config_loader.hpp"
#include "ipp/config/trait_catalog.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {

using nlohmann::json;
using detail::TraitReader;
using detail::to_strings;
using detail::where_prefix;

namespace {

std::string as_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::optional<std::vector<std::pair<std::string, std::string>>> pairs(const json& v,
                                                                      const std::string& what) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!v.is_array()) throw Error(what + ": expected a list of (source, destination) pairs, not " + v.dump());
  for (const auto& p : v) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
      throw Error(what + ": expected (source, destination) pairs of paths, not " + p.dump());
    }
    out.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  }
  return out;
}

// Copies one resolved trait into the struct field of the same name.
void assign(LauncherConfig& l, const std::string& name, const json& v, const std::string& where) {
  auto strings = [&] { return to_strings(v); };
  auto optional_strings = [&]() -> std::optional<std::vector<std::string>> {
    if (v.is_null()) return std::nullopt;
    return to_strings(v);
  };
  auto integer = [&] { return v.is_number() ? v.get<int>() : 0; };
  if (name == "stop_timeout") l.stop_timeout = integer();
  else if (name == "output_limit") l.output_limit = integer();
  else if (name == "environment") l.environment = v.is_object() ? v : json::object();
  else if (name == "connection_info_timeout") l.connection_info_timeout = v.is_number() ? v.get<double>() : 60.0;
  else if (name == "poll_seconds") l.poll_seconds = integer();
  else if (name == "stop_seconds_until_kill") l.stop_seconds_until_kill = integer();
  else if (name == "controller_cmd") l.controller_cmd = optional_strings();
  else if (name == "controller_args") l.controller_args = strings();
  else if (name == "engine_cmd") l.engine_cmd = optional_strings();
  else if (name == "engine_args") l.engine_args = strings();
  else if (name == "delay") l.delay = v.is_number() ? v.get<double>() : 0.1;
  else if (name == "mpi_cmd") l.mpi_cmd = strings();
  else if (name == "mpi_args") l.mpi_args = strings();
  else if (name == "ssh_cmd") l.ssh_cmd = strings();
  else if (name == "ssh_args") l.ssh_args = strings();
  else if (name == "scp_cmd") l.scp_cmd = strings();
  else if (name == "scp_args") l.scp_args = strings();
  else if (name == "hostname") l.hostname = as_text(v);
  else if (name == "user") l.user = as_text(v);
  else if (name == "location") l.location = as_text(v);
  else if (name == "remote_profile_dir") l.remote_profile_dir = as_text(v);
  else if (name == "remote_python") l.remote_python = as_text(v);
  else if (name == "to_send") l.to_send = pairs(v, where + "to_send");
  else if (name == "to_fetch") l.to_fetch = pairs(v, where + "to_fetch");
  else if (name == "ipcluster_cmd") l.ipcluster_cmd = optional_strings();
  else if (name == "ipcluster_args") l.ipcluster_args = strings();
  else if (name == "submit_command") l.submit_command = strings();
  else if (name == "delete_command") l.delete_command = strings();
  else if (name == "signal_command") l.signal_command = strings();
  else if (name == "job_id_regexp") l.job_id_regexp = as_text(v);
  else if (name == "job_id_regexp_group") l.job_id_regexp_group = integer();
  else if (name == "batch_template") l.batch_template = as_text(v);
  else if (name == "batch_template_file") l.batch_template_file = as_text(v);
  else if (name == "batch_file_name") l.batch_file_name = as_text(v);
  else if (name == "queue") l.queue = as_text(v);
  else if (name == "namespace") l.namespace_ = v.is_object() ? v : json::object();
  else if (name == "output_file") l.output_file = as_text(v);
  else if (name == "account") l.account = as_text(v);
  else if (name == "qos") l.qos = as_text(v);
  else if (name == "timelimit") l.timelimit = as_text(v);
  else if (name == "options") l.options = as_text(v);
  else if (name == "job_file_name") l.job_file_name = as_text(v);
  else if (name == "scheduler") l.scheduler = as_text(v);
  else if (name == "job_cmd") l.job_cmd = as_text(v);
  // other traits (engines, n, ...) stay in `traits` only
}

LauncherConfig build_launcher(const TraitReader& r, const LauncherClass& launcher) {
  const TraitCatalog& cat = TraitCatalog::instance();
  const std::string& cls = launcher.class_name;
  LauncherConfig l;
  l.launcher = launcher;
  const bool ssh = launcher.kind == LauncherKind::SSH || launcher.kind == LauncherKind::SSHProxy;
  if (ssh) l.poll_seconds = 60;  // SSHLauncher._default_poll_seconds
  for (const auto& name : cat.trait_names(cls)) {
    std::optional<json> configured = r.configured(cls, name);
    json value = configured ? *configured : cat.find_trait(cls, name)->default_value;
    if (!configured && ssh && name == "poll_seconds") value = 60;
    if (!configured && (name == "to_send" || name == "to_fetch")) {
      l.traits[name] = nullptr;  // the launcher's computed default
      continue;
    }
    l.traits[name] = value;
    if (configured) {
      const ConfigValue* src = r.source(cls, name);
      l.configured.emplace_back(name, src != nullptr ? src->where() : "");
    }
    assign(l, name, value, where_prefix(r, cls, name));
  }
  return l;
}

// Per-host SSHEngineLauncher, as SSHEngineSetLauncher.start() makes it.
SSHEngineHost ssh_host(const TraitReader& r, const LauncherConfig& set, const std::string& key,
                       const json& spec, const std::string& where) {
  SSHEngineHost h;
  h.key = key;
  if (spec.is_number_integer()) {
    h.n = spec.get<int>();
  } else if (spec.is_array() && spec.size() == 2 && spec[0].is_number_integer() && spec[1].is_array()) {
    // IPython 0.x: (n, engine_args). ipyparallel 7 fails on it; it still
    // means what it says.
    h.n = spec[0].get<int>();
    h.overrides["engine_args"] = spec[1];
  } else if (spec.is_object() && !spec.contains("__repr__") && !spec.contains("__pyobject__")) {
    h.overrides = spec;
    if (auto n = h.overrides.find("n"); n != h.overrides.end()) {
      if (!n->is_number_integer()) {
        throw Error(where + "SSHEngineSetLauncher.engines['" + key + "']['n'] must be an int, not " + n->dump());
      }
      h.n = n->get<int>();
      h.overrides.erase(n);
    }
  } else {
    throw Error(where + "SSHEngineSetLauncher.engines['" + key +
                "'] must be a number of engines, a (n, engine_args) pair or a dict with 'n', not " +
                spec.dump());
  }
  if (h.n < 0) throw Error(where + "SSHEngineSetLauncher.engines['" + key + "']: negative engine count");

  std::string host = key;
  if (size_t at = host.find('@'); at != std::string::npos) {
    h.user = host.substr(0, at);
    host = host.substr(at + 1);
  }
  if (size_t colon = host.find(':'); colon != std::string::npos) {
    std::string port = host.substr(colon + 1);
    host = host.substr(0, colon);
    try {
      size_t used = 0;
      int p = std::stoi(port, &used);
      if (used != port.size() || p < 1 || p > 65535) throw std::invalid_argument(port);
      h.port = p;
    } catch (const std::exception&) {
      throw Error(where + "SSHEngineSetLauncher.engines: bad ssh port in '" + key + "'");
    }
  }
  h.host = host;

  const TraitCatalog& cat = TraitCatalog::instance();
  LauncherClass engine_class{LauncherKind::SSH, LauncherRole::Engine, "SSHEngineLauncher", false};
  h.launcher = build_launcher(r, engine_class);
  // inherited_traits: traits both classes configure, minus the per-host ones.
  static const std::set<std::string> kNotInherited = {"location", "user", "hostname", "to_send", "to_fetch"};
  std::vector<std::string> engine_traits = cat.trait_names("SSHEngineLauncher");
  for (const auto& name : cat.trait_names("SSHEngineSetLauncher")) {
    if (kNotInherited.count(name) != 0) continue;
    if (std::find(engine_traits.begin(), engine_traits.end(), name) == engine_traits.end()) continue;
    h.launcher.traits[name] = set.traits[name];
    assign(h.launcher, name, set.traits[name], where);
  }
  for (const auto& [name, value] : h.overrides.items()) {
    const TraitInfo* t = cat.find_trait("SSHEngineLauncher", name);
    if (t == nullptr) {
      throw Error(where + "SSHEngineSetLauncher.engines['" + key + "']: '" + name +
                  "' is not an SSHEngineLauncher setting");
    }
    ConfigValue cv;
    cv.value = value;
    cv.source = where.empty() ? "" : where.substr(0, where.size() - 2);
    json typed = convert_trait_value(*t, "SSHEngineLauncher", cv);
    h.launcher.traits[name] = typed;
    assign(h.launcher, name, typed, where);
  }
  h.launcher.hostname = h.host;
  h.launcher.traits["hostname"] = h.host;
  if (!h.user.empty()) {
    h.launcher.user = h.user;
    h.launcher.traits["user"] = h.user;
  }
  h.launcher.location = h.launcher.user.empty() ? h.host : h.launcher.user + "@" + h.host;
  h.launcher.port = h.port;
  return h;
}

std::vector<SSHEngineHost> ssh_engines(const TraitReader& r, const LauncherConfig& set,
                                       std::vector<Diagnostic>* notes) {
  std::vector<SSHEngineHost> hosts;
  const json& engines = set.traits.at("engines");
  const ConfigValue* src = r.source("SSHEngineSetLauncher", "engines");
  const std::string where = where_prefix(r, "SSHEngineSetLauncher", "engines");
  if (!engines.is_object()) throw Error(where + "SSHEngineSetLauncher.engines must be a dict");
  // Engines start in dict order (n is an upper limit); nlohmann sorts keys,
  // so the order comes from the value's recorded key_order.
  std::vector<std::string> order;
  if (src != nullptr) order = src->key_order;
  bool same_keys = order.size() == engines.size() &&
                   std::all_of(order.begin(), order.end(), [&](const std::string& k) { return engines.contains(k); });
  if (!same_keys) {
    order.clear();
    for (const auto& [k, _] : engines.items()) order.push_back(k);
  }
  for (const auto& key : order) {
    hosts.push_back(ssh_host(r, set, key, engines.at(key), where));
    if (hosts.back().host.empty() && notes != nullptr) {
      notes->push_back({Diagnostic::Kind::Note, src ? src->source : "", src ? src->line : 0,
                        "SSHEngineSetLauncher.engines has an empty host name ('" + key +
                            "'): ssh will not be able to reach it"});
    }
  }
  return hosts;
}

}  // namespace

std::vector<SSHEngineHost> resolve_ssh_engines(const LoadedConfig& loaded, std::vector<Diagnostic>* notes) {
  TraitReader r(loaded.config);
  LauncherClass set_class{LauncherKind::SSH, LauncherRole::EngineSet, "SSHEngineSetLauncher", false};
  return ssh_engines(r, build_launcher(r, set_class), notes);
}

LauncherConfig resolve_launcher_config(const LoadedConfig& loaded, const LauncherClass& launcher) {
  TraitReader r(loaded.config);
  return build_launcher(r, launcher);
}

ClusterOptions build_cluster_options(const LoadedConfig& loaded) {
  TraitReader r(loaded.config);
  ClusterOptions o;
  o.common = build_common_options(loaded);
  o.subcommand = loaded.subcommand;
  const std::string& app = loaded.app_class;

  if (auto n = r.get_optional_int("Cluster", "n")) {
    if (*n < 0) throw Error(where_prefix(r, "Cluster", "n") + "Cluster.n must not be negative");
    o.n = static_cast<int>(*n);
  }
  o.delay = r.get_float("Cluster", "delay");
  auto launcher = [&](const char* trait, LauncherRole role) {
    json v = r.get("Cluster", trait);
    const std::string where = where_prefix(r, "Cluster", trait);
    LauncherClass c;
    try {
      c = resolve_launcher_class(v, role, std::string("Cluster.") + trait);
    } catch (const Error& e) {
      throw Error(where + e.what());
    }
    if (c.old_spelling) {
      const ConfigValue* src = r.source("Cluster", trait);
      o.notes.push_back({Diagnostic::Kind::Deprecated, src ? src->source : "", src ? src->line : 0,
                         "launcher name '" + as_text(v.is_object() ? v.value("__pyobject__", json()) : v) +
                             "' is an old spelling of '" + std::string(launcher_kind_name(c.kind)) + "' (" +
                             c.class_name + ")"});
    }
    return c;
  };
  o.engine_launcher_class = launcher("engine_launcher_class", LauncherRole::EngineSet);
  o.controller_launcher_class = launcher("controller_launcher_class", LauncherRole::Controller);

  o.controller_args = r.get_strings("Cluster", "controller_args");
  if (o.subcommand == "start" || o.subcommand == "engines") {
    for (const auto& a : loaded.command_line.positional) o.controller_args.push_back(a);
  }
  for (const auto& a : loaded.command_line.after_double_dash) o.controller_args.push_back(a);
  o.controller_ip = r.get_str("Cluster", "controller_ip");
  o.controller_location = r.get_str("Cluster", "controller_location");
  o.engine_timeout = static_cast<int>(r.get_int("Cluster", "engine_timeout"));
  o.load_profile = r.get_bool("Cluster", "load_profile");
  o.send_engines_connection_env = r.get_bool("Cluster", "send_engines_connection_env");

  const TraitCatalog& cat = TraitCatalog::instance();
  auto has = [&](const char* trait) { return cat.find_trait(app, trait) != nullptr; };
  if (has("daemonize")) o.daemonize = r.get_bool(app, "daemonize");
  if (has("early_shutdown")) o.early_shutdown = static_cast<int>(r.get_int(app, "early_shutdown"));
  if (app == "IPClusterStop") {
    o.stop_all = r.get_bool(app, "all_cluster_ids");
    o.stop_signal = static_cast<int>(r.get_int(app, "signal"));
    o.cluster_ids = loaded.command_line.positional;
  }
  if (app == "IPClusterList") o.output_format = r.get_str(app, "output_format");
  if (app == "IPClusterClean") {
    o.clean_force = r.get_bool(app, "force");
    o.clean_all_profiles = r.get_bool(app, "all_profiles");
  }
  if (app == "IPClusterNBExtension") {
    o.nbextension_user = r.get_bool(app, "user");
    if (!loaded.command_line.positional.empty()) o.nbextension_action = loaded.command_line.positional[0];
  }

  o.engine_launcher = build_launcher(r, o.engine_launcher_class);
  o.controller_launcher = build_launcher(r, o.controller_launcher_class);
  if (o.engine_launcher_class.class_name == "SSHEngineSetLauncher") {
    o.ssh_engines = ssh_engines(r, o.engine_launcher, &o.notes);
  }

  for (const LauncherConfig* l : {&o.engine_launcher, &o.controller_launcher}) {
    if (l->launcher.kind == LauncherKind::WindowsHPC) {
      const char* trait = l == &o.engine_launcher ? "engine_launcher_class" : "controller_launcher_class";
      const ConfigValue* src = r.source("Cluster", trait);
      o.not_implemented.push_back({Diagnostic::Kind::Unsupported, src ? src->source : "", src ? src->line : 0,
                                   "Windows HPC launchers (" + l->launcher.class_name +
                                       ") are recognised but not implemented"});
    }
  }
  return o;
}

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/engine_options.hpp"

#include "config/trait_reader.hpp"
#include "ipp/config/config_loader.hpp"
#include "ipp/config/trait_catalog.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {

using nlohmann::json;
using detail::TraitReader;

const char* const kDefaultMpiInit =
    "\n"
    "from mpi4py import MPI\n"
    "mpi_rank = MPI.COMM_WORLD.Get_rank()\n"
    "mpi_size = MPI.COMM_WORLD.Get_size()\n";

namespace {

const char* const kEngine = "IPEngine";

// A list configured on a class outside the catalogue (IPKernelApp and
// friends): plain lists, command-line strings, and lazy .append()s onto an
// empty default.
std::optional<std::vector<std::string>> foreign_list(const Config& config, const std::string& cls,
                                                     const std::string& trait) {
  const ConfigValue* v = config.find(cls, trait);
  if (v == nullptr) return std::nullopt;
  json value = v->lazy ? apply_lazy(v->value, json::array()) : v->value;
  if (value.is_string()) value = json::array({value});
  if (!value.is_array()) {
    throw Error(v->where() + ": The '" + trait + "' trait of " + cls + " expected a list, not " +
                value.dump());
  }
  return detail::to_strings(value);
}

}  // namespace

EngineOptions build_engine_options(const LoadedConfig& loaded) {
  TraitReader r(loaded.config);
  EngineOptions o;
  o.common = build_common_options(loaded);
  o.session = build_session_options(loaded);
  const std::string e = kEngine;

  o.url_file_name = r.is_set(e, "url_file_name")
                        ? r.get_str(e, "url_file_name")
                        : (o.common.cluster_id.empty() ? "ipcontroller" : "ipcontroller-" + o.common.cluster_id) +
                              std::string("-engine.json");
  std::string url_file = r.get_str(e, "url_file");
  o.url_file_given = !url_file.empty();
  o.url_file = o.url_file_given ? std::filesystem::path(expand_path(url_file))
                                : o.common.profile.security_dir() / o.url_file_name;
  o.wait_for_url_file = r.get_float(e, "wait_for_url_file");
  o.startup_command = r.get_str(e, "startup_command");
  o.startup_script = r.get_str(e, "startup_script");
  if (!o.startup_script.empty()) o.startup_script = expand_path(o.startup_script);
  o.registration_url = r.get_str(e, "registration_url");
  o.location = r.get_str(e, "location");
  o.sshserver = r.get_str(e, "sshserver");
  o.sshkey = r.get_str(e, "sshkey");
  o.paramiko = r.get_bool(e, "paramiko");
  o.timeout = r.get_float(e, "timeout");
  o.max_heartbeat_misses = static_cast<int>(r.get_int(e, "max_heartbeat_misses"));
  if (auto id = r.get_optional_int(e, "id")) o.id = static_cast<int>(*id);
  o.use_mpi = r.get_bool(e, "use_mpi");
  if (r.is_set(e, "init_mpi")) o.init_mpi = r.get_str(e, "init_mpi");
  o.mpi_registration_delay = r.get_float(e, "mpi_registration_delay");
  o.enable_nanny = r.get_bool(e, "enable_nanny");
  if (r.is_set(e, "out_stream_factory")) o.out_stream_factory = r.get_str(e, "out_stream_factory");
  if (r.is_set(e, "display_hook_factory")) o.display_hook_factory = r.get_str(e, "display_hook_factory");
  o.curve_serverkey = r.get_str(e, "curve_serverkey");
  o.curve_publickey = r.get_str(e, "curve_publickey");
  o.curve_secretkey = r.get_str(e, "curve_secretkey");
  o.stop_on_error_timeout = r.get_float("IPythonParallelKernel", "stop_on_error_timeout");

  // engine/app.py: the first of IPKernelApp / InteractiveShellApp that sets
  // exec_lines (exec_files) wins; then startup_command (startup_script).
  for (const char* app : {"IPKernelApp", "InteractiveShellApp"}) {
    if (auto lines = foreign_list(loaded.config, app, "exec_lines")) {
      o.exec_lines = *lines;
      break;
    }
  }
  for (const char* app : {"IPKernelApp", "InteractiveShellApp"}) {
    if (auto files = foreign_list(loaded.config, app, "exec_files")) {
      o.exec_files = *files;
      break;
    }
  }
  for (const char* app : {"IPKernelApp", "InteractiveShellApp"}) {
    if (auto ext = foreign_list(loaded.config, app, "extensions")) {
      o.extensions = *ext;
      break;
    }
  }
  if (!o.startup_script.empty()) o.exec_files.push_back(o.startup_script);
  if (!o.startup_command.empty()) o.exec_lines.push_back(o.startup_command);
  if (o.use_mpi && !o.init_mpi.empty()) o.exec_lines.insert(o.exec_lines.begin(), o.init_mpi);

  // Sections for the embedded IPython kernel.
  const TraitCatalog& cat = TraitCatalog::instance();
  for (const auto& [section, traits] : loaded.config.sections()) {
    bool kernel_side = cat.is_foreign(section) || section == "IPythonParallelKernel" ||
                       section == "IPythonKernel" || section == "Kernel";
    if (!kernel_side || section.find('.') != std::string::npos) continue;
    for (const auto& [trait, value] : traits) {
      o.shell_config[section][trait] = value.lazy ? json{{"__lazy__", value.value}} : value.value;
    }
  }

  if (!o.common.log_url.empty()) {
    const ConfigValue* v = r.source(e, "log_url");
    o.not_implemented.push_back({Diagnostic::Kind::Unsupported, v ? v->source : "", v ? v->line : 0,
                                 "log forwarding (log_url) is recognised but not implemented by this "
                                 "ipengine"});
  }
  if (o.paramiko) {
    const ConfigValue* v = r.source(e, "paramiko");
    o.not_implemented.push_back({Diagnostic::Kind::Unsupported, v ? v->source : "", v ? v->line : 0,
                                 "IPEngine.paramiko = True is ignored: ssh tunnels always use the "
                                 "built-in SSH client (libssh)"});
  }
  return o;
}

}  // namespace ipp::config

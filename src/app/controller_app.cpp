// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/app/controller_app.hpp"

#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "app/program.hpp"
#include "ipp/app/controller.hpp"
#include "ipp/config/config_loader.hpp"
#include "ipp/config/connection_file.hpp"
#include "ipp/config/controller_options.hpp"
#include "ipp/util/error.hpp"
#include "ipp/util/log.hpp"
#include "ipp/util/net.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::app {
namespace {

std::filesystem::path in_security_dir(const config::ProfileDir& profile,
                                      const std::filesystem::path& name) {
  return name.is_absolute() ? name : profile.security_dir() / name;
}

ControllerSettings make_settings(const config::ControllerOptions& o) {
  ControllerSettings s;
  s.engine_ip = o.engine_ip;
  s.client_ip = o.client_ip;
  s.engine_transport = o.engine_transport;
  s.client_transport = o.client_transport;
  s.location = o.location.empty() ? util::hostname() : o.location;
  s.ssh_server = o.ssh_server;
  s.engine_ssh_server = o.engine_ssh_server;
  s.ports = o.ports;
  s.engine_ports = o.engine_ports;
  s.client_ports = o.client_ports;
  s.scheme = o.scheme_name;
  s.hwm = o.hwm;
  s.ping_ms = o.heartbeat_period_ms;
  s.max_heartmonitor_misses = o.max_heartmonitor_misses;
  s.registration_timeout_s = o.registration_timeout;
  s.broadcast_depth = o.broadcast_scheduler_depth;
  s.db_class = std::string(config::db_kind_name(o.db));
  s.sqlite_file = o.sqlite_location / o.sqlite_filename;
  s.sqlite_table = o.sqlite_table;
  s.dictdb_record_limit = static_cast<std::size_t>(std::max(0LL, o.dictdb_record_limit));
  s.dictdb_size_limit = static_cast<std::size_t>(std::max(0LL, o.dictdb_size_limit));
  s.dictdb_cull_fraction = o.dictdb_cull_fraction;
  // Session: the key as configured, else a fresh random one (Session's
  // default key is a new uuid-like id, so controllers are signed by default).
  s.session.key = o.session.key ? *o.session.key : wire::Session::new_session_id();
  s.session.signature_scheme = o.session.signature_scheme;
  s.session.pack = o.session.packer;
  s.session.unpack = o.session.unpacker;
  s.session.username = o.session.username;
  s.session.digest_history_size = static_cast<std::size_t>(std::max(1, o.session.digest_history_size));
  s.reuse_files = o.reuse_files || o.restore_engines;
  s.restore_engines = o.restore_engines;
  const auto& profile = o.common.profile;
  const auto& cluster_id = o.common.cluster_id;
  s.client_file = in_security_dir(profile, o.client_json_file.empty()
      ? std::filesystem::path(config::connection_file_name(config::ConnectionKind::Client, cluster_id))
      : o.client_json_file);
  s.engine_file = in_security_dir(profile, o.engine_json_file.empty()
      ? std::filesystem::path(config::connection_file_name(config::ConnectionKind::Engine, cluster_id))
      : o.engine_json_file);
  s.engine_state_file = profile.engine_state_file(cluster_id);
  return s;
}

// Blocks until SIGINT/SIGTERM/SIGABRT or until the controller is done.
// The signals are blocked in every thread (set before the loops start) and
// taken here synchronously with sigtimedwait: no async handler runs.
void wait_for_end(Controller& controller, const sigset_t& signals) {
  for (;;) {
    if (controller.wait(0)) return;
    timespec timeout{0, 100 * 1000 * 1000};
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig > 0) {
      spdlog::info("Received signal {}, shutting down", sig);
      return;
    }
  }
}

int run(const config::LoadedConfig& loaded) {
  config::ControllerOptions options = config::build_controller_options(loaded);
  // The hub logs every task at INFO (as hub.py): records go out in batches,
  // at most 100 ms late (WARNING and above at once).
  auto logger = setup_program_logging(util::kControllerLoggerName, options.common, "ipcontroller",
                                      std::chrono::milliseconds(100));
  report_diagnostics(loaded);
  for (const auto& note : options.notes) spdlog::warn("{}", note.to_string());
  if (!options.not_implemented.empty()) {
    for (const auto& d : options.not_implemented) spdlog::error("{}", d.to_string());
    spdlog::error("ipcontroller: the settings above are not implemented by this controller; "
                  "remove them to start");
    return 1;
  }
  if (handle_show_config(loaded, options.common)) return 0;
  change_to_work_dir(options.common);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGABRT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Controller controller(make_settings(options));
  controller.start();
  spdlog::info("ipcontroller ready (pid {}), scheme {}, {} db", getpid(), options.scheme_name,
               config::db_kind_name(options.db));
  wait_for_end(controller, signals);
  controller.stop();
  return 0;
}

}  // namespace

int run_controller(int argc, char** argv) {
  return run_program(config::Program::Controller, argc, argv, run);
}

}  // namespace ipp::app

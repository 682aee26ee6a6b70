// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/engine.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "engine/fd_log_sink.hpp"
#include "ipp/engine/connection.hpp"
#include "ipp/engine/control_channel.hpp"
#include "ipp/engine/curve.hpp"
#include "ipp/engine/heart.hpp"
#include "ipp/engine/iopub_channel.hpp"
#include "ipp/engine/kernel.hpp"
#include "ipp/engine/output_capture.hpp"
#include "ipp/engine/python_runtime.hpp"
#include "ipp/engine/registration.hpp"
#include "ipp/engine/shared_session.hpp"
#include "ipp/engine/signals.hpp"
#include "ipp/engine/ssh_tunnel.hpp"
#include "ipp/util/error.hpp"
#include "ipp/util/log.hpp"

namespace ipp::engine {
namespace {

using std::chrono::milliseconds;

// How long a requested stop may take before the watchdog ends the process.
constexpr milliseconds kStopGrace{5000};

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return milliseconds(static_cast<long long>(seconds * 1000.0));
}

// A logger like the default one but writing to `fd` (see FdLogSink).
std::shared_ptr<spdlog::logger> fd_logger(const std::string& name, int fd,
                                          spdlog::level::level_enum level) {
  auto sink = std::make_shared<detail::FdLogSink>(fd);
  sink->set_formatter(util::make_python_formatter());
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

// Ends the process if a requested stop does not complete: user code may
// ignore it (a task running for hours, a non-daemon thread at exit).
void start_watchdog(int exit_code) {
  static std::atomic<bool> started{false};
  if (started.exchange(true)) return;
  std::thread([exit_code] {
    std::this_thread::sleep_for(kStopGrace);
    if (auto log = spdlog::default_logger()) {
      log->warn("engine did not stop within {} ms; exiting", kStopGrace.count());
      log->flush();
    }
    std::fflush(nullptr);
    std::_Exit(exit_code);
  }).detach();
}

}  // namespace

Engine::Engine(config::EngineOptions options, std::vector<std::string> argv)
    : options_(std::move(options)), argv_(std::move(argv)) {}

int Engine::run() {
  const config::EngineOptions& o = options_;
  auto log = spdlog::default_logger();
  const spdlog::level::level_enum level = log->level();

  for (const auto& d : o.not_implemented) log->warn("{}", d.to_string());

  // Output capture and IOPub exist before Python so its hooks can point at
  // them; both start working only after registration.
  std::unique_ptr<IopubChannel> iopub;
  std::unique_ptr<SharedSession> session;
  CurrentParent current_parent;
  int engine_id = -1;
  std::unique_ptr<OutputCapture> output = std::make_unique<OutputCapture>(
      [&](StreamName stream, std::string text) {
        if (!iopub || !session) return;
        iopub->publish(session->encode_iopub(
            engine_topic(engine_id, stream_name(stream)), "stream",
            {{"name", stream_name(stream)}, {"text", std::move(text)}}, current_parent.get()));
      },
      milliseconds(200), [&] {
        if (iopub) iopub->wake();
      });

  PythonHooks hooks;
  hooks.publish = [&](wire::Frames frames) {
    if (iopub) iopub->publish(std::move(frames));
  };
  hooks.new_msg_id = [&] { return session ? session->new_msg_id() : std::string("0"); };
  hooks.output = output.get();
  hooks.log = log;
  PythonRuntime python(argv_, o.common.log_level, hooks);

  // Connection info (engine.md section 1, step 3-4).
  const char* env_info = std::getenv("IPP_CONNECTION_INFO");
  if ((env_info == nullptr || *env_info == '\0') && !std::filesystem::exists(o.url_file)) {
    log->warn("url_file '{}' not found", o.url_file.string());
    log->warn("Waiting up to {:.1f} seconds for it to arrive.", o.wait_for_url_file);
  }
  auto connection = load_connection(o.url_file, std::chrono::duration<double>(o.wait_for_url_file),
                                    env_info);
  if (!connection) {
    log->critical("Fatal: url file never arrived: {}", o.url_file.string());
    return kExitNoConnectionFile;
  }
  log->info("Loading connection file '{}'", connection->source);
  const config::ConnectionInfo& info = connection->info;
  std::string location = o.location.empty() ? info.location : o.location;
  EngineEndpoints endpoints = resolve_endpoints(info, location);
  const std::string registration_url = endpoints.registration;  // before any tunnel

  // SSH (init_connector): --ssh, else the file's "ssh"; --sshkey alone
  // tunnels to the registration host itself.
  std::string ssh_server = o.sshserver.empty() ? info.ssh : o.sshserver;
  std::unique_ptr<SshTunnel> tunnel;
  if (!ssh_server.empty() || !o.sshkey.empty()) {
    if (ssh_server.empty()) ssh_server = split_tcp_url(endpoints.registration).first;
    std::vector<std::string*> urls{&endpoints.registration, &endpoints.control, &endpoints.mux,
                                   &endpoints.task, &endpoints.iopub, &endpoints.hb_ping,
                                   &endpoints.hb_pong};
    for (auto& b : endpoints.broadcast) urls.push_back(&b);
    std::vector<std::string> remote;
    for (auto* u : urls) remote.push_back(*u);
    log->info("Tunneling connections to the controller via {}", ssh_server);
    try {
      tunnel = std::make_unique<SshTunnel>(ssh_server, o.sshkey, remote, log);
    } catch (const Error& e) {
      log->critical("Cannot reach the controller through ssh: {}", e.what());
      return kExitSshFailed;
    }
    for (std::size_t i = 0; i < urls.size(); ++i) *urls[i] = tunnel->local_urls()[i];
  }
  const CurveKeys curve = resolve_curve_keys(info.curve_serverkey, o.curve_serverkey,
                                             o.curve_publickey, o.curve_secretkey);
  if (curve.enabled()) {
    log->info("Using CurveZMQ security");
  } else {
    log->warn("Not using CurveZMQ security");
  }
  wire::SessionOptions session_options = engine_session_options(info, o.session);
  session = std::make_unique<SharedSession>(session_options);
  const std::string uuid = session->uuid();

  // Requested id: IPEngine.id, else the MPI rank (IPEngine._id_default).
  std::optional<int> requested_id = o.id;
  if (o.use_mpi && !requested_id) requested_id = python.mpi_rank();
  if (o.use_mpi && requested_id && *requested_id >= 100 && o.mpi_registration_delay > 0) {
    double delay = *requested_id * o.mpi_registration_delay;
    log->info("Delaying registration for {} by {}ms", *requested_id,
              static_cast<int>(delay * 1000));
    std::this_thread::sleep_for(seconds_to_ms(delay));
  }

  zmq::context_t context;
  zmq::socket_t registrar(context, zmq::socket_type::dealer);
  registrar.set(zmq::sockopt::routing_id, uuid);
  registrar.set(zmq::sockopt::linger, 3000);
  apply_curve(registrar, curve);
  registrar.connect(endpoints.registration);
  log->info("Registering with controller at {}", registration_url);
  if (requested_id) log->info("Requesting id: {}", *requested_id);
  RegistrationResult reg = register_engine(registrar, *session, session->signer(), requested_id,
                                           seconds_to_ms(o.timeout));
  if (reg.status == RegistrationResult::Status::TimedOut) {
    log->critical("Registration timed out after {:.1f} seconds", o.timeout);
    if (registration_url.find("127.") != std::string::npos) {
      log->critical(
          "\n            If the controller and engines are not on the same machine,\n"
          "            you will have to instruct the controller to listen on an external IP "
          "(in ipcontroller_config.py):\n"
          "                c.IPController.ip = '0.0.0.0' # for all interfaces, internal and "
          "external\n"
          "                c.IPController.ip = '192.168.1.101' # or any interface that the "
          "engines can see\n"
          "            or tunnel connections via ssh.\n            ");
    }
    send_unregistration(registrar, *session, requested_id);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return kExitRegistrationFailed;
  }
  if (reg.status == RegistrationResult::Status::Refused) {
    log->critical("Registration Failed: {}", reg.detail);
    return kExitRegistrationFailed;
  }
  engine_id = reg.id;
  if (requested_id && *requested_id != engine_id) {
    log->warn("Did not get the requested id: {} != {}", engine_id, *requested_id);
  }
  log = util::child_logger("IPEngine." + std::to_string(engine_id));
  python.set_log(log);

  // Shell: one ROUTER, identity uuid, connected to mux, task and the
  // broadcast leaf id % n (_complete_registration).
  zmq::socket_t shell(context, zmq::socket_type::router);
  shell.set(zmq::sockopt::routing_id, uuid);
  shell.set(zmq::sockopt::linger, 3000);
  apply_curve(shell, curve);
  std::vector<std::string> shell_addrs{endpoints.mux, endpoints.task,
                                       endpoints.broadcast_for(engine_id)};
  log->info("Shell_addrs: ['{}', '{}', '{}']", shell_addrs[0], shell_addrs[1], shell_addrs[2]);
  for (const auto& addr : shell_addrs) {
    log->info("Connecting shell to {}", addr);
    shell.connect(addr);
  }

  iopub = std::make_unique<IopubChannel>(context, endpoints.iopub, uuid, log, curve);
  iopub->set_flush_timer([&] { return output->next_due(); }, [&] { output->flush_due(); });
  iopub->start();

  // ipykernel 6 captures descriptors 1 and 2 (not under pytest, as
  // ipykernel; IPP_ENGINE_NO_FD_CAPTURE=1 also disables it).
  const char* no_capture = std::getenv("IPP_ENGINE_NO_FD_CAPTURE");
  if (no_capture == nullptr || std::string(no_capture) != "1") {
    output->start_fd_capture();
    if (!o.common.log_to_file) {
      // The log must keep going to the real stderr, not into IOPub.
      auto base = fd_logger("IPEngine", output->original_fd(StreamName::Stderr), level);
      spdlog::set_default_logger(base);
      log = util::child_logger("IPEngine." + std::to_string(engine_id));
      python.set_log(log);
    }
  }

  KernelOptions kernel_options;
  kernel_options.engine_id = engine_id;
  kernel_options.uuid = uuid;
  kernel_options.key = session_options.key;
  kernel_options.signature_scheme = session_options.signature_scheme;
  kernel_options.username = session->username();
  kernel_options.buffer_threshold = o.session.buffer_threshold;
  kernel_options.item_threshold = o.session.item_threshold;
  kernel_options.shell_config = o.shell_config;
  kernel_options.exec_lines = o.exec_lines;
  kernel_options.exec_files = o.exec_files;
  kernel_options.profile_dir = o.common.profile.location.string();
  const char* basic = std::getenv("IPP_ENGINE_BASIC_KERNEL");
  kernel_options.force_basic = basic != nullptr && std::string(basic) == "1";
  std::string kernel_class = python.start_kernel(kernel_options);
  log->debug("Kernel: {}", kernel_class);
  python.run_startup(kernel_options);
  output->flush_all();
  nlohmann::json kernel_info = python.kernel_info();

  // kernel.start(): status "starting" with an empty parent.
  iopub->publish(session->encode_iopub(engine_topic(engine_id, "status"), "status",
                                       {{"execution_state", "starting"}},
                                       nlohmann::json::object()));

  // The heart starts last, as in 7.1: the hub announces the engine on its
  // first pong, when the engine is ready.
  Heart heart(context, endpoints.hb_ping, endpoints.hb_pong, uuid, log, curve);
  heart.start();

  Mailbox<ShellCommand> commands;
  AbortedIds aborted;
  std::atomic<int> stop_code{kExitOk};
  auto request_stop = [&](int code) {
    stop_code = code;
    commands.push(ShellCommand{ShellCommand::Kind::Stop, {}});
    start_watchdog(code);
  };

  install_signal_pipe();
  ControlContext control_ctx;
  control_ctx.session = session.get();
  control_ctx.iopub = iopub.get();
  control_ctx.aborted = &aborted;
  control_ctx.shell_commands = &commands;
  control_ctx.log = log;
  control_ctx.engine_id = engine_id;
  control_ctx.kernel_info = kernel_info;
  control_ctx.heart = &heart;
  control_ctx.hb_period_ms = reg.hb_period_ms;
  control_ctx.max_heartbeat_misses = o.max_heartbeat_misses;
  control_ctx.request_stop = request_stop;
  ControlChannel control(context, endpoints.control, uuid, std::move(registrar),
                         std::move(control_ctx), curve);
  control.start();

  log->info("Completed registration with id {}", engine_id);

  KernelContext kernel_ctx;
  kernel_ctx.session = session.get();
  kernel_ctx.iopub = iopub.get();
  kernel_ctx.python = &python;
  kernel_ctx.output = output.get();
  kernel_ctx.parent = &current_parent;
  kernel_ctx.aborted = &aborted;
  kernel_ctx.log = log;
  kernel_ctx.engine_id = engine_id;
  kernel_ctx.stop_on_error_timeout = seconds_to_ms(o.stop_on_error_timeout);
  kernel_ctx.on_shutdown = [&] { start_watchdog(kExitOk); };
  Kernel kernel(std::move(kernel_ctx));
  kernel.run(shell, commands, [&control](wire::Frames frames) { control.send_reply(std::move(frames)); });

  // Stopping: what interpreter shutdown and the nanny would do.
  log->info("Engine {} stopping", engine_id);
  python.at_exit();
  output->flush_all();
  output->stop_fd_capture();
  // The nanny's unregistration_request, sent by the engine itself.
  control.stop(/*unregister=*/true);
  heart.stop();
  iopub->stop();
  shell.close();
  context.close();
  return stop_code.load();
}

}  // namespace ipp::engine

// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/app/controller.hpp"

#include <pthread.h>

#include <chrono>

#include <spdlog/spdlog.h>

#include "app/controller_loops.hpp"
#include "app/controller_sockets.hpp"
#include "ipp/app/port_pool.hpp"
#include "ipp/util/error.hpp"

namespace ipp::app {

struct Controller::Threads {
  std::vector<std::unique_ptr<Loop>> loops;
  // Thread names (at most 15 characters): `top -H` and perf show each
  // loop's share of the controller's time.
  std::vector<const char*> names;
  std::vector<std::thread> threads;
};

namespace {

// Leaf names of the broadcast tree: depth 1 -> "00", "01"; depth 2 ->
// "000" .. "011"... (schedulers.md section 3).
std::string leaf_name(int index, int depth) {
  std::string bits(static_cast<std::size_t>(depth + 1), '0');
  for (int b = 0; b < depth; ++b) {
    if (index & (1 << b)) bits[static_cast<std::size_t>(depth - b)] = '1';
  }
  return bits;
}

// --reuse: both files must exist and agree on what they share, as
// controller/app.py load_config_from_json asserts; otherwise start fresh.
bool load_reused_files(const ControllerSettings& settings, config::ConnectionInfo& client,
                       config::ConnectionInfo& engine) {
  try {
    client = config::read_connection_file(settings.client_file, config::ConnectionKind::Client);
    engine = config::read_connection_file(settings.engine_file, config::ConnectionKind::Engine);
  } catch (const Error& e) {
    spdlog::error("Could not reuse connection files: {}; starting with new ports and key", e.what());
    return false;
  }
  if (client.key != engine.key || client.registration != engine.registration ||
      client.pack != engine.pack || client.unpack != engine.unpack ||
      client.signature_scheme != engine.signature_scheme) {
    spdlog::error("Could not reuse connection files {} and {}: they disagree on key, registration "
                  "port or session settings; starting with new ports and key",
                  settings.client_file.string(), settings.engine_file.string());
    return false;
  }
  if (engine.broadcast.size() != (std::size_t(1) << settings.broadcast_depth)) {
    spdlog::error("Could not reuse {}: it has {} broadcast ports, broadcast_scheduler_depth {} needs {}",
                  settings.engine_file.string(), engine.broadcast.size(), settings.broadcast_depth,
                  std::size_t(1) << settings.broadcast_depth);
    return false;
  }
  return true;
}

std::string ip_of_interface(const std::string& interface) {
  auto pos = interface.find("://");
  return pos == std::string::npos ? interface : interface.substr(pos + 3);
}

std::string transport_of_interface(const std::string& interface) {
  auto pos = interface.find("://");
  return pos == std::string::npos ? "tcp" : interface.substr(0, pos);
}

}  // namespace

Controller::Controller(ControllerSettings settings) : settings_(std::move(settings)), context_(1) {
  if (settings_.registration_timeout_s <= 0) {
    settings_.registration_timeout_s = std::max(30.0, settings_.ping_ms / 100.0);
  }
}

Controller::~Controller() { stop(); }

void Controller::start() {
  bool reused = settings_.reuse_files && load_reused_files(settings_, client_info_, engine_info_);
  if (reused) {
    // The files win: same key, same interfaces and ports as last time.
    settings_.session.key = client_info_.key;
    settings_.session.signature_scheme = client_info_.signature_scheme;
    settings_.engine_ip = ip_of_interface(engine_info_.interface);
    settings_.engine_transport = transport_of_interface(engine_info_.interface);
    settings_.client_ip = ip_of_interface(client_info_.interface);
    settings_.client_transport = transport_of_interface(client_info_.interface);
    if (settings_.ssh_server.empty()) settings_.ssh_server = client_info_.ssh;
    if (settings_.engine_ssh_server.empty()) settings_.engine_ssh_server = engine_info_.ssh;
    if (settings_.location.empty()) settings_.location = client_info_.location;
  }
  // Each loop's Session draws its own id, so msg_ids never collide.
  settings_.session.session_id.clear();
  // The task database first: a file that cannot be used is a start-up
  // error before any port is bound or file written.
  std::string hub_session_id = wire::Session::new_session_id();
  std::unique_ptr<hub::TaskStore> store = make_task_store(settings_, hub_session_id);

  PortPool pool(settings_.ports, settings_.engine_ports, settings_.client_ports);
  const int leaves = 1 << settings_.broadcast_depth;
  auto& ctx = context_;
  const auto& eip = settings_.engine_ip;
  const auto& cip = settings_.client_ip;
  const auto& etr = settings_.engine_transport;
  const auto& ctr = settings_.client_transport;
  auto engine_port = [&](int reused_port) { return reused ? reused_port : pool.engine_port(); };
  auto client_port = [&](int reused_port) { return reused ? reused_port : pool.client_port(); };

  // Internal links first: inproc needs the bind before any connect.
  HubSockets hub{make_socket(ctx, zmq::socket_type::router),
                 make_socket(ctx, zmq::socket_type::pub), make_socket(ctx, zmq::socket_type::pull),
                 make_socket(ctx, zmq::socket_type::pub),
                 make_socket(ctx, zmq::socket_type::dealer)};
  bind_inproc(hub.monitor, "ipp-monitor");
  bind_inproc(hub.events, "ipp-engine-events");

  auto monitor_push = [&] {
    auto s = make_socket(ctx, zmq::socket_type::push);
    s.connect(kMonitorEndpoint);
    return s;
  };
  auto events_sub = [&] {
    auto s = make_socket(ctx, zmq::socket_type::sub);
    s.set(zmq::sockopt::subscribe, "");
    s.connect(kEngineEventsEndpoint);
    return s;
  };

  // 1. registration (engine pool), also bound on the client ip if it differs.
  // When one of the two is a wildcard, binding it alone covers the other:
  // binding both fails with EADDRINUSE (Python 7.1 fails there, e.g. seed
  // 004's --ip=* with HubFactory.client_ip = '<address>').
  auto wildcard = [](const std::string& ip) { return ip == "*" || ip == "0.0.0.0"; };
  int registration = 0;
  if (ctr == etr && etr == "tcp" && cip != eip && (wildcard(cip) || wildcard(eip))) {
    registration = bind_port(hub.query, etr, wildcard(eip) ? eip : cip, engine_port(engine_info_.registration));
  } else {
    registration = bind_port(hub.query, etr, eip, engine_port(engine_info_.registration));
    if (cip != eip || ctr != etr) bind_port(hub.query, ctr, cip, registration);
  }

  // 2. engine side: control, mux, task, iopub, hb_ping, hb_pong, broadcast leaves.
  RelaySockets relay{make_socket(ctx, zmq::socket_type::router, "mux_in"),
                     make_socket(ctx, zmq::socket_type::router, "mux_out"),
                     make_socket(ctx, zmq::socket_type::router, "control_in"),
                     make_socket(ctx, zmq::socket_type::router, "control_out"),
                     make_socket(ctx, zmq::socket_type::sub),
                     make_socket(ctx, zmq::socket_type::pub),
                     monitor_push()};
  relay.iopub_engine.set(zmq::sockopt::subscribe, "");
  // Unknown engine identities must fail loudly so the relay can answer the
  // client instead of letting libzmq drop the request.
  relay.mux_engine.set(zmq::sockopt::router_mandatory, true);
  relay.control_engine.set(zmq::sockopt::router_mandatory, true);

  const bool pure = settings_.scheme == "pure";
  TaskSockets task{make_socket(ctx, zmq::socket_type::router, "task_in"),
                   make_socket(ctx, pure ? zmq::socket_type::dealer : zmq::socket_type::router, "task_out"),
                   monitor_push(), events_sub()};
  // hb_ping is an XPUB (engines' SUBs cannot tell it from a PUB): each new
  // subscription is an engine whose heart just connected, and the heart
  // loop pings it at once instead of at the next beat.
  HeartSockets heart{make_socket(ctx, zmq::socket_type::xpub), make_socket(ctx, zmq::socket_type::router),
                     monitor_push(), events_sub()};
  BroadcastSockets bcast{make_socket(ctx, zmq::socket_type::router, "sub_scheduler_0"), {}, events_sub()};
  for (int i = 0; i < leaves; ++i) {
    bcast.leaves.push_back(
        make_socket(ctx, zmq::socket_type::router, "sub_scheduler_" + leaf_name(i, settings_.broadcast_depth)));
  }

  engine_info_.kind = config::ConnectionKind::Engine;
  engine_info_.control = bind_port(relay.control_engine, etr, eip, engine_port(engine_info_.control));
  engine_info_.mux = bind_port(relay.mux_engine, etr, eip, engine_port(engine_info_.mux));
  engine_info_.task = bind_port(task.engine, etr, eip, engine_port(engine_info_.task));
  engine_info_.iopub = bind_port(relay.iopub_engine, etr, eip, engine_port(engine_info_.iopub));
  heart.ping.set(zmq::sockopt::xpub_verbose, 1);  // every engine's subscription, not just the first
  engine_info_.hb_ping = bind_port(heart.ping, etr, eip, engine_port(engine_info_.hb_ping));
  engine_info_.hb_pong = bind_port(heart.pong, etr, eip, engine_port(engine_info_.hb_pong));
  std::vector<int> leaf_ports;
  for (int i = 0; i < leaves; ++i) {
    int wanted = reused ? engine_info_.broadcast[static_cast<std::size_t>(i)] : pool.engine_port();
    leaf_ports.push_back(bind_port(bcast.leaves[static_cast<std::size_t>(i)], etr, eip, wanted));
  }
  engine_info_.broadcast = leaf_ports;

  // 3. client side: control, mux, task, iopub, notification, broadcast.
  client_info_.kind = config::ConnectionKind::Client;
  client_info_.control = bind_port(relay.control_client, ctr, cip, client_port(client_info_.control));
  client_info_.mux = bind_port(relay.mux_client, ctr, cip, client_port(client_info_.mux));
  client_info_.task = bind_port(task.client, ctr, cip, client_port(client_info_.task));
  client_info_.iopub = bind_port(relay.iopub_client, ctr, cip, client_port(client_info_.iopub));
  client_info_.notification = bind_port(hub.notification, ctr, cip, client_port(client_info_.notification));
  int root = client_info_.broadcast.empty() ? 0 : client_info_.broadcast[0];
  client_info_.broadcast = {bind_port(bcast.client, ctr, cip, client_port(root))};
  for (const auto& name : pool.exhausted()) {
    spdlog::warn("Not enough ports in {}: the OS picked the rest", name);
  }

  // The hub's resubmissions enter the task scheduler like a client's.
  bind_inproc(task.client, "ipp-task-in");
  hub.resubmit.connect(kTaskInEndpoint);

  // Common parts of both files.
  for (auto* info : {&client_info_, &engine_info_}) {
    info->registration = registration;
    info->key = settings_.session.key;
    info->signature_scheme = settings_.session.signature_scheme;
    info->pack = "json";
    info->unpack = "json";
    info->location = settings_.location;
    info->curve_serverkey.reset();
  }
  client_info_.interface = ctr + "://" + cip;
  engine_info_.interface = etr + "://" + eip;
  client_info_.ssh = settings_.ssh_server;
  engine_info_.ssh = settings_.engine_ssh_server;
  client_info_.task_scheme = settings_.scheme;

  nlohmann::json engine_dict = {
      {"interface", engine_info_.interface}, {"registration", registration},
      {"control", engine_info_.control},     {"mux", engine_info_.mux},
      {"task", engine_info_.task},           {"iopub", engine_info_.iopub},
      {"hb_ping", engine_info_.hb_ping},     {"hb_pong", engine_info_.hb_pong},
      {"broadcast", engine_info_.broadcast},
  };

  threads_ = std::make_unique<Threads>();
  auto add_loop = [this](const char* name, std::unique_ptr<Loop> loop) {
    threads_->names.push_back(name);
    threads_->loops.push_back(std::move(loop));
  };
  add_loop("ipc-hub", make_hub_loop(std::move(hub), settings_, std::move(store), std::move(hub_session_id),
                                    std::move(engine_dict), [this] { notify_done(); }));
  add_loop("ipc-heart", make_heart_loop(std::move(heart), settings_.ping_ms,
                                        settings_.max_heartmonitor_misses));
  add_loop("ipc-relay", make_relay_loop(std::move(relay), settings_.session));
  if (settings_.scheme != "none") add_loop("ipc-task", make_task_loop(std::move(task), settings_));
  add_loop("ipc-broadcast", make_broadcast_loop(std::move(bcast), settings_));
  for (std::size_t i = 0; i < threads_->loops.size(); ++i) {
    Loop* l = threads_->loops[i].get();
    const char* name = threads_->names[i];
    threads_->threads.emplace_back([l, name] {
      ::pthread_setname_np(::pthread_self(), name);
      try {
        l->run();
      } catch (const zmq::error_t& e) {
        if (e.num() != ETERM) spdlog::critical("controller loop stopped: {}", e.what());
      } catch (const std::exception& e) {
        spdlog::critical("controller loop stopped: {}", e.what());
      }
    });
  }

  // Written last, once every socket is bound: a peer that reads the files
  // can connect at once (Python writes them before its schedulers bind).
  if (!reused) {
    config::write_connection_file(settings_.client_file, client_info_);
    config::write_connection_file(settings_.engine_file, engine_info_);
    spdlog::info("writing connection info to {}", settings_.client_file.string());
    spdlog::info("writing connection info to {}", settings_.engine_file.string());
  } else {
    spdlog::info("reusing connection files {} and {}", settings_.client_file.string(),
                 settings_.engine_file.string());
  }
  wrote_files_ = true;
}

void Controller::notify_done() {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  done_cv_.notify_all();
}

bool Controller::wait(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (timeout_ms < 0) {
    done_cv_.wait(lock, [this] { return done_; });
    return true;
  }
  return done_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return done_; });
}

void Controller::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (threads_) {
    // Every blocking zmq call in every loop returns ETERM: the loops end and
    // their sockets (linger 0) close as the Loop objects are destroyed.
    context_.shutdown();
    for (auto& t : threads_->threads) {
      if (t.joinable()) t.join();
    }
    threads_->loops.clear();
  }
  context_.close();
  if (wrote_files_ && !settings_.reuse_files) {
    std::error_code ec;
    std::filesystem::remove(settings_.client_file, ec);
    std::filesystem::remove(settings_.engine_file, ec);
  }
}

}  // namespace ipp::app

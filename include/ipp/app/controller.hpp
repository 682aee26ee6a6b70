// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "ipp/config/connection_file.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::app {

// Everything the running controller needs, already resolved from config
// and command line (ControllerOptions -> ControllerSettings in
// controller_app.cpp), so the controller itself knows nothing about
// traitlets.
struct ControllerSettings {
  std::string engine_ip = "127.0.0.1";
  std::string client_ip = "127.0.0.1";
  std::string engine_transport = "tcp";
  std::string client_transport = "tcp";
  std::string location;           // written to both files
  std::string ssh_server;         // client file "ssh"
  std::string engine_ssh_server;  // engine file "ssh"
  std::vector<int> ports, engine_ports, client_ports;
  std::string scheme = "leastload";
  int hwm = 1;
  int ping_ms = 3000;
  int max_heartmonitor_misses = 10;
  double registration_timeout_s = 0;  // 0: max(30, ping_ms / 100) as Python
  int broadcast_depth = 1;
  std::string db_class = "DictDB";    // DictDB | NoDB | SQLiteDB
  std::filesystem::path sqlite_file = "tasks.db";  // SQLiteDB.location / SQLiteDB.filename
  std::string sqlite_table = "ipython-tasks";      // SQLiteDB.table
  std::size_t dictdb_record_limit = 1024;
  std::size_t dictdb_size_limit = std::size_t(1) << 30;
  double dictdb_cull_fraction = 0.1;
  wire::SessionOptions session;       // key, scheme, ...
  bool reuse_files = false;
  bool restore_engines = false;
  std::filesystem::path client_file;
  std::filesystem::path engine_file;
  std::filesystem::path engine_state_file;
};

// The controller process: binds every socket clients and engines expect
// (README.md of the protocol, "Every externally visible controller
// socket"), writes the connection files, and runs one thread per loop:
//   hub        registration/query ROUTER, notification PUB, monitor PULL
//   heartbeat  hb_ping PUB, hb_pong ROUTER
//   relays     mux and control ROUTER pairs, IOPub SUB -> PUB
//   task       load-balancing scheduler ROUTER pair
//   broadcast  root ROUTER + one leaf ROUTER per 2**depth
// Threads only talk over inproc sockets (monitor copies to the hub, engine
// (un)registration events from the hub to the schedulers).
class Controller {
 public:
  explicit Controller(ControllerSettings settings);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Binds, writes the connection files (unless reused), starts the threads.
  // Throws ipp::Error with the endpoint and errno text when a bind fails.
  void start();

  // Blocks until a client's shutdown_request has been served (plus the 1 s
  // grace Python gives) or stop() was called; `timeout_ms` < 0 waits forever.
  // Returns true when the controller is done.
  bool wait(int timeout_ms = -1);

  // Stops every loop, joins the threads, removes the connection files unless
  // reuse_files. Idempotent; call from the main thread.
  void stop();

  const config::ConnectionInfo& client_info() const { return client_info_; }
  const config::ConnectionInfo& engine_info() const { return engine_info_; }

  // Called by the hub thread when shutdown was requested.
  void notify_done();

 private:
  struct Threads;

  ControllerSettings settings_;
  zmq::context_t context_;
  config::ConnectionInfo client_info_;
  config::ConnectionInfo engine_info_;
  std::unique_ptr<Threads> threads_;
  bool wrote_files_ = false;
  bool stopped_ = false;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
};

}  // namespace ipp::app

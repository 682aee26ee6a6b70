// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/config/common_options.hpp"
#include "ipp/config/config.hpp"

namespace ipp::config {

struct LoadedConfig;

// ipengine's DEFAULT_MPI_INIT (engine/app.py).
extern const char* const kDefaultMpiInit;

// Everything ipengine reads from its configuration (config-and-cli.md
// section 4). Defaults are ipyparallel 7.1's.
struct EngineOptions {
  CommonOptions common;
  SessionOptions session;

  // The connection file: IPEngine.url_file (--file) if given, else
  // <security dir>/<url_file_name>. `url_file_given` tells which.
  std::filesystem::path url_file;
  bool url_file_given = false;
  std::string url_file_name;  // ipcontroller[-<cluster_id>]-engine.json unless configured
  double wait_for_url_file = 10.0;  // s

  std::string startup_command;  // -c
  std::string startup_script;   // -s
  std::string registration_url; // --url (overwritten by the connection file, as in Python)
  std::string location;         // --location: overrides the file's
  std::string sshserver;        // --ssh
  std::string sshkey;           // --sshkey
  bool paramiko = false;
  double timeout = 5.0;         // s to wait for the registration reply
  int max_heartbeat_misses = 50;  // 0 disables the check
  std::optional<int> id;        // requested engine id (default: none / MPI rank)
  bool use_mpi = false;         // --mpi, c.IPEngine.use_mpi, or c.MPI.use = 'mpi4py'
  std::string init_mpi = kDefaultMpiInit;
  double mpi_registration_delay = 0.02;
  bool enable_nanny = true;
  std::string out_stream_factory = "ipykernel.iostream.OutStream";
  std::string display_hook_factory = "ipykernel.displayhook.ZMQDisplayHook";
  std::string curve_serverkey, curve_publickey, curve_secretkey;

  // Code the kernel runs at start, in order (engine/app.py init_engine): the
  // exec_lines / exec_files of IPKernelApp, else of InteractiveShellApp (lazy
  // .append()s applied), then startup_command / startup_script, and when
  // use_mpi, init_mpi first.
  std::vector<std::string> exec_lines;
  std::vector<std::string> exec_files;
  std::vector<std::string> extensions;  // IPKernelApp/InteractiveShellApp.extensions
  double stop_on_error_timeout = 0.0;   // IPythonParallelKernel / Kernel

  // The IPython/ipykernel sections as configured (InteractiveShell,
  // ZMQInteractiveShell, IPKernelApp, InteractiveShellApp, Kernel, ...),
  // {"Class": {"trait": value}}, for the embedded kernel to apply.
  nlohmann::json shell_config = nlohmann::json::object();

  std::vector<Diagnostic> not_implemented;  // see ControllerOptions
};

EngineOptions build_engine_options(const LoadedConfig& loaded);

}  // namespace ipp::config

// SPDX-License-Identifier: BSD-3-Clause
//
// From the engine connection file (or $IPP_CONNECTION_INFO) to the addresses
// and Session settings the engine uses (engine.md sections 1-2,
// connection-files.md sections 3, 4, 6).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipp/config/common_options.hpp"
#include "ipp/config/connection_file.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::engine {

// Every controller address an engine connects to, already disambiguated.
struct EngineEndpoints {
  std::string registration;
  std::string control;
  std::string mux;
  std::string task;
  std::string iopub;
  std::string hb_ping;
  std::string hb_pong;
  std::vector<std::string> broadcast;  // leaf schedulers; never empty

  // The leaf an engine with this id uses: broadcast[id % size], as
  // engine/app.py _complete_registration.
  const std::string& broadcast_for(int engine_id) const;
};

// Where the connection info came from, for the log.
struct LoadedConnection {
  config::ConnectionInfo info;
  std::string source;  // the file path, or "$IPP_CONNECTION_INFO"
};

// Reads the connection info as IPEngine.init_engine/load_connector_file:
//  * newest ipyparallel: a non-empty `env_connection_info`
//    ($IPP_CONNECTION_INFO) is the engine file's JSON; no file is read;
//  * otherwise `url_file`, polled every 0.1 s for up to `wait` when missing
//    (`sleep` is injectable for tests).
// Returns nullopt when the file never arrived (the caller logs
// "url file never arrived" and exits 1). Throws ipp::Error for a file that
// exists but is unreadable or invalid, naming it.
std::optional<LoadedConnection> load_connection(
    const std::filesystem::path& url_file, std::chrono::duration<double> wait,
    const char* env_connection_info,
    const std::function<void(std::chrono::milliseconds)>& sleep = {});

// The file's `interface` with 0.0.0.0 / * replaced through
// util::disambiguate_ip_address(ip, location), then "<interface>:<port>" for
// every channel. `location` is --location when given, else the file's.
EngineEndpoints resolve_endpoints(const config::ConnectionInfo& info, std::string_view location);

// Session settings for the engine: the file's signature_scheme, pack and
// unpack always win; its key wins when non-empty or when no key was
// configured (load_connector_file: `if d.get('key') or 'key' not in
// config.Session`). session_id = --ident (IPEngine.ident) or a new random
// "8hex-24hex" id: the engine uuid.
wire::SessionOptions engine_session_options(const config::ConnectionInfo& info,
                                            const config::SessionOptions& configured);

}  // namespace ipp::engine
